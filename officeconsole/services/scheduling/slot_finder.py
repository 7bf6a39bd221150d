"""The next free slots long enough for a visit, within working hours, never over a booking.

Working hours come from the same calendar booking uses (template, exceptions, holidays),
read once for the whole range; occupied time is read from booked_slot one day at a time for every candidate
provider at once, and the search stops as soon as enough slots are found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from officeconsole.models import AppointmentType, BookedSlot, ClinicSettings, ProviderAppointmentType
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import parse_date
from officeconsole.services.reporting.report_queries import day_of
from officeconsole.services.scheduling.hours import HoursCalendar, Interval
from officeconsole.services.scheduling.schedule import ProviderRow, ScheduleService, day_bounds
from officeconsole.services.scheduling.schedule_time import STEP, STEP_MINUTES, TimeProblem, local_instant

PARTS = ("any", "morning", "afternoon")
NOON = dt.time(12)
MAX_DAYS = 366


@dataclass
class SlotQuery:
    type_id: int | None = None
    minutes: int | None = None  # the type's length when None
    provider_id: int | None = None  # None: any provider
    after: str | dt.date | None = None  # first day to look at (default today)
    until: str | dt.date | None = None  # last day (default 90 days on)
    weekdays: set[int] = field(default_factory=set)  # 0 = Monday; empty: any day
    part: str = "any"  # morning (starts before noon) or afternoon
    count: int = 5


@dataclass(frozen=True)
class Slot:
    provider_id: int
    provider_name: str
    start: dt.datetime  # clinic-local
    end: dt.datetime
    start_at: dt.datetime  # UTC
    note: str = ""  # why to think twice: a public holiday the clinic has not closed

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


class SlotFinder:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("schedule.view")
    def find(self, query: SlotQuery) -> list[Slot]:
        schedule = ScheduleService(self.ctx)
        minutes = query.minutes
        if minutes is None:
            if query.type_id is None:
                raise ValidationError({"type_id": "Choose an appointment type or a length."})
            kind = next((t for t in schedule.types() if t.id == query.type_id), None)
            if kind is None:
                raise ValidationError({"type_id": f"No appointment type has id {query.type_id}."})
            minutes = kind.minutes
        if minutes <= 0 or minutes % STEP_MINUTES:
            raise ValidationError({"minutes": f"Lengths are in {STEP_MINUTES}-minute steps."})
        if query.part not in PARTS:
            raise ValidationError({"part": "Part of day must be any, morning or afternoon."})
        if not 1 <= query.count <= 100:
            raise ValidationError({"count": "Ask for 1 to 100 slots."})
        today = self.ctx.today()
        try:
            first = parse_date(query.after) or today
            last = parse_date(query.until) or first + dt.timedelta(days=90)
        except ValueError as exc:
            raise ValidationError({"after": f"Date: {exc}."}) from None
        if last < first:
            raise ValidationError({"until": "The range ends before it starts."})
        last = min(last, first + dt.timedelta(days=MAX_DAYS))
        first = max(first, today)
        providers = [p for p in schedule.providers() if query.provider_id in (None, p.id)]
        if query.provider_id is not None and not providers:
            raise ValidationError({"provider_id": f"No active provider has id {query.provider_id}."})
        if query.type_id is not None:
            providers = self._seeing(providers, query.type_id, named=query.provider_id is not None)
        length = dt.timedelta(minutes=minutes)
        now = self.ctx.now()
        found: list[Slot] = []
        day = first
        with self.ctx.db.read() as session:
            calendar = HoursCalendar(session, [p.id for p in providers], first, last)
            busy = _BusySteps(session, self.ctx, [p.id for p in providers], last)
            while day <= last and len(found) < query.count:
                if not query.weekdays or day.weekday() in query.weekdays:
                    found.extend(self._day(session, calendar, day, providers, length, query.part, now, busy.on(day)))
                day += dt.timedelta(days=1)
        found.sort(key=lambda s: (s.start_at, s.provider_name))
        return _with_holiday_notes(self.ctx, found[: query.count])

    def _seeing(self, providers: list[ProviderRow], type_id: int, named: bool) -> list[ProviderRow]:
        """The providers who see the type (a provider with a list of types sees only those); a provider
        asked for by name who does not see it is refused."""
        with self.ctx.db.read() as session:
            lists: dict[int, set[int]] = {}
            for provider_id, listed in session.execute(
                    select(ProviderAppointmentType.provider_id, ProviderAppointmentType.type_id)
                    .where(ProviderAppointmentType.provider_id.in_([p.id for p in providers]))):
                lists.setdefault(provider_id, set()).add(listed)
            kind = session.scalar(select(AppointmentType.name).where(AppointmentType.id == type_id))
        seeing = [p for p in providers if p.id not in lists or type_id in lists[p.id]]
        if named and not seeing:
            raise ValidationError({"provider_id": f"{providers[0].name} does not see {kind} visits."})
        return seeing

    def _day(self, session: Session, calendar: HoursCalendar, day: dt.date, providers: list[ProviderRow],
             length: dt.timedelta, part: str, now: dt.datetime, busy: dict[int, int]) -> list[Slot]:
        """The free slots of one day. `busy`: each provider's booked steps that day, a cheap count
        first: a provider whose day has fewer free steps than the visit needs is skipped without
        reading their bookings (a busy month ahead is mostly such days)."""
        hours = {p.id: calendar.intervals(p.id, day) for p in providers}
        working = [p for p in providers if hours[p.id]]
        if not working:
            return []
        start, end = day_bounds(day, self.ctx)
        in_day = (BookedSlot.slot_start >= start, BookedSlot.slot_start < end)
        needed_steps = int(length / STEP)
        working = [p for p in working
                   if _steps_in(hours[p.id]) - busy.get(p.id, 0) >= needed_steps]
        if not working:
            return []
        taken = {tuple(row) for row in session.execute(
            select(BookedSlot.provider_id, BookedSlot.slot_start).where(
                BookedSlot.provider_id.in_([p.id for p in working]), *in_day))}
        zone = self.ctx.timezone
        slots = []
        for provider in working:
            for begin, finish in hours[provider.id]:
                if part == "morning" and begin >= NOON or part == "afternoon" and finish <= NOON:
                    continue
                try:
                    at = local_instant(day, begin, zone, fold=0)
                    close = local_instant(day, finish, zone, fold=0)
                except TimeProblem:
                    continue  # an interval that starts in a DST gap is skipped, not guessed
                while at + length <= close:
                    local = at.astimezone(zone)
                    if part == "morning" and local.time() >= NOON:
                        break
                    if part == "afternoon" and local.time() < NOON:
                        at += STEP
                        continue
                    needed = [at + STEP * i for i in range(int(length / STEP))]
                    if at > now and not any((provider.id, step) in taken for step in needed):
                        slots.append(Slot(provider.id, provider.name, local, (at + length).astimezone(zone), at))
                        at += length  # suggestions never overlap one another
                    else:
                        at += STEP
        return slots


class _BusySteps:
    """Booked steps per provider and day, counted a week at a time in one grouped query (the
    finder walks day by day, and on PostgreSQL each query is a round trip)."""

    WEEK = 7

    def __init__(self, session: Session, ctx: ServiceContext, provider_ids: list[int], last: dt.date) -> None:
        self.session, self.ctx, self.provider_ids, self.last = session, ctx, provider_ids, last
        self.counted: dict[dt.date, dict[int, int]] = {}

    def on(self, day: dt.date) -> dict[int, int]:
        if day not in self.counted:
            self._count(day)
        return self.counted[day]

    def _count(self, first: dt.date) -> None:
        days = [first + dt.timedelta(days=n) for n in range(self.WEEK) if first + dt.timedelta(days=n) <= self.last]
        edges = [day_bounds(d, self.ctx)[0] for d in days] + [day_bounds(days[-1], self.ctx)[1]]
        self.counted.update((d, {}) for d in days)
        # (one day needs no bucket: a constant in GROUP BY would name a column by its position)
        keys = [BookedSlot.provider_id, *([day_of(BookedSlot.slot_start, edges)] if len(days) > 1 else [])]
        for provider_id, *n, steps in self.session.execute(
                select(*keys, func.count())
                .where(BookedSlot.provider_id.in_(self.provider_ids), BookedSlot.slot_start >= edges[0],
                       BookedSlot.slot_start < edges[-1])
                .group_by(*keys)):
            self.counted[days[n[0] if n else 0]][provider_id] = steps


def _steps_in(intervals: Iterable[Interval]) -> int:
    """How many 5-minute steps a day's working intervals hold."""
    return sum((dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)) // STEP
               for start, end in intervals)


def _with_holiday_notes(ctx: ServiceContext, slots: list[Slot]) -> list[Slot]:
    """Mark slots on a public holiday (the clinic's country and state) the clinic has not closed:
    offered, since the clinic decides, but never without a word."""
    if not slots:
        return slots
    import holidays

    with ctx.db.read() as session:
        state = session.scalar(select(ClinicSettings.state)) or ""
    years = sorted({s.start.year for s in slots})
    supported = holidays.list_supported_countries().get("US", [])
    calendar = holidays.country_holidays("US", subdiv=state if state in supported else None, years=years)
    return [replace(s, note=f"{calendar[s.start.date()]}: a public holiday (the clinic is open)")
            if s.start.date() in calendar else s for s in slots]
