"""Insurer payments by hand and from an 835: lines, adjustments, patient share, denials, duplicates."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from officeconsole.demo.x835 import Clp, Svc, make_835
from officeconsole.models import ArEntry, Encounter, Remittance
from officeconsole.services.billing.ar_book import ArBook
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.billing.remittance import (
    Adjustment,
    AlreadyPosted,
    ClaimPayment,
    LinePayment,
    RemitInput,
    RemittanceService,
)
from officeconsole.services.common.errors import PermissionDenied, ValidationError
from officeconsole.services.formats.x12_835 import RemitFileError
from officeconsole.services.formats.x12_check import x12_errors
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key

from tests.billing_setup import make_billing


@pytest.fixture
def billing(sched, as_role, clinic):
    return make_billing(sched, as_role, clinic)


@pytest.fixture
def submitted(billing, tmp_path):
    """Two submitted claims: 99214-25 + 36415 x2 ($215), and 99213 ($125)."""
    first = billing.coded(lines=(("99214", "25", 1, "1,2"), ("36415", "", 2, "1")))
    second = billing.coded()
    claims = ClaimService(billing.biller)
    claims.mark_all_ready()
    claims.export_837(tmp_path)
    return first, second


def balance(ctx, encounter_id):
    with ctx.db.read() as session:
        return ArBook(ctx, session).balance(session.get(Encounter, encounter_id))


def status(ctx, encounter_id):
    with ctx.db.read() as session:
        return session.get(Encounter, encounter_id).status


def paid_in_full(first):
    return ClaimPayment(first.id, [
        LinePayment(first.lines[0].id, "96.00", "120", [Adjustment("CO", "45", "65"), Adjustment("PR", "2", "24")]),
        LinePayment(first.lines[1].id, "20", None, [Adjustment("CO", "45", "10")])])


def test_payment_with_contractual_adjustment_and_coinsurance(ctx, billing, submitted):
    first, _ = submitted
    remits = RemittanceService(billing.biller)
    result = remits.post(RemitInput(billing.payer_id, "CHK1001", "2026-11-20", "check", [paid_in_full(first)]))
    assert result.total == D("116.00")
    [claim] = result.claims
    assert (claim.paid, claim.adjusted, claim.to_patient, claim.status) == (D("116"), D("75"), D("24"), "paid")
    now = balance(ctx, first.id)
    assert (now.charged, now.insurer, now.patient) == (D("215.00"), D("0.00"), D("24.00"))
    LedgerService(billing.desk).post_payment(PaymentInput(billing.patient_id, "24", "card",
                                                          appointment_id=first.appointment_id,
                                                          request_key=new_request_key()))
    assert balance(ctx, first.id).total == 0
    version = ClaimService(billing.biller).scrub(first.id).version
    assert ClaimService(billing.biller).set_claim_state(first.id, version, "closed").status == "closed"


def test_a_denial_stays_owing_and_goes_to_the_work_list(ctx, billing, submitted):
    _, second = submitted
    remits = RemittanceService(billing.biller)
    result = remits.post(RemitInput(billing.payer_id, "EFT77", "2026-11-20", "eft", [
        ClaimPayment(second.id, [LinePayment(second.lines[0].id, "0", "0", [Adjustment("CO", "50", "125")])])]))
    assert result.claims[0].status == "denied" and "CO-50 Not medically necessary" in result.claims[0].denied[0]
    assert balance(ctx, second.id).insurer == D("125.00")
    [row] = remits.denials()
    assert (row.encounter_id, row.code, row.owing, row.denial) == (second.id, "99213", D("125.00"),
                                                                   "CO-50 Not medically necessary")
    with pytest.raises(ValidationError, match="still owes"):
        ClaimService(billing.biller).set_claim_state(second.id, ClaimService(billing.biller).scrub(second.id).version, "closed")


def test_the_same_check_twice_and_a_line_that_does_not_add_up_post_nothing(ctx, billing, submitted):
    first, second = submitted
    remits = RemittanceService(billing.biller)
    remits.post(RemitInput(billing.payer_id, "CHK1001", "2026-11-20", "check", [paid_in_full(first)]))
    with pytest.raises(AlreadyPosted, match="CHK1001 was posted"):
        remits.post(RemitInput(billing.payer_id, "CHK1001", "2026-11-20", "check", [paid_in_full(first)]))
    with pytest.raises(ValidationError, match="do not add up"):
        remits.post(RemitInput(billing.payer_id, "CHK2002", "2026-11-20", "check", [
            ClaimPayment(second.id, [LinePayment(second.lines[0].id, "80", None, [Adjustment("CO", "45", "30")])])]))
    with pytest.raises(ValidationError) as refused:
        remits.post(RemitInput(billing.payer_id, "", "2099-01-01", "cash", []))
    assert set(refused.value.errors) == {"trace_number", "paid_on", "method", "claims"}
    with pytest.raises(ValidationError, match="not a line of this claim"):
        remits.post(RemitInput(billing.payer_id, "CHK3003", "2026-11-20", "check", [
            ClaimPayment(second.id, [LinePayment(first.lines[0].id, "0", None, [])])]))
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Remittance)) == 1
    assert status(ctx, second.id) == "submitted"
    with pytest.raises(PermissionDenied):
        RemittanceService(billing.desk).post(RemitInput(billing.payer_id, "X", "2026-11-20"))


def test_an_835_posts_what_matches_reports_the_rest_and_is_safe_to_run_twice(ctx, billing, submitted):
    first, second = submitted
    file = make_835([
        Clp(f"OC{first.id}", "1", [
            Svc("99214", D(185), D(96), 1, str(first.lines[0].id), ("25",), [("CO", "45", D(65)), ("PR", "2", D(24))]),
            Svc("36415", D(30), D(20), 2, "", (), [("CO", "45", D(10))])]),  # no REF*6R: matched by code
        Clp(f"OC{second.id}", "4", [Svc("99213", D(125), D(0), 1, str(second.lines[0].id), (),
                                        [("CO", "97", D(125))])]),
        Clp("OC99999", "1", [Svc("99213", D(125), D(100), 1, "", (), [("CO", "45", D(25))])]),
    ])
    assert x12_errors(file) == []
    remits = RemittanceService(billing.biller)
    [result] = remits.post_835(file)
    assert result.refused == "" and result.posted.total == D("216.00")
    assert (result.posted.applied, result.posted.unapplied) == (D("116.00"), D("100.00"))
    assert {c.encounter_id: c.status for c in result.posted.claims} == {first.id: "paid", second.id: "denied"}
    [(claim_id, why)] = result.skipped
    assert claim_id == "OC99999" and why.startswith("claim $100.00 (segment ") and why.endswith("no such claim here")
    [again] = remits.post_835(file)
    assert "was posted on" in again.refused and again.posted is None
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Remittance)) == 1
        assert session.scalar(select(func.sum(ArEntry.amount)).where(ArEntry.account == "insurer")) == D("125.00")
    with pytest.raises(RemitFileError, match="not an X12"):
        remits.post_835("hello")


def test_an_835_claim_that_does_not_balance_is_skipped_not_half_posted(ctx, billing, submitted):
    first, second = submitted
    file = make_835([
        Clp(f"OC{first.id}", "1", [Svc("99214", D(185), D(100), 1, str(first.lines[0].id), ("25",),
                                       [("CO", "45", D(65))])]),  # 100 + 65 != 185
        Clp(f"OC{second.id}", "1", [Svc("99213", D(125), D(100), 1, str(second.lines[0].id), (),
                                        [("CO", "45", D(25))])]),
    ], trace="CHK5")
    [result] = RemittanceService(billing.biller).post_835(file)
    assert [(c, "do not add up" in why) for c, why in result.skipped] == [(f"OC{first.id}", True)]
    assert [c.encounter_id for c in result.posted.claims] == [second.id]
    assert status(ctx, first.id) == "submitted" and status(ctx, second.id) == "closed"


def test_a_second_eob_repeating_a_paid_line_changes_nothing_and_pays_the_rest(ctx, billing, submitted):
    first, _ = submitted
    remits = RemittanceService(billing.biller)
    remits.post(RemitInput(billing.payer_id, "CHK1", "2026-11-20", "check", [ClaimPayment(first.id, [
        LinePayment(first.lines[0].id, "96", None, [Adjustment("CO", "45", "65"), Adjustment("PR", "2", "24")]),
        LinePayment(first.lines[1].id, "0", None, [Adjustment("CO", "16", "30")])])]))
    assert status(ctx, first.id) == "denied" or balance(ctx, first.id).insurer == D("30.00")
    # The second EOB repeats line 1 as paid and pays line 2 after the appeal.
    result = remits.post(RemitInput(billing.payer_id, "CHK2", "2026-11-21", "check", [ClaimPayment(first.id, [
        LinePayment(first.lines[0].id, "96", None, [Adjustment("CO", "45", "65"), Adjustment("PR", "2", "24")]),
        LinePayment(first.lines[1].id, "20", None, [Adjustment("CO", "45", "10")])])]))
    assert result.claims[0].paid == D("20.00")  # only what is new
    now = balance(ctx, first.id)
    assert (now.insurer, now.patient) == (D("0.00"), D("24.00"))
    assert status(ctx, first.id) == "paid"


def test_a_corrected_835_replaces_the_first_adjudication(ctx, billing, submitted):
    _, second = submitted
    line = str(second.lines[0].id)
    remits = RemittanceService(billing.biller)
    [first_result] = remits.post_835(make_835([Clp(f"OC{second.id}", "4", [
        Svc("99213", D(125), D(0), 1, line, (), [("CO", "45", D(25)), ("PR", "1", D(20)), ("CO", "50", D(80))])])],
        trace="T1"))
    assert first_result.refused == "", first_result
    assert balance(ctx, second.id).insurer == D("80.00")  # the denial stays owing; contract and share posted
    [result] = remits.post_835(make_835([
        Clp(f"OC{second.id}", "22", [Svc("99213", D(-125), D(0), 1, line, (), [  # the payer's reversal
            ("CO", "45", D(-25)), ("PR", "1", D(-20)), ("CO", "50", D(-80))])]),
        Clp(f"OC{second.id}", "1", [Svc("99213", D(125), D(85), 1, line, (), [("CO", "45", D(20)),
                                                                              ("PR", "2", D(20))])])],
        trace="T2", control=6))
    assert result.skipped == [] and [c.reversal for c in result.posted.claims] == [True, False]
    now = balance(ctx, second.id)
    assert (now.insurer, now.patient) == (D("0.00"), D("20.00"))  # not 40: the share was replaced, not added
    assert status(ctx, second.id) == "paid"


def test_a_denial_posts_the_contract_so_billing_the_patient_moves_only_the_rest(ctx, billing, submitted):
    from officeconsole.services.billing.receivables import ReceivablesService

    _, second = submitted
    RemittanceService(billing.biller).post(RemitInput(billing.payer_id, "D1", "2026-11-20", "check", [ClaimPayment(
        second.id, [LinePayment(second.lines[0].id, "0", None, [Adjustment("CO", "45", "25"),
                                                                Adjustment("CO", "96", "100")])])]))
    assert status(ctx, second.id) == "denied"
    assert ReceivablesService(billing.biller).bill_patient(second.id, new_request_key()) == D("100.00")


def test_a_payment_from_another_payer_or_a_line_twice_is_refused(ctx, billing, submitted, clinic):
    first, second = submitted
    other = clinic.payer_ids["Medicare Part B (test)"]
    remits = RemittanceService(billing.biller)
    with pytest.raises(ValidationError, match="was billed to Blue Shield Test Plan"):
        remits.post(RemitInput(other, "M1", "2026-11-20", "check", [ClaimPayment(second.id, [
            LinePayment(second.lines[0].id, "100", None, [Adjustment("CO", "45", "25")])])]))
    line = LinePayment(second.lines[0].id, "100", None, [Adjustment("CO", "45", "25")])
    with pytest.raises(ValidationError, match="listed twice"):
        remits.post(RemitInput(billing.payer_id, "B1", "2026-11-20", "check", [ClaimPayment(second.id, [line, line])]))


def test_an_835_dated_days_ahead_of_its_eft_is_posted(ctx, billing, submitted):
    import datetime as dt

    _, second = submitted
    file = make_835([Clp(f"OC{second.id}", "1", [Svc("99213", D(125), D(100), 1, str(second.lines[0].id), (),
                                                    [("CO", "45", D(25))])])],
                    trace="EFT9", paid_on=ctx.today() + dt.timedelta(days=3))
    [result] = RemittanceService(billing.biller).post_835(file)
    assert result.refused == "" and result.posted.applied == D("100.00")


def test_a_billed_line_cannot_be_removed(ctx, billing, submitted):
    from officeconsole.services.billing.encounters import EncounterService

    first, _ = submitted
    claims = ClaimService(billing.biller)
    version = claims.scrub(first.id).version
    claims.set_claim_state(first.id, version, "rejected", "Wrong code on line 2")
    coding = EncounterService(billing.biller)
    encounter = coding.encounter(first.id)
    with pytest.raises(ValidationError, match="was billed once"):
        coding.remove_charge(encounter.id, encounter.version, encounter.lines[1].id)


def test_a_payment_larger_than_the_balance_becomes_a_credit(ctx, billing, submitted):
    from officeconsole.services.billing.receivables import ReceivablesService

    first, second = submitted
    remits = RemittanceService(billing.biller)
    remits.post(RemitInput(billing.payer_id, "P1", "2026-11-20", "check", [paid_in_full(first)]))
    # The payer paid above the fee (a negative adjustment balances the line): nothing is owed either way.
    remits.post(RemitInput(billing.payer_id, "OVER1", "2026-11-20", "check", [
        ClaimPayment(second.id, [LinePayment(second.lines[0].id, "150", None, [Adjustment("OA", "94", "-25")])])]))
    assert ClaimService(billing.biller).scrub(second.id).insurer_owes == 0
    # The patient pays $50 at the desk against the $24 they owe: a $26 credit, shown as one.
    LedgerService(billing.desk).post_payment(PaymentInput(billing.patient_id, "50", "card",
                                                          appointment_id=first.appointment_id,
                                                          request_key=new_request_key()))
    scrub = ClaimService(billing.biller).scrub(first.id)
    assert scrub.patient_owes == D("-26.00")
    aging = ReceivablesService(billing.biller).aging()  # a credit is not aged: it is listed on its own
    assert aging.patients == [] and [r.total for r in aging.credits] == [D("-26.00")]
    assert (aging.patient_credit, aging.credit_count, aging.patient_total) == (D("-26.00"), 1, D("-26.00"))
