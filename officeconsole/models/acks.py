"""Acknowledgements of the claims we send: the clearinghouse's 999 (was the file readable?) and
the payer's 277CA (was each claim taken in for adjudication, or rejected and why?).

Each file read is kept once (its digest is unique), with one item per batch (999) or per claim
(277CA) it speaks of: what it said, and whether the item matched a batch or claim of ours.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from officeconsole.db.base import Base
from officeconsole.models.enums import check_in


class AckKind(StrEnum):
    X999 = "999"
    X277CA = "277CA"


class AckOutcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNMATCHED = "unmatched"  # no batch or claim of ours: listed, nothing moved


class ClaimAck(Base):
    __tablename__ = "claim_ack"
    __table_args__ = (CheckConstraint(check_in("kind", AckKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(5))
    file_digest: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the segments
    interchange: Mapped[str] = mapped_column(String(9))  # ISA13 of the acknowledgement
    file_name: Mapped[str] = mapped_column(String(200))
    posted_at: Mapped[dt.datetime]
    posted_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))


class ClaimAckItem(Base):
    __tablename__ = "claim_ack_item"
    __table_args__ = (
        CheckConstraint(check_in("outcome", AckOutcome), name="outcome"),
        Index("ix_claim_ack_item_encounter", "encounter_id", "ack_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ack_id: Mapped[int] = mapped_column(ForeignKey("claim_ack.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("claim_batch.id"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounter.id"))
    reference: Mapped[str] = mapped_column(String(50))  # the claim ID (CLM01) or "batch 42" as the file gave it
    outcome: Mapped[str] = mapped_column(String(9))
    codes: Mapped[str] = mapped_column(String(100), default="")  # STC01 "A7:562:85", IK5/AK9 codes
    message: Mapped[str] = mapped_column(String(264), default="")  # the payer's free text, or why unmatched
    payer_claim_number: Mapped[str] = mapped_column(String(50), default="")  # 277CA REF*1K
    moved: Mapped[bool] = mapped_column(default=False)  # the claim's state changed because of this item
