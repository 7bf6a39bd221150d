"""Keystroke to results drawn in the console's patient search, under Pilot.

The app is the real one on the large database, run headless by `App.run_test`. Each key is
posted to the app as the terminal driver would post it (Pilot's own `press` adds about
100 ms of idle-waiting of its own, which would swamp the figure), then goes through
Textual's input handling, the search worker thread, the DataTable refill, and the clock
stops after the next screen refresh.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header, Input, Label

from benchmarks.settle import workers_done
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.frontdesk.patients import PAGE_SIZE as PAGE
from officeconsole.services.frontdesk.patients import PatientService
from officeconsole.services.security import auth
from officeconsole.tui.app import OfficeApp
from officeconsole.tui.screens.patients import PatientsScreen

WORDS = ("gar", "smith, j", "nguyen", "mill", "patel", "brown, a", "will", "lee", "john", "mar")


class BareSearch(App):
    """The baseline: a search box refilling a DataTable from rows already in memory, no
    workers, no database. What any Textual screen pays to redraw a page of results."""

    def __init__(self, rows: list[tuple]) -> None:
        super().__init__()
        self.rows = rows
        self.page: object = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(id="search")
        yield DataTable(id="results", cursor_type="row")
        yield Label(id="page-info")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name, width in (("MRN", 8), ("Name", 32), ("DOB", 10), ("Age", 4), ("Sex", 3),
                            ("Phone", 15), ("City", 20)):
            table.add_column(name, width=width)

    def on_input_changed(self, event: Input.Changed) -> None:
        table = self.query_one(DataTable)
        table.clear()
        offset = len(event.value) * 7 % max(1, len(self.rows) - PAGE)
        for row in self.rows[offset:offset + PAGE]:
            table.add_row(*(Text(str(cell)) for cell in row))
        self.query_one("#page-info", Label).update(f"{table.row_count} shown for {event.value!r}")
        self.page = object()


async def _type_words(app: App, holder, pilot, words: tuple[str, ...], busy) -> list[float]:
    """Post each key as the terminal driver would; stop the clock after the next refresh."""
    samples: list[float] = []
    for word in words:
        for char in word:
            before = holder.page
            drawn = asyncio.Event()
            start = time.perf_counter()
            app.post_message(events.Key("space" if char == " " else char, char))
            while holder.page is before or busy():
                await asyncio.sleep(0.0005)
            app.call_after_refresh(drawn.set)
            await drawn.wait()
            samples.append((time.perf_counter() - start) * 1000)
        await pilot.press("ctrl+u")  # clear the search box for the next word
        await workers_done(app)
        await pilot.pause()
    return samples


async def _console(ctx: ServiceContext, username: str, password: str, words: tuple[str, ...]) -> list[float]:
    app = OfficeApp(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await workers_done(app)
        await pilot.pause()
        app.start_session(auth.login(ctx, username, password))
        await workers_done(app)
        app.go_patients()  # the front desk lands on the schedule; search is one Esc away
        while not (isinstance(app.screen, PatientsScreen) and app.screen.query("#search")):
            await pilot.pause(0.01)
        screen = app.screen
        await workers_done(app)
        await pilot.pause()
        rows = [(r.mrn, r.display_name, r.dob.strftime("%m/%d/%Y"), 40, r.sex, r.phone, r.city)
                for r in PatientService(app.ctx).search("").rows] * 4
        samples = await _type_words(
            app, screen, pilot, words,
            lambda: any(w.group == "search" and not w.is_finished for w in app.workers))
    return samples, rows


async def _bare(rows: list[tuple], words: tuple[str, ...]) -> list[float]:
    app = BareSearch(rows)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        return await _type_words(app, app, pilot, words, lambda: False)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(round(0.95 * (len(ordered) - 1)))]


def measure(ctx: ServiceContext, username: str, password: str,
            words: tuple[str, ...] = WORDS) -> dict[str, tuple[float, float]]:
    """p50 and p95 in ms for the console and for the bare baseline, and the keystroke count."""
    console, rows = asyncio.run(_console(ctx, username, password, words))
    bare = asyncio.run(_bare(rows, words))
    return {"console": _percentiles(console), "bare": _percentiles(bare), "keys": (len(console), len(bare))}
