"""The slot finder in the console: the next free times for a visit, then book one.

Fill in what matters (type, provider or anyone, dates, weekdays, morning or afternoon),
Enter searches; Enter on a slot closes this with it, and the schedule opens the booking
form at that time. The search is the same SlotFinder as `officeconsole schedule find-slot`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label

from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.scheduling.schedule import ProviderRow, TypeRow
from officeconsole.services.scheduling.schedule_time import TimeProblem, parse_weekdays
from officeconsole.services.scheduling.slot_finder import Slot, SlotFinder, SlotQuery
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, show_errors, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable

COUNT = 20


@dataclass(frozen=True)
class SlotChoice:
    slot: Slot
    type_id: int


class FindSlotModal(ServiceModal[SlotChoice | None]):
    CSS_PATH = "find_slot.tcss"
    BINDINGS = [
        Binding("ctrl+s", "search", "Search", priority=True),
        Binding("escape", "cancel", "Close"),
    ]
    AUTO_FOCUS = "#type_id"

    def __init__(self, providers: list[ProviderRow], types: list[TypeRow], provider_id: int | None,
                 after: dt.date) -> None:
        super().__init__()
        self.providers = providers
        self.types = types
        self.provider_id = provider_id
        self.after = after
        self.slots: list[Slot] = []
        self.searched_type: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="slot-box"):
            yield Label("Find a free slot", id="slot-title")
            yield Label("", id="slot-error", markup=False)
            with Grid(id="slot-fields"):
                yield select_field("Type *", "type_id", [(f"{t.name} ({t.minutes} min)", str(t.id))
                                                         for t in self.types],
                                   str(self.types[0].id) if self.types else None)
                yield select_field("Provider", "provider_id",
                                   [("Any provider", "any")] + [(p.name, str(p.id)) for p in self.providers],
                                   str(self.provider_id) if self.provider_id else "any")
                yield text_field("From", "after", f"{self.after:%m/%d/%Y}", placeholder="MM/DD/YYYY", max_length=10)
                yield text_field("Until", "until", "", placeholder="90 days on", max_length=10)
                yield text_field("Weekdays", "weekdays", "", placeholder="any, or e.g. mon wed fri", max_length=40)
                yield select_field("Part of day", "part", [("Any time", "any"), ("Morning", "morning"),
                                                           ("Afternoon", "afternoon")], "any")
            yield ResultsTable(id="slots")
            yield Label("Enter in a field searches; Enter on a slot books it.", id="slot-hint")
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#slots", ResultsTable).set_columns(
            [Column("Day", 16), Column("Time", 12), Column("Provider", 22), Column("Minutes", 7), Column("Note", 40)])

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_search()

    def action_search(self) -> None:
        typed = values(self)
        try:
            weekdays = parse_weekdays(typed.get("weekdays", ""))
        except TimeProblem as exc:
            show_errors(self, {"weekdays": str(exc)})
            return
        show_errors(self, {})
        provider = typed.get("provider_id", "any")
        self.searched_type = int(typed["type_id"]) if typed.get("type_id") else None
        query = SlotQuery(type_id=self.searched_type, provider_id=None if provider == "any" else int(provider),
                          after=typed.get("after") or None, until=typed.get("until") or None,
                          weekdays=weekdays, part=typed.get("part", "any"), count=COUNT)
        self.call_service(SlotFinder(self.app.ctx).find, query, then=self._found, on_error=self._refused,
                          group="find", exclusive=True)

    def _found(self, slots: list[Slot]) -> None:
        self.slots = slots
        self.query_one("#slot-error", Label).update("" if slots else "No free slot matches: widen the dates or days.")
        table = self.query_one("#slots", ResultsTable)
        table.set_rows([(str(i), (f"{s.start:%a %m/%d/%Y}", f"{s.start:%H:%M}-{s.end:%H:%M}", s.provider_name,
                                  str(s.minutes), f"⚠ {s.note}" if s.note else "")) for i, s in enumerate(slots)],
                       flagged={i for i, s in enumerate(slots) if s.note})
        if slots:
            table.focus()

    def _refused(self, exc: OfficeError) -> None:
        if isinstance(exc, ValidationError):
            show_errors(self, exc.errors)
        self.query_one("#slot-error", Label).update(exc.message)

    @on(ResultsTable.Selected, "#slots")
    def _picked(self, event: ResultsTable.Selected) -> None:
        if self.searched_type is not None:
            self.dismiss(SlotChoice(self.slots[event.row], self.searched_type))

    def action_cancel(self) -> None:
        self.dismiss(None)
