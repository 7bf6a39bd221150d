"""Refunds: money given back, of a patient's credit or of an insurer's overpayment.

A refund is asked for (method, reference, reason), then approved or declined by a manager; on
approval it is posted, in the same transaction: a patient's as a `refund` ledger entry (raising
the balance back toward zero), an insurer's as a positive payment entry on the claim's insurer
account. It is never more than the credit there is.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from officeconsole.db.base import Base
from officeconsole.models.enums import check_in


class RefundSource(StrEnum):
    PATIENT = "patient"  # the patient's credit
    INSURER = "insurer"  # an insurer's overpayment on a claim


class RefundStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"  # and posted
    DECLINED = "declined"


class RefundMethod(StrEnum):
    CHECK = "check"
    CARD = "card"
    CASH = "cash"
    EFT = "eft"  # to an insurer only

    @property
    def label(self) -> str:
        return "EFT" if self is RefundMethod.EFT else self.value.title()


class Refund(Base):
    __tablename__ = "refund"
    __table_args__ = (
        CheckConstraint(check_in("source", RefundSource), name="source"),
        CheckConstraint(check_in("status", RefundStatus), name="status"),
        CheckConstraint(check_in("method", RefundMethod), name="method"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("reason <> ''", name="has_reason"),
        CheckConstraint("source <> 'insurer' OR (payer_id IS NOT NULL AND encounter_id IS NOT NULL)",
                        name="insurer_claim"),
        CheckConstraint("status <> 'approved' OR (ledger_entry_id IS NOT NULL OR ar_entry_id IS NOT NULL)",
                        name="approved_posted"),
        Index("ix_refund_status", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(7))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounter.id"))
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("payer.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    method: Mapped[str] = mapped_column(String(5))
    reference: Mapped[str] = mapped_column(String(60), default="")  # check number, card last four
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(9), default=RefundStatus.REQUESTED)
    requested_at: Mapped[dt.datetime]
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decision_note: Mapped[str] = mapped_column(String(200), default="")
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"), unique=True)
    ar_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ar_entry.id"), unique=True)
    # The form's one-time key: asking twice with the same key finds the first request.
    request_key: Mapped[str] = mapped_column(String(60), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
