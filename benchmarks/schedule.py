"""Slot finder: the next free slots on a busy schedule, against the one read it cannot avoid.

The generated schedule is nearly full for the next 30 days (about 95 five-minute visits per
provider-day), so a search for a 20- or 40-minute gap walks a month of days before it finds
one: the worst case a front desk meets. The baseline is the raw SQL read of one day's booked
steps for every provider, through the driver.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

from officeconsole.services.context import ServiceContext
from officeconsole.services.schedule import ScheduleService, day_bounds
from officeconsole.services.slot_finder import SlotFinder, SlotQuery

PARTS = ("any", "morning", "afternoon")


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(round(0.95 * (len(ordered) - 1)))]


def measure_slot_finder(ctx: ServiceContext, runs: int = 40) -> dict[str, tuple[float, float]]:
    schedule = ScheduleService(ctx)
    providers = [p.id for p in schedule.providers()]
    types = schedule.types()
    queries = [SlotQuery(type_id=types[n % len(types)].id, provider_id=None if n % 3 == 0 else providers[n % len(providers)],
                         part=PARTS[n % 3], count=5) for n in range(runs)]
    finder = SlotFinder(ctx)
    raw = ctx.db.engine.raw_connection()
    cursor = raw.cursor()
    mark = "?" if ctx.db.dialect == "sqlite" else "%s"
    start, end = (t.replace(tzinfo=None) for t in day_bounds(ctx.today(), ctx))
    sql = f"SELECT provider_id, slot_start FROM booked_slot WHERE slot_start >= {mark} AND slot_start < {mark}"
    params = (start.isoformat(sep=" "), end.isoformat(sep=" ")) if ctx.db.dialect == "sqlite" else (start, end)
    try:
        finder.find(queries[0])  # warm up
        timings: dict[str, list[float]] = {"service": [], "raw": []}
        for query in queries:
            tick = time.perf_counter()
            found = finder.find(query)
            timings["service"].append((time.perf_counter() - tick) * 1000)
            assert found, "the benchmark clinic should always have a free slot"
            tick = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            raw.rollback()
            timings["raw"].append((time.perf_counter() - tick) * 1000)
    finally:
        cursor.close()
        raw.close()
    return {name: _percentiles(samples) for name, samples in timings.items()}
