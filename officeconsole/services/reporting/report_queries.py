"""The grouped queries behind the reports: every figure is summed in the database, per local day.

A report covers a run of the clinic's local days, each a half-open UTC interval (23 or 25
hours on DST days). `day_of` turns a stored UTC instant into its day's index with a binary
CASE over the day edges (about log2(days) comparisons a row, the same SQL on both engines),
so a month of appointments is counted in one indexed range scan and never loaded row by
row. The day is computed in a subquery and grouped outside it, so PostgreSQL never has to
match two copies of the CASE whose bound parameters differ. Amounts are summed as whole
cents: exact on SQLite, which keeps NUMERIC as REAL.
Query helpers take a Session and return plain dicts; they never commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Select, SQLColumnExpression, case, cast, func, literal_column, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from officeconsole.models import (
    Appointment,
    AppointmentEvent,
    ArEntry,
    ChargeLine,
    Encounter,
    LedgerEntry,
    Patient,
    Provider,
    User,
    VisitConfirmation,
)
from officeconsole.models.billing import EncounterStatus
from officeconsole.models.claims import Account, ArKind
from officeconsole.models.enums import AppointmentStatus as S
from officeconsole.models.ledger import EntryKind

# Every state, so `status IN (...) AND date_of_service BETWEEN` can use ix_encounter_status_service.
ENCOUNTER_STATES = [s.value for s in EncounterStatus]


def day_edges(start: dt.date, end: dt.date, zone: ZoneInfo) -> list[dt.datetime]:
    """The UTC instants of each local midnight from `start` to the one after `end`."""
    return [dt.datetime.combine(start + dt.timedelta(days=n), dt.time(0), zone).astimezone(dt.UTC)
            for n in range((end - start).days + 2)]


def day_of(column: SQLColumnExpression[dt.datetime], edges: list[dt.datetime]) -> SQLColumnExpression[int]:
    """SQL for the index of the day holding `column` (rows already limited to the edges)."""

    def split(low: int, high: int) -> SQLColumnExpression[int]:
        if high - low == 1:
            return literal_column(str(low), Integer)
        middle = (low + high) // 2
        return case((column < edges[middle], split(low, middle)), else_=split(middle, high))

    return split(0, len(edges) - 1)


def cents(amount: SQLColumnExpression[Any]) -> SQLColumnExpression[int]:
    return cast(func.round(amount * 100), Integer)


class minutes_between(FunctionElement[int]):  # noqa: N801 - reads as the SQL function it is
    """Whole minutes from the first timestamp to the second (floored; stored naive UTC)."""

    type = Integer()
    inherit_cache = True
    name = "minutes_between"


@compiles(minutes_between)
def _minutes_postgresql(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM ({end}) - ({start})) / 60) AS INTEGER)"


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((CAST(strftime('%s', {end}) AS INTEGER) - CAST(strftime('%s', {start}) AS INTEGER)) / 60)"


def provider_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Provider.id, User.full_name).join(User, User.id == Provider.user_id)).all())


def appointment_counts(session: Session, edges: list[dt.datetime]) -> dict[tuple[int, int, str], int]:
    """(day, provider, status) -> appointments starting that day, every status."""
    sub = (select(day_of(Appointment.start_at, edges).label("day"), Appointment.provider_id, Appointment.status)
           .where(Appointment.start_at >= edges[0], Appointment.start_at < edges[-1]).subquery())
    return {(day, provider, status): n for day, provider, status, n in session.execute(
        select(sub.c.day, sub.c.provider_id, sub.c.status, func.count())
        .group_by(sub.c.day, sub.c.provider_id, sub.c.status))}


def confirmed_no_shows(session: Session, edges: list[dt.datetime]) -> dict[tuple[int, int, str], int]:
    """(day, provider, CONFIRMED_NO_SHOW) -> no-shows the patient had confirmed (services/scheduling/reminders.py)."""
    sub = (select(day_of(Appointment.start_at, edges).label("day"), Appointment.provider_id)
           .join(VisitConfirmation, VisitConfirmation.appointment_id == Appointment.id)
           .where(Appointment.start_at >= edges[0], Appointment.start_at < edges[-1],
                  Appointment.status == S.NO_SHOW, VisitConfirmation.state == "confirmed").subquery())
    return {(day, provider, CONFIRMED_NO_SHOW): n for day, provider, n in session.execute(
        select(sub.c.day, sub.c.provider_id, func.count()).group_by(sub.c.day, sub.c.provider_id))}


CONFIRMED_NO_SHOW = "confirmed_no_show"


def charges(session: Session, start: dt.date, end: dt.date) -> dict[tuple[dt.date, int], tuple[int, int]]:
    """(date of service, provider) -> (visits with an encounter, charges in cents: fee x units)."""
    rows = session.execute(
        select(Encounter.date_of_service, Encounter.provider_id, func.count(func.distinct(Encounter.id)),
               func.sum(cents(ChargeLine.fee) * ChargeLine.units))
        .outerjoin(ChargeLine, ChargeLine.encounter_id == Encounter.id)
        .where(Encounter.status.in_(ENCOUNTER_STATES), Encounter.date_of_service >= start,
               Encounter.date_of_service <= end)
        .group_by(Encounter.date_of_service, Encounter.provider_id))
    return {(day, provider): (visits, int(total or 0)) for day, provider, visits, total in rows}


def desk_money(session: Session, edges: list[dt.datetime]) -> dict[tuple[int, str], int]:
    """(day, method) -> desk money taken in cents. A void counts against its payment's method on
    the day it is posted; entries are summed, never de-duplicated."""
    sub = (select(day_of(LedgerEntry.posted_at, edges).label("day"), LedgerEntry.method,
                  cents(LedgerEntry.amount).label("c"))
           .where(LedgerEntry.posted_at >= edges[0], LedgerEntry.posted_at < edges[-1],
                  LedgerEntry.kind.in_([EntryKind.PAYMENT, EntryKind.VOID])).subquery())
    return {(day, method): -int(total) for day, method, total in session.execute(
        select(sub.c.day, sub.c.method, func.sum(sub.c.c)).group_by(sub.c.day, sub.c.method)) if method}


def insurer_money(session: Session, edges: list[dt.datetime], *, by_provider: bool = False
                  ) -> dict[tuple[int, int, str], int]:
    """(day, provider, kind) -> insurer payments (kind payment) and adjustments (any account)
    posted that day, in cents, as positive figures. `by_provider` names the claim's provider
    (a join per entry); without it the provider is 0."""
    provider = Encounter.provider_id if by_provider else literal_column("0", Integer)
    inner: Select[int, int, str, int] = (
        select(day_of(ArEntry.posted_at, edges).label("day"), provider.label("provider_id"), ArEntry.kind,
               cents(ArEntry.amount).label("c"))
        .where(ArEntry.posted_at >= edges[0], ArEntry.posted_at < edges[-1],
               # `kind || ''`: read by posting time (the kind's index would look up every payment
               # and adjustment ever posted, whatever the range)
               or_(ArEntry.kind.concat("") == ArKind.ADJUSTMENT,
                   (ArEntry.kind.concat("") == ArKind.PAYMENT) & (ArEntry.account == Account.INSURER))))
    if by_provider:
        inner = inner.join(Encounter, Encounter.id == ArEntry.encounter_id)
    sub = inner.subquery()
    return {(day, provider, kind): -int(total) for day, provider, kind, total in session.execute(
        select(sub.c.day, sub.c.provider_id, sub.c.kind, func.sum(sub.c.c))
        .group_by(sub.c.day, sub.c.provider_id, sub.c.kind))}


def new_patients(session: Session, edges: list[dt.datetime]) -> dict[int, int]:
    sub = (select(day_of(Patient.created_at, edges).label("day"))
           .where(Patient.created_at >= edges[0], Patient.created_at < edges[-1]).subquery())
    return dict(session.execute(select(sub.c.day, func.count()).group_by(sub.c.day)).all())


def waits(session: Session, edges: list[dt.datetime]) -> dict[tuple[int, int, int], int]:
    """(day, provider, minutes) -> visits: arrival to the provider coming in, for visits that got
    that far. The provider's time is the latest "with provider" step (an undone one is followed
    by a new one), as the flow board and the timeline read it."""
    seen = (select(func.max(AppointmentEvent.at))
            .where(AppointmentEvent.appointment_id == Appointment.id, AppointmentEvent.action == "status",
                   AppointmentEvent.to_status == S.WITH_PROVIDER)
            .correlate(Appointment).scalar_subquery())
    timed = (select(day_of(Appointment.start_at, edges).label("day"), Appointment.provider_id,
                    Appointment.arrived_at, seen.label("seen"))
             .where(Appointment.start_at >= edges[0], Appointment.start_at < edges[-1],
                    Appointment.status.in_((S.WITH_PROVIDER, S.CHECKED_OUT)), Appointment.arrived_at.is_not(None))
             .subquery())
    sub = (select(timed.c.day, timed.c.provider_id, minutes_between(timed.c.arrived_at, timed.c.seen).label("m"))
           .where(timed.c.seen.is_not(None)).subquery())
    found: dict[tuple[int, int, int], int] = defaultdict(int)
    for day, provider, minutes, n in session.execute(
            select(sub.c.day, sub.c.provider_id, sub.c.m, func.count())
            .group_by(sub.c.day, sub.c.provider_id, sub.c.m)):
        found[(day, provider, int(minutes))] += n
    return dict(found)
