"""One patient balance everywhere: the account screen's service, check-in (and check-out, which
reads the same view), the MRN look-up the CLI prints, statements, patient aging, receipts and the
running balance all say what the patient owes, to the cent, with the same oldest unpaid debt."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from officeconsole.models import ArEntry, Encounter, LedgerEntry, PatientBalance
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.billing.receivables import ReceivablesService
from officeconsole.services.billing.remittance import (
    Adjustment,
    ClaimPayment,
    LinePayment,
    RemitInput,
    RemittanceService,
)
from officeconsole.services.billing.statements import StatementService
from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.frontdesk.checkin import CheckInService
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key
from officeconsole.services.frontdesk.patients import PatientService
from officeconsole.services.frontdesk.receipts import ReceiptService

from tests.billing_setup import make_billing
from tests.factories import register


@pytest.fixture
def billing(sched, as_role, clinic):
    return make_billing(sched, as_role, clinic)


@pytest.fixture
def self_pay(billing):
    """A second patient, with no insurance: their visits are billed to them."""
    return register(billing.desk, first_name="Sam", last_name="Selfpay", address_line1="3 Elm St").id


def _insured_claim(billing, tmp_path):
    encounter = billing.coded()  # $125, billed to the insurer
    ClaimService(billing.biller).mark_all_ready()
    ClaimService(billing.biller).export_837(tmp_path)
    return encounter


def _self_pay_claim(billing, patient_id):
    encounter = billing.coded(patient_id=patient_id)
    ClaimService(billing.biller).bill_self_pay(encounter.id, encounter.version)  # $125 onto the patient's account
    return encounter


def everything_says(billing, patient_id: int, appointment_id: int) -> dict[str, tuple]:
    """(balance, oldest unpaid day) from every place that shows a patient's balance."""
    desk, biller = billing.desk, billing.biller
    account = LedgerService(desk).account(patient_id)
    mrn = PatientService(desk).get(patient_id).mrn
    by_mrn = LedgerService(desk).balance(mrn).owes
    checkin = CheckInService(desk).view(appointment_id)
    statement = StatementService(biller).statement(patient_id)
    aging = ReceivablesService(biller).aging(patients=10_000)
    [row] = [r for r in aging.patients + aging.credits if r.key == patient_id] or [None]
    aged_oldest = None
    if row is not None and row.credit == 0:
        oldest_bucket = max(n for n, amount in enumerate(row.buckets) if amount)
        aged_oldest = oldest_bucket
    with desk.db.read() as session:
        running = session.scalar(select(PatientBalance.balance).where(PatientBalance.patient_id == patient_id))
    said = {
        "account": (account.balance, account.owes.oldest),
        "cli (by MRN)": (by_mrn.balance, by_mrn.oldest),
        "check-in / check-out": (checkin.balance, checkin.owes.oldest),
        "statement": (statement.balance, statement.owes.oldest),
        "statement lines": (sum((line.patient_share for line in statement.lines), D("0.00")), statement.owes.oldest),
        "aging": (row.total if row else D("0.00"), account.owes.oldest),
        "running balance": (D(running or 0).quantize(D("0.01")), account.owes.oldest),
    }
    if account.owes.oldest is not None:  # aging puts the oldest unpaid debt in the oldest non-empty bucket
        days = (biller.today() - account.owes.oldest).days
        assert aged_oldest == next((n for n, edge in enumerate((30, 60, 90, 120)) if days <= edge), 4)
    return said


STEP = st.tuples(
    st.sampled_from(["remit", "deny", "bill_patient", "desk", "desk_on_account", "refund", "write_off",
                     "write_off_part"]),
    st.integers(min_value=0, max_value=1),  # which patient: insured (0) or self-pay (1)
    st.integers(min_value=1, max_value=12500),  # cents
    st.integers(min_value=0, max_value=12500),  # cents: the patient's share of a remittance
)


@pytest.fixture
def desk_tally(billing, self_pay):
    """What the test itself took and refunded at the desk, kept across the examples (which share the
    clinic), and the payments not yet refunded."""
    return {billing.patient_id: D(0), self_pay: D(0)}, []


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=8), weeks=st.integers(min_value=0, max_value=14))
def test_every_screen_report_and_command_says_the_same_balance(ctx, clock, billing, self_pay, desk_tally,
                                                               tmp_path, steps, weeks):
    clock.advance(dt.timedelta(days=7))  # a fresh Monday for this example's visits
    claim = _insured_claim(billing, tmp_path)
    own = _self_pay_claim(billing, self_pay)
    clock.advance(dt.timedelta(weeks=weeks))  # the debts age
    patients = [(billing.patient_id, claim), (self_pay, own)]
    desk_moves, payments = desk_tally  # payments: (entry id, patient, amount) not yet refunded
    remits, ar = RemittanceService(billing.biller), ReceivablesService(billing.biller)
    for n, (kind, who, amount_cents, share_cents) in enumerate(steps):
        patient_id, encounter = patients[who]
        amount = D(amount_cents) / 100
        try:
            if kind in ("remit", "deny"):
                paid = D(0) if kind == "deny" else amount
                share = D(0) if kind == "deny" else D(min(share_cents, 12500 - amount_cents)) / 100
                contract = D("125.00") - paid - share
                adjustments = [Adjustment(g, r, a) for g, r, a in (("CO", "45" if kind == "remit" else "50", contract),
                                                                   ("PR", "2", share)) if a]
                remits.post(RemitInput(billing.payer_id, f"B{clock.now():%j%y}-{n}", clock.now().date(), "check",
                                       [ClaimPayment(claim.id, [LinePayment(claim.lines[0].id, paid, None,
                                                                            adjustments)])]))
            elif kind == "bill_patient":
                ar.bill_patient(claim.id, new_request_key())
            elif kind in ("desk", "desk_on_account"):
                entry = LedgerService(billing.desk).post_payment(PaymentInput(
                    patient_id, amount, "cash", request_key=new_request_key(),
                    appointment_id=encounter.appointment_id if kind == "desk" else None))
                desk_moves[patient_id] -= amount
                payments.append((entry.id, patient_id, amount))
            elif kind == "refund":
                if not payments:
                    continue
                entry_id, paid_by, paid = payments.pop(amount_cents % len(payments))
                LedgerService(billing.manager).void_payment(entry_id, "refunded", new_request_key())
                desk_moves[paid_by] += paid
            else:
                ar.write_off_patient(encounter.id, "courtesy", new_request_key(),
                                     amount if kind == "write_off_part" else None)
        except OfficeError:
            continue  # refused (nothing owed, more than owed, not payable now): nothing changed
    for patient_id, encounter in patients:
        with ctx.db.read() as session:  # the definition, added up by hand from the entries
            share = sum((e.amount for e in session.scalars(select(ArEntry).where(
                ArEntry.patient_id == patient_id, ArEntry.account == "patient"))), D(0))
            desk = sum((e.amount for e in session.scalars(select(LedgerEntry).where(
                LedgerEntry.patient_id == patient_id))), D(0))
        assert desk == desk_moves[patient_id]
        expected = D(share + desk).quantize(D("0.01"))
        said = everything_says(billing, patient_id, encounter.appointment_id)
        assert set(said.values()) == {(expected, said["account"][1])}, said
        oldest = said["account"][1]
        if expected > 0:  # only what is unpaid ages, from one of the patient's visits
            with ctx.db.read() as session:
                assert oldest in set(session.scalars(select(Encounter.date_of_service).where(
                    Encounter.patient_id == patient_id)))
        else:
            assert oldest is None
    aging = ReceivablesService(billing.biller).aging(patients=1)
    with ctx.db.read() as session:
        balances = [D(b).quantize(D("0.01")) for b in session.scalars(select(PatientBalance.balance))]
    assert aging.patient_owed == sum((b for b in balances if b > 0), D(0))  # every patient, beyond the one listed
    assert aging.patient_credit == sum((b for b in balances if b < 0), D(0))
    assert aging.patient_total == sum(balances, D(0))


def test_the_desk_shows_what_the_insurer_moved_to_the_patient(ctx, clock, billing, tmp_path):
    """The issue's case: the insurer moved $365 to the patient, who paid $140 at the desk: they
    owe $225, not a $140 credit; the age is the visit's."""
    visits = [_insured_claim(billing, tmp_path) for _ in range(3)]
    remits = RemittanceService(billing.biller)
    shares = [D("125.00"), D("125.00"), D("115.00")]
    remits.post(RemitInput(billing.payer_id, "PR1", clock.now().date(), "check", [
        ClaimPayment(e.id, [LinePayment(e.lines[0].id, "0", None, [Adjustment("PR", "1", share)]
                                        + ([Adjustment("CO", "45", D(125) - share)] if share < 125 else []))])
        for e, share in zip(visits, shares, strict=True)]))
    entry = LedgerService(billing.desk).post_payment(PaymentInput(billing.patient_id, "140", "card",
                                                                  request_key=new_request_key()))
    clock.advance(dt.timedelta(days=95))
    account = LedgerService(billing.desk).account(billing.patient_id)
    assert account.balance == D("225.00")
    assert (account.owes.share, account.owes.paid) == (D("365.00"), D("140.00"))
    assert account.owes.describe() == "$225.00 owed, oldest unpaid 95 days"
    view = CheckInService(billing.desk).view(visits[0].appointment_id)
    assert (view.balance, view.owes.oldest_days) == (D("225.00"), 95)
    statement = StatementService(billing.biller).statement(billing.patient_id)
    assert statement.balance == D("225.00") and "AMOUNT DUE: $225.00" in statement.text()
    assert "(95 days)" in statement.text()
    receipt = ReceiptService(billing.desk).receipt(entry.id)
    assert ("Balance after", "$225.00 (owed)") in receipt.lines
    aging = ReceivablesService(billing.biller).aging()
    assert [(r.key, r.buckets) for r in aging.patients] == [(billing.patient_id, (0, 0, 0, D("225.00"), 0))]


def test_a_patient_write_off_lowers_what_they_owe_once(ctx, billing, self_pay):
    own = _self_pay_claim(billing, self_pay)
    ar = ReceivablesService(billing.biller)
    with pytest.raises(ValidationError) as refused:
        ar.write_off_patient(own.id, "", "")
    assert set(refused.value.errors) == {"memo", "request_key"}
    with pytest.raises(ValidationError, match="at most"):
        ar.write_off_patient(own.id, "too much", new_request_key(), "125.01")
    key = new_request_key()
    assert ar.write_off_patient(own.id, "small balance", key, "25") == D("25.00")
    assert ar.write_off_patient(own.id, "small balance", key, "25") == D("25.00")  # pressed twice: once
    assert LedgerService(billing.desk).account(self_pay).balance == D("100.00")
    statement = StatementService(billing.biller).statement(self_pay)
    assert [(line.description, line.patient_share) for line in statement.lines][-1] == (
        "Write-off: small balance", D("-25.00"))
    assert ar.write_off_patient(own.id, "hardship", new_request_key()) == D("100.00")
    assert LedgerService(billing.desk).account(self_pay).balance == 0
    with pytest.raises(ValidationError, match="owes nothing"):
        ar.write_off_patient(own.id, "again", new_request_key())


def test_aging_totals_every_patient_and_lists_credits_on_their_own(ctx, billing, self_pay):
    _self_pay_claim(billing, self_pay)  # owes $125
    third = register(billing.desk, first_name="Tia", last_name="Third").id
    _self_pay_claim(billing, third)
    LedgerService(billing.desk).post_payment(PaymentInput(third, "25", "cash", request_key=new_request_key()))
    LedgerService(billing.desk).post_payment(PaymentInput(billing.patient_id, "40", "cash",  # a credit
                                                          request_key=new_request_key()))
    aging = ReceivablesService(billing.biller).aging(patients=1)
    assert [r.key for r in aging.patients] == [self_pay]  # the largest balance only, as asked
    assert (aging.patient_owed, aging.owing_count) == (D("225.00"), 2)  # but the total is every patient's
    assert aging.patient_buckets == (D("225.00"), 0, 0, 0, 0)
    assert [(r.key, r.total) for r in aging.credits] == [(billing.patient_id, D("-40.00"))]
    assert (aging.patient_credit, aging.credit_count, aging.patient_total) == (D("-40.00"), 1, D("185.00"))


def test_a_payment_for_a_visit_clears_that_visit_and_one_on_account_the_oldest(ctx, clock, billing, self_pay):
    _self_pay_claim(billing, self_pay)
    clock.advance(dt.timedelta(weeks=9))
    new = _self_pay_claim(billing, self_pay)
    LedgerService(billing.desk).post_payment(PaymentInput(self_pay, "125", "card", appointment_id=new.appointment_id,
                                                          request_key=new_request_key()))
    owes = LedgerService(billing.desk).account(self_pay).owes
    assert (owes.balance, owes.oldest_days) == (D("125.00"), 63)  # the visit paid for is the new one
    LedgerService(billing.desk).post_payment(PaymentInput(self_pay, "50", "cash", request_key=new_request_key()))
    owes = LedgerService(billing.desk).account(self_pay).owes
    assert owes.debts == ((ctx.today() - dt.timedelta(weeks=9), D("75.00")),)
    [row] = ReceivablesService(billing.biller).aging().patients
    assert row.buckets == (0, 0, D("75.00"), 0, 0)
    statement = StatementService(billing.biller).statement(self_pay)
    assert [line.patient_share for line in statement.lines] == [D("125.00"), D("0.00"), D("-50.00")]


def test_a_copay_taken_at_check_in_is_copay_collected_not_a_credit(billing, sched, tmp_path):
    """$25 taken at check-in before the visit is billed: every place says the same -$25.00, and
    the desk's words are "copay collected", not a credit to refund; money paid on account beside it
    is still a credit."""
    from officeconsole.services.frontdesk.checkin import CheckInInput
    from officeconsole.services.scheduling.booking import BookingInput

    day = billing.desk.today()
    visit = sched["book"].book(BookingInput(billing.patient_id, sched["lee"], sched["type"], day, "15:00"))
    CheckInService(billing.desk).check_in(CheckInInput(visit.id, visit.version, payment=PaymentInput(
        billing.patient_id, "25", "cash", memo="Copay", appointment_id=visit.id, request_key=new_request_key())))
    checkin = CheckInService(billing.desk).view(visit.id)
    account = LedgerService(billing.desk).account(billing.patient_id)
    for owes in (checkin.owes, account.owes):
        assert owes.balance == D("-25.00") and owes.collected == D("25.00")
        assert owes.describe() == "$25.00 copay collected, on account until the visit is billed"
    assert "credit" not in checkin.owes.describe()
    LedgerService(billing.desk).post_payment(PaymentInput(billing.patient_id, "10", "card",
                                                          request_key=new_request_key()))
    owes = LedgerService(billing.desk).account(billing.patient_id).owes
    assert owes.describe() == "$35.00 credit ($25.00 of it collected for visits not billed yet)"
    said = everything_says(billing, billing.patient_id, visit.id)
    assert {value[0] for value in said.values()} == {D("-35.00")}, said
