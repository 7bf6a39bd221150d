"""Cell values read strictly: a date is ISO or US with a four-digit year, never guessed."""

from __future__ import annotations

import datetime as dt
import re

from officeconsole.services.common.errors import ValidationError

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_SHORT = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?\s*([AaPp][Mm])?$")
OLDEST = 1900


def strict_date(text: str, label: str) -> dt.date | None:
    """YYYY-MM-DD or MM/DD/YYYY; None when empty; ValidationError for anything else."""
    value = text.strip()
    if not value:
        return None
    # A spreadsheet's "2024-03-01 00:00:00": the time of day adds nothing to a date.
    if " " in value and value.split(" ", 1)[1].strip() in ("00:00", "00:00:00", "0:00", "12:00:00 AM"):
        value = value.split(" ", 1)[0]
    if _SHORT.match(value):
        raise ValidationError({label: f"{label}: {value!r} is ambiguous (a two-digit year): write the year in "
                                      "full, as MM/DD/YYYY or YYYY-MM-DD."})
    iso, us = _ISO.match(value), _US.match(value)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif us:
        month, day, year = (int(g) for g in us.groups())
    else:
        raise ValidationError({label: f"{label}: {value!r} is not a date: use YYYY-MM-DD or MM/DD/YYYY."})
    try:
        parsed = dt.date(year, month, day)
    except ValueError:
        raise ValidationError({label: f"{label}: {value!r} is not a real date."}) from None
    if year < OLDEST:
        raise ValidationError({label: f"{label}: {value!r} is before {OLDEST}: check the year."})
    return parsed


def strict_datetime(text: str, label: str, timezone: dt.tzinfo) -> dt.datetime:
    """YYYY-MM-DDTHH:MM[:SS] (a space for the T is fine), on the clinic's clock: a value with its own
    offset (+00:00, Z) is converted to the clinic's time zone, one without is taken as clinic time."""
    value = text.strip()
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError({label: f"{label}: {value!r} is not a date and time: use YYYY-MM-DDTHH:MM."}) from None
    if parsed.year < OLDEST:
        raise ValidationError({label: f"{label}: {value!r} is before {OLDEST}: check the year."})
    if parsed.tzinfo is not None:
        return parsed.astimezone(timezone).replace(tzinfo=None)
    return parsed


def strict_time(text: str, label: str = "start") -> dt.time:
    """09:30, 9:30, 14:05, 2:05 PM."""
    value = text.strip()
    match = _TIME.match(value)
    if not match:
        raise ValidationError({label: f"{label}: {value!r} is not a time: use HH:MM (24-hour) or H:MM AM/PM."})
    hour, minute, half = int(match.group(1)), int(match.group(2)), (match.group(3) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            raise ValidationError({label: f"{label}: {value!r} is not a time."})
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValidationError({label: f"{label}: {value!r} is not a time."})
    return dt.time(hour, minute)


SEXES = {"f": "F", "female": "F", "w": "F", "woman": "F", "m": "M", "male": "M", "man": "M",
         "x": "X", "other": "X", "nonbinary": "X", "non-binary": "X", "u": "U", "unknown": "U", "": "U"}
RANKS = {"1": 1, "primary": 1, "p": 1, "2": 2, "secondary": 2, "s": 2, "3": 3, "tertiary": 3, "t": 3, "": 1}


def sex(text: str) -> str:
    value = SEXES.get(text.strip().lower())
    if value is None:
        raise ValidationError({"sex": f"sex: {text.strip()!r} is not F, M, X (other) or U (unknown)."})
    return value


def rank(text: str) -> int:
    value = RANKS.get(text.strip().lower())
    if value is None:
        raise ValidationError({"rank": f"rank: {text.strip()!r} is not 1 (primary), 2 (secondary) or 3 (tertiary)."})
    return value
