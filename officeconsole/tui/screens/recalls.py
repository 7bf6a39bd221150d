"""The recall list: patients due (or soon due) for their next visit of a kind, with no such visit
booked, most overdue first. `b` opens the booking form with the patient and the rule's type
preset, at the first free slot; `c` marks the patient contacted (they stay listed, with the day);
`x` marks them declined (asked first: off the list until their next visit); `r` reads the list
again; Esc goes back. Opened from the schedule (`R`); the rules are a manager's (Practice setup ->
Recall rules)."""

from __future__ import annotations

import datetime as dt

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label

from officeconsole.services.scheduling.recalls import RecallRow, RecallService, RuleRow
from officeconsole.services.scheduling.schedule import ProviderRow, TypeRow
from officeconsole.services.scheduling.slot_finder import Slot, SlotFinder, SlotQuery
from officeconsole.tui.modals.booking_form import BookingModal
from officeconsole.tui.modals.confirm import ConfirmModal
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
        # At 80 columns: who, how to reach them, their last visit and the contacted mark; then the rest.
        self.query_one("#recalls", ResultsTable).set_columns([
            Column("Due", 12), Column("Patient", 20), Column("Phone", 14), Column("Last visit", 10),
            Column("Contacted", 10), Column("Rule", 20), Column("MRN", 8), Column("E-mail", 34)])
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.app.refresh_header(self)

    def action_reload(self) -> None:
        self.call_service(self._read, then=self._show, group="load", exclusive=True)

    def _read(self) -> tuple[list[RuleRow], list[RecallRow]]:
        """The rules in use (to say why nobody is listed) and the list (in a worker thread)."""
        service = RecallService(self.app.ctx)
        return service.recall_rules(include_retired=False), service.recall_list(WITHIN_DAYS)

    def _show(self, read: tuple[list[RuleRow], list[RecallRow]]) -> None:
        rules, rows = read
        self.rows = rows
        today = self.app.ctx.today()
        overdue = {n for n, r in enumerate(rows) if r.due_on < today}
        self.query_one("#recall-title", Label).update(
            f"Recalls · due by {today + dt.timedelta(days=WITHIN_DAYS):%m/%d/%Y} with nothing booked", layout=False)
        if rows:
            counts = f"{len(rows)} patients · {len(overdue)} overdue (marked ⚑) · b book · c contacted · x declined"
        elif rules:
            counts = f"Nobody is due under the {len(rules)} recall rule(s): {', '.join(r.name for r in rules)}."
        else:
            counts = "No recall rules yet: a manager sets them under Practice setup (F10), e Recall rules."
        self.query_one("#recall-counts", Label).update(counts, layout=False)
        self.query_one("#recalls", ResultsTable).set_rows([
            (f"{r.rule_id}-{r.patient_id}", (("⚑ " if n in overdue else "") + f"{r.due_on:%m/%d/%Y}", r.patient_name,
                                             r.phone or "no phone", f"{r.last_visit:%m/%d/%Y}",
                                             f"{r.contacted_on:%m/%d/%Y}" if r.contacted_on else "", r.rule_name,
                                             r.mrn, r.email))
            for n, r in enumerate(rows)], flagged=overdue)

    def _current(self) -> RecallRow | None:
        table = self.query_one("#recalls", ResultsTable)
        if not table.row_count:
            self.app.notify("Nobody on the recall list.", markup=False)
            return None
        key = table.key_at(table.cursor_row)
        return next((r for r in self.rows if f"{r.rule_id}-{r.patient_id}" == key), None)

    def action_book(self) -> None:
        """The booking form with the patient and the type, at the first free slot for that type from
        tomorrow on (any provider who sees it); tomorrow at 09:00 when nothing is free."""
        row = self._current()
        if row is None or not self.allowed("appointment.book"):
            return
        query = SlotQuery(type_id=row.type_id, after=self.app.ctx.today() + dt.timedelta(days=1), count=1)
        self.call_service(SlotFinder(self.app.ctx).find, query, then=lambda slots: self._open_booking(row, slots),
                          on_error=lambda _exc: self._open_booking(row, []), group="book", exclusive=True)

    def _open_booking(self, row: RecallRow, slots: list[Slot]) -> None:
        if slots:
            slot = slots[0]
            provider_id, day, start = slot.provider_id, slot.start.date(), slot.start.time()
        else:
            provider_id, day, start = None, self.app.ctx.today() + dt.timedelta(days=1), dt.time(9)
        self.app.push_screen(BookingModal(self.providers, self.types, provider_id, day, start, type_id=row.type_id,
                                          patient=row), self._booked)

    def _booked(self, result) -> None:
        if result:
            self.booked = result
            self.app.notify("Booked: off the recall list.", markup=False)
            self.action_reload()

    def action_contacted(self) -> None:
        self._mark("contacted")

    def action_declined(self) -> None:
        """Asked first: a declined patient leaves the list until their next visit of the type."""
        row = self._current()
        if row is None or not self.allowed("appointment.book"):
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._mark("declined")
        self.app.push_screen(ConfirmModal(
            "Declined", f"Mark {row.patient_name} declined? They leave the recall list ({row.rule_name}) until "
            "their next visit of that type.", "Declined", "Keep"), answered)

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
