"""Posting accounts-receivable entries inside a caller's transaction.

Every posting carries a request key made from what it is (the charge of line 7, the third
posting of remittance 12): posting it again finds the first entry, so a rerun after a
crash or a double press never counts money twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, func, insert, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from officeconsole.models import ArEntry, Encounter, LedgerEntry, PatientBalance
from officeconsole.models.claims import Account, ArKind
from officeconsole.services.common.context import ServiceContext

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
    def __init__(self, ctx: ServiceContext, session: Session, *, fresh: str | None = None) -> None:
        """`fresh`: a key prefix no entry can have yet, because it names a row this transaction
        has just made (a new remittance's "remit:12:"): its keys are not looked up first."""
        self.ctx = ctx
        self.session = session
        self.fresh = fresh

    def post(self, encounter: Encounter, key: str, account: str, kind: str, amount: Decimal, *,
             payer_id: int | None = None, line_id: int | None = None, group: str = "", reason: str = "",
             remittance_id: int | None = None, memo: str = "") -> ArEntry | None:
        """Post one entry unless `key` is posted already (then the first is returned); zero posts nothing."""
        if not (self.fresh and key.startswith(self.fresh)):
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
        if account == Account.PATIENT:
            move_patient_balance(self.session, encounter.patient_id, amount)
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

    def _sum(self, *where: ColumnElement[bool]) -> Decimal:
        return _money(self.session.scalar(select(func.coalesce(func.sum(ArEntry.amount), 0)).where(*where)))


def move_patient_balance(session: Session, patient_id: int, amount: Decimal) -> None:
    """Keep the patient's running balance with a posting, in the posting's transaction."""
    if not amount:
        return
    updated = session.execute(update(PatientBalance).where(PatientBalance.patient_id == patient_id)
                              .values(balance=func.round(PatientBalance.balance + amount, 2))
                              .execution_options(synchronize_session=False))
    moved = cast(CursorResult[Any], updated).rowcount  # an UPDATE's result is a CursorResult
    if moved:
        return
    try:
        with session.begin_nested():  # the patient's first posting; two at once: one insert wins
            session.execute(insert(PatientBalance).values(patient_id=patient_id, balance=amount))
    except IntegrityError:
        session.execute(update(PatientBalance).where(PatientBalance.patient_id == patient_id)
                        .values(balance=func.round(PatientBalance.balance + amount, 2))
                        .execution_options(synchronize_session=False))


def rebuild_patient_balances(session: Session) -> None:
    """Recompute every running balance from the entries (after a bulk load)."""
    session.execute(delete(PatientBalance))
    moves = union_all(
        select(ArEntry.patient_id.label("patient_id"), ArEntry.amount.label("amount"))
        .where(ArEntry.account == Account.PATIENT),
        select(LedgerEntry.patient_id, LedgerEntry.amount)).subquery()
    session.execute(insert(PatientBalance).from_select(
        ["patient_id", "balance"],
        select(moves.c.patient_id, func.round(func.sum(moves.c.amount), 2)).group_by(moves.c.patient_id)))


def _money(value: Decimal | int | None) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))
