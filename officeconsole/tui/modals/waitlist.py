"""The waitlist beside a day of the schedule: who could take time that is free that day.

Top: each waiting request a free slot on the day would satisfy (Enter gives it the slot:
the patient's booking moves there, or a new one is made). Below: everyone waiting, oldest
first; `n` adds a request, `d` removes the highlighted one. Closes with whether anything changed.
"""

from __future__ import annotations

import datetime as dt

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label

from officeconsole.services.scheduling.booking import AppointmentView
from officeconsole.services.scheduling.schedule import ProviderRow, TypeRow
from officeconsole.services.scheduling.waitlist import WaitlistMatch, WaitlistRow, WaitlistService
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.waitlist_form import WaitlistFormModal
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable


def _booked(row: WaitlistRow) -> str:
    return f"{row.appointment_start:%m/%d %H:%M}" if row.appointment_start else "-"


class WaitlistModal(ServiceModal[bool]):
    CSS_PATH = "waitlist.tcss"
    BINDINGS = [
        Binding("n", "new", "New request"),
        Binding("d", "remove", "Remove"),
        Binding("tab", "switch", "Matches/all", show=False),
        Binding("escape", "close", "Close"),
    ]
    AUTO_FOCUS = "#matches"

    def __init__(self, day: dt.date, providers: list[ProviderRow], types: list[TypeRow]) -> None:
        super().__init__()
        self.day = day
        self.providers = providers
        self.types = types
        self.matches: list[WaitlistMatch] = []
        self.waiting: list[WaitlistRow] = []
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical(id="waitlist-panel"):
            yield Label(f"Waitlist · free on {self.day:%A %m/%d/%Y}", id="matches-title")
            yield ResultsTable(id="matches")
            yield Label("Everyone waiting, oldest first", id="waiting-title")
            yield ResultsTable(id="waiting")
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#matches", ResultsTable).set_columns([
            Column("Free slot", 11), Column("Provider", 18), Column("Patient", 24), Column("Type", 16),
            Column("Booked now", 11)])
        self.query_one("#waiting", ResultsTable).set_columns([
            Column("Since", 11), Column("Patient", 24), Column("Type", 16), Column("Wants", 30),
            Column("Booked now", 11), Column("Note", 20)])
        self.load()

    def load(self) -> None:
        service = WaitlistService(self.app.ctx)
        self.call_service(service.waitlist_matches, self.day, then=self._show_matches, group="matches",
                          exclusive=True)
        self.call_service(service.waiting, then=self._show_waiting, group="waiting", exclusive=True)

    def _show_matches(self, matches: list[WaitlistMatch]) -> None:
        self.matches = matches
        title = (f"Waitlist · {len(matches)} could take free time on {self.day:%A %m/%d/%Y} (Enter gives the slot)"
                 if matches else f"Waitlist · no request matches free time on {self.day:%A %m/%d/%Y}")
        self.query_one("#matches-title", Label).update(title)
        self.query_one("#matches", ResultsTable).set_rows([
            (str(m.entry.id), (f"{m.slot.start:%H:%M}-{m.slot.end:%H:%M}", m.slot.provider_name,
                               m.entry.patient_name, m.entry.type_name, _booked(m.entry)))
            for m in matches])

    def _show_waiting(self, rows: list[WaitlistRow]) -> None:
        self.waiting = rows
        self.query_one("#waiting-title", Label).update(f"Everyone waiting, oldest first ({len(rows)})")
        self.query_one("#waiting", ResultsTable).set_rows([
            (str(r.id), (f"{r.created_at:%m/%d %H:%M}", r.patient_name, r.type_name, r.wants, _booked(r), r.note))
            for r in rows])

    # ----- actions -------------------------------------------------------------------
    @on(ResultsTable.Selected, "#matches")
    def _take(self, event: ResultsTable.Selected) -> None:
        if not self.allowed("appointment.book"):
            return
        match = self.matches[event.row]
        entry, slot = match.entry, match.slot
        what = (f"Move {entry.patient_name}'s {entry.appointment_start:%a %m/%d %H:%M} visit"
                if entry.appointment_start else f"Book {entry.patient_name}")
        question = f"{what} to {slot.start:%a %m/%d/%Y %H:%M} with {slot.provider_name}?"

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(WaitlistService(self.app.ctx).take_slot, entry.id, entry.version,
                                  slot.provider_id, slot.start_at, then=self._taken, group="save", exclusive=True)
        self.app.push_screen(ConfirmModal("Give this slot from the waitlist", question, "Book it", "Not now"),
                             answered)

    def _taken(self, booked: AppointmentView) -> None:
        local = booked.start_at.astimezone(self.app.ctx.timezone)
        self.app.notify(f"Booked from the waitlist: {local:%a %m/%d/%Y %H:%M}", markup=False)
        self.changed = True
        self.load()

    def action_new(self) -> None:
        if self.allowed("appointment.book"):
            self.app.push_screen(WaitlistFormModal(self.providers, self.types), self._added)

    def _added(self, row: WaitlistRow | None) -> None:
        if row is not None:
            self.app.notify(f"{row.patient_name} is on the waitlist.", markup=False)
            self.changed = True
            self.load()

    def action_remove(self) -> None:
        table = self.query_one("#waiting", ResultsTable)
        if not table.row_count or not self.allowed("appointment.book"):
            return
        key = table.key_at(table.cursor_row)
        row = next(r for r in self.waiting if str(r.id) == key)

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(WaitlistService(self.app.ctx).remove_from_waitlist, row.id, row.version,
                                  "removed at the desk", then=lambda _: self._removed(row), group="save",
                                  exclusive=True)
        self.app.push_screen(ConfirmModal("Remove from the waitlist",
                                          f"Take {row.patient_name} ({row.type_name}) off the waitlist?",
                                          "Remove", "Keep"), answered)

    def _removed(self, row: WaitlistRow) -> None:
        self.app.notify(f"{row.patient_name} is off the waitlist.", markup=False)
        self.changed = True
        self.load()

    def action_switch(self) -> None:
        target = "#waiting" if self.query_one("#matches", ResultsTable).has_focus else "#matches"
        self.query_one(target, ResultsTable).focus()

    def action_close(self) -> None:
        self.dismiss(self.changed)
