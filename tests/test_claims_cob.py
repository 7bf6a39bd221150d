"""Coordination of benefits: what the primary leaves goes to the next policy in force, as an
837P secondary claim repeating the primary's adjudication (2320/2330/2430), or as a crossover the
secondary's 835 arrives for; what the last payer leaves goes to the patient."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, update

from officeconsole.demo.x835 import Clp, Svc, make_835
from officeconsole.models import ArEntry, Encounter, PatientBalance, Payer
from officeconsole.models.claims import Account, ArKind
from officeconsole.services.billing.ar_book import ArBook
from officeconsole.services.billing.claims import ClaimService, ExportError
from officeconsole.services.billing.remittance import RemittanceService
from officeconsole.services.formats.x12_check import x12_errors
from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput

from tests.billing_setup import make_billing

MEDIGAP = ("MEDIGAP TEST PLAN", "MGAP1")


@pytest.fixture
def billing(sched, as_role, clinic):
    return make_billing(sched, as_role, clinic)


def add_secondary(billing, name="Medigap Test Plan", code="MGAP1", crossover=False) -> int:
    payer = InsuranceService(billing.manager).add_payer(name, code, crossover=crossover)
    InsuranceService(billing.desk).add_policy(billing.patient_id, PolicyInput(payer.id, 2, "MG7788", "",
                                                                              effective_from="2025-01-01"))
    return payer.id


def primary_claim(billing, tmp_path):
    """A $125 visit (99213) sent to the primary: its 837 has SBR*P."""
    claim = billing.coded()
    service = ClaimService(billing.biller)
    service.mark_all_ready()
    batch = service.export_837(tmp_path)
    assert "SBR*P*18" in batch.path.read_text()
    return claim


def primary_835(claim) -> str:
    """The primary allows $100, pays $80: CO-45 $25 written off, coinsurance PR-2 $20."""
    return make_835([Clp(f"OC{claim.id}", "1", [Svc("99213", D(125), D(80), 1, str(claim.lines[0].id), (),
                                                      [("CO", "45", D(25)), ("PR", "2", D(20))])])])


def secondary_835(claim, paid=D(20), more=()) -> str:
    """The secondary's answer: the prior payer's $105 (OA-23), then what it pays or refuses."""
    return make_835([Clp(f"OC{claim.id}", "1" if paid else "4", [
        Svc("99213", D(125), paid, 1, str(claim.lines[0].id), (), [("OA", "23", D(105)), *more])])],
        trace="MG5001", payer=MEDIGAP, control=9)


def patient_balance(ctx, patient_id) -> D:
    with ctx.db.read() as session:
        row = session.get(PatientBalance, patient_id)
        return D(0) if row is None else row.balance


def state(ctx, encounter_id):
    with ctx.db.read() as session:
        encounter = session.get(Encounter, encounter_id)
        by_payer = dict(session.execute(
            select(Payer.name, func.sum(ArEntry.amount)).join(Payer, Payer.id == ArEntry.payer_id)
            .where(ArEntry.encounter_id == encounter_id, ArEntry.account == Account.INSURER)
            .group_by(Payer.name)).all())
        return (encounter.status, encounter.claim_sequence, ArBook(ctx, session).balance(encounter),
                {k: D(v).quantize(D("0.01")) for k, v in by_payer.items()})


def test_primary_only_the_coinsurance_goes_to_the_patient(ctx, billing, tmp_path):
    claim = primary_claim(billing, tmp_path)
    [result] = RemittanceService(billing.biller).post_835(primary_835(claim))
    [posted] = result.posted.claims
    assert (posted.to_patient, posted.to_next_payer, posted.next_payer) == (D(20), D(0), "")
    status, sequence, balance, _ = state(ctx, claim.id)
    assert (status, sequence, balance.insurer, balance.patient) == ("paid", "P", D(0), D(20))


def test_primary_then_secondary_to_a_zero_balance_never_shown_to_the_patient(ctx, billing, tmp_path):
    add_secondary(billing)
    claim = primary_claim(billing, tmp_path)
    remits = RemittanceService(billing.biller)
    [result] = remits.post_835(primary_835(claim))
    [posted] = result.posted.claims
    assert (posted.to_patient, posted.to_next_payer, posted.next_payer, posted.next_claim) == (
        D(0), D(20), "Medigap Test Plan", "ready to send")
    status, sequence, balance, by_payer = state(ctx, claim.id)
    assert (status, sequence, balance.insurer, balance.patient) == ("ready", "S", D(20), D(0))
    assert by_payer == {"Blue Shield Test Plan": D(0), "Medigap Test Plan": D(20)}
    assert patient_balance(ctx, billing.patient_id) == D(0)

    batch = ClaimService(billing.biller).export_837(tmp_path)
    text = batch.path.read_text()
    assert x12_errors(text) == []
    segments = text.strip().rstrip("~").split("~")
    assert "SBR*S*18*******CI" in segments and "NM1*PR*2*MEDIGAP TEST PLAN*****PI*MGAP1" in segments
    # 2320/2330: the primary's claim as it posted it; 2430: each line's payment and adjustments.
    clm = segments.index(next(s for s in segments if s.startswith("CLM*")))
    assert segments[clm + 3:clm + 9] == [
        "SBR*P*18*G100******CI", "AMT*D*80", "OI***Y*P**Y", "NM1*IL*1*CLAIMANT*CARLA****MI*XYZ123456",
        "NM1*PR*2*BLUE SHIELD TEST PLAN*****PI*BSTP1", "LX*1"]
    svd = segments.index("SVD*BSTP1*80*HC:99213**1")
    assert segments[svd + 1:svd + 4] == ["CAS*CO*45*25", "CAS*PR*2*20", "DTP*573*D8*20261123"]
    with ctx.db.read() as session:
        paid = session.scalar(select(func.sum(ArEntry.amount)).where(
            ArEntry.encounter_id == claim.id, ArEntry.kind == ArKind.PAYMENT))
    assert -paid == D(80)  # what the 2320/2430 say is what the primary's posting holds

    [result] = remits.post_835(secondary_835(claim))
    assert result.refused == "", result.skipped
    status, sequence, balance, by_payer = state(ctx, claim.id)
    assert (status, balance.insurer, balance.patient) == ("closed", D(0), D(0))
    assert by_payer == {"Blue Shield Test Plan": D(0), "Medigap Test Plan": D(0)}
    assert patient_balance(ctx, billing.patient_id) == D(0)


def test_crossover_the_secondary_is_expected_not_sent(ctx, billing, tmp_path):
    add_secondary(billing, crossover=True)
    claim = primary_claim(billing, tmp_path)
    remits = RemittanceService(billing.biller)
    [result] = remits.post_835(primary_835(claim))
    assert result.posted.claims[0].next_claim == "expected by crossover"
    assert state(ctx, claim.id)[:2] == ("submitted", "S")
    with pytest.raises(ExportError, match="No claims are ready"):
        ClaimService(billing.biller).export_837(tmp_path)
    [result] = remits.post_835(secondary_835(claim))
    status, _, balance, _ = state(ctx, claim.id)
    assert (status, balance.total) == ("closed", D(0))


def test_a_secondary_that_denies_leaves_its_share_on_the_denial_list_not_the_patient(ctx, billing, tmp_path):
    add_secondary(billing)
    claim = primary_claim(billing, tmp_path)
    remits = RemittanceService(billing.biller)
    remits.post_835(primary_835(claim))
    ClaimService(billing.biller).export_837(tmp_path)
    [result] = remits.post_835(secondary_835(claim, D(0), [("CO", "27", D(20))]))
    [posted] = result.posted.claims
    assert posted.denied and posted.to_patient == D(0)
    status, _, balance, by_payer = state(ctx, claim.id)
    assert (status, balance.insurer, balance.patient) == ("denied", D(20), D(0))
    assert by_payer["Medigap Test Plan"] == D(20)
    [row] = remits.denials()
    assert (row.payer_name, row.owing) == ("Medigap Test Plan", D(20))


def test_a_secondary_payer_with_no_payer_id_holds_the_secondary_claim_with_the_reason(ctx, billing, tmp_path):
    add_secondary(billing, "Local Union Plan", "")
    claim = primary_claim(billing, tmp_path)
    [result] = RemittanceService(billing.biller).post_835(primary_835(claim))
    [posted] = result.posted.claims
    assert posted.next_claim == "held: Local Union Plan has no electronic payer ID."
    assert posted.to_patient == D(0)
    problems = ClaimService(billing.biller).scrub(claim.id)
    assert problems.status == "needs_coding" and "no electronic payer ID" in problems.note
    assert [p.message for p in problems.problems] == ["Local Union Plan has no electronic payer ID."]
    with ctx.db.write() as session:  # the payer ID is added: the claim is marked ready to the secondary
        session.execute(update(Payer).where(Payer.name == "Local Union Plan").values(payer_code="LUP01"))
    ready = ClaimService(billing.biller).mark_ready(claim.id, problems.version)
    assert ready.status == "ready"
    batch = ClaimService(billing.biller).export_837(tmp_path)
    assert x12_errors(batch.path.read_text()) == [] and "SBR*S*18*" in batch.path.read_text()


def test_an_835_for_a_secondary_claim_never_sent_posts_nothing_and_says_why(ctx, billing, tmp_path):
    add_secondary(billing)
    claim = primary_claim(billing, tmp_path)
    [result] = RemittanceService(billing.biller).post_835(secondary_835(claim))
    assert result.posted is None
    [(claim_id, why)] = result.skipped
    assert claim_id == f"OC{claim.id}"
    assert re.search(r"Medigap Test Plan is the patient's secondary .* no claim for this visit was sent to it: "
                     r"it is still Blue Shield Test Plan's claim\. Post Blue Shield Test Plan's remittance first", why)
    assert state(ctx, claim.id)[:2] == ("submitted", "P")
