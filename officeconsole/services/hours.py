"""Providers' working hours: the weekly template, one-day exceptions and clinic holidays.

`working_intervals` is the single answer to "when does this provider work on this day",
used by booking (and later by the slot finder and the schedule screen).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from officeconsole.models import Holiday, Provider, ScheduleException, TimeOff, WorkingHours
from officeconsole.models.roster import TimeOffStatus
from officeconsole.services import audit
from officeconsole.services.context import ServiceContext
from officeconsole.services.errors import NotFound, ValidationError
from officeconsole.services.permissions import requires
from officeconsole.services.schedule_time import STEP_MINUTES, TimeProblem, parse_day, parse_time
from officeconsole.services.text import clean_text

Interval = tuple[dt.time, dt.time]
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class HoursCalendar:
    """Working hours of some providers over a date range, read in three queries.

    The slot finder asks about hundreds of provider-days; this answers them from memory.
    """

    def __init__(self, session: Session, provider_ids: list[int], first: dt.date, last: dt.date) -> None:
        self.holidays = set(session.scalars(select(Holiday.day).where(
            Holiday.day >= first, Holiday.day <= last, Holiday.confirmed.is_(True))))
        self.exceptions: dict[tuple[int, dt.date], list[Interval]] = {}
        for provider_id, day, start, end in session.execute(
                select(ScheduleException.provider_id, ScheduleException.day, ScheduleException.start_time,
                       ScheduleException.end_time)
                .where(ScheduleException.provider_id.in_(provider_ids),
                       ScheduleException.day >= first, ScheduleException.day <= last)):
            intervals = self.exceptions.setdefault((provider_id, day), [])
            if start is not None:
                intervals.append((start, end))
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
        self.week: dict[tuple[int, int], list[Interval]] = {}
        for provider_id, weekday, start, end in session.execute(
                select(WorkingHours.provider_id, WorkingHours.weekday, WorkingHours.start_time,
                       WorkingHours.end_time)
                .where(WorkingHours.provider_id.in_(provider_ids)).order_by(WorkingHours.start_time)):
            self.week.setdefault((provider_id, weekday), []).append((start, end))

    def intervals(self, provider_id: int, day: dt.date) -> list[Interval]:
        if day in self.holidays or (provider_id, day) in self.away:
            return []
        if (provider_id, day) in self.exceptions:
            return sorted(self.exceptions[provider_id, day])
        return list(self.week.get((provider_id, day.weekday()), []))


def working_intervals(session: Session, provider_id: int, day: dt.date) -> list[Interval]:
    """The provider's working intervals on `day`, in order; [] on a day off or a holiday."""
    return HoursCalendar(session, [provider_id], day, day).intervals(provider_id, day)


def parse_intervals(text_intervals: list[tuple[str, str]], label: str) -> list[Interval]:
    """('08:00', '12:00') pairs checked: real times, 5-minute steps, in order, not overlapping."""
    intervals = []
    for start_text, end_text in text_intervals:
        try:
            start, end = parse_time(start_text), parse_time(end_text)
        except TimeProblem as exc:
            raise ValidationError({"hours": f"{label}: {exc}."}) from None
        if end <= start:
            raise ValidationError({"hours": f"{label}: {start:%H:%M}-{end:%H:%M} ends before it starts."})
        if start.minute % STEP_MINUTES or end.minute % STEP_MINUTES:
            raise ValidationError({"hours": f"{label}: hours are in {STEP_MINUTES}-minute steps."})
        intervals.append((start, end))
    intervals.sort()
    for (_, first_end), (second_start, _) in zip(intervals, intervals[1:]):
        if second_start < first_end:
            raise ValidationError({"hours": f"{label}: the intervals overlap."})
    return intervals


class HoursService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("schedule.view")
    def intervals(self, provider_id: int, day: dt.date) -> list[Interval]:
        with self.ctx.db.read() as session:
            _provider(session, provider_id)
            return working_intervals(session, provider_id, day)

    @requires("schedule.manage")
    def set_week(self, provider_id: int, week: dict[int, list[tuple[str, str]]]) -> None:
        """Replace the weekly template; a weekday left out is a day off. Lunch is a gap."""
        parsed = {day: parse_intervals(pairs, WEEKDAYS[day]) for day, pairs in week.items()}
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            provider = _provider(session, provider_id)
            session.execute(delete(WorkingHours).where(WorkingHours.provider_id == provider_id))
            for weekday, intervals in parsed.items():
                for start, end in intervals:
                    session.add(WorkingHours(provider_id=provider_id, weekday=weekday,
                                             start_time=start, end_time=end))
            summary = "; ".join(f"{WEEKDAYS[d][:3]} " + ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in iv)
                                for d, iv in sorted(parsed.items()) if iv)
            audit.record(session, now, self.ctx.actor, "hours.set_week", entity="provider",
                         entity_id=provider.id, summary=summary or "no working days")

    @requires("schedule.manage")
    def set_day(self, provider_id: int, day: str | dt.date, intervals: list[tuple[str, str]],
                note: str = "") -> None:
        """Different hours on one date; no intervals means the provider is off that day."""
        date = parse_day(day)
        parsed = parse_intervals(intervals, f"{date:%m/%d/%Y}")
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            provider = _provider(session, provider_id)
            session.execute(delete(ScheduleException).where(
                ScheduleException.provider_id == provider_id, ScheduleException.day == date))
            rows = parsed or [(None, None)]
            for start, end in rows:
                session.add(ScheduleException(provider_id=provider_id, day=date, start_time=start,
                                              end_time=end, note=clean_text(note, 200)))
            audit.record(session, now, self.ctx.actor, "hours.set_day", entity="provider",
                         entity_id=provider.id,
                         summary=f"{date:%Y-%m-%d}: " + (", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in parsed)
                                                          or "off"))

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
    def add_holiday(self, day: str | dt.date, name: str) -> None:
        """A confirmed clinic holiday: nobody is bookable that day without an override."""
        date = parse_day(day)
        name = clean_text(name, 120)
        if not name:
            raise ValidationError({"name": "A holiday needs a name."})
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            holiday = session.scalar(select(Holiday).where(Holiday.day == date))
            if holiday is None:
                holiday = Holiday(day=date, name=name)
                session.add(holiday)
            holiday.name, holiday.confirmed = name, True
            holiday.confirmed_by_id = self.ctx.actor_or_fail().user_id
            audit.record(session, now, self.ctx.actor, "holiday.confirm", entity="holiday",
                         entity_id=date.isoformat(), summary=name)


@dataclass(frozen=True)
class HolidaySuggestion:
    day: dt.date
    name: str
    confirmed: bool


def _provider(session: Session, provider_id: int) -> Provider:
    provider = session.get(Provider, provider_id)
    if provider is None:
        raise NotFound(f"No provider has id {provider_id}.")
    return provider
