"""Close-out runs: each run of the nightly close, who ran it, what it found and the totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column

from officeconsole.db.base import Base


class CloseRun(Base):
    """Append-only: a rerun is a new row, so the history of a day's closes is kept whole."""

    __tablename__ = "close_run"
    __table_args__ = (Index("ix_close_run_day", "day", "run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    run_at: Mapped[dt.datetime]
    run_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    status: Mapped[str] = mapped_column(String(10))  # closed, blocked
    charges: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    desk_payments: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    insurer_payments: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    cash_expected: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    cash_counted: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    card_expected: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    card_counted: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    summary: Mapped[str] = mapped_column(String(2000), default="")


class ClosedDay(Base):
    """A day the close-out locked: nothing dated in it changes until a manager reopens it.

    A reopen is kept (who, when, why) rather than deleted; closing again adds a new row, so
    at most one row per day is active (reopened_at is NULL). starts_at/ends_at are the day's
    UTC bounds in the clinic's time zone, so database triggers can refuse money posted
    inside a closed day without knowing the time zone.
    """

    __tablename__ = "closed_day"
    __table_args__ = (
        Index("uq_closed_day_active", "day", unique=True,
              sqlite_where=text("reopened_at IS NULL"), postgresql_where=text("reopened_at IS NULL")),
        Index("ix_closed_day_bounds", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime]
    closed_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    close_run_id: Mapped[int] = mapped_column(ForeignKey("close_run.id"))
    # The backup the close made (the close is complete once it is set).
    backup_file: Mapped[str] = mapped_column(String(500), default="", server_default="")
    backed_up_at: Mapped[dt.datetime | None]
    reopened_at: Mapped[dt.datetime | None]
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reopen_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
