"""The recall list: patients due (or soon due) for their next visit of a kind, with no such visit
booked, most overdue first. `b` opens the booking form with the patient and the rule's type
preset, `c` marks the patient contacted (they stay listed, with the day), `x` marks them declined
(off the list until their next visit), `r` reads the list again, Esc goes back. Opened from the
schedule (`R`); the rules are a manager's (`officeconsole recall set`)."""

from __future__ import annotations

import datetime as dt

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label

from officeconsole.services.recalls import RecallRow, RecallService
from officeconsole.services.schedule import ProviderRow, TypeRow
from officeconsole.tui.modals.booking_form import BookingModal
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable

WITHIN_DAYS = 30


class RecallScreen(ServiceScreen):
    CSS_PATH = "recalls.tcss"
    AUTO_FOCUS = "#recalls"
    BINDINGS = [
        Binding("b", "book", "Book"),
        Binding("c", "contacted", "Contacted"),
        Binding("x", "declined", "Declined"),
        Binding("r", "reload", "Reload"),
        Binding("escape", "back", "Back"),
    ]
    ACTION_PERMISSIONS = {"book": "appointment.book", "contacted": "appointment.book", "declined": "appointment.book"}

    def __init__(self, providers: list[ProviderRow], types: list[TypeRow]) -> None:
        super().__init__()
        self.providers, self.types = providers, types
        self.rows: list[RecallRow] = []
        self.booked = None

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Label("Recalls", id="recall-title", markup=False)
        yield Label("", id="recall-counts", markup=False)
        yield ResultsTable(id="recalls")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#recalls", ResultsTable).set_columns([
            Column("Due", 10), Column("Patient", 24), Column("Phone", 14), Column("Rule", 20),
            Column("Last visit", 10), Column("Contacted", 10), Column("MRN", 8), Column("E-mail", 28)])
        self.action_reload()

    def action_reload(self) -> None:
        self.call_service(RecallService(self.app.ctx).recall_list, WITHIN_DAYS, then=self._show, group="load",
                          exclusive=True)

    def _show(self, rows: list[RecallRow]) -> None:
        self.rows = rows
        today = self.app.ctx.today()
        overdue = {n for n, r in enumerate(rows) if r.due_on < today}
        self.query_one("#recall-title", Label).update(
            f"Recalls · due by {today + dt.timedelta(days=WITHIN_DAYS):%m/%d/%Y} with nothing booked", layout=False)
        self.query_one("#recall-counts", Label).update(
            f"{len(rows)} patients · {len(overdue)} overdue (marked ⚑) · b book · c contacted · x declined"
            if rows else "Nobody is due: the rules are set by a manager (officeconsole recall set).", layout=False)
        self.query_one("#recalls", ResultsTable).set_rows([
            (f"{r.rule_id}-{r.patient_id}", (("⚑ " if n in overdue else "") + f"{r.due_on:%m/%d/%Y}", r.patient_name,
                                             r.phone or "no phone", r.rule_name, f"{r.last_visit:%m/%d/%Y}",
                                             f"{r.contacted_on:%m/%d/%Y}" if r.contacted_on else "", r.mrn,
                                             r.email))
            for n, r in enumerate(rows)], flagged=overdue)

    def _current(self) -> RecallRow | None:
        table = self.query_one("#recalls", ResultsTable)
        if not table.row_count:
            self.app.notify("Nobody on the recall list.", markup=False)
            return None
        key = table.key_at(table.cursor_row)
        return next((r for r in self.rows if f"{r.rule_id}-{r.patient_id}" == key), None)

    def action_book(self) -> None:
        row = self._current()
        if row is None or not self.allowed("appointment.book"):
            return
        day = self.app.ctx.today() + dt.timedelta(days=1)
        self.app.push_screen(BookingModal(self.providers, self.types, None, day, dt.time(9), type_id=row.type_id,
                                          patient=row), self._booked)

    def _booked(self, result) -> None:
        if result:
            self.booked = result
            self.app.notify("Booked: off the recall list.", markup=False)
            self.action_reload()

    def action_contacted(self) -> None:
        self._mark("contacted")

    def action_declined(self) -> None:
        self._mark("declined")

    def _mark(self, outcome: str) -> None:
        row = self._current()
        if row is None or not self.allowed("appointment.book"):
            return
        self.call_service(RecallService(self.app.ctx).mark_recall, row.rule_id, row.patient_id, outcome,
                          group="mark", then=lambda _: self._marked(row, outcome))

    def _marked(self, row: RecallRow, outcome: str) -> None:
        self.app.notify(f"{row.patient_name}: {outcome}", markup=False)
        self.action_reload()

    def action_back(self) -> None:
        self.dismiss(self.booked)
