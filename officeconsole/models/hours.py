"""When providers work: weekly templates, date exceptions and clinic holidays.

Times are local wall-clock times in the clinic's time zone; a day's intervals are the
rows for it, so a lunch break is the gap between two rows.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, SmallInteger, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from officeconsole.db.base import Base


class WorkingHours(Base):
    """One interval of a provider's usual week (weekday 0 = Monday) in the template that
    starts on `effective_from`: working time (`kind` "work") or a recurring block inside it
    (`kind` "block": lunch, a meeting, admin time) that is shown on the schedule and not bookable.

    A provider's template for a day is the rows with the latest `effective_from` on or before it,
    so a new template from next month leaves this month's alone.
    """

    __tablename__ = "working_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("end_time > start_time", name="ends_after_start"),
        CheckConstraint("kind IN ('work', 'block')", name="kind"),
        UniqueConstraint("provider_id", "effective_from", "kind", "weekday", "start_time",
                         name="uq_working_hours_template"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    effective_from: Mapped[dt.date] = mapped_column(Date, server_default="2000-01-01")
    kind: Mapped[str] = mapped_column(String(5), default="work", server_default="work")
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)
    label: Mapped[str] = mapped_column(String(60), default="", server_default="")


class ScheduleException(Base):
    """A date whose hours replace the template: no times means not working that day."""

    __tablename__ = "schedule_exception"
    __table_args__ = (
        CheckConstraint("(start_time IS NULL) = (end_time IS NULL)", name="both_or_neither"),
        CheckConstraint("end_time IS NULL OR end_time > start_time", name="ends_after_start"),
        UniqueConstraint("provider_id", "day", "start_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    start_time: Mapped[dt.time | None] = mapped_column(Time)
    end_time: Mapped[dt.time | None] = mapped_column(Time)
    note: Mapped[str] = mapped_column(String(200), default="")


class Holiday(Base):
    """A day the whole clinic is closed, once the manager has confirmed it."""

    __tablename__ = "holiday"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(120))
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
