"""The nightly close on the 10-year clinic: each step timed, the backup left out (measured apart).

Closes the most recent past clinic days one after another (each a real close: no-shows marked, the day
locked, the day sheet written, the reminder list), then reopens them with a reason so the
benchmark database stays usable for the next run (the reopen is kept in its history).
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from officeconsole.services.common.context import ServiceContext
from officeconsole.services.operations.closeout import CloseOutService
from officeconsole.services.operations.day_lock import DayLockService
from officeconsole.services.scheduling.schedule import ScheduleService


def _clinic_days(manager: ServiceContext, count: int) -> list[dt.date]:
    """The `count` most recent past days that had visits (weekends and holidays skipped)."""
    schedule, days, day = ScheduleService(manager), [], manager.today()
    while len(days) < count:
        day -= dt.timedelta(days=1)
        if schedule.day(day):
            days.append(day)
    return days


BEFORE_STEPS = "before the first step"


def measure_close(manager: ServiceContext, runs: int) -> dict:
    """Seconds per close (p50 and worst) and per step (worst), over `runs` recent days."""
    closer, locks = CloseOutService(manager), DayLockService(manager)
    totals: list[float] = []
    steps: dict[str, float] = {}
    visits = 0
    with tempfile.TemporaryDirectory(prefix="oc-bench-close-") as folder:
        for day in _clinic_days(manager, runs):
            if locks.closure(day) is not None:
                locks.reopen(day, "benchmark: reopened a day an earlier run left closed")
            marks: list[tuple[str, float]] = []
            started = time.perf_counter()
            result = closer.close_day(day, cash_counted="0", reports_dir=Path(folder),
                                      progress=lambda name: marks.append((name, time.perf_counter())))
            ended = time.perf_counter()
            totals.append(ended - started)
            visits = max(visits, result.sheet.visits + result.sheet.no_shows)
            # What runs before the first step (settings, the damage check of the close's own tables,
            # whether the day is closed) is timed as a step of its own: nothing goes unreported.
            marks.insert(0, (BEFORE_STEPS, started))
            for (name, at), (_, after) in zip(marks, [*marks[1:], ("end", ended)], strict=True):
                key = name.split(" (")[0]
                steps[key] = max(steps.get(key, 0.0), after - at)
            if locks.closure(day) is not None:
                locks.reopen(day, "benchmark: leave the database as it was")
    return {"p50": statistics.median(totals), "worst": max(totals), "steps": steps, "visits": visits}
