"""The clinic's own settings (one row) and named counters for MRNs and receipt numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from officeconsole.db.base import Base


class ClinicSettings(Base):
    __tablename__ = "clinic_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address_line1: Mapped[str] = mapped_column(default="")
    address_line2: Mapped[str] = mapped_column(default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(2), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    fax: Mapped[str] = mapped_column(String(20), default="", server_default="")
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    # The billing provider's taxonomy code (PRV03) and the place of service new visits start with.
    taxonomy: Mapped[str] = mapped_column(String(10), default="", server_default="")
    place_of_service: Mapped[str] = mapped_column(String(2), default="11", server_default="11")
    npi: Mapped[str] = mapped_column(String(10), default="")
    tax_id: Mapped[str] = mapped_column(String(11), default="")  # EIN NN-NNNNNNN or SSN NNN-NN-NNNN
    timezone: Mapped[str] = mapped_column(String(64))
    # {"mon": ["08:00", "17:00"], ..., "sun": null}
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The flow board colours a patient who has waited longer than this.
    wait_threshold_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    # Where 837P files go: the clearinghouse's interchange ID (ISA08) and name.
    clearinghouse_id: Mapped[str] = mapped_column(String(15), default="", server_default="")
    clearinghouse_name: Mapped[str] = mapped_column(String(60), default="", server_default="")
    # The submitter ID the clearinghouse gave the clinic (ISA06, GS02, 1000A NM109; empty: the NPI)
    # and whether files are test ("T") or production ("P") interchanges (ISA15).
    submitter_id: Mapped[str] = mapped_column(String(15), default="", server_default="")
    x12_usage: Mapped[str] = mapped_column(String(1), default="P", server_default="P")
    # The nightly close: minutes after a visit's start before it is a no-show, and whether a
    # visit seen without charges only warns ("warn") or stops the close ("block").
    no_show_grace_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    missing_charges_policy: Mapped[str] = mapped_column(String(5), default="warn", server_default="warn")
    # The shared PC: lock after this many idle minutes; password and PIN lengths; lockout.
    idle_lock_minutes: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    min_password_length: Mapped[int] = mapped_column(Integer, default=8, server_default="8")
    min_pin_length: Mapped[int] = mapped_column(Integer, default=4, server_default="4")
    lockout_attempts: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    lockout_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    created_at: Mapped[dt.datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Counter(Base):
    """Monotonic numbers handed out inside the caller's write transaction."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_value: Mapped[int] = mapped_column(Integer)
