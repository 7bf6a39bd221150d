"""Payments at the desk as ledger entries: posted once, never edited, voided by reversal.

Every post carries the form's one-time `request_key`. A second press of "post" (or a retry
after a timeout) with the same key returns the first entry instead of taking the money twice;
the key's unique index settles even two consoles racing with it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from officeconsole.models import Appointment, LedgerEntry, Patient, User
from officeconsole.models.ledger import EntryKind, PaymentMethod
from officeconsole.services.billing.ar_book import move_patient_balance
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import NotFound, ValidationError
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.money import money, parse_amount
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.frontdesk.patient_balance import PatientOwes, patient_owes
from officeconsole.services.practice.clinic import next_number
from officeconsole.services.security import audit

OPENING_MEMO = "Opening balance"


def new_request_key() -> str:
    """What a payment form takes when it opens, and hands in with every press of "post"."""
    return uuid.uuid4().hex


@dataclass
class PaymentInput:
    patient_id: int | None = None
    amount: str | Decimal = ""
    method: str = PaymentMethod.CARD.value
    reference: str = ""
    memo: str = "Payment on account"
    appointment_id: int | None = None
    request_key: str = ""


@dataclass(frozen=True)
class EntryView:
    id: int
    patient_id: int
    appointment_id: int | None
    kind: str
    amount: Decimal  # signed against the balance: a payment is negative
    method: str
    reference: str
    receipt_number: str | None
    memo: str
    posted_by: str
    posted_at: dt.datetime  # clinic-local
    voids_id: int | None
    reason: str
    voided: bool = False  # a later entry reverses this one

    @property
    def received(self) -> Decimal:
        """The money as the patient sees it: a $25.00 payment is 25.00."""
        return -self.amount

    @property
    def description(self) -> str:
        if self.kind == EntryKind.VOID:
            return f"Void of entry {self.voids_id}: {self.reason}"
        if self.kind == EntryKind.OPENING:
            return self.memo or OPENING_MEMO
        how = PaymentMethod(self.method).label if self.method else ""
        if self.kind == EntryKind.REFUND:  # 'Refund (Check 4021): moved away'
            return f"Refund ({how}{' ' + self.reference if self.reference else ''}): {self.reason}"
        return f"{self.memo} ({how}{' ' + self.reference if self.reference else ''})"


@dataclass(frozen=True)
class Account:
    patient_id: int
    balance: Decimal  # what the patient owes (patient_balance.owed): positive owed, negative a credit
    entries: list[EntryView]  # the desk's entries, newest first
    owes: PatientOwes | None = None  # the balance's parts and the age of the oldest debt unpaid


@dataclass(frozen=True)
class PatientBalanceView:
    mrn: str
    name: str  # "Last, First"
    owes: PatientOwes


class Ledger:
    """Posting inside a caller's transaction (check-in and check-out post with the visit)."""

    def __init__(self, ctx: ServiceContext, session: Session) -> None:
        self.ctx = ctx
        self.session = session

    def existing(self, request_key: str) -> LedgerEntry | None:
        return self.session.scalar(select(LedgerEntry).where(LedgerEntry.request_key == request_key))

    def post_payment(self, data: PaymentInput) -> LedgerEntry:
        values = validate_payment(data)
        session, now = self.session, self.ctx.now()
        earlier = self.existing(values["request_key"])
        if earlier is not None:
            return _same_payment(earlier, data.patient_id, values)
        patient = get_or_fail(session, Patient, data.patient_id, "patient")
        if data.appointment_id is not None:
            visit = get_or_fail(session, Appointment, data.appointment_id, "appointment")
            if visit.patient_id != patient.id:
                raise ValidationError({"appointment_id": "That appointment is another patient's."})
        number = next_number(session, "receipt", start=1)
        entry = LedgerEntry(
            patient_id=patient.id, appointment_id=data.appointment_id, kind=EntryKind.PAYMENT,
            amount=-values["amount"], method=values["method"], reference=values["reference"],
            receipt_number=f"R{number:07d}", memo=values["memo"], posted_by_id=self.ctx.actor_or_fail().user_id,
            posted_at=now, request_key=values["request_key"])
        session.add(entry)
        session.flush()
        move_patient_balance(session, patient.id, entry.amount)
        audit.record(session, now, self.ctx.actor, "payment.post", entity="ledger_entry", entity_id=entry.id,
                     patient_id=patient.id,
                     summary=f"{money(values['amount'])} {values['method']} receipt {entry.receipt_number}: "
                             f"{values['memo']}")
        return entry


def validate_payment(data: PaymentInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    try:
        values["amount"] = parse_amount(data.amount)
    except ValidationError as exc:
        errors.update(exc.errors)
    method = clean_text(data.method).lower()
    if method not in {m.value for m in PaymentMethod}:
        errors["method"] = "Method must be cash, card or check."
    values["method"] = method
    values["reference"] = clean_text(data.reference, 60)
    if method == PaymentMethod.CHECK and not values["reference"]:
        errors["reference"] = "Type the check number."
    values["memo"] = clean_text(data.memo, 200) or "Payment on account"
    values["request_key"] = clean_text(data.request_key, 40)
    if not values["request_key"]:
        errors["request_key"] = "A payment needs its form's request key (reopen the form)."
    if data.patient_id is None:
        errors["patient_id"] = "Choose the patient."
    if errors:
        raise ValidationError(errors)
    return values


def _same_payment(earlier: LedgerEntry, patient_id: int | None, values: dict[str, Any]) -> LedgerEntry:
    """The repeat of a post already made: the same entry, or a refusal if the form changed."""
    if earlier.patient_id != patient_id or -earlier.amount != values["amount"] or earlier.method != values["method"]:
        raise ValidationError({"amount": "This form already posted a different payment: close it and open a new one."})
    return earlier


class LedgerService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("payment.post")
    def post_payment(self, data: PaymentInput) -> EntryView:
        """Post a payment; the same request key posted again returns the first entry."""
        try:
            with self.ctx.db.write() as session:
                entry = Ledger(self.ctx, session).post_payment(data)
                return self._view(session, entry)
        except IntegrityError:
            # Another console (or a double press) committed the same request key first.
            with self.ctx.db.read() as session:
                earlier = Ledger(self.ctx, session).existing(clean_text(data.request_key, 40))
                if earlier is None:
                    raise
                return self._view(session, _same_payment(earlier, data.patient_id, validate_payment(data)))

    @requires("payment.void")
    def void_payment(self, entry_id: int, reason: str, request_key: str) -> EntryView:
        """Reverse a posted payment with a reason; both entries stay, both are audited."""
        why = clean_text(reason, 200)
        key = clean_text(request_key, 40)
        if not why:
            raise ValidationError({"reason": "Say why the payment is voided."})
        if not key:
            raise ValidationError({"request_key": "A void needs its form's request key."})
        now = self.ctx.now()
        try:
            with self.ctx.db.write() as session:
                earlier = Ledger(self.ctx, session).existing(key)
                if earlier is not None:
                    if earlier.voids_id != entry_id:
                        raise ValidationError({"reason": "This form already voided another entry."})
                    return self._view(session, earlier)
                original = get_or_fail(session, LedgerEntry, entry_id, "ledger entry")
                if original.kind != EntryKind.PAYMENT:
                    raise ValidationError({"entry": "Only a payment can be voided."})
                if session.scalar(select(LedgerEntry.id).where(LedgerEntry.voids_id == original.id)) is not None:
                    raise ValidationError({"entry": f"Receipt {original.receipt_number} is voided already."})
                void = LedgerEntry(
                    patient_id=original.patient_id, appointment_id=original.appointment_id, kind=EntryKind.VOID,
                    amount=-original.amount, method=original.method, reference=original.reference,
                    memo=f"Void of receipt {original.receipt_number}", posted_by_id=self.ctx.actor_or_fail().user_id,
                    posted_at=now, voids_id=original.id, reason=why, request_key=key)
                session.add(void)
                session.flush()
                move_patient_balance(session, void.patient_id, void.amount)
                audit.record(session, now, self.ctx.actor, "payment.void", entity="ledger_entry", entity_id=void.id,
                             patient_id=original.patient_id,
                             summary=f"voids entry {original.id} (receipt {original.receipt_number}, "
                                     f"{money(-original.amount)}): {why}")
                return self._view(session, void)
        except IntegrityError:
            raise ValidationError({"entry": "That payment was voided from another console just now."}) from None

    @requires("data.import")
    def post_opening_balance(self, patient_id: int, amount: Decimal, as_of: dt.date, request_key: str) -> EntryView:
        """What the patient owed (positive) or was owed (negative) when the practice moved in, as one
        entry that statements and aging show as "Opening balance". The same key posted again
        returns the first entry; a patient has one opening balance."""
        amount = Decimal(amount).quantize(Decimal("0.01"))
        if not amount:
            raise ValidationError({"amount": "An opening balance of zero posts nothing."})
        key = clean_text(request_key, 40)
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            ledger = Ledger(self.ctx, session)
            earlier = ledger.existing(key)
            if earlier is not None:
                return self._view(session, earlier)
            patient = get_or_fail(session, Patient, patient_id, "patient")
            posted = session.scalar(select(LedgerEntry).where(LedgerEntry.patient_id == patient.id,
                                                              LedgerEntry.kind == EntryKind.OPENING))
            if posted is not None:
                raise ValidationError({"amount": f"{patient.mrn} has an opening balance already "
                                                 f"({money(posted.amount)}); entries are never changed: post a "
                                                 "payment or an adjustment instead."})
            entry = LedgerEntry(
                patient_id=patient.id, kind=EntryKind.OPENING, amount=amount, method="",
                memo=f"{OPENING_MEMO} as of {as_of:%m/%d/%Y}", posted_by_id=self.ctx.actor_or_fail().user_id,
                posted_at=now, request_key=key)
            session.add(entry)
            session.flush()
            move_patient_balance(session, patient.id, entry.amount)
            audit.record(session, now, self.ctx.actor, "balance.opening", entity="ledger_entry", entity_id=entry.id,
                         patient_id=patient.id, summary=f"{OPENING_MEMO} {money(amount)} as of {as_of:%Y-%m-%d}")
            return self._view(session, entry)

    @requires("account.view")
    def account(self, patient_id: int, limit: int = 50) -> Account:
        """What the patient owes (the same figure as check-in, statements and aging) and the
        latest desk entries, newest first."""
        with self.ctx.db.read() as session:
            get_or_fail(session, Patient, patient_id, "patient")
            owes = patient_owes(session, self.ctx, patient_id)
            entries = session.scalars(select(LedgerEntry).where(LedgerEntry.patient_id == patient_id)
                                      .order_by(LedgerEntry.posted_at.desc(), LedgerEntry.id.desc()).limit(limit)).all()
            return Account(patient_id, owes.balance, [self._view(session, e) for e in entries], owes)

    @requires("account.view")
    def balance(self, mrn: str) -> PatientBalanceView:
        """What the patient with this MRN owes: the account screen's and the statement's figure."""
        wanted = clean_text(mrn)
        with self.ctx.db.read() as session:
            patient = session.scalar(select(Patient).where(Patient.mrn == wanted))
            if patient is None:
                raise NotFound(f"No patient has MRN {wanted or '(blank)'}.")
            return PatientBalanceView(patient.mrn, f"{patient.last_name}, {patient.first_name}",
                                      patient_owes(session, self.ctx, patient.id))

    @requires("account.view")
    def entry(self, entry_id: int) -> EntryView:
        with self.ctx.db.read() as session:
            return self._view(session, get_or_fail(session, LedgerEntry, entry_id, "ledger entry"))

    def _view(self, session: Session, e: LedgerEntry) -> EntryView:
        who = session.scalar(select(User.username).where(User.id == e.posted_by_id)) or ""
        voided = e.kind == EntryKind.PAYMENT and session.scalar(
            select(LedgerEntry.id).where(LedgerEntry.voids_id == e.id)) is not None
        return EntryView(e.id, e.patient_id, e.appointment_id, e.kind, e.amount, e.method, e.reference,
                         e.receipt_number, e.memo, who, e.posted_at.astimezone(self.ctx.timezone), e.voids_id,
                         e.reason, voided)
