"""Closed days: once the nightly close locks a day, nothing dated in it changes.

The rule is kept in one place, a `before_flush` hook on every session, so no service can
forget it: appointments whose time falls in a closed day (booked, moved in or out,
cancelled, checked in or out), encounters and charge lines with a date of service in one,
and desk or insurer money posted in one are all refused with a message that says how to
reopen. Later work on an earlier day (a void, a late insurer payment, a claim sent) is
dated today and is allowed; claim states, diagnoses and demographics are not day-dated.
Database triggers on the money tables (migration 0008) are the floor under this.

The hook is attached to a database's writer sessions when a `ServiceContext` is first built
over it (`Database.on_write_flush`), so the database layer knows nothing of the rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from officeconsole.models import Appointment, ArEntry, ChargeLine, ClosedDay, Encounter, LedgerEntry, User
from officeconsole.services.common.errors import OfficeError
from officeconsole.services.practice.clinic import clinic_timezone


class DayClosed(OfficeError):
    """A change dated in a day the close-out locked."""

    def __init__(self, day: dt.date, closed_by: str, closed_at: dt.datetime) -> None:
        self.day = day
        super().__init__(
            f"{day:%A %m/%d/%Y} is closed (by {closed_by} at {closed_at:%m/%d %H:%M}); nothing dated that day "
            f"can change. A manager can reopen it: `officeconsole reopen-day {day:%Y-%m-%d} --reason \"...\"`")


@dataclass(frozen=True)
class Closure:
    day: dt.date
    closed_at: dt.datetime  # clinic time
    closed_by: str
    close_run_id: int
    backup_file: str
    backed_up_at: dt.datetime | None


def closure(session: Session, day: dt.date, zone: ZoneInfo) -> Closure | None:
    """The day's active lock, if it is closed."""
    row = session.execute(select(ClosedDay, User.full_name).join(User, User.id == ClosedDay.closed_by_id)
                          .where(ClosedDay.day == day, ClosedDay.reopened_at.is_(None))).first()
    if row is None:
        return None
    closed, name = row
    return Closure(closed.day, closed.closed_at.astimezone(zone), name, closed.close_run_id, closed.backup_file,
                   closed.backed_up_at)


def refuse_closed(session: Session, days: Iterable[dt.date]) -> None:
    """Raise DayClosed when any of `days` is closed."""
    wanted = sorted(set(days))
    if not wanted:
        return
    with session.no_autoflush:
        row = session.execute(select(ClosedDay.day, ClosedDay.closed_at, User.full_name)
                              .join(User, User.id == ClosedDay.closed_by_id)
                              .where(ClosedDay.day.in_(wanted), ClosedDay.reopened_at.is_(None))
                              .order_by(ClosedDay.day).limit(1)).first()
        if row is not None:
            raise DayClosed(row.day, row.full_name, row.closed_at.astimezone(_zone(session)))


def day_bounds_utc(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone).astimezone(dt.UTC)
    return start, end


def lock(session: Session, day: dt.date, zone: ZoneInfo, now: dt.datetime, user_id: int, run_id: int) -> ClosedDay:
    """Lock `day` inside the caller's transaction (the close-out's last writing step)."""
    starts_at, ends_at = day_bounds_utc(day, zone)
    row = ClosedDay(day=day, starts_at=starts_at, ends_at=ends_at, closed_at=now, closed_by_id=user_id,
                    close_run_id=run_id)
    session.add(row)
    session.flush()
    return row


# ----- the guard ------------------------------------------------------------------------
def _zone(session: Session) -> ZoneInfo:
    if "clinic_zone" not in session.info:
        with session.no_autoflush:
            session.info["clinic_zone"] = clinic_timezone(session)
    zone: ZoneInfo = session.info["clinic_zone"]
    return zone


def _local(at: dt.datetime | None, zone: ZoneInfo) -> list[dt.date]:
    return [] if at is None else [at.astimezone(zone).date()]


def _old(obj: object, name: str) -> list[Any]:
    """The value an attribute had when it was loaded (empty when unchanged)."""
    return [v for v in inspect(obj).attrs[name].history.deleted if v is not None]


def _service_day(session: Session, line: ChargeLine) -> list[dt.date]:
    encounter = line.__dict__.get("encounter") or session.get(Encounter, line.encounter_id)
    return [encounter.date_of_service] if encounter is not None else []


def _dated(session: Session, obj: object, zone: ZoneInfo, changed: bool) -> list[dt.date]:
    if isinstance(obj, Appointment):
        old = [d for at in _old(obj, "start_at") for d in _local(at, zone)] if changed else []
        return _local(obj.start_at, zone) + old
    if isinstance(obj, LedgerEntry | ArEntry):
        return _local(obj.posted_at, zone)
    if isinstance(obj, Encounter):
        if not changed:
            return [obj.date_of_service]
        old = _old(obj, "date_of_service")
        return [obj.date_of_service, *old] if old else []  # claim work on an old visit is allowed
    if isinstance(obj, ChargeLine):
        return _service_day(session, obj)
    return []


_WATCHED = (Appointment, LedgerEntry, ArEntry, Encounter, ChargeLine)


def refuse_changes_in_closed_days(session: Session, flush_context: UOWTransaction, instances: object) -> None:
    watched = [(o, False) for o in session.new if isinstance(o, _WATCHED)]
    watched += [(o, True) for o in session.dirty if isinstance(o, _WATCHED) and session.is_modified(o)]
    watched += [(o, False) for o in session.deleted if isinstance(o, _WATCHED)]
    locking = any(isinstance(o, ClosedDay) for o in (*session.new, *session.dirty, *session.deleted))
    if locking:  # a day locked or reopened in this flush: what was known open is asked again, later too
        session.info.pop(_OPEN_DAYS, None)
    if not watched:
        return
    with session.no_autoflush:
        zone = _zone(session)
        days = {d for obj, changed in watched for d in _dated(session, obj, zone, changed)}
        known_open = _open_days(session)
        refuse_closed(session, days - known_open)
        if not locking:
            known_open |= days


_OPEN_DAYS = "open_days_this_transaction"


def _open_days(session: Session) -> set[dt.date]:
    """Days this transaction has already found open: a batch that writes a thousand rows dated
    in one week asks about that week once, not once per write. (Another user's close between
    two writes of this transaction is caught by the money tables' triggers.)"""
    transaction = session.get_transaction()
    cached = session.info.get(_OPEN_DAYS)
    if cached is None or cached[0] is not transaction:
        cached = (transaction, set())
        session.info[_OPEN_DAYS] = cached
    days: set[dt.date] = cached[1]
    return days
