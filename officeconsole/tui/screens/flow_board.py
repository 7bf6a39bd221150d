"""The flow board (F4): everyone in the clinic today, where they are and how long they wait.

It polls every few seconds for status events newer than the last one it saw (one index
probe when nothing happened) and re-reads only the visits they touched, so a change made
at another console shows within seconds without re-reading the day. Minutes are redrawn
from the stored times between polls. One key per step: `a` (or Enter) moves the patient
on, asking for a room when they are roomed and opening check-out at the end; `u` undoes
a mistaken step; `i` checks in, `n` marks a no-show; `g` gives the patient something from
stock (a vaccine, a medicine: its lot and expiry recorded on the visit, its charge added). A
wait over the clinic's threshold is flagged ⚑ and coloured. Before a name, ! marks a patient with
alerts and $ one whose insurance came back inactive on the latest 271 (said in the Alerts column).
"""

from __future__ import annotations

import datetime as dt

from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import Label

from officeconsole.services.common import permissions
from officeconsole.services.common.errors import OfficeError
from officeconsole.services.frontdesk.flow import NEXT, FlowBoard, FlowChanges, FlowRow, FlowService, status_label
from officeconsole.services.frontdesk.patient_alerts import PatientAlertService
from officeconsole.services.scheduling.schedule import INACTIVE_MARK
from officeconsole.services.stock.inventory import InventoryService, ItemRow
from officeconsole.tui.modals.check_out import CheckOutModal
from officeconsole.tui.modals.choice import ChoiceModal
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.room_picker import RoomPickerModal
from officeconsole.tui.modals.stock_use import StockUseModal, taken_text
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable
from officeconsole.tui.widgets.schedule_grid import SYMBOLS

WIDE = 100  # narrower (80 columns): a shorter name column, so the room stays whole
POLL_SECONDS = 3.0
GROUP = {"with_provider": 0, "roomed": 1, "arrived": 2, "scheduled": 3, "checked_out": 4, "no_show": 5}


def _place(row: FlowRow) -> tuple:
    """In the clinic first (longest waiting at the top of each step), then by appointment time."""
    group = GROUP.get(row.status, 9)
    since = row.arrived_at if group <= GROUP["arrived"] and row.arrived_at else row.start
    return group, since.timestamp(), row.patient_name


class FlowBoardScreen(ServiceScreen):
    CSS_PATH = "flow_board.tcss"
    AUTO_FOCUS = "#board"
    BINDINGS = [
        Binding("a", "advance", "Next step"),
        Binding("u", "undo", "Undo step"),
        Binding("i", "check_in", "Check in"),
        Binding("n", "no_show", "No-show"),
        Binding("g", "give", "Give stock"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.board: FlowBoard | None = None
        self.rows: dict[int, FlowRow] = {}
        self.order: list[FlowRow] = []
        self.last_event_id = 0
        self.stale_since: dt.datetime | None = None  # the last poll failed: the board shows what it had
        self.alerts: dict[int, list[str]] = {}  # patient id -> alerts in force (services/frontdesk/patient_alerts.py)
        self.alert_ids: set[int] = set()
        self.narrow: bool | None = None  # the columns laid out for a narrow terminal (None: not yet)
        self.inactive: dict[int, list[str]] = {}  # patient id -> payers whose latest 271 said inactive

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Label("", id="flow-title", markup=False)
        yield Label("", id="flow-counts", markup=False)
        yield ResultsTable(id="board")
        yield Label("⚑ waiting longer than the clinic's limit · a/Enter next step · u undo · i check in · "
                    "n no-show", id="flow-legend", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.timer = self.set_interval(POLL_SECONDS, self._poll)
        self.load()

    def on_resize(self, event: Resize) -> None:
        """The waits come first after who and where, so they and the room stay in view at 80
        columns (a shorter name column there); "For" is how long in that status ("With provider
        for 12 min"). A "!" before the name marks a patient with alerts when Alerts is out of view."""
        narrow = event.size.width < WIDE
        if narrow == self.narrow:
            return  # the same columns: nothing to lay out again
        self.narrow = narrow
        self.query_one("#board", ResultsTable).set_columns([
            Column("", 1), Column("Appt", 5), Column("Patient", 20 if narrow else 24), Column("Status", 15),
            Column("Wait", 6), Column("For", 7), Column("Room", 10), Column("Provider", 16), Column("Type", 14),
            Column("Alerts", 40)])

    def load(self) -> None:
        self.call_service(FlowService(self.app.ctx).board, self.app.ctx.today(), then=self._loaded,
                          group="load", exclusive=True)

    def on_screen_resume(self) -> None:
        """Shown again (it is kept between visits): catch up on the day, then poll again."""
        self.app.refresh_header(self)
        if self.board is not None:
            self.load()
        self.timer.resume()

    def on_screen_suspend(self) -> None:
        self.timer.pause()  # nobody is looking: no polling

    def _loaded(self, board: FlowBoard) -> None:
        self.board = board
        self.rows = {r.appointment_id: r for r in board.rows}
        self.last_event_id = board.last_event_id
        self._read_alerts()
        self._draw()

    def _read_alerts(self) -> None:
        """The alerts of the patients on the board (again when someone new appears on it)."""
        ids = [r.patient_id for r in self.rows.values()]
        self.alert_ids = set(ids)

        def got(found: dict[int, list[str]]) -> None:
            self.alerts = found
            self._draw()
        self.call_service(PatientAlertService(self.app.ctx).alert_texts, ids, then=got, group="alerts",
                          exclusive=True)
        actor = self.app.ctx.actor
        if self.board is not None and actor is not None and permissions.allowed(actor.role, "eligibility.check"):
            from officeconsole.services.frontdesk.eligibility import EligibilityService  # (it brings the X12 readers)

            def coverage(found: dict[int, list[str]]) -> None:
                self.inactive = found
                self._draw()
            self.call_service(EligibilityService(self.app.ctx).inactive_on, self.board.day, ids, then=coverage,
                              group="coverage", exclusive=True)

    def _poll(self) -> None:
        if self.board is None or any(w.group == "poll" and not w.is_finished for w in self.workers):
            self._draw()  # the minutes still move
            return
        self.call_service(FlowService(self.app.ctx).changes, self.board.day, self.last_event_id, then=self._merge,
                          on_error=self._poll_failed, group="poll")

    def _poll_failed(self, exc: OfficeError) -> None:
        """The board keeps what it had, says since when, and the next tick tries again."""
        if self.stale_since is None:
            self.stale_since = self.app.ctx.now()
        self._draw()

    def _merge(self, changes: FlowChanges) -> None:
        self.stale_since = None
        self.last_event_id = changes.last_event_id
        for appointment_id in changes.touched:
            self.rows.pop(appointment_id, None)
        for row in changes.rows:
            self.rows[row.appointment_id] = row
        if any(r.patient_id not in self.alert_ids for r in changes.rows):
            self._read_alerts()
        self._draw()

    def _draw(self) -> None:
        if self.board is None:
            return
        now = self.app.ctx.now()
        limit = self.board.threshold_minutes
        self.order = sorted(self.rows.values(), key=_place)
        flagged = set()
        cells = []
        for index, r in enumerate(self.order):
            wait = r.wait_minutes(now)
            late = wait is not None and r.status in ("arrived", "roomed") and wait > limit
            if late:
                flagged.add(index)
            in_status = r.minutes_in_status(now)
            lapsed = self.inactive.get(r.patient_id, ())
            marks = ("!" if self.alerts.get(r.patient_id) else "") + (INACTIVE_MARK if lapsed else "")
            notes = [*self.alerts.get(r.patient_id, ()), *(f"{payer} inactive (271)" for payer in lapsed)]
            cells.append((str(r.appointment_id), (
                "⚑" if late else "", f"{r.start:%H:%M}", (f"{marks} " if marks else "") + r.patient_name,
                f"{SYMBOLS.get(r.status, '?')} {status_label(r.status)}", "" if wait is None else f"{wait} min",
                "" if in_status is None else f"{in_status} min", r.room_name, r.provider_name, r.type_name,
                " · ".join(notes))))
        table = self.query_one("#board", ResultsTable)
        key = table.key_at(table.cursor_row) if table.row_count else None
        keys = [k for k, _ in cells]
        table.set_rows(cells, cursor=keys.index(key) if key in keys else 0, flagged=flagged)
        counts = {s: sum(r.status == s for r in self.order) for s in GROUP}
        stale = (f" · NOT UPDATED since {self.stale_since.astimezone(self.app.ctx.timezone):%H:%M}, retrying"
                 if self.stale_since is not None else "")
        self.query_one("#flow-title", Label).update(
            f"Flow board · {self.board.day:%A %m/%d/%Y} · waits over {limit} min flagged{stale}", layout=False)
        self.query_one("#flow-counts", Label).update(
            # One line at 80 columns: "done" as the schedule's legend says it, ⚑ as the rows flag it.
            f"{counts['arrived']} waiting · {counts['roomed']} roomed · {counts['with_provider']} with provider · "
            f"{counts['scheduled']} to arrive · {counts['checked_out']} done · ⚑ {len(flagged)} flagged",
            layout=False)

    def _current(self) -> FlowRow | None:
        table = self.query_one("#board", ResultsTable)
        if not table.row_count:
            return None
        return self.rows.get(int(table.key_at(table.cursor_row)))

    def _refresh_now(self) -> None:
        """After a change made here: pick it (and anything else new) up at once."""
        if self.board is not None:
            self.call_service(FlowService(self.app.ctx).changes, self.board.day, self.last_event_id,
                              then=self._merge, group="poll")

    # ----- actions -------------------------------------------------------------------
    def on_results_table_selected(self, event: ResultsTable.Selected) -> None:
        self.action_advance()

    def action_advance(self) -> None:
        row = self._current()
        if row is None or not self.allowed("flow.update"):
            return
        following = NEXT.get(row.status)
        if row.status == "scheduled":
            self.action_check_in()
        elif following == "roomed" and self.board is not None:
            occupied = {r.room_name: r.patient_name for r in self.rows.values()
                        if r.room_name and r.status in ("roomed", "with_provider")}
            self.app.push_screen(RoomPickerModal(row.patient_name, self.board.rooms, occupied),
                                 lambda room_id: self._step(row, room_id) if room_id else None)
        elif following == "checked_out":
            if self.allowed("patient.checkin"):
                self.app.push_screen(CheckOutModal(row), lambda done: self._refresh_now() if done else None)
        elif following is not None:
            self._step(row, None)
        else:
            self.app.notify(f"{row.patient_name} is {status_label(row.status).lower()}: nothing follows.",
                            markup=False)

    def _step(self, row: FlowRow, room_id: int | None) -> None:
        self.call_service(FlowService(self.app.ctx).advance, row.appointment_id, row.version, room_id,
                          then=self._stepped, group="step", exclusive=True)

    def _stepped(self, row: FlowRow) -> None:
        self.rows[row.appointment_id] = row
        self.app.notify(f"{row.patient_name}: {status_label(row.status)}" + (f" ({row.room_name})"
                                                                             if row.status == "roomed" else ""),
                        markup=False)
        self._draw()
        self._refresh_now()

    def action_undo(self) -> None:
        row = self._current()
        if row is not None and self.allowed("flow.update"):
            self.call_service(FlowService(self.app.ctx).undo, row.appointment_id, row.version,
                              then=self._undone, group="step", exclusive=True)

    def _undone(self, row: FlowRow) -> None:
        self.rows[row.appointment_id] = row
        self.app.notify(f"Undone: {row.patient_name} is {status_label(row.status).lower()} again.", markup=False)
        self._draw()
        self._refresh_now()

    def action_check_in(self) -> None:
        row = self._current()
        if row is None or not self.allowed("patient.checkin"):
            return
        if row.status != "scheduled":
            self.app.notify(f"{row.patient_name} is {status_label(row.status).lower()} already.", markup=False)
            return
        self.app.push_screen(self.app.check_in_form(row.appointment_id),
                             lambda done: self._refresh_now() if done else None)

    def action_no_show(self) -> None:
        row = self._current()
        if row is None or not self.allowed("flow.update"):
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(FlowService(self.app.ctx).mark_no_show, row.appointment_id, row.version,
                                  then=self._stepped, group="step", exclusive=True)
        self.app.push_screen(ConfirmModal("No-show", f"Mark {row.patient_name} ({row.start:%H:%M}) as a no-show?",
                                          "No-show", "Keep"), answered)

    def action_give(self) -> None:
        """Something from stock for the highlighted patient: pick the item, then the use form opens
        on their visit."""
        row = self._current()
        if row is None or not self.allowed("inventory.use"):
            return
        if row.status in ("scheduled", "no_show", "cancelled"):
            self.app.notify(f"{row.patient_name} has not arrived: stock is given at a visit.", markup=False)
            return
        self.call_service(InventoryService(self.app.ctx).items, then=lambda items: self._pick_item(row, items),
                          group="give", exclusive=True)

    def _pick_item(self, row: FlowRow, items: list[ItemRow]) -> None:
        stock = [i for i in items if i.on_hand > 0]
        stock.sort(key=lambda i: (i.category not in ("vaccine", "medication"), i.name))  # doses first

        def picked(index: int | None) -> None:
            if index is not None:
                self.app.push_screen(StockUseModal(stock[index], appointment_id=row.appointment_id),
                                     lambda used: self.app.notify(taken_text(used), markup=False, timeout=10)
                                     if used else None)
        self.app.push_screen(ChoiceModal(f"Give from stock to {row.patient_name}: which item?",
                                         [f"{i.name} · {i.category} · {i.on_hand} {i.unit}" for i in stock]), picked)

    def action_back(self) -> None:
        self.dismiss()

