"""Check-in (F3): today's appointments, filtered as you type; Enter checks the patient in.

`k` registers a walk-in (find the patient, pick provider and type; the first free time today
is booked and the check-in form opens), `o` checks a patient out, `p` cycles providers. A `$`
before a name: a policy of the patient's came back inactive on the latest 271 (the title counts
them), as on the schedule; the check-in form shows the answer.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import Input, Label

from officeconsole.services.common import permissions
from officeconsole.services.common.text import search_key
from officeconsole.services.frontdesk.flow import FlowBoard, FlowChanges, FlowRow, FlowService, status_label
from officeconsole.services.scheduling.booking import AppointmentView
from officeconsole.services.scheduling.schedule import INACTIVE_MARK
from officeconsole.tui.modals.check_out import CheckOutModal
from officeconsole.tui.modals.walk_in import WalkInModal
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable
from officeconsole.tui.widgets.schedule_grid import SYMBOLS

IN_CLINIC = ("arrived", "roomed", "with_provider")
WIDE = 100  # narrower (80 columns): the shorter columns, so Type stays in view


class CheckInScreen(ServiceScreen):
    CSS_PATH = "check_in.tcss"
    AUTO_FOCUS = "#visits"
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("p", "next_provider", "Provider"),
        Binding("k", "walk_in", "Walk-in"),
        Binding("o", "check_out", "Check out"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.board: FlowBoard | None = None
        self.rows: dict[int, FlowRow] = {}
        self.last_event_id = 0
        self.shown: list[FlowRow] = []
        self.provider_filter: int | None = None
        self.inactive: dict[int, list[str]] = {}  # patient id -> payers whose latest 271 said inactive
        self._drawn: tuple[str, list[tuple[str, tuple[str, ...]]]] | None = None  # the title and rows shown

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Label("", id="checkin-title", markup=False)
        yield Input(placeholder="Filter by patient name or MRN (/)", id="filter", compact=True)
        yield ResultsTable(id="visits")
        yield Label("Enter: check in · k: walk-in · o: check out", id="checkin-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.load()

    def on_resize(self, event: Resize) -> None:
        """What the desk needs first stays in view at 80 columns: the time, who, where they are,
        with whom and for what (narrower names and providers there); wider, nothing is cut."""
        narrow = event.size.width < WIDE
        self.query_one("#visits", ResultsTable).set_columns([
            Column("Time", 5), Column("Patient", 20 if narrow else 24), Column("Status", 15),
            Column("Provider", 13 if narrow else 16), Column("Type", 13 if narrow else 16), Column("MRN", 8)])

    def on_screen_resume(self) -> None:
        """Shown again (it is kept all day): read only what changed since, as the flow board does."""
        self.app.refresh_header(self)
        if self.board is None:
            return
        if self.board.day != self.app.ctx.today():
            self.load()
            return
        self._read_coverage()  # a 271 may have been posted meanwhile
        self.call_service(FlowService(self.app.ctx).changes, self.board.day, self.last_event_id,
                          then=self._merge, group="load", exclusive=True)

    def load(self) -> None:
        self.call_service(FlowService(self.app.ctx).board, self.app.ctx.today(), then=self._show, group="load",
                          exclusive=True)

    def _show(self, board: FlowBoard) -> None:
        self.board = board
        self.rows = {r.appointment_id: r for r in board.rows}
        self.last_event_id = board.last_event_id
        self._fill()
        self._read_coverage()

    def _read_coverage(self) -> None:
        """Which of the day's patients have insurance the latest 271 said is inactive (for the people
        who see eligibility answers)."""
        actor = self.app.ctx.actor
        if self.board is None or actor is None or not permissions.allowed(actor.role, "eligibility.check"):
            return
        from officeconsole.services.frontdesk.eligibility import EligibilityService  # (it brings the X12 readers)

        def got(found: dict[int, list[str]]) -> None:
            if found != self.inactive:
                self.inactive = found
                self._fill()
        self.call_service(EligibilityService(self.app.ctx).inactive_on, self.board.day,
                          [r.patient_id for r in self.rows.values()], then=got, group="coverage", exclusive=True)

    def _merge(self, changes: FlowChanges) -> None:
        self.last_event_id = changes.last_event_id
        if not changes.touched:
            return  # nothing happened: the list on screen is current
        known = {r.patient_id for r in self.rows.values()}
        for appointment_id in changes.touched:
            self.rows.pop(appointment_id, None)
        self.rows.update((r.appointment_id, r) for r in changes.rows)
        self._fill()
        if any(r.patient_id not in known for r in changes.rows):  # a walk-in: is their insurance marked?
            self._read_coverage()

    def _fill(self) -> None:
        if self.board is None:
            return
        wanted = self.query_one("#filter", Input).value.strip()
        every = sorted(self.rows.values(), key=lambda r: (r.start, r.provider_name, r.patient_name))
        rows = [r for r in every
                if (self.provider_filter in (None, r.provider_id)) and (not wanted or _matches(wanted, r))]
        self.shown = rows
        providers = {r.provider_id: r.provider_name for r in every}
        who = f" · {providers.get(self.provider_filter, '')}" if self.provider_filter else ""
        waiting = sum(r.status == "scheduled" for r in every)
        lapsed = sum(r.patient_id in self.inactive for r in every if r.status == "scheduled")
        title = (f"Check-in · {self.board.day:%A %m/%d/%Y}{who} · {waiting} still to arrive"
                 + (f" · {INACTIVE_MARK} insurance inactive: {lapsed}" if lapsed else ""))
        lines = [(str(r.appointment_id), (
            f"{r.start:%H:%M}", (f"{INACTIVE_MARK} " if r.patient_id in self.inactive else "") + r.patient_name,
            f"{SYMBOLS.get(r.status, '?')} {status_label(r.status)}",
            r.provider_name, r.type_name, r.mrn)) for r in rows]
        if (title, lines) == self._drawn:
            return  # as on screen: no redraw
        self._drawn = (title, lines)
        self.query_one("#checkin-title", Label).update(title, layout=False)
        table = self.query_one("#visits", ResultsTable)
        key = table.key_at(table.cursor_row) if table.row_count else None
        keys = [key for key, _ in lines]
        table.set_rows(lines, cursor=keys.index(key) if key in keys else 0)

    @on(Input.Changed, "#filter")
    def _filtered(self) -> None:
        self._fill()

    @on(Input.Submitted, "#filter")
    def _to_list(self) -> None:
        self.query_one("#visits", ResultsTable).focus()

    def _current(self) -> FlowRow | None:
        table = self.query_one("#visits", ResultsTable)
        if not table.row_count:
            return None
        key = table.key_at(table.cursor_row)
        return next((r for r in self.shown if str(r.appointment_id) == key), None)

    # ----- actions -------------------------------------------------------------------
    @on(ResultsTable.Selected, "#visits")
    def _check_in(self) -> None:
        row = self._current()
        if row is None or not self.allowed("patient.checkin"):
            return
        if row.status != "scheduled":
            self.app.notify(f"{row.patient_name} is {status_label(row.status).lower()} already.", markup=False)
            return
        self.app.push_screen(self.app.check_in_form(row.appointment_id), self._checked_in)

    def _checked_in(self, row: FlowRow | None) -> None:
        if row is not None:
            at = row.arrived_at.astimezone(self.app.ctx.timezone) if row.arrived_at else None
            self.app.notify(f"{row.patient_name} checked in" + (f" at {at:%H:%M}." if at else "."), markup=False)
            # The list catches up by itself: this screen resumes when the form closes.

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_next_provider(self) -> None:
        if self.board is None:
            return
        ids = list(dict.fromkeys(r.provider_id for r in sorted(self.rows.values(), key=lambda r: r.provider_name)))
        if not ids:
            return
        if self.provider_filter is None:
            self.provider_filter = ids[0]
        else:
            index = ids.index(self.provider_filter) + 1 if self.provider_filter in ids else len(ids)
            self.provider_filter = ids[index] if index < len(ids) else None
        self._fill()

    def action_walk_in(self) -> None:
        if self.allowed("patient.checkin"):
            self.app.push_screen(WalkInModal(), self._walked_in)

    def _walked_in(self, booked: AppointmentView | None) -> None:
        if booked is not None:
            self.app.push_screen(self.app.check_in_form(booked.id), self._checked_in)

    def action_check_out(self) -> None:
        row = self._current()
        if row is None or not self.allowed("patient.checkin"):
            return
        if row.status not in IN_CLINIC:
            self.app.notify("Only a patient who is in the clinic can be checked out.", markup=False)
            return
        self.app.push_screen(CheckOutModal(row))  # the list catches up when this screen resumes

    def action_back(self) -> None:
        self.dismiss()


def _matches(wanted: str, row) -> bool:
    """The filter as Patients searches: accents and punctuation ignored ("veliz" finds Véliz, "obrien"
    O'Brien), any script compared case-blind, or the MRN."""
    if wanted == row.mrn:
        return True
    key = search_key(wanted)
    if key:
        return key in search_key(row.patient_name)
    return wanted.casefold() in row.patient_name.casefold()
