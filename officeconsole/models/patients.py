"""Patients, payers and the insurance policies that link them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from officeconsole.db.base import Base
from officeconsole.db.types import search_key_type
from officeconsole.models.enums import (
    ContactPreference,
    PatientStatus,
    Relationship,
    Sex,
    check_in,
)


class Patient(Base):
    __tablename__ = "patient"
    __table_args__ = (
        CheckConstraint(check_in("sex", Sex), name="sex"),
        CheckConstraint(check_in("status", PatientStatus), name="status"),
        CheckConstraint(check_in("preferred_contact", ContactPreference), name="contact"),
        CheckConstraint(
            "(status = 'merged') = (merged_into_id IS NOT NULL)", name="merged_has_target"
        ),
        # Search keys: lower-case, accents and punctuation removed (see services.text). Each index ends
        # with the id, as the search's ORDER BY does: a page is the first rows of one index range, so
        # PostgreSQL never sorts every match of a common prefix (SQLite's indexes hold the id anyway).
        Index("ix_patient_last_first", "last_key", "first_key", "id"),
        Index("ix_patient_first_last", "first_key", "last_key", "id"),
        Index("ix_patient_dob", "dob"),
        Index("ix_patient_phone_key", "phone_key", "id"),
        Index("ix_patient_phone_key_reversed", "phone_key_reversed", "id"),
        Index("ix_patient_created", "created_at"),  # new patients on day sheets and reports
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str] = mapped_column(String(12), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100))
    preferred_name: Mapped[str] = mapped_column(String(100), default="")
    # The name in Latin letters, as on the insurance card, for a name typed in another script.
    latin_first_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    latin_last_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    first_key: Mapped[str] = mapped_column(search_key_type(100))
    last_key: Mapped[str] = mapped_column(search_key_type(100))
    dob: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    phone: Mapped[str] = mapped_column(String(20), default="")  # E.164
    phone_key: Mapped[str] = mapped_column(search_key_type(15), default="")  # national digits
    # The same digits backwards: "the number ending 4567" is a prefix look-up on this index.
    phone_key_reversed: Mapped[str] = mapped_column(search_key_type(15), default="", server_default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address_line1: Mapped[str] = mapped_column(String(200), default="")
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(2), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    preferred_contact: Mapped[str] = mapped_column(String(10), default=ContactPreference.PHONE)
    status: Mapped[str] = mapped_column(String(10), default=PatientStatus.ACTIVE)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"))
    privacy_notice_on: Mapped[dt.date | None] = mapped_column(Date)  # acknowledgement signed
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    policies: Mapped[list[InsurancePolicy]] = relationship(
        back_populates="patient", order_by="InsurancePolicy.rank"
    )

    __mapper_args__ = {"version_id_col": version}


class Payer(Base):
    __tablename__ = "payer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    payer_code: Mapped[str] = mapped_column(String(20), default="")  # electronic payer ID
    # The 837's claim filing indicator (SBR09): CI commercial, MB Medicare Part B, MC Medicaid, ...
    filing_code: Mapped[str] = mapped_column(String(2), default="CI", server_default="CI")
    phone: Mapped[str] = mapped_column(String(20), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Gets our claims from the primary payer by crossover (Medicare to a supplement): as a secondary
    # it is not sent a claim but waited for, and its 835 is posted.
    crossover: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Where paper claims and appeals go.
    address_line1: Mapped[str] = mapped_column(String(255), default="", server_default="")
    city: Mapped[str] = mapped_column(String(100), default="", server_default="")
    state: Mapped[str] = mapped_column(String(2), default="", server_default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class InsurancePolicy(Base):
    __tablename__ = "insurance_policy"
    __table_args__ = (
        CheckConstraint("rank BETWEEN 1 AND 3", name="rank"),
        CheckConstraint(check_in("subscriber_relationship", Relationship), name="relationship"),
        CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from", name="dates_ordered"
        ),
        UniqueConstraint("patient_id", "payer_id", "member_id"),
        Index("ix_insurance_policy_patient", "patient_id", "rank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    payer_id: Mapped[int] = mapped_column(ForeignKey("payer.id"))
    rank: Mapped[int] = mapped_column(SmallInteger)  # 1 primary, 2 secondary, 3 tertiary
    member_id: Mapped[str] = mapped_column(String(40))
    group_number: Mapped[str] = mapped_column(String(40), default="")
    # The subscriber's whole name as shown, and its parts as claims carry them (NM103/04/05/07);
    # a name that could not be split surely has empty parts and is listed for review.
    subscriber_name: Mapped[str] = mapped_column(String(200), default="")
    subscriber_last_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    subscriber_first_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    subscriber_middle_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    subscriber_suffix: Mapped[str] = mapped_column(String(10), default="", server_default="")
    subscriber_dob: Mapped[dt.date | None] = mapped_column(Date)
    subscriber_relationship: Mapped[str] = mapped_column(String(10), default=Relationship.SELF)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    copay: Mapped[Decimal | None]
    # Last confirmed with the payer or the card, by whom and how (card, phone, portal, eligibility).
    verified_at: Mapped[dt.datetime | None]
    verified_how: Mapped[str] = mapped_column(String(12), default="")
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    patient: Mapped[Patient] = relationship(back_populates="policies")
    payer: Mapped[Payer] = relationship()

    __mapper_args__ = {"version_id_col": version}

