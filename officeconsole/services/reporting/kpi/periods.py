"""The dashboard's periods: a week, a month or a quarter (to date while it is the current
one), or a custom range; the period it is compared with, and the same period a year earlier.

A period to date is compared with the same stretch of the one before: the 1st to the 15th of
this month against the 1st to the 15th of last month, never a whole month against half of one.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from officeconsole.services.common.errors import ValidationError

PERIODS = ("week", "month", "quarter", "custom")
LONGEST_DAYS = 366 * 10 + 3  # a ten-year range, leap days included


@dataclass(frozen=True)
class Span:
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def text(self) -> str:
        if self.start == self.end:
            return f"{self.start:%m/%d/%Y}"
        return f"{self.start:%m/%d/%Y} to {self.end:%m/%d/%Y}"


def _unit_start(kind: str, day: dt.date) -> dt.date:
    if kind == "week":
        return day - dt.timedelta(days=day.weekday())
    if kind == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(day=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _unit_after(kind: str, start: dt.date) -> dt.date:
    """The first day of the next week, month or quarter."""
    if kind == "week":
        return start + dt.timedelta(days=7)
    return _add_months(start, 3 if kind == "quarter" else 1)


def period_span(kind: str, day: dt.date, today: dt.date) -> Span:
    """The week (Monday on), month or quarter holding `day`, ending today at the latest."""
    start = _unit_start(kind, day)
    return Span(start, min(_unit_after(kind, start) - dt.timedelta(days=1), today))


def step(kind: str, span: Span, steps: int, today: dt.date) -> Span:
    """The period `steps` units before (negative) or after this one; a custom range moves by its
    own length. Never past today: a step into the future keeps the period as it is."""
    if kind == "custom":
        shift = dt.timedelta(days=span.days * steps)
        moved = Span(span.start + shift, span.end + shift)
        return moved if moved.end <= today else span
    start = _unit_start(kind, span.start)
    for _ in range(abs(steps)):
        start = _unit_after(kind, start) if steps > 0 else _unit_start(kind, start - dt.timedelta(days=1))
    return period_span(kind, start, today) if start <= today else span


def previous(kind: str, span: Span) -> Span:
    """The period before, as far into it as this one is into its own (a custom range: the
    same number of days just before it)."""
    if kind == "custom":
        return Span(span.start - dt.timedelta(days=span.days), span.start - dt.timedelta(days=1))
    start = _unit_start(kind, _unit_start(kind, span.start) - dt.timedelta(days=1))
    last = _unit_after(kind, start) - dt.timedelta(days=1)
    return Span(start, min(start + (span.end - span.start), last))


def year_before(span: Span) -> Span:
    """The same dates a year earlier (29 February is read as the 28th)."""
    return Span(_add_months(span.start, -12), _add_months(span.end, -12))


def months_back(end: dt.date, count: int = 12) -> list[dt.date]:
    """The first days of the `count` calendar months up to the one holding `end`, then the
    first day of the month after (the edges of a monthly trend)."""
    first = end.replace(day=1)
    return [_add_months(first, n) for n in range(-count + 1, 2)]


def choose_span(kind: str, start: dt.date | None, end: dt.date | None, today: dt.date) -> Span:
    """The period asked for: the week, month or quarter holding `end` (today by default), to
    date; or, `custom`, from `start` (the first of `end`'s month by default) to `end`. Refuses
    the future, a start after the end, and more than ten years."""
    if kind not in PERIODS:
        raise ValidationError({"period": f"A period is one of {', '.join(PERIODS)}, not {kind!r}."})
    end = end or today
    start = start if kind == "custom" else None
    for field, day in (("to", end), ("from", start)):
        if day is not None and day > today:
            raise ValidationError({field: f"{day:%m/%d/%Y} has not happened yet: a period ends today at the latest."})
    if kind != "custom":
        return period_span(kind, end, today)
    start = start or end.replace(day=1)
    if start > end:
        raise ValidationError({"from": f"The range starts on {start:%m/%d/%Y}, after it ends ({end:%m/%d/%Y}): "
                                       "swap the dates."})
    if (end - start).days + 1 > LONGEST_DAYS:
        raise ValidationError({"from": "A range covers ten years at the most."})
    return Span(start, end)


def kind_of(start: dt.date | None, end: dt.date | None, today: dt.date) -> str:
    """What a range given by dates is: a month, quarter or week (to date, or whole) when it is
    exactly one, so it is compared as the dashboard compares it; otherwise custom. No start:
    the month to date."""
    if start is None:
        return "month"
    end = end or today
    for kind in ("month", "quarter", "week"):
        if start <= today and period_span(kind, start, today) == Span(start, end):
            return kind
    return "custom"
