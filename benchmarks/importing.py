"""Moving in: 100,000 patients with a policy each, imported from CSV into an empty SQLite clinic.

Always SQLite in a temporary folder (the issue's figure is for SQLite, and the generated
benchmark clinic is left as it was): the two files are generated, then `import patients` and
`import policies` are committed through ImportService exactly as the command runs them.
"""

from __future__ import annotations

import csv
import tempfile
import time
from pathlib import Path

from benchmarks.report import Figure
from officeconsole.db import migrate
from officeconsole.db.database import Database
from officeconsole.models import Payer
from officeconsole.services.common.clock import SystemClock
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.operations.importing import ImportKind, ImportRequest, ImportService
from officeconsole.services.security import auth
from officeconsole.services.security.auth import SetupInput

QUICK_ROWS = 2_000
FULL_ROWS = 100_000
PASSWORD = "benchmark import"
FIRST = ["Ann", "Bob", "Cy", "Dee", "Eve", "Fay", "Gus", "Hal", "Ida", "Jon", "Kim", "Lou", "Max", "Ned", "Ola"]
LAST = ["Ames", "Baker", "Cole", "Dunn", "Ellis", "Ford", "Gray", "Hale", "Irwin", "Jones", "Kent", "Lowe",
        "Muñoz", "Nash", "Ortiz", "Price", "Quinn", "Reyes", "Stone", "Tate"]
AREAS = ["217", "312", "415", "212", "646", "718", "305", "404", "617", "206", "303", "512"]  # a phone each


def write_files(folder: Path, rows: int) -> tuple[Path, Path]:
    patients, policies = folder / "patients.csv", folder / "policies.csv"
    with patients.open("w", newline="", encoding="utf-8") as p, policies.open("w", newline="", encoding="utf-8") as q:
        pw, qw = csv.writer(p), csv.writer(q)  # another system's files: plain CSV
        pw.writerow(["Chart No", "Last Name", "First Name", "DOB", "Sex", "Phone", "City", "State", "Zip"])
        qw.writerow(["Chart No", "Insurance", "Member ID", "Group", "Order", "Effective Date"])
        for i in range(rows):
            last = f"{LAST[i % len(LAST)]}{chr(97 + i // 26 % 26)}{chr(97 + i // 676 % 26)}{chr(97 + i // 17576 % 26)}"
            phone = f"({AREAS[i // 10000 % len(AREAS)]}) 555-{i % 10000:04d}"
            pw.writerow([f"C{i:07d}", last, FIRST[i % len(FIRST)], f"{1 + i % 12:02d}/{1 + i % 28:02d}/{1930 + i % 90}",
                         "FM"[i % 2], phone, "Springfield", "IL", "62701"])
            qw.writerow([f"C{i:07d}", "Blue Shield Test Plan" if i % 3 else "MCRB1", f"M{i:09d}", "G1", "1",
                         "01/01/2026"])
    return patients, policies


def measure(rows: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="oc-bench-import-") as folder:
        root = Path(folder)
        database = Database.from_url(f"sqlite:///{root / 'moving-in.db'}")
        try:
            migrate.upgrade(database.engine)
            ctx = ServiceContext(database, SystemClock())
            manager = ctx.as_actor(auth.setup_clinic(ctx, SetupInput("Bench Moving In", "America/Chicago", "manager",
                                                                     "Mo Manager", PASSWORD, PASSWORD)))
            with database.write() as session:
                session.add_all([Payer(name="Blue Shield Test Plan", payer_code="BSTP1"),
                                 Payer(name="Medicare Part B (test)", payer_code="MCRB1")])
            patients, policies = write_files(root, rows)
            service = ImportService(manager)
            started = time.perf_counter()
            first = service.run(ImportRequest(ImportKind.PATIENTS, patients, source="bench", commit=True))
            middle = time.perf_counter()
            second = service.run(ImportRequest(ImportKind.POLICIES, policies, source="bench", commit=True))
            ended = time.perf_counter()
            rerun = service.run(ImportRequest(ImportKind.PATIENTS, patients, source="bench", commit=True))
            assert first.counts["new"] == rows and second.counts["new"] == rows, (first.summary, second.summary)
            assert rerun.counts["unchanged"] == rows
            return {"total": ended - started, "patients": middle - started, "policies": ended - middle,
                    "rerun": time.perf_counter() - ended}
        finally:
            database.dispose()


def figures(quick: bool) -> list[Figure]:
    rows = QUICK_ROWS if quick else FULL_ROWS
    timed = measure(rows)
    return [Figure(f"import {rows:,} patients with a policy each (SQLite, committed)", timed["total"], "s",
                   target=60 if rows == FULL_ROWS else None,
                   note=f"patients {timed['patients']:.1f} s, policies {timed['policies']:.1f} s; "
                        f"rerun of the patients file {timed['rerun']:.1f} s (all unchanged)")]


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.importing [--quick]`: the import figure alone, saved with the results."""
    import argparse

    from benchmarks.report import judge, load_average, machine_info, markdown, save

    parser = argparse.ArgumentParser(prog="python -m benchmarks.importing", description=main.__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows instead of {FULL_ROWS:,}")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    load_at_start = load_average()
    found = figures(args.quick)
    info = machine_info("sqlite (a temporary file)", {"engine": "sqlite", "patients": 0, "appointments": 0})
    judge(found, info, load_at_start)
    info["quick"] = args.quick
    info["run_seconds"] = round(time.perf_counter() - started, 1)
    print(markdown(found))
    print(f"\nJSON: {save(found, info, ('quick-' if args.quick else '') + 'importing-sqlite')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
