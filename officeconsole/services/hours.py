"""Providers' working hours: weekly templates with an effective date, recurring blocks inside
them (lunch, meetings), one-day exceptions and clinic holidays.

A provider's template for a day is the one with the latest `effective_from` on or before it,
so a new template from next month leaves this month's alone. The bookable time of a day is
that template's working intervals minus its blocks; an exception replaces the whole day (no
blocks); a confirmed holiday or approved time off empties it.

`HoursCalendar` (and `working_intervals` for one day) is the single answer to "when does this
provider work", read by booking, the slot finder, the schedule grid, the waitlist and the rota.

A change that would leave booked visits outside working time raises `NeedsConfirmation`
listing them; confirmed, it is saved and nothing booked is moved or cancelled.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
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
    TimeOff,
    User,
    WorkingHours,
)
from officeconsole.models.enums import AppointmentStatus
from officeconsole.models.roster import TimeOffStatus
from officeconsole.services import audit
from officeconsole.services.closed_days import day_bounds_utc
from officeconsole.services.context import ServiceContext
from officeconsole.services.errors import NeedsConfirmation, NotFound, ValidationError
from officeconsole.services.permissions import requires
from officeconsole.services.schedule_time import STEP_MINUTES, TimeProblem, parse_day, parse_time
from officeconsole.services.text import clean_text

Interval = tuple[dt.time, dt.time]
Block = tuple[dt.time, dt.time, str]
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A provider's first template, when no date is given, covers every day before it too.
EARLIEST = dt.date(2000, 1, 1)


class HoursCalendar:
    """Working hours of some providers over a date range, read in a few queries.

    The slot finder asks about hundreds of provider-days; this answers them from memory.
    """

    def __init__(self, session: Session, provider_ids: list[int], first: dt.date, last: dt.date) -> None:
        self.holiday_names: dict[dt.date, str] = dict(session.execute(select(Holiday.day, Holiday.name).where(
            Holiday.day >= first, Holiday.day <= last, Holiday.confirmed.is_(True))).all())
        self.holidays = set(self.holiday_names)
        self.exceptions: dict[tuple[int, dt.date], list[Interval]] = {}
        self.notes: dict[tuple[int, dt.date], str] = {}
        for provider_id, day, start, end, note in session.execute(
                select(ScheduleException.provider_id, ScheduleException.day, ScheduleException.start_time,
                       ScheduleException.end_time, ScheduleException.note)
                .where(ScheduleException.provider_id.in_(provider_ids),
                       ScheduleException.day >= first, ScheduleException.day <= last)):
            intervals = self.exceptions.setdefault((provider_id, day), [])
            if start is not None:
                intervals.append((start, end))
            if note:
                self.notes[provider_id, day] = note
        # Approved time off empties a provider's day (the slot finder skips it; booking refuses).
        self.away: dict[tuple[int, dt.date], str] = {}
        for provider_id, start, end, kind in session.execute(
                select(Provider.id, TimeOff.first_day, TimeOff.last_day, TimeOff.kind)
                .join(TimeOff, TimeOff.user_id == Provider.user_id)
                .where(Provider.id.in_(provider_ids), TimeOff.status == TimeOffStatus.APPROVED,
                       TimeOff.first_day <= last, TimeOff.last_day >= first)):
            day = max(start, first)
            while day <= min(end, last):
                self.away[provider_id, day] = kind
                day += dt.timedelta(days=1)
        # Templates: every one that starts on or before `last` (the one in force on `first` among them).
        self.starts: dict[int, list[dt.date]] = {}
        self.work: dict[tuple[int, dt.date, int], list[Interval]] = {}
        self.block_rows: dict[tuple[int, dt.date, int], list[Block]] = {}
        for provider_id, effective, kind, weekday, start, end, label in session.execute(
                select(WorkingHours.provider_id, WorkingHours.effective_from, WorkingHours.kind,
                       WorkingHours.weekday, WorkingHours.start_time, WorkingHours.end_time, WorkingHours.label)
                .where(WorkingHours.provider_id.in_(provider_ids), WorkingHours.effective_from <= last)
                .order_by(WorkingHours.start_time)):
            starts = self.starts.setdefault(provider_id, [])
            if effective not in starts:
                bisect.insort(starts, effective)
            if kind == "block":
                self.block_rows.setdefault((provider_id, effective, weekday), []).append((start, end, label))
            else:
                self.work.setdefault((provider_id, effective, weekday), []).append((start, end))

    def template_start(self, provider_id: int, day: dt.date) -> dt.date | None:
        """The effective date of the template in force on `day` (None before the first one)."""
        starts = self.starts.get(provider_id, [])
        index = bisect.bisect_right(starts, day)
        return starts[index - 1] if index else None

    def source(self, provider_id: int, day: dt.date) -> str:
        """Where the day's hours come from: "holiday", "time off", "exception", "template" or ""."""
        if day in self.holidays:
            return "holiday"
        if (provider_id, day) in self.away:
            return "time off"
        if (provider_id, day) in self.exceptions:
            return "exception"
        start = self.template_start(provider_id, day)
        return "template" if start is not None and self.work.get((provider_id, start, day.weekday())) else ""

    def intervals(self, provider_id: int, day: dt.date) -> list[Interval]:
        """The bookable intervals: the template's working time minus its blocks, or the exception."""
        if day in self.holidays or (provider_id, day) in self.away:
            return []
        if (provider_id, day) in self.exceptions:
            return sorted(self.exceptions[provider_id, day])
        start = self.template_start(provider_id, day)
        if start is None:
            return []
        work = self.work.get((provider_id, start, day.weekday()), [])
        return subtract(work, self.block_rows.get((provider_id, start, day.weekday()), []))

    def blocks(self, provider_id: int, day: dt.date) -> list[Block]:
        """The template's recurring blocks that day (none on an exception, holiday or time off)."""
        if day in self.holidays or (provider_id, day) in self.away or (provider_id, day) in self.exceptions:
            return []
        start = self.template_start(provider_id, day)
        return sorted(self.block_rows.get((provider_id, start, day.weekday()), [])) if start else []


def subtract(work: list[Interval], blocks: list[Block] | list[Interval]) -> list[Interval]:
    """Working intervals with the blocks cut out, in order."""
    pieces = sorted(work)
    for block in sorted(blocks):
        start, end = block[0], block[1]
        cut: list[Interval] = []
        for a, b in pieces:
            if end <= a or start >= b:
                cut.append((a, b))
                continue
            if a < start:
                cut.append((a, start))
            if end < b:
                cut.append((end, b))
        pieces = cut
    return pieces


def working_intervals(session: Session, provider_id: int, day: dt.date) -> list[Interval]:
    """The provider's bookable intervals on `day`, in order; [] on a day off or a holiday."""
    return HoursCalendar(session, [provider_id], day, day).intervals(provider_id, day)


def parse_intervals(text_intervals: list[tuple[str, str]], label: str, field: str = "hours") -> list[Interval]:
    """('08:00', '12:00') pairs checked: real times, 5-minute steps, in order, not overlapping."""
    intervals = []
    for start_text, end_text in text_intervals:
        try:
            start, end = parse_time(start_text), parse_time(end_text)
        except TimeProblem as exc:
            raise ValidationError({field: f"{label}: {exc}."}) from None
        if end <= start:
            raise ValidationError({field: f"{label}: {start:%H:%M}-{end:%H:%M} ends before it starts."})
        if start.minute % STEP_MINUTES or end.minute % STEP_MINUTES:
            raise ValidationError({field: f"{label}: hours are in {STEP_MINUTES}-minute steps."})
        intervals.append((start, end))
    intervals.sort()
    for (_, first_end), (second_start, _) in zip(intervals, intervals[1:], strict=False):
        if second_start < first_end:
            raise ValidationError({field: f"{label}: the intervals overlap."})
    return intervals


# ----- text as people type it -------------------------------------------------------
_RANGE = re.compile(r"^\s*(\S+?)\s*-\s*(\d{1,2}(?::?\d{2})?\s*(?:[ap]\.?m?\.?(?![a-z]))?)\s*(.*)$", re.IGNORECASE)


def parse_ranges(text: str, field: str = "hours") -> list[tuple[str, str]]:
    """"08:00-12:00, 13:00-17:00" -> [("08:00", "12:00"), ("13:00", "17:00")]; "" or "off" -> []."""
    return [(start, end) for start, end, _ in _split(text, field, labels=False)]


def parse_block_ranges(text: str, field: str = "blocks") -> list[tuple[str, str, str]]:
    """"12:00-13:00 Lunch, 15:00-15:30 Team meeting" -> [(start, end, label), ...]."""
    return _split(text, field, labels=True)


def _split(text: str, field: str, labels: bool) -> list[tuple[str, str, str]]:
    text = (text or "").strip()
    if not text or text.lower() in ("off", "-", "none"):
        return []
    found = []
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        match = _RANGE.match(part)
        if not match or (match.group(3) and not labels):
            example = "12:00-13:00 Lunch" if labels else "08:00-12:00, 13:00-17:00"
            raise ValidationError({field: f"{part.strip()!r} is not a time range (e.g. {example})."})
        found.append((match.group(1).strip(), match.group(2).strip(), clean_text(match.group(3), 60)))
    return found


def parse_weekdays(text: str, field: str = "day") -> list[int]:
    """"mon", "mon-fri", "mon,wed,fri", "sat-sun" -> weekday numbers (0 = Monday)."""
    days: list[int] = []
    for part in (text or "").lower().replace(" ", "").split(","):
        ends = part.split("-")
        try:
            keys = [_weekday(end) for end in ends]
        except KeyError:
            raise ValidationError({field: f"{part!r} is not a weekday (use mon, tue, ... or mon-fri)."}) from None
        if len(keys) == 1:
            days.append(keys[0])
        elif len(keys) == 2 and keys[0] <= keys[1]:
            days.extend(range(keys[0], keys[1] + 1))
        else:
            raise ValidationError({field: f"{part!r} is not a weekday range (e.g. mon-fri)."})
    return sorted(set(days))


def _weekday(text: str) -> int:
    for number, name in enumerate(WEEKDAYS):
        if len(text) >= 2 and name.lower().startswith(text):
            return number
    raise KeyError(text)


def describe(intervals) -> str:
    return ", ".join(f"{i[0]:%H:%M}-{i[1]:%H:%M}" for i in intervals)


def describe_blocks(blocks) -> str:
    return ", ".join(f"{s:%H:%M}-{e:%H:%M}" + (f" {label}" if label else "") for s, e, label in blocks)


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
class DayHours:
    """A provider's day as the hours give it: bookable intervals, blocks, and where they come from."""

    day: dt.date
    intervals: tuple[Interval, ...]
    blocks: tuple[Block, ...]
    source: str  # "template", "exception", "holiday", "time off" or "" (no hours that weekday)
    note: str  # the exception's note, the holiday's name or the kind of time off


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
        work, parsed_blocks = _parse_week(week, blocks or {})
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


def day_hours(calendar: HoursCalendar, provider_id: int, day: dt.date) -> DayHours:
    source = calendar.source(provider_id, day)
    note = {"holiday": calendar.holiday_names.get(day, ""), "time off": calendar.away.get((provider_id, day), ""),
            "exception": calendar.notes.get((provider_id, day), "")}.get(source, "")
    return DayHours(day, tuple(calendar.intervals(provider_id, day)), tuple(calendar.blocks(provider_id, day)),
                    source, note)


def _parse_week(week: dict[int, list], blocks: dict[int, list]) -> tuple[dict[int, list[Interval]],
                                                                         dict[int, list[Block]]]:
    errors: dict[str, str] = {}
    work: dict[int, list[Interval]] = {}
    for weekday in set(week) | set(blocks):
        if weekday not in range(7):
            raise ValidationError({"weekday": f"{weekday!r} is not a weekday (0 = Monday to 6 = Sunday)."})
    for weekday, pairs in week.items():
        key = WEEKDAY_KEYS[weekday]
        try:
            work[weekday] = parse_intervals([(p[0], p[1]) for p in pairs], WEEKDAYS[weekday], key)
        except ValidationError as exc:
            errors.update(exc.errors)
    parsed: dict[int, list[Block]] = {}
    for weekday, rows in blocks.items():
        key = f"{WEEKDAY_KEYS[weekday]}_blocks"
        if not rows:
            continue
        try:
            times = parse_intervals([(r[0], r[1]) for r in rows], f"{WEEKDAYS[weekday]} blocks", key)
        except ValidationError as exc:
            errors.update(exc.errors)
            continue
        labels = {(parse_time(r[0]), parse_time(r[1])): clean_text(r[2] if len(r) > 2 else "", 60) for r in rows}
        day_work = work.get(weekday, [])
        for start, end in times:
            if not any(a <= start and end <= b for a, b in day_work):
                errors[key] = (f"{WEEKDAYS[weekday]}: the block {start:%H:%M}-{end:%H:%M} is not inside the "
                               f"working hours ({describe(day_work) or 'none that day'}).")
                break
        parsed[weekday] = [(start, end, labels[start, end] or "Blocked") for start, end in times]
    if errors:
        raise ValidationError(errors)
    return work, parsed


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
