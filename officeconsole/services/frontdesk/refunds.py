"""Refunds: a patient's credit or an insurer's overpayment given back, with a manager's approval.

Anyone who takes payments may ask for a refund (amount, method, reference, reason); a manager
approves it, which posts it in the same transaction, or declines it; a manager's own refund is
asked for and approved at once (`refund`). A patient's refund is a
`refund` ledger entry (positive: the credit shrinks toward zero) and shows on the account, the
day sheet and the close; an insurer's is a positive payment entry on the claim's insurer
account (the overpayment taken back off the books). A refund is never more than the credit:
checked when it is asked for (less the refunds already waiting) and again when it is approved.
Each request carries its form's key, so a second press finds the first request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import ArEntry, Encounter, LedgerEntry, Patient, Payer, Refund, User
from officeconsole.models.claims import Account, ArKind
from officeconsole.models.ledger import EntryKind
from officeconsole.models.refunds import RefundMethod, RefundSource, RefundStatus
from officeconsole.services.billing.ar_book import ArBook, move_patient_balance
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, ValidationError
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.money import money, parse_amount
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.frontdesk.patient_balance import patient_owes
from officeconsole.services.security import audit

ZERO = Decimal("0.00")


@dataclass
class RefundInput:
    patient_id: int | None
    amount: str | Decimal
    method: str
    reason: str
    request_key: str
    reference: str = ""
    encounter_id: int | None = None  # an insurer's overpayment: the claim it was paid on
    source: str = RefundSource.PATIENT.value


@dataclass(frozen=True)
class InsurerCredit:
    encounter_id: int
    payer_id: int
    payer_name: str
    date_of_service: dt.date
    credit: Decimal  # what the insurer paid beyond what was owed on the claim


@dataclass(frozen=True)
class Refundable:
    patient_id: int
    patient_credit: Decimal  # the patient's credit less copays held for visits not billed yet
    waiting: Decimal  # patient refunds asked for and not yet decided
    insurers: list[InsurerCredit]

    @property
    def patient_available(self) -> Decimal:
        return max(self.patient_credit - self.waiting, ZERO)


@dataclass(frozen=True)
class RefundView:
    id: int
    source: str
    patient_id: int
    patient_name: str
    payer_name: str
    encounter_id: int | None
    amount: Decimal
    method: str
    reference: str
    reason: str
    status: str
    requested_at: dt.datetime
    requested_by: str
    decided_at: dt.datetime | None
    decided_by: str
    decision_note: str
    version: int

    @property
    def to_whom(self) -> str:
        return self.payer_name if self.source == RefundSource.INSURER else self.patient_name


class RefundService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("account.view")
    def refundable(self, patient_id: int) -> Refundable:
        """What can be refunded to the patient, and to each insurer that overpaid one of their claims."""
        with self.ctx.db.read() as session:
            get_or_fail(session, Patient, patient_id, "patient")
            return _refundable(session, self.ctx, patient_id)

    @requires("refund.request")
    def request(self, data: RefundInput) -> RefundView:
        """Ask for a refund; it waits for a manager's approval and nothing is posted until then."""
        return self._ask(data, post=False)

    @requires("refund.approve")
    def refund(self, data: RefundInput) -> RefundView:
        """A manager's own refund: asked for, approved and posted in one transaction (a refund that
        cannot be posted is not kept as asked either). The same form pressed twice finds the first."""
        return self._ask(data, post=True)

    def _ask(self, data: RefundInput, post: bool) -> RefundView:
        values = _validate(data)
        try:
            with self.ctx.db.write() as session:
                earlier = session.scalar(select(Refund).where(Refund.request_key == values["request_key"]))
                if earlier is not None:
                    return _view(session, self.ctx, earlier)
                patient = get_or_fail(session, Patient, data.patient_id, "patient")
                refund = Refund(source=values["source"], patient_id=patient.id, amount=values["amount"],
                                method=values["method"], reference=values["reference"], reason=values["reason"],
                                status=RefundStatus.REQUESTED, requested_at=self.ctx.now(),
                                requested_by_id=self.ctx.actor_or_fail().user_id,
                                request_key=values["request_key"])
                available = self._available(session, patient.id, refund, data.encounter_id)
                if values["amount"] > available:
                    raise ValidationError({"amount": _too_much(values["amount"], available, refund.source)})
                session.add(refund)
                session.flush()
                audit.record(session, refund.requested_at, self.ctx.actor, "refund.request", entity="refund",
                             entity_id=refund.id, patient_id=patient.id,
                             summary=f"{money(refund.amount)} {refund.method} to the {refund.source}: {refund.reason}")
                if post:
                    self._post(session, refund)
                return _view(session, self.ctx, refund)
        except IntegrityError:  # the same form pressed twice at once: the first request stands
            with self.ctx.db.read() as session:
                earlier = session.scalar(select(Refund).where(Refund.request_key == values["request_key"]))
                if earlier is None:
                    raise
                return _view(session, self.ctx, earlier)

    @requires("refund.approve")
    def approve(self, refund_id: int, expected_version: int) -> RefundView:
        """Approve and post: the credit is checked again, as it is now."""
        with self.ctx.db.write() as session:
            refund = self._waiting(session, refund_id, expected_version)
            self._post(session, refund)
            return _view(session, self.ctx, refund)

    @requires("refund.approve")
    def decline(self, refund_id: int, expected_version: int, note: str) -> RefundView:
        why = clean_text(note, 200)
        if not why:
            raise ValidationError({"note": "Say why the refund is declined."})
        with self.ctx.db.write() as session:
            refund = self._waiting(session, refund_id, expected_version)
            refund.status, refund.decided_at = RefundStatus.DECLINED, self.ctx.now()
            refund.decided_by_id, refund.decision_note = self.ctx.actor_or_fail().user_id, why
            self._save(session, refund, "refund.decline", f"{money(refund.amount)} declined: {why}")
            return _view(session, self.ctx, refund)

    @requires("account.view")
    def refunds(self, patient_id: int | None = None, status: str | None = None, limit: int = 100) -> list[RefundView]:
        """Refunds newest first: one patient's, or every patient's (waiting ones with status='requested')."""
        query = select(Refund).order_by(Refund.requested_at.desc(), Refund.id.desc()).limit(limit)
        if patient_id is not None:
            query = query.where(Refund.patient_id == patient_id)
        if status is not None:
            query = query.where(Refund.status == status)
        with self.ctx.db.read() as session:
            return [_view(session, self.ctx, r) for r in session.scalars(query)]

    # ----- helpers -------------------------------------------------------------------
    def _post(self, session: Session, refund: Refund) -> None:
        """Approve a waiting refund and post it, its credit checked again as it is now."""
        available = self._available(session, refund.patient_id, refund, refund.encounter_id, waiting=False)
        if refund.amount > available:
            raise ValidationError({"amount": _too_much(refund.amount, available, refund.source)})
        now = self.ctx.now()
        actor = self.ctx.actor_or_fail()
        memo = f"Refund {refund.method}" + (f" {refund.reference}" if refund.reference else "")
        if refund.source == RefundSource.PATIENT:
            entry = LedgerEntry(patient_id=refund.patient_id, kind=EntryKind.REFUND, amount=refund.amount,
                                method=refund.method, reference=refund.reference, memo=memo,
                                reason=refund.reason, posted_by_id=actor.user_id, posted_at=now,
                                request_key=f"refund:{refund.id}")
            session.add(entry)
            session.flush()
            move_patient_balance(session, refund.patient_id, refund.amount)
            refund.ledger_entry_id = entry.id
        else:
            encounter = get_or_fail(session, Encounter, refund.encounter_id, "encounter")
            ar_entry = ArBook(self.ctx, session).post(
                encounter, f"refund:{refund.id}", Account.INSURER, ArKind.PAYMENT, refund.amount,
                payer_id=refund.payer_id, memo=f"{memo}: {refund.reason}")
            if ar_entry is None:  # the book posts nothing for zero, and a refund is never zero
                raise ValidationError({"amount": "A refund of nothing cannot be posted."})
            refund.ar_entry_id = ar_entry.id
        refund.status, refund.decided_at, refund.decided_by_id = RefundStatus.APPROVED, now, actor.user_id
        self._save(session, refund, "refund.approve", f"{money(refund.amount)} {refund.method} to the "
                                                      f"{refund.source} posted")

    def _available(self, session: Session, patient_id: int, refund: Refund, encounter_id: int | None,
                   waiting: bool = True) -> Decimal:
        """The credit the refund may take; for an insurer's, names the claim's payer on the refund."""
        found = _refundable(session, self.ctx, patient_id, exclude=refund.id)
        if refund.source == RefundSource.PATIENT:
            return found.patient_available if waiting else found.patient_credit
        credit = next((c for c in found.insurers if c.encounter_id == encounter_id
                       and (refund.payer_id is None or c.payer_id == refund.payer_id)), None)
        if credit is None:
            encounter = session.get(Encounter, encounter_id) if encounter_id is not None else None
            if encounter is None or encounter.patient_id != patient_id:
                raise ValidationError({"encounter_id": "Choose one of the patient's claims."})
            return ZERO
        refund.encounter_id, refund.payer_id = credit.encounter_id, credit.payer_id
        pending = ZERO
        if waiting:
            pending = session.scalar(select(func.coalesce(func.sum(Refund.amount), 0)).where(
                Refund.encounter_id == credit.encounter_id, Refund.payer_id == credit.payer_id,
                Refund.status == RefundStatus.REQUESTED, Refund.id != (refund.id or 0))) or ZERO
        return max(credit.credit - Decimal(pending).quantize(Decimal("0.01")), ZERO)

    def _waiting(self, session: Session, refund_id: int, expected_version: int) -> Refund:
        refund = get_or_fail(session, Refund, refund_id, "refund")
        if refund.version != expected_version:
            raise ConcurrentEdit("refund")
        if refund.status != RefundStatus.REQUESTED:
            raise ValidationError({"status": f"This refund is {refund.status} already."})
        return refund

    def _save(self, session: Session, refund: Refund, action: str, summary: str) -> None:
        try:
            session.flush()
        except StaleDataError:
            raise ConcurrentEdit("refund") from None
        audit.record(session, self.ctx.now(), self.ctx.actor, action, entity="refund", entity_id=refund.id,
                     patient_id=refund.patient_id, summary=summary)


def _validate(data: RefundInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    try:
        values["amount"] = parse_amount(data.amount)
    except ValidationError as exc:
        errors.update(exc.errors)
    values["source"] = clean_text(data.source).lower()
    if values["source"] not in {s.value for s in RefundSource}:
        errors["source"] = "A refund is of the patient's credit or of an insurer's overpayment."
    values["method"] = clean_text(data.method).lower()
    methods = {m.value for m in RefundMethod} - ({RefundMethod.EFT.value} if values["source"] == "patient" else set())
    if values["method"] not in methods:
        errors["method"] = "Method must be " + ", ".join(sorted(methods)) + "."
    values["reference"] = clean_text(data.reference, 60)
    if values["method"] == RefundMethod.CHECK and not values["reference"]:
        errors["reference"] = "Type the number of the check sent."
    values["reason"] = clean_text(data.reason, 200)
    if not values["reason"]:
        errors["reason"] = "Say why the money is given back."
    values["request_key"] = clean_text(data.request_key, 60)
    if not values["request_key"]:
        errors["request_key"] = "A refund needs its form's request key (reopen the form)."
    if data.patient_id is None:
        errors["patient_id"] = "Choose the patient."
    if values.get("source") == RefundSource.INSURER and data.encounter_id is None:
        errors["encounter_id"] = "Choose the claim the insurer overpaid."
    if errors:
        raise ValidationError(errors)
    return values


def _too_much(amount: Decimal, available: Decimal, source: str) -> str:
    whose = "the patient's credit" if source == RefundSource.PATIENT else "what the insurer overpaid on this claim"
    if available <= 0:
        return f"There is nothing to refund: {whose} is {money(ZERO)} (less refunds waiting for approval)."
    return f"{money(amount)} is more than {whose}, {money(available)} (less refunds waiting for approval)."


def _refundable(session: Session, ctx: ServiceContext, patient_id: int, exclude: int | None = None) -> Refundable:
    owes = patient_owes(session, ctx, patient_id)
    credit = max(-owes.balance - owes.collected, ZERO) if owes.balance < 0 else ZERO
    waiting = session.scalar(select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.patient_id == patient_id, Refund.source == RefundSource.PATIENT,
        Refund.status == RefundStatus.REQUESTED, Refund.id != (exclude or 0))) or 0
    insurers = [InsurerCredit(encounter_id, cast(int, payer_id), name, day,  # the join on Payer: never None
                               -Decimal(total).quantize(Decimal("0.01")))
                for encounter_id, payer_id, name, day, total in session.execute(
                    select(ArEntry.encounter_id, ArEntry.payer_id, Payer.name, ArEntry.service_date,
                           func.sum(ArEntry.amount))
                    .join(Payer, Payer.id == ArEntry.payer_id)
                    .where(ArEntry.patient_id == patient_id, ArEntry.account == Account.INSURER)
                    .group_by(ArEntry.encounter_id, ArEntry.payer_id, Payer.name, ArEntry.service_date)
                    .having(func.sum(ArEntry.amount) < 0).order_by(ArEntry.service_date, ArEntry.encounter_id))]
    return Refundable(patient_id, credit, Decimal(waiting).quantize(Decimal("0.01")), insurers)


def _view(session: Session, ctx: ServiceContext, r: Refund) -> RefundView:
    patient = get_or_fail(session, Patient, r.patient_id, "patient")
    names: dict[int | None, str] = dict(session.execute(select(User.id, User.username).where(
        User.id.in_([i for i in (r.requested_by_id, r.decided_by_id) if i is not None]))).all())
    payer = session.get(Payer, r.payer_id) if r.payer_id is not None else None
    tz = ctx.timezone
    return RefundView(r.id, r.source, r.patient_id, f"{patient.last_name}, {patient.first_name}",
                      payer.name if payer else "", r.encounter_id, r.amount, r.method, r.reference, r.reason,
                      r.status, r.requested_at.astimezone(tz), names.get(r.requested_by_id, ""),
                      r.decided_at.astimezone(tz) if r.decided_at else None, names.get(r.decided_by_id, ""),
                      r.decision_note, r.version)
