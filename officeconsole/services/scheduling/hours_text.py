"""Working hours as people type them and read them: "08:00-12:00, 13:00-17:00", "12:00-13:00 Lunch",
"mon-fri", and a week's form checked into intervals and blocks (5-minute steps, in order, inside
the working time)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.text import clean_text
from officeconsole.services.scheduling.hours_calendar import Block, Interval
from officeconsole.services.scheduling.schedule_time import STEP_MINUTES, TimeProblem, parse_time

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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


def describe(intervals: Iterable[Interval]) -> str:
    return ", ".join(f"{i[0]:%H:%M}-{i[1]:%H:%M}" for i in intervals)


def describe_blocks(blocks: Iterable[Block]) -> str:
    return ", ".join(f"{s:%H:%M}-{e:%H:%M}" + (f" {label}" if label else "") for s, e, label in blocks)


def parse_week(week: dict[int, list[Any]], blocks: dict[int, list[Any]]) -> tuple[dict[int, list[Interval]],
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
