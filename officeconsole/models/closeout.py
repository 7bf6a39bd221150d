"""Close-out runs: each run of the nightly close, who ran it, what it found and the totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String
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
    status: Mapped[str] = mapped_column(String(10))  # done, blocked
    charges: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    desk_payments: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    insurer_payments: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    cash_expected: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    cash_counted: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    card_expected: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    card_counted: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    summary: Mapped[str] = mapped_column(String(2000), default="")
