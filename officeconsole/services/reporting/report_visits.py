"""The visit reports' tables: no-shows and waits per day and per provider, from grouped counts
(report_queries.py), so a month of visits arrives as a few hundred (day, provider, n) rows."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from officeconsole.models.enums import AppointmentStatus as S
from officeconsole.services.reporting.report_model import (
    COUNT,
    DATE,
    MINUTES,
    PERCENT,
    SEEN,
    TEXT,
    Column,
    Section,
    Series,
    day_label,
    rate,
    wait_stats,
)
from officeconsole.services.reporting.report_queries import CONFIRMED_NO_SHOW

K = TypeVar("K")  # what the counts are of: an appointment status, or minutes waited
Parts = tuple[tuple[Section, Section], tuple[str, ...], tuple[Series, ...]]


def _split(found: dict[tuple[int, int, K], int]) -> tuple[dict[int, Counter[K]], dict[int, Counter[K]]]:
    """{(day, provider, key): n} -> per day and per provider {key: n}."""
    by_day: dict[int, Counter[K]] = defaultdict(Counter)
    by_provider: dict[int, Counter[K]] = defaultdict(Counter)
    for (i, provider, key), n in found.items():
        by_day[i][key] += n
        by_provider[provider][key] += n
    return by_day, by_provider


def _sections(figures: Callable[[Counter[K]], tuple[Any, ...]], numbers: tuple[Column, ...],
              by_day: dict[int, Counter[K]], by_provider: dict[int, Counter[K]], names: dict[int, str],
              days: list[dt.date]) -> tuple[Section, Section]:
    every: Counter[K] = sum(by_day.values(), Counter())
    day_rows = tuple((day, *figures(by_day[i])) for i, day in enumerate(days) if by_day[i])
    provider_rows = tuple((names.get(p, "?"), *figures(c))
                          for p, c in sorted(by_provider.items(), key=lambda item: names.get(item[0], "?")))
    return (Section("By day", (Column("Day", DATE), *numbers), day_rows, ("Total", *figures(every))),
            Section("By provider", (Column("Provider", TEXT), *numbers), provider_rows, ("Total", *figures(every))))


def no_show_parts(counts: dict[tuple[int, int, str], int], names: dict[int, str], days: list[dt.date]) -> Parts:
    """Booked (every appointment that day, cancelled ones too), seen, no-shows and cancelled; the
    no-show rate is no-shows / (seen + no-shows), as on the day sheet; the cancellation rate
    cancelled / booked. Days with nothing booked are left out of the table."""
    by_day, by_provider = _split(counts)

    def figures(c: Counter[str]) -> tuple[Any, ...]:
        seen, booked = sum(c[s] for s in SEEN), sum(c[s] for s in S)
        confirmed = c[CONFIRMED_NO_SHOW]
        return (booked, seen, c[S.NO_SHOW], c[S.CANCELLED], rate(c[S.NO_SHOW], seen + c[S.NO_SHOW]),
                rate(c[S.CANCELLED], booked), confirmed, c[S.NO_SHOW] - confirmed)

    numbers = (Column("Booked", COUNT), Column("Seen", COUNT), Column("No-shows", COUNT),
               Column("Cancelled", COUNT), Column("No-show %", PERCENT), Column("Cancelled %", PERCENT),
               Column("Confirmed no-shows", COUNT), Column("Unconfirmed no-shows", COUNT))
    sections = _sections(figures, numbers, by_day, by_provider, names, days)
    rated = [(day_label(r[0]), r[5]) for r in sections[0].rows if r[5] is not None]
    series = (Series("No-show rate per day", tuple(x for x, _ in rated), tuple(v for _, v in rated), PERCENT, "line"),
              Series("Visits per day", tuple(day_label(d) for d in days),
                     tuple(float(figures(by_day[i])[1]) for i in range(len(days))), COUNT))
    notes = ("Booked: every appointment that day, cancelled ones included. Seen: arrived or further. "
             "No-show %: no-shows / (seen + no-shows). Cancelled %: cancelled / booked.",
             "Visits still scheduled (today's later ones, or a day not yet closed) count as booked only.",
             "Confirmed no-shows: the patient had confirmed the visit (phone, text, e-mail or in person); "
             "unconfirmed: the rest, a message left included.")
    return sections, notes, series


def wait_parts(found: dict[tuple[int, int, int], int], names: dict[int, str], days: list[dt.date]) -> Parts:
    """Arrival to the provider coming in, for each visit that got that far: how many, the average,
    the median, the 90th percentile (nearest rank) and the longest, in minutes."""
    by_day, by_provider = _split(found)
    numbers = (Column("Visits", COUNT), Column("Average", MINUTES), Column("Median", MINUTES),
               Column("90th pct", MINUTES), Column("Longest", MINUTES))
    sections = _sections(wait_stats, numbers, by_day, by_provider, names, days)
    waited = [(day_label(r[0]), r[2]) for r in sections[0].rows]
    series = (Series("Average wait per day (minutes)", tuple(x for x, _ in waited),
                     tuple(float(v) for _, v in waited), MINUTES, "line"),)
    notes = ("Wait: from arrival (check-in) to the provider coming in, in whole minutes; visits that never "
             "reached the provider are not counted. 90th pct: nine visits in ten waited at most this long.",)
    return sections, notes, series
