"""Accounts receivable: aging by payer and patient, days in A/R, write-offs, billing the patient,
and the property that balances always equal charges less payments and adjustments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from officeconsole.models import Encounter
from officeconsole.services.billing.ar_book import ArBook
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.billing.receivables import ReceivablesService
from officeconsole.services.billing.remittance import (
    Adjustment,
    ClaimPayment,
    LinePayment,
    RemitInput,
    RemittanceService,
)
from officeconsole.services.common.errors import OfficeError, PermissionDenied, ValidationError
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key

from tests.billing_setup import make_billing


@pytest.fixture
def billing(sched, as_role, clinic):
    return make_billing(sched, as_role, clinic)


def submit(billing, tmp_path, *codings):
    encounters = [billing.coded(**c) for c in codings]
    ClaimService(billing.biller).mark_all_ready()
    ClaimService(billing.biller).export_837(tmp_path)
    return encounters


def test_aging_by_payer_and_patient_in_buckets(ctx, clock, billing, tmp_path):
    [old] = submit(billing, tmp_path, {})
    clock.advance(dt.timedelta(days=35))  # a Monday five weeks on
    [new] = submit(billing, tmp_path, {"lines": (("99214", "", 1, "1"),)})
    remits = RemittanceService(billing.biller)
    remits.post(RemitInput(billing.payer_id, "C1", clock.now().date(), "check", [ClaimPayment(old.id, [
        LinePayment(old.lines[0].id, "70", None, [Adjustment("CO", "45", "25"), Adjustment("PR", "3", "30")])])]))
    aging = ReceivablesService(billing.biller).aging()
    [payer] = aging.payers
    assert payer.name == "Blue Shield Test Plan" and payer.buckets == (D("185.00"), 0, 0, 0, 0)
    [patient] = aging.patients
    assert patient.name == "Claimant, Carla" and patient.buckets == (0, D("30.00"), 0, 0, 0)
    assert (aging.insurer_total, aging.patient_total) == (D("185.00"), D("30.00"))
    assert aging.days_in_ar == D("62.4")  # 215 owed / (310 charged in 90 days / 90 days)
    LedgerService(billing.desk).post_payment(PaymentInput(billing.patient_id, "10", "cash",
                                                          request_key=new_request_key()))
    assert ReceivablesService(billing.biller).aging().patients[0].buckets == (0, D("20.00"), 0, 0, 0)
    later = ReceivablesService(billing.biller).aging(as_of=clock.now().date() + dt.timedelta(days=130))
    assert later.payers[0].buckets == (0, 0, 0, 0, D("185.00"))
    before_payment = ReceivablesService(billing.biller).aging(as_of=clock.now().date() - dt.timedelta(days=1))
    assert [r.buckets for r in before_payment.payers] == [(0, D("125.00"), 0, 0, 0)]  # the old claim, unpaid then
    assert before_payment.patients == []
    with pytest.raises(PermissionDenied):
        ReceivablesService(billing.desk).aging()


def test_write_off_and_bill_patient_clear_the_insurer_once(ctx, billing, tmp_path):
    denied, uncovered = submit(billing, tmp_path, {}, {})
    remits = RemittanceService(billing.biller)
    remits.post(RemitInput(billing.payer_id, "D1", "2026-11-23", "check", [
        ClaimPayment(e.id, [LinePayment(e.lines[0].id, "0", None, [Adjustment("CO", reason, "125")])])
        for e, reason in ((denied, "29"), (uncovered, "96"))]))
    ar = ReceivablesService(billing.biller)
    with pytest.raises(ValidationError) as refused:
        ar.write_off(denied.id, "", "", new_request_key())
    assert set(refused.value.errors) == {"reason_code", "memo"}
    key = new_request_key()
    assert ar.write_off(denied.id, "29", "Filed too late, no appeal", key) == D("125.00")
    assert ar.write_off(denied.id, "29", "Filed too late, no appeal", key) == D("125.00")  # pressed twice
    with pytest.raises(ValidationError, match="no insurer balance|owes nothing"):
        ar.write_off(denied.id, "29", "again", new_request_key())
    assert ar.bill_patient(uncovered.id, new_request_key()) == D("125.00")
    with ctx.db.read() as session:
        book = ArBook(ctx, session)
        first, second = session.get(Encounter, denied.id), session.get(Encounter, uncovered.id)
        assert (first.status, book.balance(first).total) == ("closed", 0)
        assert (second.status, book.balance(second).insurer, book.balance(second).patient) == ("paid", 0, D("125.00"))
    assert RemittanceService(billing.biller).denials() == []


CENTS = st.integers(min_value=0, max_value=12500)


@st.composite
def postings(draw):
    """A random day of postings on two $125 claims: insurer payments with contractual and patient
    shares, denials, desk payments, write-offs and bills to the patient, in any order."""
    steps = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        claim = draw(st.integers(min_value=0, max_value=1))
        kind = draw(st.sampled_from(["remit", "deny", "desk", "write_off", "bill_patient"]))
        paid, share = draw(CENTS), draw(CENTS)
        steps.append((kind, claim, D(paid) / 100, D(min(share, 12500 - paid)) / 100))
    return steps


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=postings())
def test_balances_are_charges_less_payments_and_adjustments(ctx, clock, billing, tmp_path, steps):
    clock.advance(dt.timedelta(days=7))  # a fresh Monday afternoon for this example's visits
    ar, remits = ReceivablesService(billing.biller), RemittanceService(billing.biller)
    before = ar.aging(patients=10_000)
    encounters = submit(billing, tmp_path, {}, {})
    charged = {e.id: D("125.00") for e in encounters}
    adjudicated = {e.id: (D(0), D(0)) for e in encounters}  # the payer's latest word: paid, written off by contract
    written_off = {e.id: D(0) for e in encounters}
    patient_paid = {e.id: D(0) for e in encounters}
    for n, (kind, index, paid, share) in enumerate(steps):
        e = encounters[index]
        try:
            if kind in ("remit", "deny"):
                if kind == "deny":
                    paid, share = D(0), D(0)
                contract = D("125.00") - paid - share
                adjustments = [Adjustment(g, r, a) for g, r, a in (("CO", "45" if kind == "remit" else "50", contract),
                                                                   ("PR", "2", share)) if a]
                remits.post(RemitInput(billing.payer_id, f"T{clock.now():%j}-{n}", clock.now().date(), "check",
                                       [ClaimPayment(e.id, [LinePayment(e.lines[0].id, paid, None, adjustments)])]))
                # A later adjudication of the line replaces the earlier one; a denial's reason stays owing.
                adjudicated[e.id] = (paid, contract if kind == "remit" else D(0))
            elif kind == "desk":
                if paid == 0:
                    continue
                LedgerService(billing.desk).post_payment(PaymentInput(billing.patient_id, paid, "cash",
                                                                      appointment_id=e.appointment_id,
                                                                      request_key=new_request_key()))
                patient_paid[e.id] += paid
            elif kind == "write_off":
                written_off[e.id] += ar.write_off(e.id, "50", "property test", new_request_key())
            else:
                ar.bill_patient(e.id, new_request_key())
        except OfficeError:
            continue  # refused (not payable any more, nothing owed, nothing new): nothing may change
    expected_balance = {e.id: charged[e.id] - sum(adjudicated[e.id]) - written_off[e.id] - patient_paid[e.id]
                        for e in encounters}
    after = ar.aging(patients=10_000)
    with ctx.db.read() as session:  # the running balance aging relies on equals the entries' sums
        from sqlalchemy import func, select

        from officeconsole.models import ArEntry, LedgerEntry, PatientBalance
        entries = session.scalar(select(func.coalesce(func.sum(ArEntry.amount), 0)).where(
            ArEntry.patient_id == billing.patient_id, ArEntry.account == "patient"))
        desk = session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.patient_id == billing.patient_id))
        running = session.scalar(select(PatientBalance.balance).where(PatientBalance.patient_id == billing.patient_id))
        assert D(running or 0).quantize(D("0.01")) == D(entries + desk).quantize(D("0.01"))
    with ctx.db.read() as session:
        book = ArBook(ctx, session)
        for e in encounters:
            encounter = session.get(Encounter, e.id)
            balance = book.balance(encounter)
            assert balance.charged == charged[e.id]
            if encounter.status == "closed":  # what insurer aging relies on to skip closed claims
                assert balance.insurer == 0
            assert balance.total == expected_balance[e.id]
    assert (after.insurer_total + after.patient_total) - (before.insurer_total + before.patient_total) == sum(
        expected_balance.values())


def test_days_in_ar_by_sums_is_the_agings_figure(small_demo):
    """The dashboard reads days in A/R from a few sums; it must be the aging's own figure, today
    and on past days (every entry posted by that day's end), on a clinic with a history."""
    from sqlalchemy import select

    from officeconsole.db.database import Database
    from officeconsole.models import User
    from officeconsole.services.common.clock import FixedClock
    from officeconsole.services.common.context import Actor, ServiceContext

    from tests.conftest import NOW

    database = Database.from_url(small_demo.url)  # read only: the shared demo is not changed
    try:
        ctx = ServiceContext(database, FixedClock(NOW))
        with database.read() as session:
            user = session.execute(select(User.id, User.username, User.full_name, User.role)
                                   .where(User.role == "manager")).first()
        receivables = ReceivablesService(ctx.as_actor(Actor(*user)))
        today = ctx.today()
        days = [today - dt.timedelta(days=n) for n in (0, 1, 7, 15, 30, 45)]
        figures = [(receivables.aging(day, patients=0).days_in_ar, receivables.days_in_ar(day)) for day in days]
        assert all(aging == summed for aging, summed in figures), figures
        assert any(aging is not None and aging > 0 for aging, _ in figures)
    finally:
        database.dispose()
