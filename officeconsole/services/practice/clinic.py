"""Clinic settings: name, address, identifiers, time zone, opening hours."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from officeconsole.models import ClinicSettings, Counter
from officeconsole.services.common.errors import NotFound

DEFAULT_TIMEZONE = "America/New_York"
DEFAULT_HOURS = {
    "mon": ["08:00", "17:00"],
    "tue": ["08:00", "17:00"],
    "wed": ["08:00", "17:00"],
    "thu": ["08:00", "17:00"],
    "fri": ["08:00", "17:00"],
    "sat": None,
    "sun": None,
}


@dataclass(frozen=True)
class ClinicInfo:
    name: str
    timezone: str
    address: str
    phone: str
    npi: str
    state: str = ""  # a new patient's state starts as the clinic's (a real value, not a grey hint)


def valid_timezone(name: str) -> bool:
    if name not in available_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def clinic_timezone(session: Session) -> ZoneInfo:
    return stored_timezone(session) or ZoneInfo(DEFAULT_TIMEZONE)


def stored_timezone(session: Session) -> ZoneInfo | None:
    """The clinic's zone, or None before the first-start wizard has set the clinic up."""
    zone = session.scalar(select(ClinicSettings.timezone).where(ClinicSettings.id == 1))
    return ZoneInfo(zone) if zone else None


def clinic_row(session: Session) -> ClinicSettings:
    """The clinic's settings row, for work that needs the clinic set up; NotFound before it is."""
    row = session.get(ClinicSettings, 1)
    if row is None:
        raise NotFound("The clinic is not set up yet: run the first-start wizard or `officeconsole setup init`.")
    return row


def clinic_info(session: Session) -> ClinicInfo | None:
    row = session.get(ClinicSettings, 1)
    if row is None:
        return None
    address = ", ".join(
        part for part in (row.address_line1, row.city, f"{row.state} {row.postal_code}".strip()) if part
    )
    return ClinicInfo(row.name, row.timezone, address, row.phone, row.npi, row.state or "")


def next_number(session: Session, name: str, start: int = 1, count: int = 1) -> int:
    """The next value of a named counter, inside the caller's write transaction; with `count`,
    the first of that many consecutive values, all taken at once (a bulk import's MRNs).

    The UPDATE takes a row lock on PostgreSQL, and SQLite writers are serialised by
    BEGIN IMMEDIATE, so two consoles never get the same number.
    """
    counter = session.execute(
        select(Counter).where(Counter.name == name).with_for_update()
    ).scalar_one_or_none()
    if counter is None:
        try:
            with session.begin_nested():  # two first-ever numbers at once: one insert wins
                session.add(Counter(name=name, next_value=start))
        except IntegrityError:
            pass
        counter = session.execute(
            select(Counter).where(Counter.name == name).with_for_update()
        ).scalar_one()
    value = counter.next_value
    counter.next_value = value + count
    session.flush()
    return value
