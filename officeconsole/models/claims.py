"""Claims after coding: export batches, insurer remittances and the accounts receivable.

`ar_entry` is append-only like the desk ledger: a charge, an insurer payment, an adjustment
or a transfer to the patient is a new signed entry on one of two accounts (what the insurer
owes, what the patient owes), never an edit. A balance is a sum, so it always reconciles.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from officeconsole.db.base import Base
from officeconsole.models.enums import check_in


class Account(StrEnum):
    INSURER = "insurer"
    PATIENT = "patient"


class ArKind(StrEnum):
    CHARGE = "charge"  # the line billed, on the insurer's account (or the patient's when self-pay)
    PAYMENT = "payment"  # an insurer's payment
    ADJUSTMENT = "adjustment"  # contractual and other write-offs, with a CARC group and reason
    TRANSFER = "transfer"  # patient responsibility: off the insurer's account, onto the patient's
    REVERSAL = "reversal"  # a rejected claim's charges taken back before it is billed again


class RemitSource(StrEnum):
    MANUAL = "manual"
    X835 = "835"


class ClaimBatch(Base):
    """One 837P file. ISA13/GS06 is `control_number`, unique forever: a re-export is a new batch."""

    __tablename__ = "claim_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    control_number: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[dt.datetime]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    claim_count: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    file_name: Mapped[str] = mapped_column(String(200))
    resent_of_id: Mapped[int | None] = mapped_column(ForeignKey("claim_batch.id"))


class ClaimBatchItem(Base):
    __tablename__ = "claim_batch_item"

    batch_id: Mapped[int] = mapped_column(ForeignKey("claim_batch.id"), primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounter.id"), primary_key=True, index=True)


class Remittance(Base):
    """An insurer's payment (a check or an EFT), posted by hand or from an 835 file."""

    __tablename__ = "remittance"
    __table_args__ = (
        # One check can be posted in parts (claim by claim from its EOB): each part is numbered.
        UniqueConstraint("payer_id", "trace_number", "part"),
        CheckConstraint(check_in("source", RemitSource), name="source"),
        CheckConstraint("method IN ('check', 'eft', 'none')", name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("payer.id"))
    trace_number: Mapped[str] = mapped_column(String(50))  # check or EFT number (TRN02)
    part: Mapped[int] = mapped_column(Integer, default=1)
    method: Mapped[str] = mapped_column(String(5))
    paid_on: Mapped[dt.date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    source: Mapped[str] = mapped_column(String(6))
    file_digest: Mapped[str | None] = mapped_column(String(64), unique=True)  # SHA-256 of an 835
    posted_at: Mapped[dt.datetime]
    posted_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))


class RemitLine(Base):
    """What the insurer said about one claim line: allowed, paid, patient share, denial codes."""

    __tablename__ = "remit_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    remittance_id: Mapped[int] = mapped_column(ForeignKey("remittance.id"), index=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounter.id"), index=True)
    charge_line_id: Mapped[int] = mapped_column(ForeignKey("charge_line.id"), index=True)
    billed: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    allowed: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    paid: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    patient_responsibility: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    denial: Mapped[str] = mapped_column(String(80), default="")  # "CO-50 Not medically necessary"
    # Remark codes (RARC) the payer sent for the line (LQ*HE), comma-separated: "N130,M15".
    remark_codes: Mapped[str] = mapped_column(String(100), default="", server_default="")


class RemitClaim(Base):
    """What a remittance said about one claim: the payer's status (CLP02: 1 primary, 2 secondary,
    4 denied, 22 a reversal of an earlier payment), the payer's own claim number (CLP07, which an
    appeal or a corrected claim quotes), the totals and the claim's remark codes (MIA/MOA)."""

    __tablename__ = "remit_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    remittance_id: Mapped[int] = mapped_column(ForeignKey("remittance.id"), index=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounter.id"), index=True)
    status_code: Mapped[str] = mapped_column(String(2), default="")
    payer_claim_number: Mapped[str] = mapped_column(String(50), default="")
    billed: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    paid: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    patient_responsibility: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    remark_codes: Mapped[str] = mapped_column(String(100), default="")


class RemitAdjustment(Base):
    """One adjustment (CAS group, reason, amount) a remittance gave a claim line, or the claim as a
    whole (no line): what a secondary claim's 2430 and 2320 CAS segments repeat."""

    __tablename__ = "remit_adjustment"
    __table_args__ = (CheckConstraint("group_code IN ('CO', 'PR', 'OA', 'PI', 'CR')", name="group_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    remit_claim_id: Mapped[int] = mapped_column(ForeignKey("remit_claim.id"), index=True)
    remit_line_id: Mapped[int | None] = mapped_column(ForeignKey("remit_line.id"), index=True)
    group_code: Mapped[str] = mapped_column(String(2))
    reason_code: Mapped[str] = mapped_column(String(5))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class RemitProviderAdjustment(Base):
    """A provider-level adjustment (835 PLB) on a remittance: interest paid (L6), a balance carried
    forward (FB) or written off against a later payment (WO), a take-back (72, WO) and the rest.
    Positive amounts reduce the payment, negative ones add to it: BPR02 = claims paid - PLB."""

    __tablename__ = "remit_provider_adjustment"

    id: Mapped[int] = mapped_column(primary_key=True)
    remittance_id: Mapped[int] = mapped_column(ForeignKey("remittance.id"), index=True)
    reason_code: Mapped[str] = mapped_column(String(2))
    reference: Mapped[str] = mapped_column(String(50), default="")
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class ArEntry(Base):
    __tablename__ = "ar_entry"
    __table_args__ = (
        CheckConstraint(check_in("account", Account), name="account"),
        CheckConstraint(check_in("kind", ArKind), name="kind"),
        CheckConstraint("amount <> 0", name="not_zero"),
        CheckConstraint("account <> 'insurer' OR payer_id IS NOT NULL", name="insurer_named"),
        CheckConstraint("kind <> 'adjustment' OR reason_code <> ''", name="adjustment_reason"),
        CheckConstraint("group_code IN ('', 'CO', 'PR', 'OA', 'PI', 'CR')", name="group_code"),
        # Covering indexes: a claim's balance and insurer aging read the first, patient aging the
        # second, days in A/R the third, never the table.
        Index("ix_ar_entry_encounter", "encounter_id", "account", "payer_id", "service_date", "amount"),
        Index("ix_ar_entry_patient", "account", "patient_id", "service_date", "amount"),
        Index("ix_ar_entry_charged", "kind", "service_date", "amount"),
        Index("ix_ar_entry_posted", "posted_at"),  # day sheets and reports: what was posted when
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounter.id"))
    charge_line_id: Mapped[int | None] = mapped_column(ForeignKey("charge_line.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("payer.id"))
    account: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # signed: + raises what is owed
    group_code: Mapped[str] = mapped_column(String(2), default="")
    reason_code: Mapped[str] = mapped_column(String(5), default="")
    service_date: Mapped[dt.date] = mapped_column(Date)  # the encounter's, copied for aging
    remittance_id: Mapped[int | None] = mapped_column(ForeignKey("remittance.id"))
    memo: Mapped[str] = mapped_column(String(200), default="")
    posted_at: Mapped[dt.datetime]
    posted_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    # What makes a posting happen once: "charge:<line>:<n>", "remit:<remittance>:<n>", a form's key.
    request_key: Mapped[str] = mapped_column(String(60), unique=True)


class PatientBalance(Base):
    """Each patient's running balance: the sum of their `ar_entry` patient-account entries and
    their desk `ledger_entry` payments, kept in the same transaction as every posting to either.

    A derived total, never the record: aging reads it to find the few patients who owe (or are
    owed) among a million without adding up every entry ever posted; a test checks it against
    the sums after random postings.
    """

    __tablename__ = "patient_balance"
    __table_args__ = (
        Index("ix_patient_balance_open", "patient_id", sqlite_where=text("balance <> 0"),
              postgresql_where=text("balance <> 0")),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), primary_key=True)
    balance: Mapped[Decimal] = mapped_column(Numeric(12, 2))
