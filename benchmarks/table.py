"""`python -m benchmarks.table`: docs/performance.md from the latest results in benchmarks/results/.

For each engine it takes the newest full run of each suite (`full`, `inventory`; a quick run only
when no full run of that suite exists) and writes one table per engine: each figure, the baseline
measured in the same run, the ratio, the target and whether it is met; then the machines and
versions the runs were on and the commands that reproduce them. A figure measured by more than
one suite is taken from the newest run that has it.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.misses import why_missed
from benchmarks.report import RESULTS_DIR, Figure, fmt_number, markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
NAME = re.compile(r"^(?P<stamp>\d{8}T\d{6}Z)-(?P<quick>quick-)?(?P<suite>[a-z]+)-(?P<engine>[a-z]+)\.json$")
ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
REPRODUCE = {
    "full": "python -m benchmarks --db URL{quick}",
    "inventory": "python -m benchmarks.inventory --db URL{quick}",
    "importing": "python -m benchmarks.importing{quick}",
    "soak": "python -m benchmarks.soak --db URL",
}
FIELDS = {"name", "value", "unit", "baseline", "baseline_name", "target", "target_ratio", "note", "missing", "busy"}

INTRO = """\
# Performance

Speed targets are checked by the benchmarks in `benchmarks/`, never by timed unit tests. Each
figure is measured beside a baseline taken in the same run on the same machine (raw SQL on the
driver, a bare Textual app, a bare DataTable), so a slow machine shows in both. A target is a
limit on the figure (lower is better) and, where given, on its ratio to the baseline.

This page is generated from the newest results in `benchmarks/results/` by
`python -m benchmarks.table`; do not edit it by hand.

## Reproduce

```bash
python -m benchmarks.generate --db bench.db --patients 1000000 --years 10 --providers 20
python -m benchmarks --db bench.db              # every figure; --quick for the 50,000-patient smoke run
python -m benchmarks.inventory --db bench.db    # the inventory figures alone
python -m benchmarks.table                      # this page, from the newest results
```

The generator builds a clinic through the product's own migrations and services (patients,
policies, appointments with their booked slots, working hours). `python -m benchmarks` adds the
billing history and stock it needs once, prints a Markdown table and writes a JSON file with the
machine's details to `benchmarks/results/` (full runs are kept in the repository; quick runs are
not). Figures move by up to 2x between runs on a shared 2-core machine; the baselines move with
them.
"""

WHERE_TIME_GOES = """\
## Where the time goes

- Screens that list a day (check-in, the flow board) are built, laid out and loaded off screen
  just after login and reopened from then on, reading only what changed since, so even their
  first open pays for no layout pass.
- Search reads plain columns over indexed, byte-ordered search keys and pages by keyset; a
  phone's last digits are a prefix of its reversed key, so MRN and phone-ending look-ups are
  index reads too; the results list draws each row as one pre-built line.
- The nightly close checks the lock's own tables before it starts and the whole file on the
  backup copy it makes, so its time does not grow with the database.
- A/R aging is one grouped statement; the billing queue filters on the payer kept on the claim.
- Plain `officeconsole` draws the login screen before SQLAlchemy, the models and the services
  are imported; they load in a worker while the screen is up, and a start on an up-to-date
  database never imports Alembic.
- The slot finder reads a range's working hours in three queries and counts each day's booked
  steps per provider first, so full days are skipped cheaply.
- Inventory reads on hand and next expiry for the rows shown only, and counts the low and
  expiring items in the database.
"""


@dataclass
class Run:
    path: Path
    stamp: str
    quick: bool
    suite: str
    engine: str
    machine: dict
    figures: list[Figure] = field(default_factory=list)


def load_runs(results: Path = RESULTS_DIR) -> list[Run]:
    runs = []
    for path in sorted(results.glob("*.json")):
        match = NAME.match(path.name)
        if not match:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        figures = [Figure(**{k: v for k, v in row.items() if k in FIELDS}) for row in data.get("figures", [])]
        runs.append(Run(path, match["stamp"], bool(match["quick"]), match["suite"], match["engine"],
                        data.get("machine", {}), figures))
    return runs


def latest(runs: list[Run]) -> dict[str, list[Run]]:
    """Per engine, the newest run of each suite (full runs before quick ones), newest first."""
    chosen: dict[tuple[str, str], Run] = {}
    for run in sorted(runs, key=lambda r: (not r.quick, r.stamp)):
        chosen[(run.engine, run.suite)] = run  # a full run outranks every quick one
    engines: dict[str, list[Run]] = {}
    for (engine, _), run in chosen.items():
        engines.setdefault(engine, []).append(run)
    return {engine: sorted(found, key=lambda r: r.stamp, reverse=True)
            for engine, found in sorted(engines.items(), key=lambda item: list(ENGINES).index(item[0])
                                        if item[0] in ENGINES else len(ENGINES))}


def merged(runs: list[Run]) -> list[tuple[Figure, Run]]:
    """Each figure from the newest run that has it, in the order the suites list them."""
    seen: dict[str, tuple[Figure, Run]] = {}
    for run in runs:  # newest first
        for figure in run.figures:
            seen.setdefault(figure.name, (figure, run))
    order = sorted(runs, key=lambda r: (r.suite != "full", r.suite))
    return [seen[f.name] for run in order for f in run.figures if seen[f.name][1] is run]


def _dataset(machine: dict) -> str:
    data = machine.get("dataset", {})
    parts = []
    if data.get("patients"):
        parts.append(f"{data['patients']:,} patients")
    if data.get("appointments"):
        parts.append(f"{data['appointments']:,} appointments")
    for key, value in (data.get("inventory") or {}).items():
        if key in {"items", "lots", "movements"}:
            parts.append(f"{value:,} inventory {key}")
    return ", ".join(parts) or "—"


def _machine(machine: dict) -> str:
    packages = machine.get("packages", {})
    versions = ", ".join(f"{name} {version}" for name, version in packages.items() if version)
    return (f"{machine.get('processor', '?')}, {machine.get('cpus', '?')} CPUs, {machine.get('platform', '?')}; "
            f"Python {machine.get('python', '?')}, SQLite {machine.get('sqlite', '?')}; {versions}")


ENGINE_GAP = 1.5  # a server database may cost a round trip per read, but no more than this over SQLite


def engine_gap(sqlite: dict[str, Figure], figures: list[Figure]) -> list[str]:
    """Each timed figure of another engine more than ENGINE_GAP times the same figure on SQLite
    (rates, sizes and throughputs, where higher is not slower, are left out)."""
    lines = []
    for figure in figures:
        base = sqlite.get(figure.name)
        if base is None or figure.unit not in ("ms", "s") or not base.value or figure.missing or base.missing:
            continue
        times = figure.value / base.value
        if times > ENGINE_GAP:
            lines.append(f"- {figure.name}: {fmt_number(figure.value)} {figure.unit} against "
                         f"{fmt_number(base.value)} {base.unit} on SQLite ({times:.1f}×)")
    return lines


def render(runs: list[Run]) -> str:
    out = [INTRO]
    by_engine = latest(runs)
    if not by_engine:
        out += ["## Results", "", "No results yet: run `python -m benchmarks` to measure.", ""]
    for engine, engine_runs in by_engine.items():
        rows = merged(engine_runs)
        out += [f"## {ENGINES.get(engine, engine)}", ""]
        out.append(markdown([figure for figure, _ in rows]))
        notes = [f"- {figure.name}: {figure.note}" for figure, _ in rows if figure.note]
        if notes:
            out += ["", "Notes:", "", *notes]
        if engine != "sqlite" and "sqlite" in by_engine:
            slower = engine_gap({f.name: f for f, _ in merged(by_engine["sqlite"])}, [f for f, _ in rows])
            if slower:
                out += ["", f"Figures more than {ENGINE_GAP:g}× their SQLite value (the target for every row; the "
                        "engines are measured in separate runs, so a busier machine during one shows here "
                        "too):", "", *slower]
        missed = [figure for figure, _ in rows if figure.met is False]
        if missed:
            out += ["", "Targets not met, and where their time goes:", ""]
            out += [f"- {figure.name}: {fmt_number(figure.value)} {figure.unit} against {figure.target_text()}. "
                    f"{why_missed(figure.name)}" for figure in missed]
        out += ["", "Measured on:", ""]
        for run in sorted(engine_runs, key=lambda r: (r.suite != "full", r.suite)):
            quick = " --quick" if run.quick else ""
            command = REPRODUCE.get(run.suite, "python -m benchmarks --db URL{quick}").format(quick=quick)
            kind = "quick" if run.quick else "full"
            out.append(f"- `{command}` ({kind} run, {_dataset(run.machine)}): {_machine(run.machine)}; "
                       f"results in `benchmarks/results/{run.path.name}`")
        out.append("")
    out.append(WHERE_TIME_GOES)
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.table", description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="folder of results JSON files")
    parser.add_argument("--out", type=Path, default=DOC, help="page to write (default docs/performance.md)")
    args = parser.parse_args(argv)
    args.out.write_text(render(load_runs(args.results)), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
