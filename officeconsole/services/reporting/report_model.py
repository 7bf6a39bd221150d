"""What a report is, for every caller (console, CLI, files): sections of typed rows, columns that
know how to show their values, and series for charts. Plain frozen dataclasses, no database."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from math import ceil
from typing import Any, NamedTuple

from officeconsole.models.enums import AppointmentStatus as S
from officeconsole.services.common.money import money

TEXT, DATE, COUNT, MONEY, PERCENT, MINUTES = "text", "date", "count", "money", "percent", "minutes"
NUMERIC = (COUNT, MONEY, PERCENT, MINUTES)
SEEN = (S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.CHECKED_OUT)  # a visit: the patient came


@dataclass(frozen=True)
class Column:
    heading: str
    kind: str = TEXT  # how the values read: TEXT, DATE, COUNT, MONEY (Decimal), PERCENT (0-1), MINUTES

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC

    def text(self, value: object, *, plain: bool = False) -> str:
        """For people (`$1,250.00`, `12.5%`, `Mon 11/23/2026`) or, `plain`, for files and
        scripts (`1250.00`, `12.5`, `2026-11-23`). Nothing to show is an empty cell."""
        if value is None:
            return ""
        if self.kind == MONEY and isinstance(value, Decimal):
            return f"{value:.2f}" if plain else money(value)
        if self.kind == PERCENT and isinstance(value, float):
            return f"{value * 100:.1f}" if plain else f"{value:.1%}"
        if self.kind == MINUTES and isinstance(value, float):
            return f"{value:.1f}"
        if self.kind == DATE and isinstance(value, dt.date):
            return value.isoformat() if plain else f"{value:%a %m/%d/%Y}"
        return str(value)


@dataclass(frozen=True)
class Section:
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    totals: tuple[Any, ...] | None = None

    def text_rows(self, *, plain: bool = False, totals: bool = True) -> list[tuple[str, ...]]:
        rows = [*self.rows, self.totals] if totals and self.totals is not None else list(self.rows)
        return [tuple(c.text(v, plain=plain) for c, v in zip(self.columns, row, strict=True)) for row in rows]


@dataclass(frozen=True)
class Series:
    """One chart: a value per label (days, or aging buckets)."""

    title: str
    labels: tuple[str, ...]
    values: tuple[float, ...]
    kind: str  # COUNT, MONEY, PERCENT (0-1) or MINUTES
    style: str = "bar"  # "line" for a trend


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    start: dt.date
    end: dt.date
    period: str  # "11/01/2026 to 11/30/2026", or "as of 11/30/2026"
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = ()  # what the columns mean
    series: tuple[Series, ...] = ()
    clinic: tuple[str, ...] = ()  # letterhead: name, address, phone


class WaitStats(NamedTuple):
    visits: int
    average: float | None
    median: float | None
    p90: int | None
    longest: int | None


def wait_stats(histogram: Counter[int]) -> WaitStats:
    """From {minutes: visits}: the average, the median (the middle two averaged), the 90th
    percentile by nearest rank, the longest. The database sends counts, never every visit."""
    n = sum(histogram.values())
    if not n:
        return WaitStats(0, None, None, None, None)
    ordered = sorted(histogram.items())

    def at(rank: int) -> int:  # 0-based position in the sorted waits
        seen = 0
        for minutes, count in ordered:
            seen += count
            if rank < seen:
                return minutes
        return ordered[-1][0]

    average = sum(m * c for m, c in ordered) / n
    median = (at((n - 1) // 2) + at(n // 2)) / 2
    return WaitStats(n, round(average, 1), float(median), at(ceil(0.9 * n) - 1), ordered[-1][0])


def cents_to_money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def day_label(day: dt.date) -> str:
    return f"{day:%m/%d}"


def days_in(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
