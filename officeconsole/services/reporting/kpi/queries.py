"""The dashboard's grouped queries. Each takes `edges` (UTC instants: bucket n holds
[edges[n], edges[n+1]); one bucket for a period, twelve for a monthly trend) and returns
counts per bucket, summed in the database over the indexes the reports use
(appointment start, ledger and A/R posting time, patient registration). Nothing here loads a
visit row by row. Amounts are whole cents.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Select,
    SQLColumnExpression,
    and_,
    case,
    exists,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from officeconsole.db.types import UTCDateTime
from officeconsole.models import Appointment, AppointmentEvent, ArEntry, LedgerEntry, User
from officeconsole.models.enums import AppointmentStatus as S
from officeconsole.models.ledger import EntryKind
from officeconsole.services.reporting.report_queries import cents, day_of, minutes_between

ON_TIME_MINUTES = 15  # scheduling accuracy: the provider came in within this of the booked time
LATE_CANCEL_HOURS = 24  # a cancellation this close to the visit is a late one


def _in(column: SQLColumnExpression[dt.datetime], edges: list[dt.datetime]) -> ColumnElement[bool]:
    return and_(column >= edges[0], column < edges[-1])


def _provider_came_in() -> ScalarSelect[Any]:
    """When the provider came in: the latest "with provider" step (an undone one is followed by
    a new one), as the flow board and the wait-time report read it."""
    return (select(func.max(AppointmentEvent.at))
            .where(AppointmentEvent.appointment_id == Appointment.id, AppointmentEvent.action == "status",
                   AppointmentEvent.to_status == S.WITH_PROVIDER)
            .correlate(Appointment).scalar_subquery())


def waits(session: Session, edges: list[dt.datetime]) -> dict[int, Counter[tuple[int, bool]]]:
    """bucket -> {(wait minutes, on time): visits} for the visits that reached the provider.

    Wait: from the later of arrival and the booked time to the provider coming in, so an early
    arrival does not count as waiting; never below zero. On time: the provider came in no more
    than ON_TIME_MINUTES before or after the booked time."""
    waited_from = case((Appointment.arrived_at > Appointment.start_at, Appointment.arrived_at),
                       else_=Appointment.start_at)
    timed = (select(day_of(Appointment.start_at, edges).label("b"), waited_from.label("since"),
                    Appointment.start_at.label("booked"), _provider_came_in().label("seen"))
             .where(_in(Appointment.start_at, edges), Appointment.status.in_((S.WITH_PROVIDER, S.CHECKED_OUT)),
                    Appointment.arrived_at.is_not(None))
             .subquery())
    spans = (select(timed.c.b, minutes_between(timed.c.since, timed.c.seen).label("m"),
                    minutes_between(timed.c.booked, timed.c.seen).label("late"))
             .where(timed.c.seen.is_not(None)).subquery())
    wait = case((spans.c.m < 0, 0), else_=spans.c.m)
    on_time = case((spans.c.late.between(-ON_TIME_MINUTES, ON_TIME_MINUTES), 1), else_=0)
    found: dict[int, Counter[tuple[int, bool]]] = defaultdict(Counter)
    for bucket, minutes, punctual, n in session.execute(
            select(spans.c.b, wait, on_time, func.count()).group_by(spans.c.b, wait, on_time)):
        found[bucket][(int(minutes), bool(punctual))] += n
    return found


def _grouped(session: Session, inner: Select[*tuple[Any, ...]], *keys: str) -> dict[Any, int]:
    sub = inner.subquery()
    columns = [sub.c[k] for k in keys]
    return {tuple(row[:-1]) if len(keys) > 1 else row[0]: row[-1]
            for row in session.execute(select(*columns, func.count()).group_by(*columns))}


def late_cancels(session: Session, edges: list[dt.datetime]) -> dict[int, int]:
    """bucket -> visits cancelled less than LATE_CANCEL_HOURS before their time."""
    late = exists().where(AppointmentEvent.appointment_id == Appointment.id,
                          AppointmentEvent.action == "cancelled",
                          minutes_between(AppointmentEvent.at, Appointment.start_at) < LATE_CANCEL_HOURS * 60)
    return _grouped(session, select(day_of(Appointment.start_at, edges).label("b"))
                    .where(_in(Appointment.start_at, edges), Appointment.status == S.CANCELLED, late), "b")


def reschedules(session: Session, edges: list[dt.datetime]) -> dict[int, int]:
    """bucket -> moves of the visits booked for then (each move of a visit counts)."""
    return _grouped(session, select(day_of(Appointment.start_at, edges).label("b")).select_from(Appointment)
                    .join(AppointmentEvent, AppointmentEvent.appointment_id == Appointment.id)
                    .where(_in(Appointment.start_at, edges), AppointmentEvent.action == "moved"), "b")


def overrides(session: Session, edges: list[dt.datetime]) -> dict[int, int]:
    """bucket -> visits (not cancelled) booked or moved with a rule set aside: outside working
    hours, in the past, over the patient's other booking."""
    return _grouped(session, select(day_of(Appointment.start_at, edges).label("b"))
                    .where(_in(Appointment.start_at, edges), Appointment.status != S.CANCELLED,
                           Appointment.override_reason != ""), "b")


def booked_minutes(session: Session, edges: list[dt.datetime]) -> dict[tuple[int, int], int]:
    """(bucket, provider) -> minutes booked (every visit not cancelled, no-shows included)."""
    sub = (select(day_of(Appointment.start_at, edges).label("b"), Appointment.provider_id,
                  minutes_between(Appointment.start_at, Appointment.end_at).label("m"))
           .where(_in(Appointment.start_at, edges), Appointment.status != S.CANCELLED).subquery())
    return {(b, p): int(m) for b, p, m in session.execute(
        select(sub.c.b, sub.c.provider_id, func.sum(sub.c.m)).group_by(sub.c.b, sub.c.provider_id))}


def check_ins(session: Session, edges: list[dt.datetime]) -> dict[int, int]:
    """user -> patients checked in (the step to "arrived") for visits booked in the range."""
    return _grouped(session, select(AppointmentEvent.user_id.label("u"))
                    .join(Appointment, Appointment.id == AppointmentEvent.appointment_id)
                    .where(_in(Appointment.start_at, edges), AppointmentEvent.action == "status",
                           AppointmentEvent.to_status == S.ARRIVED), "u")


def payments_by_user(session: Session, edges: list[dt.datetime]) -> dict[int, tuple[int, int]]:
    """user -> (desk payments taken, cents taken with voids netted) posted in the range."""
    taken = case((LedgerEntry.kind == EntryKind.PAYMENT, 1), else_=0)
    sub = (select(LedgerEntry.posted_by_id.label("u"), taken.label("n"), cents(LedgerEntry.amount).label("c"))
           .where(_in(LedgerEntry.posted_at, edges), LedgerEntry.kind.in_([EntryKind.PAYMENT, EntryKind.VOID]))
           .subquery())
    return {u: (int(n or 0), -int(c or 0)) for u, n, c in session.execute(
        select(sub.c.u, func.sum(sub.c.n), func.sum(sub.c.c)).group_by(sub.c.u))}


def claims_worked(session: Session, edges: list[dt.datetime]) -> dict[int, int]:
    """user -> claims (encounters) on which the user posted anything to A/R in the range: the
    claim's charges, a payment, an adjustment, a write-off, a move to the patient."""
    sub = (select(ArEntry.posted_by_id.label("u"), ArEntry.encounter_id.label("e"))
           .where(_in(ArEntry.posted_at, edges)).subquery())
    return dict(session.execute(select(sub.c.u, func.count(func.distinct(sub.c.e))).group_by(sub.c.u)).all())


def waiting_now(session: Session, start: dt.datetime, end: dt.datetime) -> tuple[int, dt.datetime | None]:
    """Patients arrived today and not yet with the provider, and since when the longest has
    waited (the later of arrival and the booked time)."""
    since = case((Appointment.arrived_at > Appointment.start_at, Appointment.arrived_at), else_=Appointment.start_at)
    n, earliest = session.execute(
        select(func.count(), type_coerce(func.min(since), UTCDateTime))
        .where(Appointment.start_at >= start, Appointment.start_at < end,
               Appointment.status.in_((S.ARRIVED, S.ROOMED)))).one()
    return int(n or 0), earliest


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    ids = [i for i in ids if i is not None]
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all()) if ids else {}

