"""People who log in, and the providers among them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from officeconsole.db.base import Base
from officeconsole.models.enums import Role, check_in


class User(Base):
    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(check_in("role", Role), name="role"),
        CheckConstraint("username = lower(username)", name="username_lower"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    # The staff directory: what the person does and when they were employed.
    job_title: Mapped[str] = mapped_column(String(60), default="", server_default="")
    hired_on: Mapped[dt.date | None] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime]
    last_login_at: Mapped[dt.datetime | None]
    # Signing in on the shared PC: a PIN (hashed) unlocks and switches during a day begun with
    # the full password (`password_at`); failed attempts within the lockout window lock the
    # account until `locked_until` (a manager's reset or unlock clears both).
    pin_hash: Mapped[str] = mapped_column(String(255), default="", server_default="")
    password_at: Mapped[dt.datetime | None]
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_failed_at: Mapped[dt.datetime | None]
    locked_until: Mapped[dt.datetime | None]
    # A key file lets a scheduled job (the nightly close-out) sign in as this manager.
    job_key_hash: Mapped[str] = mapped_column(String(255), default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    provider: Mapped[Provider | None] = relationship(back_populates="user")

    __mapper_args__ = {"version_id_col": version}


class Provider(Base):
    __tablename__ = "provider"
    __table_args__ = (
        CheckConstraint("default_visit_minutes > 0", name="visit_minutes_positive"),
        CheckConstraint("length(npi) = 10", name="npi_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), unique=True)
    npi: Mapped[str] = mapped_column(String(10), unique=True)
    credentials: Mapped[str] = mapped_column(String(20), default="")
    specialty: Mapped[str] = mapped_column(String(100), default="")
    default_visit_minutes: Mapped[int] = mapped_column(Integer, default=20)
    colour: Mapped[str] = mapped_column(String(20), default="steelblue")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The provider's Health Care Provider Taxonomy code (PRV03 on a claim), e.g. 207Q00000X.
    taxonomy: Mapped[str] = mapped_column(String(10), default="", server_default="")
    # A provider billing under their own NPI is the claim's billing provider; otherwise the clinic is.
    bills_own_npi: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    user: Mapped[User] = relationship(back_populates="provider")

    __mapper_args__ = {"version_id_col": version}


class ProviderAppointmentType(Base):
    """The appointment types a provider sees; a provider with none listed sees every type."""

    __tablename__ = "provider_appointment_type"

    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id"), primary_key=True)
