"""835 files post whole or not at all: the interchange is checked first, every prefix of a good file
is refused with nothing changed, and reversals, take-backs, provider-level (PLB) and claim-level
adjustments, payer claim numbers and remark codes are all posted or recorded."""

from __future__ import annotations

import re
from decimal import Decimal as D
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from officeconsole.demo.x835 import Clp, Svc, make_835
from officeconsole.models import (
    ArEntry,
    Encounter,
    LedgerEntry,
    PatientBalance,
    RemitClaim,
    RemitLine,
    RemitProviderAdjustment,
    Remittance,
)
from officeconsole.services.billing.ar_book import ArBook
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.billing.remittance import RemittanceService
from officeconsole.services.formats.x12_835 import RemitFileError, read_835
from officeconsole.services.formats.x12_check import x12_errors
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key

from tests.billing_setup import make_billing

TABLES = (ArEntry, Remittance, RemitLine, RemitClaim, RemitProviderAdjustment, PatientBalance, LedgerEntry)


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


def paid_file(first, second, **kw) -> str:
    """Both claims paid, a line remark code, and $4.50 interest (PLB L6) on top: BPR02 = 216 + 4.50."""
    return make_835([
        Clp(f"OC{first.id}", "1", [
            Svc("99214", D(185), D(96), 1, str(first.lines[0].id), ("25",), [("CO", "45", D(65)), ("PR", "2", D(24))],
                ("N130", "M15")),
            Svc("36415", D(30), D(20), 2, str(first.lines[1].id), (), [("CO", "45", D(10))])]),
        Clp(f"OC{second.id}", "1", [Svc("99213", D(125), D(100), 1, str(second.lines[0].id), (),
                                        [("CO", "45", D(25))])], remarks=("MA01",)),
    ], plb=[("L6", "OC" + str(second.id), D("-4.50"))], **kw)


def snapshot(ctx) -> dict:
    """Every row of the money tables and every claim's state: what a refused file must leave alone."""
    with ctx.db.read() as session:
        state = {t.__tablename__: sorted(tuple(str(getattr(row, c.key)) for c in t.__table__.columns)
                                         for row in session.scalars(select(t))) for t in TABLES}
        state["encounter"] = sorted(session.execute(select(Encounter.id, Encounter.status, Encounter.version)).all())
        return state


def balance(ctx, encounter_id):
    with ctx.db.read() as session:
        return ArBook(ctx, session).balance(session.get(Encounter, encounter_id))


def status(ctx, encounter_id) -> str:
    with ctx.db.read() as session:
        return session.get(Encounter, encounter_id).status


def count(ctx, model) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_file_cut_off_mid_claim_posts_nothing_and_leaves_its_trace_for_the_whole_file(ctx, billing, submitted):
    first, second = submitted
    file = paid_file(first, second)
    assert x12_errors(file) == []
    remits = RemittanceService(billing.biller)
    cut = file[:file.index(f"CLP*OC{second.id}")]  # the first claim, then nothing: no SE, GE or IEA
    before = snapshot(ctx)
    with pytest.raises(RemitFileError, match=r"Nothing was posted: segment \d+ \(SE\): missing: the file ends "
                                             r"after segment \d+ without the trailer of the transaction that starts "
                                             r"at segment 3"):
        remits.post_835(cut)
    assert snapshot(ctx) == before
    [result] = remits.post_835(file)  # the same trace, whole: it posts
    assert result.refused == "" and {c.encounter_id for c in result.posted.claims} == {first.id, second.id}


def _replace(file: str, old: str, new: str) -> str:
    assert file.count(old) == 1, old
    return file.replace(old, new)


@pytest.mark.parametrize(("change", "message"), [
    (lambda f: _replace(f, "*0001~GE", "*0002~GE"), r"segment 38 \(SE\): control number '0002' does not match "
                                                     r"the transaction header's '0001' \(segment 3\)"),
    (lambda f: _replace(f, "SE*36*", "SE*35*"), r"segment 38 \(SE\): says the transaction has '35' segments; it "
                                                r"has 36 \(segments 3 to 38\)"),
    (lambda f: _replace(f, "GE*1*5~", "GE*1*6~"), r"segment 39 \(GE\): control number '6' does not match"),
    (lambda f: _replace(f, "GE*1*5~", "GE*2*5~"), r"segment 39 \(GE\): says the group holds '2' transactions"),
    (lambda f: _replace(f, "IEA*1*000000005", "IEA*1*000000007"), r"segment 40 \(IEA\): control number"),
    (lambda f: _replace(f, "IEA*1*", "IEA*2*"), r"segment 40 \(IEA\): says the interchange holds '2' groups"),
    (lambda f: _replace(f, "BPR*I*220.5*", "BPR*I*216*"), r"segment 4 \(BPR\): the payment total 216.00 is not the "
                                                         r"claims paid \(216.00, 2 CLP\) less the provider "
                                                         r"adjustments \(-4.50, PLB\) = 220.50"),
    (lambda f: f.rstrip() + "ST*835*0002~", r"segment 41 \(ST\): comes after the interchange's trailer"),
    (lambda f: _replace(f, "GS*HP*", "GS*HC*"), r"segment 2 \(GS\): a functional group of kind 'HC'"),
    (lambda f: f.rstrip()[:-4], r"segment 40 \(IEA\): the file ends in the middle of this segment"),
    (lambda f: _replace(f, "CLP*OC1*1*215*116*", "CLP*OC1*1*215*1e2*"), r"segment \d+ \(CLP\): CLP04 '1e2' is not "
                                                                        r"an amount"),
])
def test_a_broken_interchange_is_refused_naming_the_segment(change, message):
    """The check runs before the database is opened (the prefix test shows nothing changes)."""
    file = paid_file(SimpleNamespace(id=1, lines=[SimpleNamespace(id=1), SimpleNamespace(id=2)]),
                     SimpleNamespace(id=2, lines=[SimpleNamespace(id=3)]))
    assert len(read_835(file).payments) == 1
    with pytest.raises(RemitFileError, match=message):
        read_835(change(file))


def test_every_prefix_of_an_835_posts_nothing_or_the_whole_file_once(ctx, billing, submitted):
    first, second = submitted
    file = paid_file(first, second)
    whole = file.strip()
    remits = RemittanceService(billing.biller)
    start = snapshot(ctx)
    posted: list[dict] = []

    def attempt(cut: int) -> None:
        before = snapshot(ctx)
        text = file[:cut]
        try:
            results = remits.post_835(text)
        except RemitFileError:
            assert text.strip() != whole, "the whole file was refused"
            assert snapshot(ctx) == before
            return
        assert text.strip() == whole, f"a prefix of {cut} characters was taken for a whole file"
        if all(r.posted is not None for r in results):
            assert not posted, "the file posted twice"
            posted.append(snapshot(ctx))
        else:
            assert posted and all(r.posted_before for r in results) and snapshot(ctx) == before

    for cut in [n + 1 for n, ch in enumerate(file) if ch == "~"]:  # every segment boundary
        attempt(cut)

    @settings(max_examples=40, deadline=None, database=None)
    @given(st.integers(0, len(file)))  # anywhere, mid-segment mostly
    def anywhere(cut: int) -> None:
        attempt(cut)

    anywhere()
    attempt(len(file))
    [after] = posted
    assert after != start
    # Exactly what the whole file posts, once: one remittance, both claims, the interest recorded.
    assert (balance(ctx, first.id).insurer, balance(ctx, first.id).patient) == (D("0.00"), D("24.00"))
    assert balance(ctx, second.id).insurer == D("0.00")
    assert (status(ctx, first.id), status(ctx, second.id)) == ("paid", "closed")
    assert count(ctx, Remittance) == 1 and count(ctx, RemitClaim) == 2 and count(ctx, RemitProviderAdjustment) == 1
    assert snapshot(ctx) == after


def test_plb_interest_and_take_backs_are_recorded_and_reconcile(ctx, billing, submitted, tmp_path):
    first, second = submitted
    [result] = RemittanceService(billing.biller).post_835(paid_file(first, second))
    posted = result.posted
    assert (posted.total, posted.applied, posted.unapplied) == (D("220.50"), D("216.00"), D("0.00"))
    assert [(p.reason, p.reference, p.amount, p.description) for p in posted.provider_adjustments] == [
        ("L6", f"OC{second.id}", D("-4.50"), "L6 Interest owed")]
    # A later check: $100 for a new claim less a $30 take-back (WO) of an overpayment: $70 arrives.
    third = billing.coded()
    ClaimService(billing.biller).mark_all_ready()
    ClaimService(billing.biller).export_837(tmp_path / "later")
    [later] = RemittanceService(billing.biller).post_835(make_835(
        [Clp(f"OC{third.id}", "1", [Svc("99213", D(125), D(100), 1, str(third.lines[0].id), (),
                                        [("CO", "45", D(25))])])],
        trace="CHK20002", control=6, plb=[("WO", "PAYEROC9", D(30))]))
    assert later.posted.total == D("70.00") and later.posted.unapplied == D("0.00")
    with ctx.db.read() as session:
        rows = session.execute(select(RemitProviderAdjustment.reason_code, RemitProviderAdjustment.amount)
                               .order_by(RemitProviderAdjustment.id)).all()
    assert rows == [("L6", D("-4.50")), ("WO", D("30.00"))]


def test_claim_level_adjustments_post_to_the_claim(ctx, billing, submitted):
    _, second = submitted
    # The line pays $100; a claim-level sequestration (CO-253) takes $2 off and a claim-level deductible
    # (PR-1) $10 more: the claim pays $88 and the patient owes $10.
    [result] = RemittanceService(billing.biller).post_835(make_835([
        Clp(f"OC{second.id}", "1", [Svc("99213", D(125), D(100), 1, str(second.lines[0].id), (),
                                        [("CO", "45", D(25))])],
            adjustments=[("CO", "253", D(2)), ("PR", "1", D(10))])]))
    assert result.refused == "" and result.skipped == []
    [claim] = result.posted.claims
    assert (claim.paid, claim.adjusted, claim.to_patient) == (D("88.00"), D("27.00"), D("10.00"))
    now = balance(ctx, second.id)
    assert (now.insurer, now.patient) == (D("0.00"), D("10.00"))
    with ctx.db.read() as session:
        claim_level = session.execute(select(ArEntry.account, ArEntry.kind, ArEntry.group_code, ArEntry.reason_code,
                                             ArEntry.amount).where(ArEntry.charge_line_id.is_(None),
                                                                   ArEntry.remittance_id.is_not(None))
                                      .order_by(ArEntry.id)).all()
        paid = session.scalar(select(func.sum(ArEntry.amount)).where(ArEntry.kind == "payment"))
    assert claim_level == [("insurer", "payment", "", "", D("12.00")),
                           ("insurer", "adjustment", "CO", "253", D("-2.00")),
                           ("insurer", "transfer", "PR", "1", D("-10.00")),
                           ("patient", "transfer", "PR", "1", D("10.00"))]
    assert paid == D("-88.00")  # what the payer sent, not what the lines said
    # The payer reverses the claim, claim-level adjustments and all: the claim is owed in full again.
    [reversed_] = RemittanceService(billing.biller).post_835(make_835([
        Clp(f"OC{second.id}", "22", [Svc("99213", D(-125), D(-100), 1, str(second.lines[0].id), (),
                                         [("CO", "45", D(-25))])],
            adjustments=[("CO", "253", D(-2)), ("PR", "1", D(-10))])], trace="CHK6", control=6))
    assert reversed_.refused == "" and reversed_.posted.claims[0].paid == D("-88.00")
    now = balance(ctx, second.id)
    assert (now.insurer, now.patient, status(ctx, second.id)) == (D("125.00"), D("0.00"), "accepted")


def test_payer_claim_number_and_remark_codes_are_stored(ctx, billing, submitted):
    first, second = submitted
    RemittanceService(billing.biller).post_835(paid_file(first, second))
    with ctx.db.read() as session:
        claims = session.execute(select(RemitClaim.encounter_id, RemitClaim.status_code, RemitClaim.payer_claim_number,
                                        RemitClaim.paid, RemitClaim.remark_codes).order_by(RemitClaim.id)).all()
        lines = session.execute(select(RemitLine.charge_line_id, RemitLine.remark_codes).order_by(RemitLine.id)).all()
    assert claims == [(first.id, "1", f"PAYEROC{first.id}", D("116.00"), ""),
                      (second.id, "1", f"PAYEROC{second.id}", D("100.00"), "MA01")]
    assert lines == [(first.lines[0].id, "N130,M15"), (first.lines[1].id, ""), (second.lines[0].id, "")]


def test_a_reversal_reopens_a_closed_claim_and_the_correction_posts(ctx, billing, submitted):
    first, second = submitted
    remits = RemittanceService(billing.biller)
    remits.post_835(paid_file(first, second))
    assert status(ctx, second.id) == "closed"
    line = str(second.lines[0].id)
    # The payer takes back its $100 and pays $90 instead, with $10 now the patient's (coinsurance).
    [result] = remits.post_835(make_835([
        Clp(f"OC{second.id}", "22", [Svc("99213", D(-125), D(-100), 1, line, (), [("CO", "45", D(-25))])]),
        Clp(f"OC{second.id}", "1", [Svc("99213", D(125), D(90), 1, line, (), [("CO", "45", D(25)),
                                                                              ("PR", "2", D(10))])])],
        trace="CHK30003", control=7))
    assert result.refused == "" and result.skipped == []
    assert [(c.reversal, c.paid, c.adjusted, c.to_patient) for c in result.posted.claims] == [
        (True, D("-100.00"), D("-25.00"), D("0.00")), (False, D("90.00"), D("25.00"), D("10.00"))]
    assert result.posted.total == D("-10.00")
    now = balance(ctx, second.id)
    assert (now.insurer, now.patient) == (D("0.00"), D("10.00"))
    assert status(ctx, second.id) == "paid"
    with ctx.db.read() as session:
        reversed_entries = session.execute(select(ArEntry.kind, ArEntry.amount).where(
            ArEntry.encounter_id == second.id, ArEntry.memo.like("Reversed by%")).order_by(ArEntry.id)).all()
    assert sorted(reversed_entries) == [("adjustment", D("25.00")), ("payment", D("100.00"))]


def test_a_take_back_alone_is_recorded_and_reopens_the_claim(ctx, billing, submitted):
    first, second = submitted
    remits = RemittanceService(billing.biller)
    remits.post_835(paid_file(first, second))
    LedgerService(billing.desk).post_payment(PaymentInput(billing.patient_id, "24", "card",
                                                          appointment_id=first.appointment_id,
                                                          request_key=new_request_key()))
    # Recouped in full: the reversal, carried to a later check as a forwarding balance (PLB FB).
    [result] = remits.post_835(make_835([
        Clp(f"OC{first.id}", "22", [
            Svc("99214", D(-185), D(-96), 1, str(first.lines[0].id), ("25",), [("CO", "45", D(-65)),
                                                                               ("PR", "2", D(-24))]),
            Svc("36415", D(-30), D(-20), 2, str(first.lines[1].id), (), [("CO", "45", D(-10))])])],
        trace="CHK40004", control=8, plb=[("FB", f"PAYEROC{first.id}", D(-116))]))
    assert result.refused == "" and result.posted.total == D("0.00")
    [claim] = result.posted.claims
    assert (claim.reversal, claim.paid, claim.status) == (True, D("-116.00"), "accepted")
    now = balance(ctx, first.id)
    assert (now.insurer, now.patient) == (D("215.00"), D("-24.00"))  # owed again; the desk payment now a credit


def test_a_reversal_of_money_never_posted_here_is_listed_not_guessed(ctx, billing, submitted):
    _, second = submitted
    [result] = RemittanceService(billing.biller).post_835(make_835([
        Clp(f"OC{second.id}", "22", [Svc("99213", D(-125), D(-100), 1, str(second.lines[0].id), (),
                                         [("CO", "45", D(-25))])])], plb=[("72", "X1", D(-100))]))
    assert result.posted is not None and result.posted.claims == []
    [(claim_id, why)] = result.skipped
    assert claim_id == f"OC{second.id}" and "takes back $100.00 but $0.00 was posted" in why
    assert status(ctx, second.id) == "submitted"


def test_every_unmatched_item_is_listed(ctx, billing, submitted):
    first, second = submitted
    [result] = RemittanceService(billing.biller).post_835(make_835([
        Clp(f"OC{first.id}", "1", [Svc("99215", D(185), D(100), 1, "", (), [("CO", "45", D(85))]),
                                   Svc("81002", D(30), D(20), 1, "", (), [("CO", "45", D(10))])]),
        Clp(f"OC{second.id}", "1", [Svc("99213", D(125), D(100), 1, str(second.lines[0].id), (),
                                        [("CO", "45", D(25))])]),
        Clp("OC424242", "1", [Svc("99213", D(125), D(100), 1, "", (), [("CO", "45", D(25))])]),
    ]))
    reasons = [(claim_id, why.split(": ", 1)[1]) for claim_id, why in result.skipped]
    assert reasons == [(f"OC{first.id}", "service 99215 ($185.00) matches no line of the claim"),
                       (f"OC{first.id}", "service 81002 ($30.00) matches no line of the claim"),
                       ("OC424242", "no such claim here")]
    assert result.posted.unapplied == D("220.00")


def test_a_file_with_one_payment_that_cannot_post_posts_none(ctx, billing, submitted):
    first, second = submitted
    good = paid_file(first, second)
    unknown = make_835([Clp(f"OC{second.id}", "1", [Svc("99213", D(125), D(100), 1, "", (), [("CO", "45", D(25))])])],
                       trace="NOPE1", payer=("NOBODY INSURANCE", "NOBODY"))
    # Two transactions in one group: the known payer's, then the unknown one's.
    st_good = good[good.index("ST*835"):good.index("GE*")]
    st_bad = re.sub(r"(ST\*835|SE\*\d+)\*0001", r"\1*0002", unknown[unknown.index("ST*835"):unknown.index("GE*")])
    both = good[:good.index("ST*835")] + st_good + st_bad + "GE*2*5~IEA*1*000000005~"
    before = snapshot(ctx)
    results = RemittanceService(billing.biller).post_835(both)
    assert [r.posted for r in results] == [None, None]
    assert "whole or not at all" in results[0].refused and "NOBODY INSURANCE" in results[1].refused
    assert snapshot(ctx) == before
