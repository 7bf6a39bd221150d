"""Check-in and check-out at the desk: insurance confirmed, copay taken, forms noted, status set.

Check-in is one transaction: the insurance verification, the payment, the privacy notice and
the arrival are saved together or not at all. Two consoles checking in the same patient meet
the appointment's version: the second is told someone else did it, and its payment is not
taken. Walk-ins get the provider's first free time today and then check in like anyone else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from officeconsole.models import Appointment, EligibilityCheck, InsurancePolicy, LedgerEntry, Patient
from officeconsole.models.enums import AppointmentStatus as S
from officeconsole.services.billing.encounters import open_encounter
from officeconsole.services.common import permissions
from officeconsole.services.common.context import Actor, ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, ValidationError
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.frontdesk.flow import Flow, FlowRow
from officeconsole.services.frontdesk.insurance import PolicyView
from officeconsole.services.frontdesk.ledger import Ledger, PaymentInput
from officeconsole.services.frontdesk.patient_balance import PatientOwes, patient_owes
from officeconsole.services.frontdesk.patients import PatientRecord, PatientService
from officeconsole.services.scheduling.booking import AppointmentView, Booker, BookingInput
from officeconsole.services.scheduling.schedule import ScheduleService
from officeconsole.services.scheduling.slot_finder import SlotFinder, SlotQuery

STALE_AFTER_DAYS = 30


class VerifiedHow(StrEnum):
    CARD = "card"  # the card seen at the desk
    PHONE = "phone"  # the payer called
    PORTAL = "portal"  # the payer's web portal
    ELIGIBILITY = "eligibility"  # an electronic 270/271 check

    @property
    def label(self) -> str:
        return {"card": "Card seen", "phone": "Payer phoned", "portal": "Payer portal",
                "eligibility": "Eligibility check"}[self.value]


@dataclass(frozen=True)
class PolicyCheck:
    policy: PolicyView
    problem: str  # "" when the policy is active and verified within 30 days

    @property
    def ok(self) -> bool:
        return not self.problem


@dataclass(frozen=True)
class CheckInView:
    visit: FlowRow
    patient: PatientRecord
    policies: list[PolicyCheck]
    copay_due: Decimal | None  # the active primary policy's copay
    balance: Decimal  # what the patient owes (patient_balance.owed) before today's payment; positive: owed
    paid_for_visit: Decimal  # already taken for this appointment
    owes: PatientOwes | None = None  # the balance's parts and the age of the oldest debt unpaid
    copay_held: str = ""  # why no copay is proposed although the primary has one on file


@dataclass
class CheckInInput:
    appointment_id: int
    expected_version: int
    verify_policy_ids: list[int] = field(default_factory=list)
    verified_how: str = VerifiedHow.CARD.value
    verify_insurance: bool = False  # the desk confirmed the insurance: every policy in force today
    privacy_signed: bool = False
    payment: PaymentInput | None = None


def _answered_inactive(session: Session, policy_id: int) -> dt.date | None:
    """The date of the policy's latest eligibility answer (271) when it said inactive, else None."""
    latest = session.execute(
        select(EligibilityCheck.active, EligibilityCheck.checked_on)
        .where(EligibilityCheck.policy_id == policy_id)
        .order_by(EligibilityCheck.checked_on.desc(), EligibilityCheck.id.desc()).limit(1)).first()
    return latest.checked_on if latest is not None and not latest.active else None


def policy_problem(policy: PolicyView, today: dt.date) -> str:
    if policy.effective_to is not None and policy.effective_to < today:
        return f"Expired {policy.effective_to:%m/%d/%Y}"
    if policy.effective_from > today:
        return f"Not active until {policy.effective_from:%m/%d/%Y}"
    if policy.verified_at is None:
        return "Never verified"
    if policy.verified_at.date() < today - dt.timedelta(days=STALE_AFTER_DAYS):
        return f"Last verified {policy.verified_at:%m/%d/%Y}: over {STALE_AFTER_DAYS} days ago"
    return ""


class CheckInService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("patient.checkin")
    def view(self, appointment_id: int) -> CheckInView:
        """Everything the check-in form shows; opening it is a look at the record (audited)."""
        with self.ctx.db.read() as session:
            get_or_fail(session, Appointment, appointment_id, "appointment")
            rows = Flow(self.ctx, session).rows(Appointment.id == appointment_id)
        if not rows:
            raise ValidationError({"status": "This appointment was cancelled: book a new one (a walk-in) instead."})
        visit = rows[0]
        patient = PatientService(self.ctx).get(visit.patient_id)
        today = self.ctx.today()
        zone = self.ctx.timezone
        checks = [PolicyCheck(p, policy_problem(_local(p, zone), today)) for p in patient.policies]
        active = [c for c in checks if c.policy.active_on(today)]
        primary = min(active, key=lambda c: c.policy.rank, default=None)
        with self.ctx.db.read() as session:
            owes = patient_owes(session, self.ctx, patient.id)
            paid = -_sum(session, LedgerEntry.appointment_id == appointment_id)
            inactive_since = _answered_inactive(session, primary.policy.id) if primary else None
        copay = primary.policy.copay if primary else None
        held = ""
        if primary is not None and inactive_since is not None and copay:
            # The payer's own latest answer says the plan is not in force: a copay taken now would be
            # a guess; the desk confirms the coverage (or bills the patient) instead.
            held = (f"{primary.policy.payer_name} answered inactive on {inactive_since:%m/%d/%Y}: "
                    "no copay proposed until the coverage is confirmed")
            copay = None
        return CheckInView(visit, patient, checks, copay, owes.balance, paid, owes, held)

    @requires("patient.checkin")
    def check_in(self, data: CheckInInput) -> FlowRow:
        """Verify insurance, take the payment, note the privacy notice and mark Arrived: all or nothing."""
        actor = self.ctx.actor_or_fail()
        if data.payment is not None:
            permissions.check(actor.role, "payment.post")
        try:
            how = VerifiedHow(data.verified_how)
        except ValueError:
            raise ValidationError({"verified_how": "Verified by: card, phone, portal or eligibility."}) from None
        try:
            return self._check_in(data, actor, how)
        except (IntegrityError, ConcurrentEdit):
            # A double press committed the same check-in, payment key and all, first: the desk gets
            # that check-in back, never a second payment or an error.
            if (row := self._done_already(data)) is None:
                raise
            return row

    def _done_already(self, data: CheckInInput) -> FlowRow | None:
        """The visit's row when this very check-in (the same payment request key) is already saved."""
        if data.payment is None or not data.payment.request_key:
            return None
        with self.ctx.db.read() as session:
            earlier = Ledger(self.ctx, session).existing(clean_text(data.payment.request_key, 40))
            if earlier is None or earlier.appointment_id != data.appointment_id:
                return None
            return Flow(self.ctx, session).row(data.appointment_id)

    def _check_in(self, data: CheckInInput, actor: Actor, how: VerifiedHow) -> FlowRow:
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            flow = Flow(self.ctx, session)
            visit = session.get(Appointment, data.appointment_id)
            if visit is not None and visit.status in (S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.CHECKED_OUT):
                if (row := self._done_already(data)) is not None:
                    return row  # the second press of a check-in that is saved
                at = visit.arrived_at.astimezone(self.ctx.timezone) if visit.arrived_at else None
                raise ValidationError({"status": "This patient is checked in already"
                                                 + (f" (arrived {at:%H:%M})." if at else ".")})
            visit = flow.today_visit(data.appointment_id, data.expected_version)
            if visit.status != S.SCHEDULED:
                raise ValidationError({"status": f"This appointment is {visit.status.replace('_', ' ')}."})
            verified = []
            ids = list(data.verify_policy_ids)
            if data.verify_insurance:  # the service, not the form, knows which policies are in force
                today = self.ctx.today()
                ids += [p.id for p in session.scalars(select(InsurancePolicy).where(
                    InsurancePolicy.patient_id == visit.patient_id, InsurancePolicy.effective_from <= today,
                    (InsurancePolicy.effective_to.is_(None)) | (InsurancePolicy.effective_to >= today)))
                        if p.id not in ids]
            for policy_id in ids:
                policy = get_or_fail(session, InsurancePolicy, policy_id, "insurance policy")
                if policy.patient_id != visit.patient_id:
                    raise ValidationError({"verify_policy_ids": "That policy is another patient's."})
                policy.verified_at, policy.verified_how, policy.verified_by_id = now, how.value, actor.user_id
                verified.append(f"policy {policy.id} ({how.label.lower()})")
            if data.privacy_signed:
                patient = get_or_fail(session, Patient, visit.patient_id, "patient")
                patient.privacy_notice_on = self.ctx.today()
            receipt = ""
            if data.payment is not None:
                payment = data.payment
                payment.patient_id, payment.appointment_id = visit.patient_id, visit.id
                entry = Ledger(self.ctx, session).post_payment(payment)
                receipt = f"receipt {entry.receipt_number}"
            notes = "; ".join(filter(None, [", ".join(verified) and "verified " + ", ".join(verified),
                                            "privacy notice signed" if data.privacy_signed else "", receipt]))
            flow.set_status(visit, S.ARRIVED, detail=notes)
            open_encounter(session, self.ctx, visit)  # every visit that happened gets coded
            return flow.row(visit.id)

    @requires("patient.checkin")
    def check_out(self, appointment_id: int, expected_version: int, payment: PaymentInput | None = None) -> FlowRow:
        """Take a balance (if any) and mark Checked out, together."""
        if payment is not None:
            permissions.check(self.ctx.actor_or_fail().role, "payment.post")
        with self.ctx.db.write() as session:
            flow = Flow(self.ctx, session)
            visit = flow.today_visit(appointment_id, expected_version)
            if visit.status not in (S.ARRIVED, S.ROOMED, S.WITH_PROVIDER):
                raise ValidationError({"status": "Only a patient who is in the clinic can be checked out."})
            detail = ""
            if payment is not None:
                payment.patient_id, payment.appointment_id = visit.patient_id, visit.id
                detail = f"receipt {Ledger(self.ctx, session).post_payment(payment).receipt_number}"
            flow.set_status(visit, S.CHECKED_OUT, detail=detail)
            return flow.row(visit.id)

    @requires("patient.checkin")
    def walk_in(self, patient_id: int, provider_id: int, type_id: int, reason: str = "") -> AppointmentView:
        """A same-day visit at the provider's first free time from now (within their hours)."""
        kind = next((t for t in ScheduleService(self.ctx).types() if t.id == type_id), None)
        if kind is None:
            raise ValidationError({"type_id": "Choose an appointment type."})
        today = self.ctx.today()
        slots = SlotFinder(self.ctx).find(SlotQuery(minutes=kind.minutes, provider_id=provider_id, after=today,
                                                    until=today, count=1))
        if not slots:
            raise ValidationError({"provider_id": "No free time left today for this provider: choose another "
                                                  "provider, or book a later day."})
        start = slots[0].start
        with self.ctx.db.write() as session:
            booked = Booker(self.ctx, session).book(BookingInput(
                patient_id=patient_id, provider_id=provider_id, type_id=type_id, day=start.date(),
                start=start.time(), reason=clean_text(reason, 500) or "Walk-in", fold=start.fold))
            return AppointmentView.of(booked)


def _sum(session: Session, condition: ColumnElement[bool]) -> Decimal:
    total = session.execute(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(condition)).scalar_one()
    return Decimal(total).quantize(Decimal("0.01"))


def _local(policy: PolicyView, zone: dt.tzinfo) -> PolicyView:
    from dataclasses import replace

    return replace(policy, verified_at=policy.verified_at.astimezone(zone)) if policy.verified_at else policy

