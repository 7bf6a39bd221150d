"""The fee schedule and coded encounters: what was done at a visit, and for which diagnoses.

CPT descriptions are licensed, so the product ships none: the clinic's own fee schedule
(imported from its CSV) names its procedure codes. Diagnoses are ICD-10-CM, stored with the
dot (E11.9) and validated against the code set by the service.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from officeconsole.db.base import Base
from officeconsole.models.enums import check_in


class CodeKind(StrEnum):
    CPT = "cpt"
    HCPCS = "hcpcs"


class EncounterStatus(StrEnum):
    NEEDS_CODING = "needs_coding"
    READY = "ready"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    DENIED = "denied"
    CLOSED = "closed"


# The claims an insurer's payment (EOB or 835) can be posted to; PAID takes a corrected EOB.
PAYABLE_STATES = (EncounterStatus.SUBMITTED, EncounterStatus.ACCEPTED, EncounterStatus.PARTIALLY_PAID,
                  EncounterStatus.DENIED, EncounterStatus.PAID)


class FeeScheduleItem(Base):
    __tablename__ = "fee_schedule_item"
    __table_args__ = (
        CheckConstraint(check_in("kind", CodeKind), name="kind"),
        CheckConstraint("fee >= 0", name="fee_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(5), unique=True)
    kind: Mapped[str] = mapped_column(String(5))
    description: Mapped[str] = mapped_column(String(200))  # the clinic's own words
    fee: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime]


class Encounter(Base):
    """One visit's billing record: created when the patient is checked in."""

    __tablename__ = "encounter"
    __table_args__ = (
        CheckConstraint(check_in("status", EncounterStatus), name="status"),
        Index("ix_encounter_status_service", "status", "date_of_service"),
        Index("ix_encounter_payer_status_service", "payer_id", "status", "date_of_service"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    date_of_service: Mapped[dt.date] = mapped_column(Date)
    place_of_service: Mapped[str] = mapped_column(String(2), default="11")  # 11: office
    status: Mapped[str] = mapped_column(String(16), default=EncounterStatus.NEEDS_CODING)
    # The policy billed, fixed when the claim is marked ready (the primary on the date of service).
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("insurance_policy.id", name="fk_encounter_policy_id"))
    # That policy's payer, copied so the queue's payer filter is one index range (set with policy_id).
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("payer.id", name="fk_encounter_payer_id"))
    # Why the payer or clearinghouse rejected it, shown until it is fixed and billed again.
    note: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Which payer the claim bills now: P the primary, S the secondary, T the tertiary (coordination of
    # benefits: what the primary left to the patient goes to the next policy in force).
    claim_sequence: Mapped[str] = mapped_column(String(1), default="P", server_default="P")
    # CLM05-3 of the next 837: 1 an original claim, 7 a corrected claim, 8 a void.
    claim_frequency: Mapped[str] = mapped_column(String(1), default="1", server_default="1")
    # The payer's claim control number (the 835's CLP07) a corrected or void claim replaces (REF*F8).
    replaces_claim_number: Mapped[str] = mapped_column(String(50), default="", server_default="")
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class EncounterDiagnosis(Base):
    __tablename__ = "encounter_diagnosis"
    __table_args__ = (CheckConstraint("position BETWEEN 1 AND 12", name="position"),)

    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounter.id"), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # 1 = primary
    code: Mapped[str] = mapped_column(String(8))  # with the dot: E11.9


class ChargeLine(Base):
    __tablename__ = "charge_line"
    __table_args__ = (
        CheckConstraint("units > 0", name="units_positive"),
        CheckConstraint("fee >= 0", name="fee_not_negative"),
        CheckConstraint("line_no BETWEEN 1 AND 50", name="line_no"),
        Index("ix_charge_line_amounts", "encounter_id", "fee", "units"),  # the queue's amounts, index only
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounter.id"), index=True)
    line_no: Mapped[int] = mapped_column(SmallInteger)
    code: Mapped[str] = mapped_column(String(5))
    modifiers: Mapped[str] = mapped_column(String(11), default="")  # up to four, "25,59"
    units: Mapped[int] = mapped_column(Integer, default=1)
    fee: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # per unit, from the fee schedule
    diagnosis_pointers: Mapped[str] = mapped_column(String(7), default="")  # up to four positions, "1,2"
