"""The staff roster: credentials that expire, the weekly rota, minimum staffing, time off.

Shift times are local wall-clock times in the clinic's time zone, like working hours.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, SmallInteger, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from officeconsole.db.base import Base
from officeconsole.models.enums import Role, check_in


class CredentialKind(StrEnum):
    STATE_LICENCE = "state_licence"
    DEA = "dea"
    BOARD = "board"
    CPR_BLS = "cpr_bls"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"state_licence": "State licence", "dea": "DEA registration", "board": "Board certification",
                "cpr_bls": "CPR/BLS", "other": "Other"}[self.value]


class TimeOffKind(StrEnum):
    VACATION = "vacation"
    SICK = "sick"
    TRAINING = "training"
    PERSONAL = "personal"
    OTHER = "other"


class TimeOffStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DENIED = "denied"
    CANCELLED = "cancelled"


class Credential(Base):
    __tablename__ = "credential"
    __table_args__ = (
        CheckConstraint(check_in("kind", CredentialKind), name="kind"),
        Index("ix_credential_expires", "expires_on"),
        Index("ix_credential_user", "user_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(80), default="")  # "Illinois medical licence", "ABFM"
    number: Mapped[str] = mapped_column(String(40), default="")
    issuer: Mapped[str] = mapped_column(String(80), default="")  # a state (IL) or a body
    expires_on: Mapped[dt.date | None] = mapped_column(Date)  # None: does not expire
    updated_at: Mapped[dt.datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class ShiftTemplate(Base):
    """A named shift the rota offers with one key, e.g. "Front AM 07:30-12:30"."""

    __tablename__ = "shift_template"
    __table_args__ = (
        CheckConstraint("end_time > start_time", name="ends_after_start"),
        CheckConstraint(check_in("role", Role), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # who it is for
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)


class Shift(Base):
    """One person working one stretch of one day. Overlaps for a person are refused by the
    roster service inside the write transaction (the unique key catches the exact double)."""

    __tablename__ = "shift"
    __table_args__ = (
        CheckConstraint("end_time > start_time", name="ends_after_start"),
        UniqueConstraint("user_id", "day", "start_time"),
        Index("ix_shift_day", "day", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("shift_template.id"))
    note: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[dt.datetime]


class CoverageRule(Base):
    """At least `minimum` people of `role` on shift from start to end (every weekday the clinic
    is open, or only `weekday` when set)."""

    __tablename__ = "coverage_rule"
    __table_args__ = (
        CheckConstraint("end_time > start_time", name="ends_after_start"),
        CheckConstraint("minimum > 0", name="minimum_positive"),
        CheckConstraint("weekday IS NULL OR weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint(check_in("role", Role), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    minimum: Mapped[int] = mapped_column(SmallInteger)
    weekday: Mapped[int | None] = mapped_column(SmallInteger)
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)


class TimeOff(Base):
    __tablename__ = "time_off"
    __table_args__ = (
        CheckConstraint("last_day >= first_day", name="ends_after_start"),
        CheckConstraint(check_in("kind", TimeOffKind), name="kind"),
        CheckConstraint(check_in("status", TimeOffStatus), name="status"),
        Index("ix_time_off_days", "first_day", "last_day"),
        Index("ix_time_off_user", "user_id", "first_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=TimeOffStatus.REQUESTED)
    note: Mapped[str] = mapped_column(String(200), default="")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    requested_at: Mapped[dt.datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
