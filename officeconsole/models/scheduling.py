"""Appointment types, appointments, recurring series, and the rows that keep a slot single."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from officeconsole.db.base import Base
from officeconsole.models.enums import AppointmentStatus, check_in


class AppointmentType(Base):
    __tablename__ = "appointment_type"
    __table_args__ = (CheckConstraint("default_minutes > 0", name="minutes_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    default_minutes: Mapped[int] = mapped_column(Integer)
    colour: Mapped[str] = mapped_column(String(20), default="grey")
    new_patient: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The procedure code a visit of this type usually bills (offered first when coding), or "".
    default_code: Mapped[str] = mapped_column(String(5), default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class AppointmentSeries(Base):
    """A recurring booking (say weekly x 6): its appointments point here and were saved together."""

    __tablename__ = "appointment_series"
    __table_args__ = (
        CheckConstraint("every_weeks BETWEEN 1 AND 12", name="every_weeks"),
        CheckConstraint("occurrences BETWEEN 2 AND 52", name="occurrences"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    every_weeks: Mapped[int] = mapped_column(Integer)
    occurrences: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime]


class Appointment(Base):
    __tablename__ = "appointment"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        CheckConstraint(check_in("status", AppointmentStatus), name="status"),
        Index("ix_appointment_provider_start", "provider_id", "start_at"),
        Index("ix_appointment_patient_start", "patient_id", "start_at"),
        Index("ix_appointment_start", "start_at"),
        # One patient per exam room: a room is free again once its patient is checked out.
        Index("uq_appointment_room_in_use", "room_id", unique=True,
              sqlite_where=text("status IN ('roomed', 'with_provider')"),
              postgresql_where=text("status IN ('roomed', 'with_provider')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id"))
    start_at: Mapped[dt.datetime]
    end_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(16), default=AppointmentStatus.SCHEDULED)
    reason: Mapped[str] = mapped_column(Text, default="")
    # Why a rule (working hours, the past, the patient's other booking) was set aside.
    override_reason: Mapped[str] = mapped_column(String(200), default="")
    series_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_series.id"), index=True)
    # The flow through the clinic today (the events hold the full story; these are for the board).
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    arrived_at: Mapped[dt.datetime | None]
    status_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class BookedSlot(Base):
    """Each 5-minute step an active appointment occupies, one row per step.

    The primary key (provider, step) is what makes double booking impossible on both
    engines: two consoles booking overlapping times insert the same key, and the second
    transaction fails whatever the timing. Cancelling or moving removes the rows; the
    appointment itself is never deleted.
    """

    __tablename__ = "booked_slot"

    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), primary_key=True)
    slot_start: Mapped[dt.datetime] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), index=True)


class AppointmentEvent(Base):
    """What happened to an appointment, by whom and when: booked, moved, cancelled, status."""

    __tablename__ = "appointment_event"
    __table_args__ = (Index("ix_appointment_event_appointment", "appointment_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"))
    at: Mapped[dt.datetime]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str] = mapped_column(String(16), default="")
    to_status: Mapped[str] = mapped_column(String(16), default="")
    reason: Mapped[str] = mapped_column(String(40), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
