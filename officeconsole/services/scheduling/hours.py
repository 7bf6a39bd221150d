"""Providers' working hours: weekly templates with an effective date, recurring blocks inside
them (lunch, meetings), one-day exceptions and clinic holidays.

A provider's template for a day is the one with the latest `effective_from` on or before it,
so a new template from next month leaves this month's alone. The bookable time of a day is
that template's working intervals minus its blocks; an exception replaces the whole day (no
blocks); a confirmed holiday or approved time off empties it.

`HoursCalendar` (services/scheduling/hours_calendar.py) is the single answer to "when does this provider
work"; services/scheduling/hours_text.py reads and writes hours as people type them. Both are importable from
here too.

A change that would leave booked visits outside working time raises `NeedsConfirmation`
listing them; confirmed, it is saved and nothing booked is moved or cancelled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from officeconsole.models import (
    Appointment,
    AppointmentType,
    Holiday,
    Patient,
    Provider,
    ScheduleException,
    User,
    WorkingHours,
)
from officeconsole.models.enums import AppointmentStatus
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import NeedsConfirmation, NotFound, ValidationError
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.operations.closed_days import day_bounds_utc
from officeconsole.services.scheduling.hours_calendar import (
    Block,
    DayHours,
    HoursCalendar,
    Interval,
    day_hours,
    subtract,
    working_intervals,
)
from officeconsole.services.scheduling.hours_text import (
    WEEKDAY_KEYS,
    WEEKDAYS,
    describe,
    describe_blocks,
    parse_block_ranges,
    parse_intervals,
    parse_ranges,
    parse_week,
    parse_weekdays,
)
from officeconsole.services.scheduling.schedule_time import parse_day
from officeconsole.services.security import audit

# What callers import from here: this module's service and views, and the calendar's and the text's names.
__all__ = [
    "EARLIEST", "WEEKDAYS", "WEEKDAY_KEYS", "Block", "DayHours", "ExceptionView", "HolidaySuggestion", "HolidayView",
    "HoursCalendar", "HoursService", "Interval", "TemplateView", "day_hours", "describe", "describe_blocks",
    "parse_block_ranges", "parse_intervals", "parse_ranges", "parse_weekdays", "subtract", "working_intervals",
]

# A provider's first template, when no date is given, covers every day before it too.
EARLIEST = dt.date(2000, 1, 1)


# ----- what screens and commands read ------------------------------------------------
@dataclass(frozen=True)
class TemplateView:
    """One weekly template: per weekday (0 = Monday) the working intervals and the blocks."""

    effective_from: dt.date
    until: dt.date | None  # the last day before the next template, None when none follows
    in_force: bool  # the template in force today
    work: tuple[tuple[Interval, ...], ...]
    blocks: tuple[tuple[Block, ...], ...]

    @property
    def starts(self) -> str:
        return "from the start" if self.effective_from == EARLIEST else f"from {self.effective_from:%m/%d/%Y}"

    @property
    def period(self) -> str:
        return self.starts + (f" to {self.until:%m/%d/%Y}" if self.until else "")

    def day_text(self, weekday: int) -> str:
        return describe(self.work[weekday])

    def blocks_text(self, weekday: int) -> str:
        return describe_blocks(self.blocks[weekday])

    def hours_per_week(self) -> float:
        return sum(_minutes(a, b) for day in range(7) for a, b in subtract(list(self.work[day]),
                                                                           list(self.blocks[day]))) / 60


@dataclass(frozen=True)
class ExceptionView:
    day: dt.date
    intervals: tuple[Interval, ...]  # empty: the provider is off that day
    note: str

    @property
    def text(self) -> str:
        return describe(self.intervals) or "off"


@dataclass(frozen=True)
class HolidayView:
    day: dt.date
    name: str


@dataclass(frozen=True)
class HolidaySuggestion:
    day: dt.date
    name: str
    confirmed: bool


class HoursService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # ----- reading ---------------------------------------------------------------------
    @requires("schedule.view")
    def intervals(self, provider_id: int, day: dt.date) -> list[Interval]:
        with self.ctx.db.read() as session:
            _provider(session, provider_id)
            return working_intervals(session, provider_id, day)

    @requires("schedule.view")
    def hours_on(self, provider_id: int, day: str | dt.date) -> DayHours:
        """One provider-day: what is bookable, the blocks, and why (template, exception, holiday...)."""
        date = parse_day(day)
        with self.ctx.db.read() as session:
            _provider(session, provider_id)
            return day_hours(HoursCalendar(session, [provider_id], date, date), provider_id, date)

    @requires("schedule.view")
    def templates(self, provider_id: int) -> list[TemplateView]:
        """Every weekly template of the provider, oldest first; `in_force` marks today's."""
        today = self.ctx.today()
        with self.ctx.db.read() as session:
            _provider(session, provider_id)
            rows = session.execute(
                select(WorkingHours.effective_from, WorkingHours.kind, WorkingHours.weekday, WorkingHours.start_time,
                       WorkingHours.end_time, WorkingHours.label)
                .where(WorkingHours.provider_id == provider_id)
                .order_by(WorkingHours.effective_from, WorkingHours.start_time)).all()
        starts = sorted({row.effective_from for row in rows})
        current = max((s for s in starts if s <= today), default=None)
        views = []
        for n, start in enumerate(starts):
            work: list[list[Interval]] = [[] for _ in range(7)]
            blocks: list[list[Block]] = [[] for _ in range(7)]
            for row in rows:
                if row.effective_from == start:
                    if row.kind == "block":
                        blocks[row.weekday].append((row.start_time, row.end_time, row.label))
                    else:
                        work[row.weekday].append((row.start_time, row.end_time))
            until = starts[n + 1] - dt.timedelta(days=1) if n + 1 < len(starts) else None
            views.append(TemplateView(start, until, start == current, tuple(tuple(d) for d in work),
                                      tuple(tuple(d) for d in blocks)))
        return views

    @requires("schedule.view")
    def exceptions(self, provider_id: int, first: str | dt.date, last: str | dt.date) -> list[ExceptionView]:
        begin, end = parse_day(first, "first"), parse_day(last, "last")
        with self.ctx.db.read() as session:
            _provider(session, provider_id)
            rows = session.execute(
                select(ScheduleException.day, ScheduleException.start_time, ScheduleException.end_time,
                       ScheduleException.note)
                .where(ScheduleException.provider_id == provider_id, ScheduleException.day >= begin,
                       ScheduleException.day <= end)
                .order_by(ScheduleException.day, ScheduleException.start_time)).all()
        days: dict[dt.date, tuple[list[Interval], str]] = {}
        for day, start, end_time, note in rows:
            intervals, _ = days.setdefault(day, ([], note))
            if start is not None:
                intervals.append((start, end_time))
        return [ExceptionView(day, tuple(intervals), note) for day, (intervals, note) in days.items()]

    @requires("schedule.view")
    def holidays(self, first: str | dt.date, last: str | dt.date) -> list[HolidayView]:
        """The confirmed clinic holidays between two dates."""
        begin, end = parse_day(first, "first"), parse_day(last, "last")
        with self.ctx.db.read() as session:
            return [HolidayView(day, name) for day, name in session.execute(
                select(Holiday.day, Holiday.name).where(Holiday.day >= begin, Holiday.day <= end,
                                                        Holiday.confirmed.is_(True)).order_by(Holiday.day))]

    # ----- weekly templates ------------------------------------------------------------
    @requires("schedule.manage")
    def set_week(self, provider_id: int, week: dict[int, list[tuple[str, str]]], *,
                 blocks: dict[int, list[tuple[str, str, str]]] | None = None,
                 effective_from: dt.date | str | None = None, confirm: bool = False) -> None:
        """Replace the template that starts on `effective_from` (default today; a provider's first
        template, with no date given, covers every day). A weekday left out is a day off; blocks
        (start, end, label) lie inside the day's working time. Earlier and later templates stay."""
        work, parsed_blocks = parse_week(week, blocks or {})
        start = parse_day(effective_from, "effective_from") if effective_from not in (None, "") else None
        with self.ctx.db.write() as session:
            provider = _provider(session, provider_id)
            if start is None:
                has_any = session.scalar(select(WorkingHours.id).where(WorkingHours.provider_id == provider_id)
                                         .limit(1))
                start = self.ctx.today() if has_any else EARLIEST
            self._refuse_past_with_visits(session, provider, start)
            following = session.scalar(select(WorkingHours.effective_from).where(
                WorkingHours.provider_id == provider_id, WorkingHours.effective_from > start)
                .order_by(WorkingHours.effective_from).limit(1))
            last = following - dt.timedelta(days=1) if following else None

            def change() -> None:
                session.execute(delete(WorkingHours).where(WorkingHours.provider_id == provider_id,
                                                           WorkingHours.effective_from == start))
                for weekday, intervals in work.items():
                    for begin, end in intervals:
                        session.add(WorkingHours(provider_id=provider_id, effective_from=start, kind="work",
                                                 weekday=weekday, start_time=begin, end_time=end, label=""))
                for weekday, rows in parsed_blocks.items():
                    for begin, end, label in rows:
                        session.add(WorkingHours(provider_id=provider_id, effective_from=start, kind="block",
                                                 weekday=weekday, start_time=begin, end_time=end, label=label))

            self._change(session, [provider_id], start, last, change, confirm,
                         f"{_name(provider)}'s new hours")
            summary = "; ".join(f"{WEEKDAYS[d][:3]} {describe(iv)}"
                                + (f" (blocks {describe_blocks(parsed_blocks[d])})" if parsed_blocks.get(d) else "")
                                for d, iv in sorted(work.items()) if iv)
            starts = "from the start" if start == EARLIEST else f"from {start:%Y-%m-%d}"
            audit.record(session, self.ctx.now(), self.ctx.actor, "hours.set_week", entity="provider",
                         entity_id=provider.id, summary=f"{starts}: {summary or 'no working days'}")

    @requires("schedule.manage")
    def add_blocks(self, provider_id: int, blocks: dict[int, list[tuple[str, str, str]]], *,
                   effective_from: dt.date | str | None = None, confirm: bool = False) -> None:
        """Add recurring blocks to the template in force on `effective_from` (default today): when
        that template started earlier, a copy of it with the blocks starts on that date."""
        start = parse_day(effective_from, "effective_from") if effective_from not in (None, "") else self.ctx.today()
        current = next((t for t in reversed(self.templates(provider_id)) if t.effective_from <= start), None)
        if current is None:
            raise ValidationError({"day": f"There are no working hours in force on {start:%m/%d/%Y} to add "
                                          "blocks to: set the week first."})
        week = {d: list(current.work[d]) for d in range(7) if current.work[d]}
        merged = {d: list(current.blocks[d]) for d in range(7) if current.blocks[d]}
        for weekday, rows in blocks.items():
            merged.setdefault(weekday, []).extend(rows)
        self.set_week(provider_id, week, blocks=merged, effective_from=start, confirm=confirm)

    # ----- one-day exceptions ----------------------------------------------------------
    @requires("schedule.manage")
    def set_day(self, provider_id: int, day: str | dt.date, intervals: list[tuple[str, str]],
                note: str = "", *, confirm: bool = False) -> None:
        """Different hours on one date; no intervals means the provider is off that day."""
        date = parse_day(day)
        parsed = parse_intervals(intervals, f"{date:%m/%d/%Y}")
        note = clean_text(note, 200)
        with self.ctx.db.write() as session:
            provider = _provider(session, provider_id)

            def change() -> None:
                session.execute(delete(ScheduleException).where(
                    ScheduleException.provider_id == provider_id, ScheduleException.day == date))
                for start, end in parsed or [(None, None)]:
                    session.add(ScheduleException(provider_id=provider_id, day=date, start_time=start,
                                                  end_time=end, note=note))

            self._change(session, [provider_id], date, date, change, confirm,
                         f"{_name(provider)}'s hours on {date:%a %m/%d/%Y}")
            audit.record(session, self.ctx.now(), self.ctx.actor, "hours.set_day", entity="provider",
                         entity_id=provider.id,
                         summary=f"{date:%Y-%m-%d}: " + (describe(parsed) or "off") + (f" ({note})" if note else ""))

    @requires("schedule.manage")
    def clear_day(self, provider_id: int, day: str | dt.date, *, confirm: bool = False) -> None:
        """Remove a one-day exception: the day goes back to the template."""
        date = parse_day(day)
        with self.ctx.db.write() as session:
            provider = _provider(session, provider_id)
            if not session.scalar(select(ScheduleException.id).where(
                    ScheduleException.provider_id == provider_id, ScheduleException.day == date).limit(1)):
                raise NotFound(f"{_name(provider)} has no exception on {date:%m/%d/%Y}.")

            def change() -> None:
                session.execute(delete(ScheduleException).where(
                    ScheduleException.provider_id == provider_id, ScheduleException.day == date))

            self._change(session, [provider_id], date, date, change, confirm,
                         f"{_name(provider)}'s usual hours on {date:%a %m/%d/%Y}")
            audit.record(session, self.ctx.now(), self.ctx.actor, "hours.clear_day", entity="provider",
                         entity_id=provider.id, summary=f"{date:%Y-%m-%d}: back to the weekly hours")

    # ----- holidays --------------------------------------------------------------------
    @requires("schedule.view")
    def suggest_holidays(self, year: int, country: str = "US", state: str = "") -> list[HolidaySuggestion]:
        """Public holidays from the `holidays` package, marked where the manager has confirmed them.

        Suggestions only: a clinic decides which days it closes (`add_holiday`).
        """
        import holidays

        supported = holidays.list_supported_countries()
        country, state = country.upper(), state.upper()
        if country not in supported:
            raise ValidationError({"country": f"No holiday calendar for {country!r}."})
        if state and state not in supported[country]:
            raise ValidationError({"state": f"No holiday calendar for {country}-{state}."})
        found = holidays.country_holidays(country, subdiv=state or None, years=year)
        with self.ctx.db.read() as session:
            confirmed = set(session.scalars(select(Holiday.day).where(
                Holiday.day >= dt.date(year, 1, 1), Holiday.day <= dt.date(year, 12, 31),
                Holiday.confirmed.is_(True))))
        return [HolidaySuggestion(day, name, day in confirmed) for day, name in sorted(found.items())]

    @requires("schedule.manage")
    def add_holiday(self, day: str | dt.date, name: str, *, confirm: bool = False) -> None:
        """A confirmed clinic holiday: nobody is bookable that day without an override. Visits
        booked that day are listed first (NeedsConfirmation) and stay booked when confirmed."""
        date = parse_day(day)
        name = clean_text(name, 120)
        if not name:
            raise ValidationError({"name": "A holiday needs a name."})
        with self.ctx.db.write() as session:
            booked = _booked(session, self.ctx, None, date, date)
            if booked and not confirm:
                raise NeedsConfirmation(
                    f"{_visits(len(booked))} booked on {date:%a %m/%d/%Y}. Closing the clinic that day leaves "
                    "them outside working time (they stay booked: call the patients to move them). "
                    "Nothing was saved.", [_item(row, self.ctx) for row in booked])
            holiday = session.scalar(select(Holiday).where(Holiday.day == date))
            if holiday is None:
                holiday = Holiday(day=date, name=name)
                session.add(holiday)
            holiday.name, holiday.confirmed = name, True
            holiday.confirmed_by_id = self.ctx.actor_or_fail().user_id
            audit.record(session, self.ctx.now(), self.ctx.actor, "holiday.confirm", entity="holiday",
                         entity_id=date.isoformat(),
                         summary=name + (f" ({_visits(len(booked))} booked, confirmed)" if booked else ""))

    @requires("schedule.manage")
    def remove_holiday(self, day: str | dt.date) -> None:
        date = parse_day(day)
        with self.ctx.db.write() as session:
            holiday = session.scalar(select(Holiday).where(Holiday.day == date, Holiday.confirmed.is_(True)))
            if holiday is None:
                raise NotFound(f"{date:%m/%d/%Y} is not a clinic holiday.")
            audit.record(session, self.ctx.now(), self.ctx.actor, "holiday.remove", entity="holiday",
                         entity_id=date.isoformat(), summary=holiday.name)
            session.delete(holiday)

    # ----- helpers ---------------------------------------------------------------------
    def _refuse_past_with_visits(self, session: Session, provider: Provider, start: dt.date) -> None:
        today = self.ctx.today()
        if start >= today:
            return
        zone = self.ctx.timezone
        first = day_bounds_utc(start, zone)[0]
        visits = session.scalar(select(Appointment.id).where(
            Appointment.provider_id == provider.id, Appointment.status != AppointmentStatus.CANCELLED,
            Appointment.start_at >= first, Appointment.start_at < day_bounds_utc(today, zone)[0]).limit(1))
        if visits is not None:
            raise ValidationError({"effective_from": (
                f"{_name(provider)} has visits from {start:%m/%d/%Y} on: hours cannot change in the past once "
                f"visits exist. Choose today ({today:%m/%d/%Y}) or later.")})

    def _change(self, session: Session, provider_ids: list[int], first: dt.date, last: dt.date | None,
                change: Callable[[], None], confirm: bool, what: str) -> None:
        """Make `change` in the session; when it leaves booked visits (that were inside working time)
        outside it, refuse with the list unless confirmed. The caller's transaction rolls back."""
        booked = _booked(session, self.ctx, provider_ids, first, last)
        before = _fitting(session, booked, self.ctx) if booked else set()
        change()
        session.flush()
        if not before:
            return
        after = _fitting(session, booked, self.ctx)
        lost = [row for row in booked if row[0] in before and row[0] not in after]
        if lost and not confirm:
            raise NeedsConfirmation(
                f"{_visits(len(lost))} booked would fall outside {what}. Nothing was saved: confirm to save "
                "anyway (the visits stay booked; move them from the schedule).",
                [_item(row, self.ctx) for row in lost])


def _booked(session: Session, ctx: ServiceContext, provider_ids: list[int] | None, first: dt.date,
            last: dt.date | None) -> list[tuple]:
    """Booked (not yet arrived) future visits on the local days first..last (open-ended when None):
    (id, provider_id, start_at, end_at, patient, type, provider name)."""
    zone = ctx.timezone
    start = max(day_bounds_utc(first, zone)[0], ctx.now())
    query = (select(Appointment.id, Appointment.provider_id, Appointment.start_at, Appointment.end_at,
                    Patient.last_name, Patient.first_name, AppointmentType.name, User.full_name)
             .join(Patient, Patient.id == Appointment.patient_id)
             .join(AppointmentType, AppointmentType.id == Appointment.type_id)
             .join(Provider, Provider.id == Appointment.provider_id).join(User, User.id == Provider.user_id)
             .where(Appointment.status == AppointmentStatus.SCHEDULED, Appointment.start_at >= start)
             .order_by(Appointment.start_at))
    if provider_ids is not None:
        query = query.where(Appointment.provider_id.in_(provider_ids))
    if last is not None:
        query = query.where(Appointment.start_at < day_bounds_utc(last, zone)[1])
    return [tuple(row) for row in session.execute(query)]


def _fitting(session: Session, booked: list[tuple], ctx: ServiceContext) -> set[int]:
    """The ids of the visits that lie inside their provider's bookable time."""
    zone = ctx.timezone
    local = [(row[0], row[1], row[2].astimezone(zone), row[3].astimezone(zone)) for row in booked]
    days = [start.date() for _, _, start, _ in local]
    calendar = HoursCalendar(session, sorted({row[1] for row in booked}), min(days), max(days))
    inside = set()
    for appointment_id, provider_id, start, end in local:
        finish = end.time() if end.date() == start.date() else dt.time(23, 59, 59)
        if any(a <= start.time() and finish <= b for a, b in calendar.intervals(provider_id, start.date())):
            inside.add(appointment_id)
    return inside


def _item(row: tuple, ctx: ServiceContext) -> str:
    _, _, start_at, _, last, first, type_name, provider = row
    return f"{start_at.astimezone(ctx.timezone):%a %m/%d/%Y %H:%M}  {last}, {first}  {type_name}  ({provider})"


def _visits(count: int) -> str:
    return f"{count} visit{'' if count == 1 else 's'}"


def _minutes(start: dt.time, end: dt.time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def _name(provider: Provider) -> str:
    return provider.user.full_name


def _provider(session: Session, provider_id: int) -> Provider:
    provider = session.get(Provider, provider_id)
    if provider is None:
        raise NotFound(f"No provider has id {provider_id}.")
    return provider
