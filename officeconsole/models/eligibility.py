"""Eligibility answers (271): per policy, what the payer said on the day it was asked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from officeconsole.db.base import Base


class EligibilityCheck(Base):
    __tablename__ = "eligibility_check"
    __table_args__ = (
        UniqueConstraint("file_digest", "policy_id"),  # the same 271 twice records nothing new
        Index("ix_eligibility_check_policy", "policy_id", "checked_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("insurance_policy.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    checked_on: Mapped[dt.date] = mapped_column(Date)  # the payer's date of the answer (DTP*291), or the posting day
    active: Mapped[bool]
    plan_begin: Mapped[dt.date | None] = mapped_column(Date)
    plan_end: Mapped[dt.date | None] = mapped_column(Date)
    copay: Mapped[Decimal | None]
    deductible: Mapped[Decimal | None]
    deductible_remaining: Mapped[Decimal | None]
    plan_name: Mapped[str] = mapped_column(String(60), default="")
    message: Mapped[str] = mapped_column(String(200), default="")  # AAA reject reasons, MSG text
    trace: Mapped[str] = mapped_column(String(50), default="")  # TRN02 we sent in the 270
    file_digest: Mapped[str] = mapped_column(String(64))
    posted_at: Mapped[dt.datetime]
    posted_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
