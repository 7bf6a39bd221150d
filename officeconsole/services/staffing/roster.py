"""The weekly rota: shifts per person and day, templates, copying a week, coverage and hours.

A provider's working time is their provider hours (services/scheduling/hours.py: weekly templates,
exceptions, holidays, time off), never rota shifts: the rota shows those hours read-only as
stretches with `source` "hours", counts them for the provider coverage rules and refuses a
shift for a provider (hours are set in Practice setup -> Hours).

A week is Monday to Sunday. Coverage is checked in 15-minute steps against the minimum
staffing rules, only while the clinic is open (its opening hours, confirmed holidays off);
the gaps come back merged into stretches so the screen can show "front desk 1 of 2,
12:30-13:30". Hours over 40 in a week are flagged as overtime.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from officeconsole.models import ClinicSettings, CoverageRule, Holiday, Provider, Shift, ShiftTemplate, TimeOff, User
from officeconsole.models.enums import Role
from officeconsole.models.roster import TimeOffStatus
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.scheduling.hours import DayHours, HoursCalendar, day_hours
from officeconsole.services.scheduling.schedule_time import TimeProblem, parse_day, parse_time
from officeconsole.services.security import audit

STEP = dt.timedelta(minutes=15)
OVERTIME_HOURS = 40.0
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS_ELSEWHERE = "hours are set in Practice setup -> Hours (F10 then h; h on the rota)"


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str
    role: str
    job_title: str
    provider_id: int | None = None  # set: their working time is their provider hours, not shifts

    @property
    def hours_driven(self) -> bool:
        return self.provider_id is not None or self.role == Role.PROVIDER


@dataclass(frozen=True)
class ShiftView:
    id: int
    user_id: int
    person: str
    role: str
    day: dt.date
    start: dt.time
    end: dt.time
    template: str
    note: str
    source: str = "shift"  # "hours": a provider's working time from their hours (read-only here)

    @property
    def hours(self) -> float:
        return _minutes(self.start, self.end) / 60

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Gap:
    day: dt.date
    role: str
    start: dt.time
    end: dt.time
    have: int
    need: int

    @property
    def describe(self) -> str:
        return (f"{self.day:%a %m/%d} {self.start:%H:%M}-{self.end:%H:%M}: {Role(self.role).label} "
                f"{self.have} of {self.need}")


@dataclass(frozen=True)
class TemplateView:
    id: int
    name: str
    role: str
    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class RuleView:
    id: int
    role: str
    minimum: int
    weekday: int | None
    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class Week:
    monday: dt.date
    people: list[Person]
    shifts: list[ShiftView]
    gaps: list[Gap]
    away: dict[tuple[int, dt.date], str]  # (user, day) -> kind of approved time off
    # (user, day) -> a provider's hours that day (template, exception, holiday or time off)
    provider_days: dict[tuple[int, dt.date], DayHours] = field(default_factory=dict)

    @property
    def days(self) -> list[dt.date]:
        return [self.monday + dt.timedelta(days=n) for n in range(7)]

    def hours(self, user_id: int) -> float:
        return sum(s.hours for s in self.shifts if s.user_id == user_id)

    def overtime(self, user_id: int) -> bool:
        return self.hours(user_id) > OVERTIME_HOURS

    def cell(self, user_id: int, day: dt.date) -> list[ShiftView]:
        return [s for s in self.shifts if s.user_id == user_id and s.day == day]


@dataclass(frozen=True)
class ShiftInput:
    user_id: int
    day: str | dt.date
    start: str | dt.time = ""
    end: str | dt.time = ""
    template_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class CopyResult:
    copied: int
    skipped: list[str]  # why each shift was not copied


class RosterService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # ----- reading -------------------------------------------------------------------
    @requires("roster.view")
    def week(self, day: dt.date | str | None = None) -> Week:
        monday = monday_of(parse_day(day) if day else self.ctx.today())
        sunday = monday + dt.timedelta(days=6)
        with self.ctx.db.read() as session:
            providers = provider_ids(session)
            people = [Person(u.id, u.full_name, u.role, u.job_title, providers.get(u.id)) for u in session.scalars(
                select(User).where(User.active.is_(True), (User.left_on.is_(None)) | (User.left_on >= monday),
                                   (User.hired_on.is_(None)) | (User.hired_on <= sunday))
                .order_by(User.role, User.full_name))]
            days = provider_days(session, people, monday, sunday)
            shifts = self._shifts(session, monday, sunday) + hours_stretches(people, days)
            shifts.sort(key=lambda s: (s.day, s.start))
            away = approved_absences(session, None, monday, sunday)
            gaps = coverage_gaps(session, shifts, monday, sunday)
        return Week(monday, people, shifts, gaps, away, days)

    @requires("roster.view")
    def on_duty(self, day: dt.date | None = None) -> list[ShiftView]:
        """Who is on shift on `day` (default today), by start time."""
        day = day or self.ctx.today()
        with self.ctx.db.read() as session:
            providers = provider_ids(session)
            people = [Person(u.id, u.full_name, u.role, u.job_title, providers[u.id]) for u in session.scalars(
                select(User).where(User.id.in_(list(providers)), User.active.is_(True)))]
            shifts = self._shifts(session, day, day) + hours_stretches(people, provider_days(session, people, day, day))
            return sorted(shifts, key=lambda s: (s.start, s.role, s.person))

    @requires("roster.view")
    def templates(self) -> list[TemplateView]:
        with self.ctx.db.read() as session:
            return [TemplateView(t.id, t.name, t.role, t.start_time, t.end_time)
                    for t in session.scalars(select(ShiftTemplate).order_by(ShiftTemplate.role, ShiftTemplate.start_time))]

    @requires("roster.view")
    def rules(self) -> list[RuleView]:
        with self.ctx.db.read() as session:
            return [RuleView(r.id, r.role, r.minimum, r.weekday, r.start_time, r.end_time)
                    for r in session.scalars(select(CoverageRule).order_by(CoverageRule.role, CoverageRule.start_time))]

    # ----- changing ------------------------------------------------------------------
    @requires("roster.manage")
    def add_template(self, name: str, role: str, start: str | dt.time, end: str | dt.time) -> TemplateView:
        name = clean_text(name, 40)
        errors = {} if name else {"name": "Name the template, e.g. Front AM."}
        if role not in {r.value for r in Role}:
            errors["role"] = "Choose the role the shift is for."
        begin, finish = _times(start, end, errors)
        if errors:
            raise ValidationError(errors)
        with self.ctx.db.write() as session:
            if session.scalar(select(ShiftTemplate.id).where(ShiftTemplate.name == name)):
                raise ValidationError({"name": f"There is a template called {name} already."})
            row = ShiftTemplate(name=name, role=role, start_time=begin, end_time=finish)
            session.add(row)
            session.flush()
            audit.record(session, self.ctx.now(), self.ctx.actor, "roster.template", entity="shift_template",
                         entity_id=row.id, summary=f"{name} {role} {begin:%H:%M}-{finish:%H:%M}")
            return TemplateView(row.id, name, role, begin, finish)

    @requires("roster.manage")
    def set_rule(self, role: str, minimum: int | str, start: str | dt.time, end: str | dt.time,
                 weekday: int | None = None) -> RuleView:
        errors: dict[str, str] = {}
        if role not in {r.value for r in Role}:
            errors["role"] = "Choose the role the rule is for."
        try:
            least = int(str(minimum).strip())
        except ValueError:
            least = 0
        if not 1 <= least <= 20:
            errors["minimum"] = "The minimum is a number of people from 1 to 20."
        begin, finish = _times(start, end, errors)
        if errors:
            raise ValidationError(errors)
        with self.ctx.db.write() as session:
            row = CoverageRule(role=role, minimum=least, weekday=weekday, start_time=begin, end_time=finish)
            session.add(row)
            session.flush()
            audit.record(session, self.ctx.now(), self.ctx.actor, "roster.rule", entity="coverage_rule",
                         entity_id=row.id, summary=f"{role} at least {least} {begin:%H:%M}-{finish:%H:%M}")
            return RuleView(row.id, role, least, weekday, begin, finish)

    @requires("roster.manage")
    def remove_rule(self, rule_id: int) -> None:
        with self.ctx.db.write() as session:
            row = get_or_fail(session, CoverageRule, rule_id, "staffing rule")
            audit.record(session, self.ctx.now(), self.ctx.actor, "roster.rule.remove", entity="coverage_rule",
                         entity_id=row.id, summary=f"{row.role} at least {row.minimum}")
            session.delete(row)

    @requires("roster.manage")
    def add_shift(self, data: ShiftInput) -> ShiftView:
        day = parse_day(data.day)
        with self.ctx.db.write() as session:
            person = get_or_fail(session, User, data.user_id, "staff member")
            if person.role == Role.PROVIDER or person.id in provider_ids(session):
                raise ValidationError({"start": f"{person.full_name} is a provider: their working time is their "
                                                f"provider hours, not rota shifts; {HOURS_ELSEWHERE}."})
            start, end, template = self._shape(session, data)
            problem = _cannot_work(session, person, day, start, end)
            if problem:
                raise ValidationError({"start": problem})
            row = Shift(user_id=person.id, day=day, start_time=start, end_time=end,
                        template_id=template.id if template else None, note=clean_text(data.note, 100),
                        updated_at=self.ctx.now())
            session.add(row)
            session.flush()
            audit.record(session, self.ctx.now(), self.ctx.actor, "roster.shift", entity="shift", entity_id=row.id,
                         summary=f"{person.full_name} {day:%Y-%m-%d} {start:%H:%M}-{end:%H:%M}")
            return ShiftView(row.id, person.id, person.full_name, person.role, day, start, end,
                             template.name if template else "", row.note)

    @requires("roster.manage")
    def remove_shift(self, shift_id: int) -> None:
        with self.ctx.db.write() as session:
            row = get_or_fail(session, Shift, shift_id, "shift")
            audit.record(session, self.ctx.now(), self.ctx.actor, "roster.shift.remove", entity="shift",
                         entity_id=row.id, summary=f"user {row.user_id} {row.day:%Y-%m-%d} "
                                                   f"{row.start_time:%H:%M}-{row.end_time:%H:%M}")
            session.delete(row)

    @requires("roster.manage")
    def copy_week(self, source: dt.date | str, target: dt.date | str) -> CopyResult:
        """Copy one week's shifts onto another, day for day, in one transaction. Shifts that would
        overlap what the target week holds, fall on approved time off or belong to someone who
        has left are skipped with the reason, so copying twice copies nothing twice."""
        source_monday, target_monday = monday_of(parse_day(source, "from")), monday_of(parse_day(target, "to"))
        if source_monday == target_monday:
            raise ValidationError({"to": "Copy a week onto a different week."})
        offset = target_monday - source_monday
        copied, skipped = 0, []
        with self.ctx.db.write() as session:
            rows = session.execute(select(Shift, User).join(User, User.id == Shift.user_id).where(
                Shift.day >= source_monday, Shift.day <= source_monday + dt.timedelta(days=6))
                .order_by(Shift.day, Shift.start_time)).all()
            providers = provider_ids(session)
            for shift, person in rows:
                if person.role == Role.PROVIDER or person.id in providers:
                    continue  # a provider's working time is their hours: old provider shifts are not copied
                day = shift.day + offset
                problem = _cannot_work(session, person, day, shift.start_time, shift.end_time)
                if problem:
                    skipped.append(f"{person.full_name} {day:%a %m/%d} {shift.start_time:%H:%M}-"
                                   f"{shift.end_time:%H:%M}: {problem}")
                    continue
                session.add(Shift(user_id=person.id, day=day, start_time=shift.start_time, end_time=shift.end_time,
                                  template_id=shift.template_id, note=shift.note, updated_at=self.ctx.now()))
                session.flush()
                copied += 1
            audit.record(session, self.ctx.now(), self.ctx.actor, "roster.copy_week", entity="shift",
                         summary=f"{source_monday:%Y-%m-%d} -> {target_monday:%Y-%m-%d}: {copied} copied, "
                                 f"{len(skipped)} skipped")
        return CopyResult(copied, skipped)

    @requires("roster.manage")
    def clear_week(self, day: dt.date | str) -> int:
        monday = monday_of(parse_day(day))
        with self.ctx.db.write() as session:
            deleted = session.execute(delete(Shift).where(Shift.day >= monday,
                                                          Shift.day <= monday + dt.timedelta(days=6)))
            removed = cast(CursorResult[Any], deleted).rowcount  # a DELETE's result is a CursorResult
            audit.record(session, self.ctx.now(), self.ctx.actor, "roster.clear_week", entity="shift",
                         summary=f"{monday:%Y-%m-%d}: {removed} shifts removed")
            return removed

    # ----- helpers -------------------------------------------------------------------
    def _shape(self, session: Session, data: ShiftInput) -> tuple[dt.time, dt.time, ShiftTemplate | None]:
        template = get_or_fail(session, ShiftTemplate, data.template_id, "shift template") if data.template_id else None
        errors: dict[str, str] = {}
        start, end = _times(data.start or (template.start_time if template else ""),
                            data.end or (template.end_time if template else ""), errors)
        if errors:
            raise ValidationError(errors)
        return start, end, template

    def _shifts(self, session: Session, first: dt.date, last: dt.date) -> list[ShiftView]:
        """Rota shifts of everyone but providers (whose shifts, from before hours were the one
        record of a provider's time, are neither shown nor counted)."""
        providers = provider_ids(session)
        rows = session.execute(
            select(Shift, User.full_name, User.role, ShiftTemplate.name).join(User, User.id == Shift.user_id)
            .outerjoin(ShiftTemplate, ShiftTemplate.id == Shift.template_id)
            .where(Shift.day >= first, Shift.day <= last, User.role != Role.PROVIDER)
            .order_by(Shift.day, Shift.start_time)).all()
        return [ShiftView(s.id, s.user_id, name, role, s.day, s.start_time, s.end_time, template or "", s.note)
                for s, name, role, template in rows if s.user_id not in providers]


def provider_ids(session: Session) -> dict[int, int]:
    """user id -> provider id, for active providers."""
    return dict(session.execute(select(Provider.user_id, Provider.id).where(Provider.active.is_(True))).all())


def provider_days(session: Session, people: list[Person], first: dt.date,
                  last: dt.date) -> dict[tuple[int, dt.date], DayHours]:
    """(user, day) -> the provider's hours that day, for the people who are providers."""
    providers = [(p.user_id, p.provider_id) for p in people if p.provider_id is not None]
    if not providers:
        return {}
    calendar = HoursCalendar(session, [provider_id for _user_id, provider_id in providers], first, last)
    days: dict[tuple[int, dt.date], DayHours] = {}
    for user_id, provider_id in providers:
        day = first
        while day <= last:
            days[user_id, day] = day_hours(calendar, provider_id, day)
            day += dt.timedelta(days=1)
    return days


def hours_stretches(people: list[Person], days: dict[tuple[int, dt.date], DayHours]) -> list[ShiftView]:
    """Providers' bookable intervals as read-only rota stretches (counted in hours and coverage
    under the provider role)."""
    names = {p.user_id: p.name for p in people}
    return [ShiftView(0, user_id, names[user_id], Role.PROVIDER.value, day, start, end, hours.source, hours.note,
                      source="hours")
            for (user_id, day), hours in days.items() if user_id in names for start, end in hours.intervals]


def approved_absences(session: Session, user_ids: list[int] | None, first: dt.date,
                      last: dt.date) -> dict[tuple[int, dt.date], str]:
    """(user, day) -> kind, for approved time off overlapping `first`..`last`."""
    query = select(TimeOff.user_id, TimeOff.first_day, TimeOff.last_day, TimeOff.kind).where(
        TimeOff.status == TimeOffStatus.APPROVED, TimeOff.first_day <= last, TimeOff.last_day >= first)
    if user_ids is not None:
        query = query.where(TimeOff.user_id.in_(user_ids))
    away: dict[tuple[int, dt.date], str] = {}
    for user_id, start, end, kind in session.execute(query):
        day = max(start, first)
        while day <= min(end, last):
            away[user_id, day] = kind
            day += dt.timedelta(days=1)
    return away


def coverage_gaps(session: Session, shifts: list[ShiftView], first: dt.date, last: dt.date) -> list[Gap]:
    settings = session.get(ClinicSettings, 1)
    opening = settings.opening_hours if settings else {}
    holidays = set(session.scalars(select(Holiday.day).where(Holiday.day >= first, Holiday.day <= last,
                                                             Holiday.confirmed.is_(True))))
    rules = session.scalars(select(CoverageRule)).all()
    on: dict[tuple[dt.date, str], list[ShiftView]] = defaultdict(list)
    for shift in shifts:
        on[shift.day, shift.role].append(shift)
    gaps: list[Gap] = []
    day = first
    while day <= last:
        hours = opening.get(WEEKDAY_KEYS[day.weekday()]) if day not in holidays else None
        if hours:
            open_at, close_at = parse_time(hours[0]), parse_time(hours[1])
            for rule in rules:
                if rule.weekday is not None and rule.weekday != day.weekday():
                    continue
                gaps += _rule_gaps(day, rule, max(rule.start_time, open_at), min(rule.end_time, close_at),
                                   on[day, rule.role])
        day += dt.timedelta(days=1)
    return sorted(gaps, key=lambda g: (g.day, g.start, g.role))


def _rule_gaps(day: dt.date, rule: CoverageRule, start: dt.time, end: dt.time, shifts: list[ShiftView]) -> list[Gap]:
    gaps: list[Gap] = []
    at = dt.datetime.combine(day, start)
    finish = dt.datetime.combine(day, end)
    current: tuple[dt.time, int] | None = None  # (start, have)
    while at < finish:
        moment = at.time()
        have = sum(1 for s in shifts if s.start <= moment < s.end)
        short = have < rule.minimum
        if current is not None and (not short or current[1] != have):  # a stretch of one shortfall ends
            gaps.append(Gap(day, rule.role, current[0], moment, current[1], rule.minimum))
            current = None
        if short and current is None:
            current = (moment, have)
        at += STEP
    if current is not None:
        gaps.append(Gap(day, rule.role, current[0], end, current[1], rule.minimum))
    return gaps


def _cannot_work(session: Session, person: User, day: dt.date, start: dt.time, end: dt.time) -> str:
    """Why `person` cannot take this shift ("" when they can)."""
    if not person.active or (person.left_on is not None and person.left_on < day):
        return f"{person.full_name} no longer works here."
    if person.hired_on is not None and person.hired_on > day:
        return f"{person.full_name} starts on {person.hired_on:%m/%d/%Y}."
    away = approved_absences(session, [person.id], day, day)
    if away:
        return f"{person.full_name} has approved time off ({away[person.id, day]}) that day."
    clash = session.scalar(select(Shift).where(Shift.user_id == person.id, Shift.day == day,
                                               Shift.start_time < end, Shift.end_time > start))
    if clash is not None:
        return (f"{person.full_name} already works {clash.start_time:%H:%M}-{clash.end_time:%H:%M} that day: "
                "shifts for one person cannot overlap.")
    return ""


def _times(start: str | dt.time, end: str | dt.time, errors: dict[str, str]) -> tuple[dt.time, dt.time]:
    begin = finish = dt.time(0)
    try:
        begin = parse_time(start)
    except TimeProblem as exc:
        errors["start"] = f"Start: {exc}."
    try:
        finish = parse_time(end)
    except TimeProblem as exc:
        errors["end"] = f"End: {exc}."
    if "start" not in errors and "end" not in errors and finish <= begin:
        errors["end"] = f"The shift ends ({finish:%H:%M}) before it starts ({begin:%H:%M})."
    return begin, finish


def _minutes(start: dt.time, end: dt.time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
