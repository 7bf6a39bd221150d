"""The patients' accounts: money in and out as append-only ledger entries.

Amounts are signed against the patient's balance: a payment lowers it (negative), a charge
raises it (positive). A posted entry is never edited or deleted (database triggers refuse
both); a mistake is voided by a reversing entry that names the one it reverses and why.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from officeconsole.db.base import Base
from officeconsole.models.enums import check_in


class EntryKind(StrEnum):
    PAYMENT = "payment"
    VOID = "void"
    OPENING = "opening"  # what the patient owed (or was owed) the day the practice moved in
    REFUND = "refund"  # a credit given back (an approved refund): raises the balance toward zero


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    CHECK = "check"

    @property
    def label(self) -> str:
        return self.value.title()


class LedgerEntry(Base):
    __tablename__ = "ledger_entry"
    __table_args__ = (
        CheckConstraint(check_in("kind", EntryKind), name="kind"),
        CheckConstraint("method = '' OR " + check_in("method", PaymentMethod), name="method"),
        CheckConstraint("amount <> 0", name="not_zero"),
        CheckConstraint("(kind = 'void') = (voids_id IS NOT NULL)", name="void_names_entry"),
        CheckConstraint("kind <> 'void' OR reason <> ''", name="void_has_reason"),
        CheckConstraint("kind <> 'payment' OR (amount < 0 AND receipt_number IS NOT NULL)", name="payment_shape"),
        CheckConstraint("kind <> 'refund' OR (amount > 0 AND method <> '' AND reason <> '')", name="refund_shape"),
        Index("ix_ledger_entry_patient_posted", "patient_id", "posted_at"),
        Index("ix_ledger_entry_patient_amount", "patient_id", "posted_at", "amount"),  # covers patient aging
        Index("ix_ledger_entry_posted", "posted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    method: Mapped[str] = mapped_column(String(10), default="")
    reference: Mapped[str] = mapped_column(String(60), default="")  # card last four, check number
    receipt_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    memo: Mapped[str] = mapped_column(String(200), default="")  # "copay", "payment on account"
    posted_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    posted_at: Mapped[dt.datetime]
    voids_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    # The form's one-time key: a second press of "post" finds the first entry instead of
    # posting the money twice.
    request_key: Mapped[str] = mapped_column(String(40), unique=True)
