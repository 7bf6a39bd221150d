"""The day's schedule: providers side by side, or one list; move through days by key.

`b` books at the highlighted time and provider, `m` moves and `c` cancels the highlighted
appointment, Enter opens the patient's record; `f` finds a free slot, `e` puts the highlighted
patient on the waitlist for an earlier slot, `w` shows the waitlist. `k` marks the highlighted visit
confirmed (by phone, text, e-mail, in person) or left message, `r` writes the day's reminder list,
`d` prints the day list (PDF), `R` opens the recall list, `H` lists the highlighted appointment's
history (booked, moved, cancelled: when, by whom, why). A cell's marks: ! the patient has alerts,
$ their insurance came back inactive on the latest 271 (a policy in force that day), ☑ confirmed,
☎ message left. Under the day's counts,
who is on duty that day by role (from the rota); when a waiting request would fit time that is
free on the day shown, a line under that says so. Every rule is the services'.
"""

from __future__ import annotations

import datetime as dt

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import Label

from officeconsole.models.enums import Role
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.scheduling.booking import AppointmentView, BookingService
from officeconsole.services.scheduling.day_lists import DayListService
from officeconsole.services.scheduling.reminders import ReminderService
from officeconsole.services.scheduling.schedule import (
    INACTIVE_MARK,
    DayPlan,
    DayRow,
    ProviderRow,
    ScheduleService,
    TypeRow,
)
from officeconsole.services.scheduling.schedule_time import STEP_MINUTES
from officeconsole.services.scheduling.slot_finder import SlotFinder, SlotQuery
from officeconsole.services.scheduling.waitlist import WaitlistMatch, WaitlistService
from officeconsole.services.staffing.roster import RosterService, ShiftView
from officeconsole.tui.modals.booking_form import BookingModal
from officeconsole.tui.modals.cancel_appointment import CancelAppointmentModal
from officeconsole.tui.modals.choice import ChoiceModal
from officeconsole.tui.modals.find_slot import FindSlotModal, SlotChoice
from officeconsole.tui.modals.go_to_date import GoToDateModal
from officeconsole.tui.modals.move_appointment import MoveAppointmentModal
from officeconsole.tui.modals.notice_list import NoticeListModal
from officeconsole.tui.modals.waitlist import WaitlistModal
from officeconsole.tui.modals.waitlist_form import WaitlistFormModal
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.screens.patient_record import PatientRecordScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable
from officeconsole.tui.widgets.schedule_grid import SYMBOLS, ScheduleGrid, status_word

LEGEND_MARKS = ([f"{symbol} {status_word(status)}" for status, symbol in SYMBOLS.items()]
                + ["! alert", f"{INACTIVE_MARK} insurance inactive (271)", "☑ confirmed", "☎ message left"])
LEGEND = " ".join(LEGEND_MARKS[:len(SYMBOLS)]) + " · " + " ".join(LEGEND_MARKS[len(SYMBOLS):])


def legend_text(width: int) -> str:
    """The legend in lines of at most `width` columns, broken between marks (never inside one), so
    at 80 columns every mark keeps its meaning."""
    if len(LEGEND) <= width:
        return LEGEND
    lines: list[str] = []
    for mark in LEGEND_MARKS:
        if lines and len(lines[-1]) + 1 + len(mark) <= width:
            lines[-1] += " " + mark
        else:
            lines.append(mark)
    return "\n".join(lines)
CONFIRM_CHOICES = (("Confirmed by phone", "confirmed", "phone"), ("Confirmed by text", "confirmed", "text"),
                   ("Confirmed by e-mail", "confirmed", "email"), ("Confirmed in person", "confirmed", "in_person"),
                   ("Left message", "left_message", "phone"))
NO_PROVIDER = "No provider is set up yet: ask a manager to open Practice setup (F10)."
DUTY_ORDER = (Role.FRONT_DESK, Role.PROVIDER, Role.BILLING, Role.MANAGER, Role.ADMIN)
HISTORY_COLUMNS = [Column("When", 16), Column("Who", 12), Column("What", 14), Column("Reason", 18),
                   Column("Detail", 36)]


def on_duty_line(shifts: list[ShiftView]) -> str:
    """"On duty: Front Desk: Dana 07:30-12:30, Sam 12:30-17:00 · Provider: Avery/Jo 08:00-12:00+13:00-17:00":
    by role; people working the same hours share one entry; first names, with an initial when
    two people share one."""
    if not shifts:
        return "On duty: nobody is on the rota this day."
    people = {s.person for s in shifts}
    firsts = [p.split()[0] for p in people if p.split()]
    shared = {f for f in firsts if firsts.count(f) > 1}

    def short(name: str) -> str:
        words = name.split() or [name]
        return f"{words[0]} {words[-1][:1]}." if words[0] in shared and len(words) > 1 else words[0]

    parts = []
    roles = sorted({s.role for s in shifts}, key=lambda r: DUTY_ORDER.index(r) if r in DUTY_ORDER else len(DUTY_ORDER))
    for role in roles:
        hours: dict[str, list[str]] = {}  # each person's day, in order of first start
        for shift in shifts:
            if shift.role == role:
                hours.setdefault(shift.person, []).append(shift.label)
        same: dict[str, list[str]] = {}  # one day's hours -> who works them
        for person, labels in hours.items():
            same.setdefault("+".join(labels), []).append(short(person))
        parts.append(f"{Role(role).label}: " + ", ".join(f"{'/'.join(names)} {day}" for day, names in same.items()))
    return "On duty: " + " · ".join(parts)


class ScheduleScreen(ServiceScreen):
    CSS_PATH = "schedule.tcss"
    AUTO_FOCUS = "#grid"
    BINDINGS = [
        Binding("left_square_bracket", "shift_day(-1)", "Prev day"),
        Binding("right_square_bracket", "shift_day(1)", "Next day"),
        Binding("t", "today", "Today"),
        Binding("g", "go_to_date", "Go to date"),
        Binding("p", "next_provider", "Provider"),
        Binding("l", "toggle_list", "List/grid"),
        Binding("b", "book", "Book"),
        Binding("m", "move", "Move"),
        Binding("c", "cancel_appointment", "Cancel appt"),
        Binding("f", "find_slot", "Find slot"),
        Binding("e", "earlier", "Wants earlier"),
        Binding("w", "waitlist", "Waitlist"),
        Binding("k", "confirm_visit", "Confirmed?"),
        Binding("r", "reminders", "Reminders"),
        Binding("d", "print_day", "Day list PDF"),
        Binding("R", "recalls", "Recalls"),
        Binding("H", "history", "Appointment history", show=False),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, day: dt.date | None = None, provider_ids: list[int] | None = None) -> None:
        """`provider_ids` limits the columns to some providers (say, one team's)."""
        super().__init__()
        self.day = day
        self.team = provider_ids
        self.provider_filter: int | None = None
        self.provider_ids: list[int] = []
        self.providers: list[ProviderRow] = []
        self.types: list[TypeRow] = []
        self.plan: DayPlan | None = None
        self._list_stale = True

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Label("", id="day-title", markup=False)
        yield Label("", id="day-counts", markup=False)
        yield Label("", id="on-duty", markup=False)
        yield Label("", id="waitlist-line", markup=False)
        yield Label(NO_PROVIDER, id="no-provider", markup=False)
        yield ScheduleGrid(id="grid")
        yield ResultsTable(id="list")
        yield Label(LEGEND, id="legend", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#list", ResultsTable).set_columns([
            Column("Time", 11), Column("Patient", 26), Column("Status", 14), Column("Provider", 18),
            Column("Type", 16), Column("MRN", 8), Column("Reason", 30)])  # at 80 columns: who, and whether booked
        self.day = self.day or self.app.ctx.today()
        self.load()

    def on_screen_resume(self) -> None:
        self.app.refresh_header(self)

    def on_resize(self, event: Resize) -> None:
        self.query_one("#legend", Label).update(legend_text(event.size.width - 2))  # its margins

    def load(self) -> None:
        service = ScheduleService(self.app.ctx)
        only = [self.provider_filter] if self.provider_filter else self.team
        self.call_service(service.day_plan, self.day, only, then=self._show, group="day", exclusive=True)
        self.call_service(WaitlistService(self.app.ctx).waitlist_matches, self.day, then=self._matches,
                          group="waitlist", exclusive=True)
        day = self.day
        self.call_service(RosterService(self.app.ctx).on_duty, day, then=lambda shifts: self._on_duty(day, shifts),
                          group="on-duty", exclusive=True)
        if not self.provider_ids:
            self.call_service(service.providers, then=self._providers, group="providers")
            self.call_service(service.types, then=self._types, group="types")

    def _providers(self, providers: list[ProviderRow]) -> None:
        self.providers = providers
        self.provider_ids = [p.id for p in providers]
        self.set_class(not providers, "-no-provider")  # a new clinic: say who can fix it, not an empty grid

    def _types(self, types: list[TypeRow]) -> None:
        self.types = types

    def _matches(self, matches: list[WaitlistMatch]) -> None:
        """Time free on this day that a waiting patient asked for: say so under the counts."""
        line = self.query_one("#waitlist-line", Label)
        line.set_class(bool(matches), "-shown")
        if matches:
            first = matches[0]
            more = f" and {len(matches) - 1} more" if len(matches) > 1 else ""
            line.update(f"⚑ Waitlist: {first.entry.patient_name} could take {first.slot.start:%H:%M} with "
                        f"{first.slot.provider_name}{more} (w)", layout=False)
        else:
            line.update("", layout=False)

    def _on_duty(self, day: dt.date, shifts: list[ShiftView]) -> None:
        """Who is on shift on the day shown (two fixed lines, wrapped; the second is blank space when
        one is enough)."""
        if day == self.day:
            self.query_one("#on-duty", Label).update(on_duty_line(shifts), layout=False)

    def _show(self, plan: DayPlan) -> None:
        self.plan = plan
        who = ""
        if self.provider_filter:
            who = " · " + ", ".join(p.name for p in plan.providers)
        # Fixed-size lines (see the .tcss): a new day redraws them without a layout pass.
        self.query_one("#day-title", Label).update(f"{plan.day:%A %m/%d/%Y}{who}", layout=False)
        self.query_one("#day-counts", Label).update(
            (f"{plan.booked} booked · {plan.free_slots} free 15-min slots · " if plan.providers
             else f"Nobody works this day · {plan.booked} booked · ")  # no free slots to count: room at 80
            + f"{plan.arrived} arrived · {plan.no_shows} no-shows"
            + (f" · {plan.closed}: read only" if plan.closed else ""), layout=False)
        grid = self.query_one("#grid", ScheduleGrid)
        grid.set_plan(plan, self.app.ctx.timezone)
        if plan.day == self.app.ctx.today():
            grid.jump_to(self.app.ctx.now().astimezone(self.app.ctx.timezone).time())
        self._list_stale = True
        if self.has_class("-list"):
            self._fill_list()

    def _fill_list(self) -> None:
        """The list view is filled when it is shown: a busy day has hundreds of rows."""
        if self.plan is None or not self._list_stale:
            return
        self._list_stale = False
        away = self.plan.away
        clash = {n for n, r in enumerate(self.plan.rows) if r.status == "scheduled" and r.provider_id in away}
        self.query_one("#list", ResultsTable).set_rows([
            (str(r.id), (f"{r.start:%H:%M}-{r.end:%H:%M}", r.patient_name,
                         f"⚠ provider off ({away[r.provider_id]})" if n in clash
                         else f"{SYMBOLS.get(r.status, '?')}{r.mark} {r.status.replace('_', ' ')}",
                         r.provider_name, r.type_name, r.mrn, r.reason))
            for n, r in enumerate(self.plan.rows)], flagged=clash)

    # ----- actions -------------------------------------------------------------------
    def action_shift_day(self, days: int) -> None:
        self.day = self.day + dt.timedelta(days=days)
        self.load()

    def action_today(self) -> None:
        self.day = self.app.ctx.today()
        self.load()

    def action_go_to_date(self) -> None:
        self.app.push_screen(GoToDateModal(), self._went)

    def _went(self, day: dt.date | None) -> None:
        if day is not None:
            self.day = day
            self.load()

    def action_next_provider(self) -> None:
        """Cycle: everyone, then each provider alone, then everyone again."""
        if not self.provider_ids:
            return
        if self.provider_filter is None:
            self.provider_filter = self.provider_ids[0]
        else:
            index = self.provider_ids.index(self.provider_filter) + 1
            self.provider_filter = self.provider_ids[index] if index < len(self.provider_ids) else None
        self.load()

    def action_toggle_list(self) -> None:
        self.toggle_class("-list")
        if self.has_class("-list"):
            self._fill_list()
        self.query_one("#list" if self.has_class("-list") else "#grid").focus()

    def action_back(self) -> None:
        self.dismiss()

    def _selected(self) -> DayRow | None:
        """The appointment under the cursor, in the grid or in the list."""
        if self.plan is None:
            return None
        if self.has_class("-list"):
            table = self.query_one("#list", ResultsTable)
            if not table.row_count:
                return None
            key = table.key_at(table.cursor_row)
            return next((r for r in self.plan.rows if str(r.id) == key), None)
        return self.query_one("#grid", ScheduleGrid).appointment_at_cursor()

    def action_book(self) -> None:
        if self.plan is None or not self.allowed("appointment.book"):
            return
        grid = self.query_one("#grid", ScheduleGrid)
        row, col = grid.cursor
        provider_id = self.plan.providers[col].id if self.plan.providers else None
        start = grid.times[row].time() if grid.times else dt.time(9)
        day = self.plan.day
        now = self.app.ctx.now().astimezone(self.app.ctx.timezone)
        if day == now.date() and start < now.time():  # never propose a time already gone
            self.call_service(self._next_free_today, provider_id, now, group="book", exclusive=True,
                              then=lambda free: self._open_booking(provider_id, day, free or start))
            return
        self._open_booking(provider_id, day, start)

    def _next_free_today(self, provider_id: int | None, now: dt.datetime) -> dt.time | None:
        """The provider's first free time today from now long enough for the form's first type; else
        the next step of the clock (None after the day's last step)."""
        if self.types:
            try:
                slots = SlotFinder(self.app.ctx).find(SlotQuery(
                    type_id=self.types[0].id, provider_id=provider_id, after=now.date(), until=now.date(), count=1))
            except ValidationError:  # the provider does not see that type: the clock's next step then
                slots = []
            if slots:
                return slots[0].start.time()
        minutes = (now.hour * 60 + now.minute) // STEP_MINUTES * STEP_MINUTES + STEP_MINUTES
        return dt.time(minutes // 60, minutes % 60) if minutes < 24 * 60 else None

    def _open_booking(self, provider_id: int | None, day: dt.date, start: dt.time) -> None:
        self.app.push_screen(BookingModal(self.providers, self.types, provider_id, day, start),
                             self._changed("Booked"))

    def action_move(self) -> None:
        row = self._selected()
        if row is None:
            self.app.notify("Put the cursor on an appointment to move it.", markup=False)
        elif row.status == "cancelled":
            self.app.notify("That appointment is cancelled: book a new one instead.", markup=False)
        elif self.allowed("appointment.book"):
            self.app.push_screen(MoveAppointmentModal(row, self.providers), self._changed("Moved"))

    def action_cancel_appointment(self) -> None:
        row = self._selected()
        if row is None:
            self.app.notify("Put the cursor on an appointment to cancel it.", markup=False)
        elif self.allowed("appointment.book"):
            self.app.push_screen(CancelAppointmentModal(row), self._changed("Cancelled"))

    def action_history(self) -> None:
        row = self._selected()
        if row is None:
            self.app.notify("Put the cursor on an appointment to see its history.", markup=False)
            return
        zone = self.app.ctx.timezone

        def show(events: list[tuple[dt.datetime, str, str, str, str]]) -> None:
            self.app.push_screen(NoticeListModal(
                "Appointment history", f"{row.patient_name} · {row.start:%a %m/%d/%Y %H:%M} · {row.provider_name}",
                HISTORY_COLUMNS, [(f"{at.astimezone(zone):%m/%d/%Y %H:%M}", who or "-", action.replace("_", " "),
                                   reason.replace("_", " "), detail) for at, who, action, reason, detail in events]))
        self.call_service(BookingService(self.app.ctx).history, row.id, then=show, group="history", exclusive=True)

    def action_find_slot(self) -> None:
        if self.plan is None:
            return
        column = self.query_one("#grid", ScheduleGrid).cursor[1]
        provider_id = self.provider_filter or (self.plan.providers[column].id if self.plan.providers else None)
        after = max(self.plan.day, self.app.ctx.today())
        self.app.push_screen(FindSlotModal(self.providers, self.types, provider_id, after), self._slot_chosen)

    def _slot_chosen(self, choice: SlotChoice | None) -> None:
        """Show the slot's day and open the booking form at that time, type and provider."""
        if choice is None or not self.allowed("appointment.book"):
            return
        slot = choice.slot
        if slot.start.date() != self.day:
            self.day = slot.start.date()
            self.load()
        self.app.push_screen(BookingModal(self.providers, self.types, slot.provider_id, slot.start.date(),
                                          slot.start.time(), type_id=choice.type_id), self._changed("Booked"))

    def action_earlier(self) -> None:
        row = self._selected()
        if row is None:
            self.app.notify("Put the cursor on the appointment the patient wants sooner, or use w then n.",
                            markup=False)
        elif row.status != "scheduled":
            self.app.notify("Only a scheduled visit can be brought forward.", markup=False)
        elif self.allowed("appointment.book"):
            self.app.push_screen(WaitlistFormModal(self.providers, self.types, row), self._waitlisted)

    def _waitlisted(self, row) -> None:
        if row is not None:
            self.app.notify(f"{row.patient_name} is on the waitlist for an earlier slot.", markup=False)
            self.load()

    def action_waitlist(self) -> None:
        if self.plan is not None:
            self.app.push_screen(WaitlistModal(self.plan.day, self.providers, self.types),
                                 lambda changed: self.load() if changed else None)

    def action_confirm_visit(self) -> None:
        row = self._selected()
        if row is None:
            self.app.notify("Put the cursor on an appointment to mark it confirmed.", markup=False)
        elif row.status != "scheduled":
            self.app.notify("Only a visit still booked can be confirmed.", markup=False)
        elif self.allowed("appointment.book"):
            self.app.push_screen(ChoiceModal(f"{row.patient_name} {row.start:%a %m/%d %H:%M}: confirmed how?",
                                             [label for label, _state, _how in CONFIRM_CHOICES]),
                                 lambda index: self._mark(row, index))

    def _mark(self, row: DayRow, index: int | None) -> None:
        if index is None:
            return
        label, state, how = CONFIRM_CHOICES[index]
        self.call_service(ReminderService(self.app.ctx).mark_visit, row.id, state, how, group="confirm",
                          then=lambda _: self._marked(row, label))

    def _marked(self, row: DayRow, label: str) -> None:
        self.app.notify(f"{row.patient_name}: {label.lower()}", markup=False)
        self.load()

    def _reports_folder(self):
        from officeconsole.config import Paths

        paths = getattr(self.app, "paths", None) or Paths.discover()
        return paths.reports_dir

    def action_reminders(self) -> None:
        """The day's reminder list (phone, e-mail, preferred contact, confirmed or not) as CSV."""
        if self.plan is not None:
            self.call_service(ReminderService(self.app.ctx).write_reminder_files, self.plan.day,
                              self._reports_folder() / "reminders", "csv", group="reminders", exclusive=True,
                              then=lambda paths: self.app.notify(f"Reminder list saved: {paths[0]}", markup=False,
                                                                 timeout=10))

    def action_print_day(self) -> None:
        """Each provider's day and the check-in list, as one PDF on the letterhead."""
        if self.plan is None:
            return
        day = self.plan.day
        target = self._reports_folder() / "day-lists" / f"day-list-{day:%Y-%m-%d}.pdf"

        def write():
            data = DayListService(self.app.ctx).day_list_pdf(day)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.partial")
            partial.write_bytes(data)
            partial.replace(target)  # a crash never leaves half a PDF under the real name
            return target

        self.call_service(write, group="print", exclusive=True,
                          then=lambda path: self.app.notify(f"Day list saved: {path}", markup=False, timeout=10))

    def action_recalls(self) -> None:
        from officeconsole.tui.screens.recalls import RecallScreen

        self.app.push_screen(RecallScreen(self.providers, self.types), self._changed("Booked"))

    def _changed(self, verb: str):
        def after(result: AppointmentView | list[AppointmentView] | None) -> None:
            if not result:
                return
            first = result[0] if isinstance(result, list) else result
            local = first.start_at.astimezone(self.app.ctx.timezone)
            series = f" and {len(result) - 1} more in the series" if isinstance(result, list) else ""
            self.app.notify(f"{verb}: {local:%a %m/%d/%Y %H:%M}{series}", markup=False)
            self.day = local.date() if verb != "Cancelled" else self.day
            self.load()
        return after

    @on(ScheduleGrid.Selected, "#grid")
    def _open_from_grid(self, event: ScheduleGrid.Selected) -> None:
        self.app.push_screen(PatientRecordScreen(event.row.patient_id))

    @on(ResultsTable.Selected, "#list")
    def _open_from_list(self, event: ResultsTable.Selected) -> None:
        if self.plan is not None:
            row = next(r for r in self.plan.rows if str(r.id) == event.key)
            self.app.push_screen(PatientRecordScreen(row.patient_id))
