"""Posting accounts-receivable entries inside a caller's transaction.

Every posting carries a request key made from what it is (the charge of line 7, the third
posting of remittance 12): posting it again finds the first entry, so a rerun after a
crash or a double press never counts money twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from officeconsole.models import ArEntry, Encounter, LedgerEntry
from officeconsole.models.claims import Account, ArKind
from officeconsole.services.context import ServiceContext

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ClaimBalance:
    charged: Decimal
    insurer: Decimal  # what the insurer still owes on the claim
    patient: Decimal  # what the patient owes on it, after their payments at the desk

    @property
    def total(self) -> Decimal:
        return self.insurer + self.patient


class ArBook:
    def __init__(self, ctx: ServiceContext, session: Session) -> None:
        self.ctx = ctx
        self.session = session

    def post(self, encounter: Encounter, key: str, account: str, kind: str, amount: Decimal, *,
             payer_id: int | None = None, line_id: int | None = None, group: str = "", reason: str = "",
             remittance_id: int | None = None, memo: str = "") -> ArEntry | None:
        """Post one entry unless `key` is posted already (then the first is returned); zero posts nothing."""
        earlier = self.session.scalar(select(ArEntry).where(ArEntry.request_key == key))
        if earlier is not None:
            return earlier
        if amount == 0:
            return None
        entry = ArEntry(encounter_id=encounter.id, charge_line_id=line_id, patient_id=encounter.patient_id,
                        payer_id=payer_id, account=account, kind=kind, amount=amount, group_code=group,
                        reason_code=reason, service_date=encounter.date_of_service, remittance_id=remittance_id,
                        memo=memo[:200], posted_at=self.ctx.now(),
                        posted_by_id=self.ctx.actor_or_fail().user_id, request_key=key)
        self.session.add(entry)
        self.session.flush()
        return entry

    def charged(self, line_id: int) -> Decimal:
        """The line's charge still on the books (charges less reversals)."""
        return self._sum(ArEntry.charge_line_id == line_id,
                         ArEntry.kind.in_([ArKind.CHARGE, ArKind.REVERSAL]))

    def postings(self, line_id: int, kind: str) -> int:
        return self.session.scalar(select(func.count()).select_from(ArEntry).where(
            ArEntry.charge_line_id == line_id, ArEntry.kind == kind)) or 0

    def line_insurer_balance(self, line_id: int) -> Decimal:
        return self._sum(ArEntry.charge_line_id == line_id, ArEntry.account == Account.INSURER)

    def balance(self, encounter: Encounter) -> ClaimBalance:
        rows = dict(self.session.execute(
            select(ArEntry.account, func.sum(ArEntry.amount)).where(ArEntry.encounter_id == encounter.id)
            .group_by(ArEntry.account)).all())
        charged = self._sum(ArEntry.encounter_id == encounter.id, ArEntry.kind.in_([ArKind.CHARGE, ArKind.REVERSAL]))
        desk = self.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                                   .where(LedgerEntry.appointment_id == encounter.appointment_id))
        return ClaimBalance(charged, _money(rows.get(Account.INSURER)),
                            _money(rows.get(Account.PATIENT)) + _money(desk))

    def _sum(self, *where) -> Decimal:
        return _money(self.session.scalar(select(func.coalesce(func.sum(ArEntry.amount), 0)).where(*where)))


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))
