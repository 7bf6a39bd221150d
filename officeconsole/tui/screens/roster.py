"""The rota (F7): a week of shifts, staff × days, with the coverage gaps and the time off.

Arrows move over person × day; `[` / `]` the previous / next week, `t` this week. `a` (or
Enter) adds a shift in the highlighted cell, from a template or typed times; `d` removes one
(asking which when the cell has two); `c` copies last week's shifts into the week shown and
lists what it skipped, `C` clears the week shown of its shifts (after asking). Under the rota: the week's coverage gaps (Enter on one goes to its
day) and the time-off requests, pending first; `o` moves between the rota and the requests,
`y` approves and `n` denies the highlighted request (with a reason), `x` withdraws it, Enter lists the
appointments booked in it. Approving a provider's absence lists the appointments to move.
A line under the title warns of credentials expired or expiring within 90 days. Everyone
reads the rota; the service refuses changes to those who may not make them.

Providers' rows show their provider hours (template, one-day exception, holiday, time off),
read-only: `h` opens the hours screen for the highlighted provider, and a shift for a provider
is refused (their hours are set in Practice setup -> Hours).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Label

from officeconsole.models.roster import TimeOffStatus
from officeconsole.services.common.text import format_phone, plural
from officeconsole.services.staffing.credentials import CredentialService, CredentialView
from officeconsole.services.staffing.roster import (
    HOURS_ELSEWHERE,
    CopyResult,
    Person,
    RosterService,
    ShiftView,
    TemplateView,
    Week,
    monday_of,
)
from officeconsole.services.staffing.time_off import TimeOffService, TimeOffView
from officeconsole.tui.modals.choice import ChoiceModal
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.notice_list import NoticeListModal
from officeconsole.tui.modals.reason import ReasonModal
from officeconsole.tui.modals.shift_form import ShiftFormModal
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable
from officeconsole.tui.widgets.rota_grid import RotaGrid, hours_text

STATUS_WORDS = {TimeOffStatus.REQUESTED: "pending"}
MOVE_COLUMNS = [Column("When", 16), Column("Patient", 28), Column("Phone", 16), Column("Status", 12)]


@dataclass(frozen=True)
class RosterData:
    week: Week
    requests: list[TimeOffView]
    templates: list[TemplateView]
    alerts: list[CredentialView]


def status_word(status: str) -> str:
    return STATUS_WORDS.get(status, status)


def moves_rows(view: TimeOffView) -> list[tuple[str, ...]]:
    return [(f"{b.start:%a %m/%d %H:%M}", b.patient, format_phone(b.phone) or "-", b.status.replace("_", " "))
            for b in view.booked]


class RosterScreen(ServiceScreen):
    CSS_PATH = "roster.tcss"
    AUTO_FOCUS = "#rota"
    BINDINGS = [
        Binding("left_square_bracket", "shift_week(-1)", "Prev week"),
        Binding("right_square_bracket", "shift_week(1)", "Next week"),
        Binding("t", "this_week", "This week"),
        Binding("a", "add_shift", "Add shift"),
        Binding("d,delete", "remove_shift", "Remove"),
        Binding("c", "copy_week", "Copy last week"),
        Binding("C", "clear_week", "Clear week", show=False),
        Binding("h", "provider_hours", "Provider hours"),
        Binding("o", "switch_focus", "Time off"),
        Binding("y", "approve", "Approve"),
        Binding("n", "deny", "Deny"),
        Binding("x", "cancel_request", "Cancel request"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.monday = dt.date.min  # this week's, set on mount
        self.week: Week | None = None
        self.requests: list[TimeOffView] = []
        self.templates: list[TemplateView] = []

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Label("", id="week-title", markup=False)
        yield Label("", id="credential-alerts", markup=False)
        yield RotaGrid(id="rota")
        with Horizontal(id="roster-panels"):
            with Vertical(id="gaps-panel"):
                yield Label("Coverage", id="gaps-title", markup=False)
                yield ResultsTable(id="gaps")
            with Vertical(id="requests-panel"):
                yield Label("Time off", id="requests-title", markup=False)
                yield ResultsTable(id="requests")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#gaps", ResultsTable).set_columns([Column("Short of the staffing rules", 42)])
        self.query_one("#requests", ResultsTable).set_columns([
            Column("Status", 9), Column("Who", 16), Column("Days", 26), Column("Kind", 8), Column("Booked", 6),
            Column("Note", 30)])
        self.monday = monday_of(self.app.ctx.today())

    def on_screen_resume(self) -> None:
        self.app.refresh_header(self)
        self.load()

    # ----- loading -------------------------------------------------------------------
    def load(self) -> None:
        self.call_service(self._fetch, self.monday, then=self._show, group="week", exclusive=True)

    def _fetch(self, monday: dt.date) -> RosterData:
        roster = RosterService(self.app.ctx)
        requests = TimeOffService(self.app.ctx).requests(since=monday)
        sunday = monday + dt.timedelta(days=6)
        # The week's time off, and every request still waiting for a decision.
        shown = [r for r in requests if r.first_day <= sunday or r.status == TimeOffStatus.REQUESTED]
        return RosterData(roster.week(monday), shown, roster.templates(), CredentialService(self.app.ctx).alerts())

    def _show(self, data: RosterData) -> None:
        if data.week.monday != self.monday:
            return  # an answer for a week no longer shown
        self.week, self.requests, self.templates = data.week, data.requests, data.templates
        week = data.week
        pending = sum(r.status == TimeOffStatus.REQUESTED for r in self.requests)
        total = sum(s.hours for s in week.shifts)
        shifts = [s for s in week.shifts if s.source == "shift"]
        this = " (this week)" if week.monday == monday_of(self.app.ctx.today()) else ""
        self.query_one("#week-title", Label).update(
            f"Rota · week of {week.monday:%a %m/%d/%Y} to {week.days[-1]:%a %m/%d/%Y}{this} · "
            f"{plural(len(shifts), 'shift')}, {hours_text(total, False)} with providers' hours · "
            f"{plural(len(week.gaps), 'coverage gap')} · {plural(pending, 'time-off request')} to decide",
            layout=False)
        self._show_alerts(data.alerts)
        self.query_one("#rota", RotaGrid).set_week(week, self.app.ctx.today())
        gaps = self.query_one("#gaps", ResultsTable)
        gaps.set_rows([(str(n), (f"⚠ {gap.describe}",)) for n, gap in enumerate(week.gaps)],
                      cursor=min(gaps.cursor_row, max(0, len(week.gaps) - 1)), flagged=set(range(len(week.gaps))))
        self.query_one("#gaps-title", Label).update(
            f"Coverage gaps: {len(week.gaps)} (Enter goes to the day)" if week.gaps
            else "Coverage: every rule met this week ✓", layout=False)
        table = self.query_one("#requests", ResultsTable)
        table.set_rows([(str(r.id), (status_word(r.status), r.person, r.days, r.kind,
                                     str(len(r.booked)) if r.booked else "-", r.note)) for r in self.requests],
                       cursor=min(table.cursor_row, max(0, len(self.requests) - 1)),
                       flagged={n for n, r in enumerate(self.requests) if r.status == TimeOffStatus.REQUESTED})
        self.query_one("#requests-title", Label).update(
            f"Time off: this week and every pending request · {pending} pending (y approves, n denies)" if pending
            else "Time off this week · nothing pending", layout=False)

    def _show_alerts(self, alerts: list[CredentialView]) -> None:
        """Credentials expired or expiring within 90 days: the soonest, and how many more (F8 lists them)."""
        line = self.query_one("#credential-alerts", Label)
        line.set_class(bool(alerts), "-shown")
        if alerts:
            first = alerts[0]
            more = f" and {len(alerts) - 1} more" if len(alerts) > 1 else ""
            line.update(f"⚠ Credentials: {first.describe}{more} · F8 Staff lists them", layout=False)

    # ----- moving about --------------------------------------------------------------
    def action_shift_week(self, weeks: int) -> None:
        self.monday += dt.timedelta(weeks=weeks)
        self.load()

    def action_this_week(self) -> None:
        self.monday = monday_of(self.app.ctx.today())
        self.load()

    def action_switch_focus(self) -> None:
        requests = self.query_one("#requests", ResultsTable)
        (self.query_one("#rota", RotaGrid) if requests.has_focus else requests).focus()

    @on(ResultsTable.Selected, "#gaps")
    def _gap_chosen(self, event: ResultsTable.Selected) -> None:
        if self.week is not None and self.week.gaps:
            grid = self.query_one("#rota", RotaGrid)
            grid.show_day(self.week.gaps[event.row].day)
            grid.focus()

    # ----- shifts --------------------------------------------------------------------
    @on(RotaGrid.Selected, "#rota")
    def _cell_chosen(self) -> None:
        self.action_add_shift()

    def action_add_shift(self) -> None:
        grid = self.query_one("#rota", RotaGrid)
        person, day = grid.person_at_cursor(), grid.day_at_cursor()
        if person is None or day is None or not self.allowed("roster.manage"):
            return
        if person.hours_driven:
            self._hours_elsewhere(person)
            return
        self.app.push_screen(ShiftFormModal(person, day, self.templates), self._added)

    def _hours_elsewhere(self, person: Person) -> None:
        self.app.notify(f"{person.name} is a provider: their working time is their provider hours; "
                        f"{HOURS_ELSEWHERE}.", markup=False, timeout=8)

    def action_provider_hours(self) -> None:
        from officeconsole.tui.screens.setup_hours import HoursSetupScreen

        person = self.query_one("#rota", RotaGrid).person_at_cursor()
        if person is None or person.provider_id is None:
            self.app.notify("Highlight a provider's row: h opens their hours." if person is None or
                            not person.hours_driven else
                            f"{person.name} has no provider record yet: set one up in Practice setup -> Providers.",
                            markup=False)
            return
        self.app.push_screen(HoursSetupScreen(provider_id=person.provider_id))

    def _added(self, shift: ShiftView | None) -> None:
        if shift is not None:
            self._changed(f"Added: {shift.person} {shift.day:%a %m/%d} {shift.label}.")

    def action_remove_shift(self) -> None:
        grid = self.query_one("#rota", RotaGrid)
        shifts, person = grid.shifts_at_cursor(), grid.person_at_cursor()
        if not shifts and person is not None and person.hours_driven:
            self._hours_elsewhere(person)
            return
        if not shifts:
            self.app.notify("There is no shift in this cell to remove.", markup=False)
            return
        if not self.allowed("roster.manage"):
            return
        if len(shifts) == 1:
            self._confirm_removal(shifts[0])
            return
        first = shifts[0]
        self.app.push_screen(ChoiceModal(f"Remove which of {first.person}'s shifts on {first.day:%a %m/%d}?",
                                         [self._describe(s) for s in shifts]),
                             lambda index: self._confirm_removal(shifts[index]) if index is not None else None)

    @staticmethod
    def _describe(shift: ShiftView) -> str:
        extra = " · ".join(part for part in (shift.template, shift.note) if part)
        return f"{shift.label}" + (f"  ({extra})" if extra else "")

    def _confirm_removal(self, shift: ShiftView) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(RosterService(self.app.ctx).remove_shift, shift.id,
                                  then=lambda _none: self._changed(f"Removed: {shift.person} {shift.day:%a %m/%d} "
                                                                   f"{shift.label}."),
                                  group="change", exclusive=True)
        self.app.push_screen(ConfirmModal("Remove a shift", f"Remove {shift.person}'s shift on "
                                          f"{shift.day:%A %m/%d/%Y}, {shift.label}?", "Remove", "Keep"), answered)

    def action_copy_week(self) -> None:
        if not self.allowed("roster.manage"):
            return
        source, target = self.monday - dt.timedelta(weeks=1), self.monday

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(RosterService(self.app.ctx).copy_week, source, target, then=self._copied,
                                  group="change", exclusive=True)
        self.app.push_screen(ConfirmModal(
            "Copy last week", f"Copy the shifts of the week of {source:%a %m/%d} into the week of "
            f"{target:%a %m/%d/%Y}? Shifts that would overlap one already there, fall on approved time off or "
            "belong to someone who has left are skipped, with the reason.", "Copy", "Not now"), answered)

    def action_clear_week(self) -> None:
        if not self.allowed("roster.manage"):
            return
        monday = self.monday

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(RosterService(self.app.ctx).clear_week, monday, group="change", exclusive=True,
                                  then=lambda removed: self._changed(
                                      f"Week of {monday:%a %m/%d/%Y} cleared: {plural(removed, 'shift')} removed."))
        self.app.push_screen(ConfirmModal(
            "Clear the week", f"Remove every shift of the week of {monday:%a %m/%d/%Y}? Providers' hours and time "
            "off are not touched.", "Clear", "Keep"), answered)

    def _copied(self, result: CopyResult) -> None:
        self._changed(f"{result.copied} copied, {len(result.skipped)} skipped.")
        if result.skipped:
            self.app.push_screen(NoticeListModal(
                "Shifts not copied", f"{result.copied} shifts copied; these {len(result.skipped)} were not:",
                [Column("Shift and why it was skipped", 94)], [(reason,) for reason in result.skipped]))

    def _changed(self, message: str) -> None:
        self.app.notify(message, markup=False, timeout=8)
        self.load()

    # ----- time off ------------------------------------------------------------------
    def _request(self) -> TimeOffView | None:
        if not self.requests:
            self.app.notify("There is no time-off request to decide.", markup=False)
            return None
        return self.requests[min(self.query_one("#requests", ResultsTable).cursor_row, len(self.requests) - 1)]

    def action_approve(self) -> None:
        request = self._request()
        if request is not None and self.allowed("timeoff.decide"):
            self.call_service(TimeOffService(self.app.ctx).approve, request.id, request.version,
                              then=self._approved, group="change", exclusive=True)

    def _approved(self, view: TimeOffView) -> None:
        removed = f" {view.shifts_removed} shifts taken off the rota." if view.shifts_removed else ""
        self._changed(f"Approved: {view.person}, {view.kind}, {view.days}.{removed}")
        if view.booked:
            self._show_moves(view, f"{view.person} is off {view.days} ({view.kind}). These "
                                   f"{len(view.booked)} appointments are booked in that time and must be moved:")

    def action_deny(self) -> None:
        request = self._request()
        if request is None or not self.allowed("timeoff.decide"):
            return

        def typed(reason: str | None) -> None:
            if reason:
                self.call_service(TimeOffService(self.app.ctx).deny, request.id, request.version, reason,
                                  then=lambda view: self._changed(f"Denied: {view.person}, {view.kind}, {view.days}."),
                                  group="change", exclusive=True)
        self.app.push_screen(ReasonModal(f"Deny {request.person}'s {request.kind}, {request.days}",
                                         "Why (required: the person will read it)"), typed)

    def action_cancel_request(self) -> None:
        """Withdraw the highlighted request (one's own; a manager may withdraw anyone's)."""
        request = self._request()
        if request is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.call_service(TimeOffService(self.app.ctx).cancel_request, request.id, request.version,
                                  then=lambda view: self._changed(f"Cancelled: {view.person}, {view.kind}, {view.days}."),
                                  group="change", exclusive=True)
        self.app.push_screen(ConfirmModal(f"Cancel {request.person}'s {request.kind}, {request.days}?",
                                          f"The request is withdrawn ({status_word(request.status)} now); "
                                          "it can be asked for again from Staff.", "Cancel it", "Keep it"), confirmed)

    @on(ResultsTable.Selected, "#requests")
    def _request_chosen(self, event: ResultsTable.Selected) -> None:
        view = self.requests[event.row]
        if view.booked:
            self._show_moves(view, f"{view.person} asks for {view.days} ({view.kind}, {status_word(view.status)}). "
                                   f"{len(view.booked)} appointments are booked in that time:")
        else:
            self.app.notify(f"No appointments are booked in {view.person}'s {view.kind}, {view.days}.",
                            markup=False)

    def _show_moves(self, view: TimeOffView, message: str) -> None:
        self.app.push_screen(NoticeListModal("Appointments to move", message, MOVE_COLUMNS, moves_rows(view)))

    def action_back(self) -> None:
        self.dismiss()
