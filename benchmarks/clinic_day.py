"""The benchmarks' "now": a set moment inside the generated clinic's day, not the wall clock.

The generated clinic is built around a weekday at 10:30 clinic time (the morning's visits seen,
the afternoon's still booked), and every figure is measured at that moment, so a run at night or
on a Sunday measures the same day as a run at noon on a Tuesday. The moment is stored in the
clinic (a counter row) so a clinic generated earlier is measured at its own day.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from officeconsole.db.database import Database
from officeconsole.models import Counter
from officeconsole.services.common.clock import FixedClock

COUNTER = "benchmark_now"
MORNING = dt.time(10, 30)


def anchor(timezone: str, today: dt.date | None = None) -> dt.datetime:
    """10:30 on the latest weekday up to `today` (the clinic's today by default), as an aware time."""
    zone = ZoneInfo(timezone)
    day = today or dt.datetime.now(zone).date()
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, MORNING, tzinfo=zone).astimezone(dt.UTC)


def clock(database: Database, timezone: str) -> FixedClock:
    """The clinic's benchmark moment (stored at generation), or today's anchor for an older clinic."""
    with database.read() as session:
        stored = session.scalar(select(Counter.next_value).where(Counter.name == COUNTER))
    if stored is not None:
        return FixedClock(dt.datetime.fromtimestamp(stored, dt.UTC))
    return FixedClock(anchor(timezone))
