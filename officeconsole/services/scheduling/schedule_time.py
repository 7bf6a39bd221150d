"""Wall-clock times in the clinic's zone, turned into instants without DST surprises.

A local time that does not exist (02:30 on the spring-forward day) is refused rather than
moved; a time that happens twice (01:30 on the fall-back day) must say which one it means.
Appointments start and last in 5-minute steps and stay within one local day.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

STEP_MINUTES = 5
STEP = dt.timedelta(minutes=STEP_MINUTES)
_TIME = re.compile(r"^\s*(\d{1,2})(?::?(\d{2}))?\s*([ap]\.?m?\.?)?\s*$", re.IGNORECASE)


def parse_day(value: str | dt.date | None, field: str = "day") -> dt.date:
    """A required date as typed ('2026-11-30', '11/30/2026'); ValidationError names the field."""
    from officeconsole.services.common.errors import ValidationError
    from officeconsole.services.common.text import parse_date

    try:
        day = parse_date(value)
    except ValueError as exc:
        raise ValidationError({field: f"Date: {exc}."}) from None
    if day is None:
        raise ValidationError({field: "Date is required."})
    return day


class TimeProblem(ValueError):
    """A local time or duration that cannot be booked, with the reason in words."""


def parse_time(text: str | dt.time) -> dt.time:
    """'9', '9:05', '0905', '2:30pm', '14:30' -> a time; TimeProblem otherwise."""
    if isinstance(text, dt.time):
        return text
    match = _TIME.match(text or "")
    if not match:
        raise TimeProblem(f"{text!r} is not a time (use HH:MM, e.g. 09:30 or 2:30pm)")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").lower().replace(".", "")
    if suffix:
        if not 1 <= hour <= 12:
            raise TimeProblem(f"{text!r}: with am/pm the hour is 1 to 12")
        hour = hour % 12 + (12 if suffix.startswith("p") else 0)
    if hour > 23 or minute > 59:
        raise TimeProblem(f"{text!r} is not a time of day")
    return dt.time(hour, minute)


def local_instant(day: dt.date, time: dt.time, zone: ZoneInfo, fold: int | None = None) -> dt.datetime:
    """The UTC instant of `day time` on the clinic's clock.

    `fold` (0 = first, 1 = second) is required only when the time happens twice.
    """
    first = dt.datetime.combine(day, time, zone).replace(fold=0)
    second = first.replace(fold=1)
    if first.utcoffset() != second.utcoffset():
        # Either the clock skipped this time (a gap) or showed it twice (a fold).
        if first.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != first.replace(tzinfo=None):
            raise TimeProblem(
                f"{time:%H:%M} does not exist on {day:%m/%d/%Y}: the clocks skip that hour "
                "(daylight saving time starts). Choose a time after the change.")
        if fold is None:
            names = f"{first.tzname()} or {second.tzname()}"
            raise TimeProblem(
                f"{time:%H:%M} happens twice on {day:%m/%d/%Y} (daylight saving time ends): "
                f"say which one ({names}).")
        return (second if fold else first).astimezone(dt.UTC)
    return first.astimezone(dt.UTC)


def check_steps(start: dt.time, minutes: int) -> None:
    if start.minute % STEP_MINUTES or start.second:
        raise TimeProblem(f"Start times are in {STEP_MINUTES}-minute steps ({start:%H:%M} is not).")
    if minutes <= 0:
        raise TimeProblem("An appointment must last at least 5 minutes.")
    if minutes % STEP_MINUTES:
        raise TimeProblem(f"Lengths are in {STEP_MINUTES}-minute steps ({minutes} minutes is not).")


def steps(start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Every 5-minute step from start (inclusive) to end (exclusive), in UTC."""
    out, at = [], start
    while at < end:
        out.append(at)
        at += STEP
    return out


class LocalTimes:
    """Stored instants (naive UTC, or SQLite's text of one) as the clinic's wall-clock times, each
    distinct value converted once: a day's appointments share a few dozen start and end times."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.seen: dict[object, dt.datetime] = {}

    def __call__(self, stored: dt.datetime | str) -> dt.datetime:
        local = self.seen.get(stored)
        if local is None:
            instant = dt.datetime.fromisoformat(stored) if isinstance(stored, str) else stored
            local = self.seen[stored] = instant.replace(tzinfo=dt.UTC).astimezone(self.zone)
        return local


WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_weekdays(value: str | set[int] | list[str] | None) -> set[int]:
    """'Mon, Wed fri' or ['mon', 'wed'] -> {0, 2, 4} (Monday = 0); empty means any day."""
    if isinstance(value, set):
        if any(not 0 <= day <= 6 for day in value):
            raise TimeProblem("Weekdays are 0 (Monday) to 6 (Sunday).")
        return value
    names = value if isinstance(value, list) else re.split(r"[\s,;/]+", value or "")
    days = set()
    for name in (n.strip().lower() for n in names):
        if not name:
            continue
        if name[:3] not in WEEKDAY_NAMES:
            raise TimeProblem(f"{name!r} is not a weekday: use mon, tue, wed, thu, fri, sat or sun.")
        days.add(WEEKDAY_NAMES.index(name[:3]))
    return days


def weekdays_text(days: set[int] | str) -> str:
    """{0, 2} or '0,2' -> 'Mon Wed'; nothing -> 'any day'."""
    if isinstance(days, str):
        days = {int(d) for d in days.split(",") if d}
    return " ".join(WEEKDAY_NAMES[d].title() for d in sorted(days)) or "any day"
