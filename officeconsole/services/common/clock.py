"""Time comes from a clock object, so tests and demos can fix "now"."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, time-zone aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that stands still (and can be moved by tests)."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.at = at

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, delta: dt.timedelta) -> None:
        self.at = self.at + delta


class ServerClock:
    """This PC's clock set to the database server's: on PostgreSQL, with consoles on several PCs,
    audit stamps, visits' steps and payments all take the server's time. The offset is measured
    when the database opens (`measure_offset`)."""

    def __init__(self, offset: dt.timedelta) -> None:
        self.offset = offset

    def now(self) -> dt.datetime:
        return SystemClock().now() + self.offset


SKEW_WORTH_SAYING = dt.timedelta(minutes=1)


def measure_offset(engine: Engine) -> dt.timedelta | None:
    """The server's time less this PC's (PostgreSQL), taken at the middle of the round trip; None
    for SQLite, whose database lives on this PC's own clock."""
    if engine.dialect.name != "postgresql":
        return None
    from sqlalchemy import text

    with engine.connect() as conn:
        before = dt.datetime.now(dt.UTC)
        server: dt.datetime = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
        after = dt.datetime.now(dt.UTC)
    return server.astimezone(dt.UTC) - (before + (after - before) / 2)


def skew_note(clock: object) -> str | None:
    """What to tell the person when this PC's clock is more than a minute off the server's."""
    offset = getattr(clock, "offset", None)
    if offset is None or abs(offset) <= SKEW_WORTH_SAYING:
        return None
    minutes = abs(offset).total_seconds() / 60
    way = "behind" if offset > dt.timedelta(0) else "ahead of"
    return (f"This PC's clock is {minutes:,.0f} minutes {way} the database server's. The console takes its times "
            "from the server; ask for this PC's clock to be set right.")
