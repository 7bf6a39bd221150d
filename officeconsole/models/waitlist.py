"""Patients waiting for an earlier (or any) slot, and what became of each request."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from officeconsole.db.base import Base
from officeconsole.models.enums import check_in


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    BOOKED = "booked"
    REMOVED = "removed"


class WaitlistEntry(Base):
    """One request: this patient, this kind of visit, with these preferences.

    `appointment_id` is the booking the patient would like earlier (moved when a slot is
    taken); without it a slot taken from the waitlist is a new booking.
    """

    __tablename__ = "waitlist_entry"
    __table_args__ = (
        CheckConstraint(check_in("status", WaitlistStatus), name="status"),
        CheckConstraint("part IN ('any', 'morning', 'afternoon')", name="part"),
        CheckConstraint("latest IS NULL OR earliest IS NULL OR latest >= earliest", name="range"),
        Index("ix_waitlist_entry_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))  # None: any provider
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    weekdays: Mapped[str] = mapped_column(String(13), default="")  # "0,2,4" (Monday = 0); "" any day
    part: Mapped[str] = mapped_column(String(10), default="any")
    earliest: Mapped[dt.date | None] = mapped_column(Date)
    latest: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default=WaitlistStatus.WAITING)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    closed_at: Mapped[dt.datetime | None]
    closed_reason: Mapped[str] = mapped_column(String(200), default="")
    booked_appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
