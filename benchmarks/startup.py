"""Cold start and memory, each in a fresh process.

`python -m benchmarks.startup console --db URL` opens the real console headless and exits as
soon as its first real screen (the login screen) is drawn; `bare` does the same for a plain
Textual app with the same kinds of widgets, the floor for any Textual console. With
`--session USER:PASSWORD` the console also logs in, runs searches and opens records before
it exits, and reports its peak RSS.
"""

from __future__ import annotations

import argparse
import inspect
import asyncio
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header, Input, Label

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
        self.call_after_refresh(self.exit)


def _console(db: str, session: str | None) -> None:
    """The real console: exit once the login screen is drawn, or after a working session."""
    import officeconsole.cli  # noqa: F401 - what `officeconsole` loads before opening the console
    from officeconsole.bootstrap import open_database
    from officeconsole.tui.app import OfficeApp
    from officeconsole.tui.screens.login import LoginScreen

    opened = open_database(db)

    class Probe(OfficeApp):
        """Exits as soon as the login screen has been drawn once."""

        CSS_PATH = Path(inspect.getfile(OfficeApp)).with_name("app.tcss")

        def on_mount(self) -> None:  # runs after OfficeApp.on_mount (Textual walks the MRO)
            self.set_timer(0.005, self._check)

        def _check(self) -> None:
            if isinstance(self.screen, LoginScreen) and self.screen.is_mounted:
                self.call_after_refresh(self.exit)
            else:
                self.set_timer(0.005, self._check)

    if session:
        asyncio.run(_work_session(OfficeApp(opened.ctx, opened.paths), opened.ctx, session))
        return
    app = Probe(opened.ctx, opened.paths)
    app.run(headless=True, size=(120, 40))
    if app.return_code:
        sys.exit(app.return_code)


async def _work_session(app, ctx, session: str) -> None:
    """Log in, run a handful of searches and open a record from each, as a desk user would."""
    from officeconsole.services import auth
    from officeconsole.tui.screens.patients import PatientsScreen

    username, password = session.split(":", 1)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.start_session(auth.login(ctx, username, password))
        while not (isinstance(app.screen, PatientsScreen) and app.screen.query("#search")):
            await pilot.pause(0.01)
        screen = app.screen
        for query in SEARCHES:
            screen.query_one("#search", Input).value = query
            await app.workers.wait_for_complete()
            await pilot.pause()
            if screen.rows:
                screen.action_open_patient()
                await app.workers.wait_for_complete()
                await pilot.pause()
                app.pop_screen()
                await pilot.pause()


def probe(kind: str, db: str | None, session: str | None) -> dict:
    """Run one probe in a fresh interpreter; wall time from spawn to exit, and its peak RSS."""
    command = [sys.executable, "-m", "benchmarks.startup", kind]
    if db:
        command += ["--db", db]
    if session:
        command += ["--session", session]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{kind} probe failed:\n{result.stderr[-2000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    report["seconds"] = seconds
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("console", "bare"))
    parser.add_argument("--db")
    parser.add_argument("--session", help="USER:PASSWORD: log in and search before exiting")
    args = parser.parse_args()
    if args.kind == "bare":
        BareApp().run(headless=True, size=(120, 40))
    else:
        _console(args.db, args.session)
    print(json.dumps({"kind": args.kind, "peak_rss_mb": _peak_rss_kib() / 1024}))


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
