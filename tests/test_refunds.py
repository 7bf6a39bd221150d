"""Refunds: a patient's credit or an insurer's overpayment, asked for, approved by a manager and
posted once; never more than the credit; shown on the account and the day sheet."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from officeconsole.demo.x835 import Clp, Svc, make_835
from officeconsole.models import ArEntry, Encounter, LedgerEntry, PatientBalance, Refund
from officeconsole.services.billing.ar_book import ArBook
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.billing.remittance import RemittanceService
from officeconsole.services.common.errors import PermissionDenied, ValidationError
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key
from officeconsole.services.frontdesk.refunds import RefundInput, RefundService
from officeconsole.services.reporting.day_sheet import read_day_sheet

from tests.billing_setup import make_billing


@pytest.fixture
def billing(sched, as_role, clinic):
    return make_billing(sched, as_role, clinic)


@pytest.fixture
def credit(billing):
    """The patient paid $60 on account and owes nothing: a $60 credit."""
    LedgerService(billing.desk).post_payment(PaymentInput(billing.patient_id, "60", "cash",
                                                          request_key=new_request_key()))
    return billing


def ask(ctx, patient_id, amount, **kw):
    data = dict(method="cash", reason="Moved away", request_key=new_request_key())
    data.update(kw)
    return RefundService(ctx).request(RefundInput(patient_id, amount, **data))


def counts(ctx):
    with ctx.db.read() as session:
        return [session.scalar(select(func.count()).select_from(t)) for t in (Refund, LedgerEntry, ArEntry)]


def test_a_patient_credit_is_refunded_once_approved(credit):
    billing = credit
    service = RefundService(billing.desk)
    assert service.refundable(billing.patient_id).patient_available == D("60.00")
    asked = ask(billing.desk, billing.patient_id, "45.00")
    assert asked.status == "requested"
    assert RefundService(billing.desk).refundable(billing.patient_id).patient_available == D("15.00")
    with pytest.raises(PermissionDenied):
        RefundService(billing.desk).approve(asked.id, asked.version)
    approved = RefundService(billing.manager).approve(asked.id, asked.version)
    assert approved.status == "approved" and approved.decided_by == billing.manager.actor.username
    account = LedgerService(billing.desk).account(billing.patient_id)
    assert account.balance == D("-15.00")
    assert account.entries[0].kind == "refund" and account.entries[0].amount == D("45.00")
    with billing.desk.db.read() as session:
        assert session.get(PatientBalance, billing.patient_id).balance == D("-15.00")
    sheet = read_day_sheet(billing.desk, billing.desk.today())
    assert sheet.refunds == D("45.00")
    assert sheet.payments_by_method["cash"] == D("15.00")  # $60 taken, $45 given back from the drawer
    assert ("Refunds paid out", D("45.00")) in sheet.rows()


def test_a_refund_larger_than_the_credit_is_refused_and_nothing_is_posted(credit):
    billing = credit
    before = counts(billing.desk)
    with pytest.raises(ValidationError, match=r"\$60.01 is more than the patient's credit, \$60.00"):
        ask(billing.desk, billing.patient_id, "60.01")
    first = ask(billing.desk, billing.patient_id, "50")
    with pytest.raises(ValidationError, match=r"more than the patient's credit, \$10.00"):
        ask(billing.desk, billing.patient_id, "20")  # the first request still waits
    assert counts(billing.desk)[0] == before[0] + 1
    RefundService(billing.manager).decline(first.id, first.version, "Keep it on account")
    assert RefundService(billing.desk).refundable(billing.patient_id).patient_available == D("60.00")


def test_approval_checks_the_credit_again(credit):
    billing = credit
    asked = ask(billing.desk, billing.patient_id, "60")
    LedgerService(billing.manager).void_payment(
        LedgerService(billing.desk).account(billing.patient_id).entries[0].id, "entered twice", new_request_key())
    before = counts(billing.desk)
    with pytest.raises(ValidationError, match="nothing to refund"):
        RefundService(billing.manager).approve(asked.id, asked.version)
    assert counts(billing.desk) == before


def test_the_same_form_twice_asks_once(credit):
    billing = credit
    key = new_request_key()
    first = ask(billing.desk, billing.patient_id, "10", request_key=key)
    again = ask(billing.desk, billing.patient_id, "10", request_key=key)
    assert first.id == again.id and counts(billing.desk)[0] == 1
    RefundService(billing.manager).approve(first.id, first.version)
    with pytest.raises(ValidationError, match="approved already"):
        RefundService(billing.manager).approve(first.id, first.version + 1)


def test_an_insurer_overpayment_is_refunded_to_the_insurer(billing, tmp_path):
    visit = billing.coded()
    claims = ClaimService(billing.biller)
    claims.mark_all_ready()
    claims.export_837(tmp_path)
    line = visit.lines[0]
    # The payer paid the $125 line in full, and $15 more (as a second payment on the line).
    RemittanceService(billing.biller).post_835(make_835(
        [Clp(f"OC{visit.id}", "1", [Svc("99213", D(125), D(125), 1, str(line.id))])]))
    with billing.biller.db.write() as session:
        ArBook(billing.biller, session).post(session.get(Encounter, visit.id), "test:overpaid", "insurer", "payment",
                                             D("-15.00"), payer_id=billing.payer_id, line_id=line.id)
    found = RefundService(billing.biller).refundable(billing.patient_id)
    assert [(c.encounter_id, c.credit) for c in found.insurers] == [(visit.id, D("15.00"))]
    with pytest.raises(ValidationError, match="more than what the insurer overpaid"):
        ask(billing.biller, billing.patient_id, "15.01", source="insurer", encounter_id=visit.id, method="check",
            reference="1001")
    asked = ask(billing.biller, billing.patient_id, "15", source="insurer", encounter_id=visit.id, method="eft",
                reason="Overpaid (duplicate)")
    assert asked.payer_name == "Blue Shield Test Plan"
    RefundService(billing.manager).approve(asked.id, asked.version)
    assert RefundService(billing.biller).refundable(billing.patient_id).insurers == []
    with billing.biller.db.read() as session:
        total = session.scalar(select(func.sum(ArEntry.amount)).where(
            ArEntry.encounter_id == visit.id, ArEntry.account == "insurer"))
    assert total == 0


def test_a_managers_own_refund_is_posted_at_once_and_never_more_than_the_credit(credit):
    """`refund`: a manager asks and approves in one step (the console's refund form); the same
    limits as a request, nothing kept when it is refused, and only a manager may."""
    from officeconsole.models import AuditEvent

    billing = credit
    before = counts(billing.desk)
    too_much = RefundInput(billing.patient_id, "60.01", "check", "Moved away", new_request_key(), "4021")
    with pytest.raises(ValidationError, match=r"\$60.01 is more than the patient's credit, \$60.00"):
        RefundService(billing.manager).refund(too_much)
    assert counts(billing.desk) == before  # nothing asked for, nothing posted
    with pytest.raises(PermissionDenied):
        RefundService(billing.desk).refund(RefundInput(billing.patient_id, "10", "cash", "Moved away",
                                                       new_request_key()))
    asked = ask(billing.desk, billing.patient_id, "50")  # waiting: the manager may refund only the rest now
    with pytest.raises(ValidationError, match=r"more than the patient's credit, \$10.00"):
        RefundService(billing.manager).refund(RefundInput(billing.patient_id, "20", "cash", "Moved away",
                                                          new_request_key()))
    RefundService(billing.manager).decline(asked.id, asked.version, "Refund it by check instead")

    key = new_request_key()
    form = RefundInput(billing.patient_id, "45", "check", "Moved away", key, "4021")
    done = RefundService(billing.manager).refund(form)
    again = RefundService(billing.manager).refund(form)  # the same form pressed twice
    assert done.status == "approved" and (again.id, again.status) == (done.id, "approved")
    assert (done.requested_by, done.decided_by) == ("manager", "manager")
    assert counts(billing.desk) == [before[0] + 2, before[1] + 1, before[2]]  # the declined one and this one
    account = LedgerService(billing.desk).account(billing.patient_id)
    assert account.balance == D("-15.00")
    assert (account.entries[0].kind, account.entries[0].description) == ("refund", "Refund (Check 4021): Moved away")
    with billing.desk.db.read() as session:
        assert session.get(PatientBalance, billing.patient_id).balance == D("-15.00")
        trail = session.scalars(select(AuditEvent.action).where(
            AuditEvent.entity == "refund", AuditEvent.entity_id == str(done.id)).order_by(AuditEvent.id)).all()
    assert trail == ["refund.request", "refund.approve"]
