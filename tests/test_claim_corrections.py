"""Corrected (CLM05-3 = 7) and void (8) claims: they name the payer's claim number (REF*F8), the
charges and the A/R follow exactly, and each is audited with its reason."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from officeconsole.demo.x835 import Clp, Svc, make_835
from officeconsole.models import AuditEvent, Encounter
from officeconsole.services.billing.ar_book import ArBook
from officeconsole.services.billing.claim_corrections import ClaimCorrectionService
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.billing.encounters import ChargeInput, EncounterService
from officeconsole.services.billing.remittance import RemittanceService
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.formats.x12_check import x12_errors

from tests.billing_setup import make_billing


@pytest.fixture
def billing(sched, as_role, clinic):
    return make_billing(sched, as_role, clinic)


@pytest.fixture
def paid(billing, tmp_path):
    """A $125 claim sent, and paid by the primary: $80, CO-45 $25, PR-2 $20 (payer claim PAYEROC<id>)."""
    claim = billing.coded()
    service = ClaimService(billing.biller)
    service.mark_all_ready()
    service.export_837(tmp_path)
    RemittanceService(billing.biller).post_835(make_835([Clp(f"OC{claim.id}", "1", [
        Svc("99213", D(125), D(80), 1, str(claim.lines[0].id), (), [("CO", "45", D(25)), ("PR", "2", D(20))])])]))
    return claim


def balance(ctx, encounter_id):
    with ctx.db.read() as session:
        encounter = session.get(Encounter, encounter_id)
        return encounter.status, ArBook(ctx, session).balance(encounter)


def audited(ctx, action):
    with ctx.db.read() as session:
        return session.scalars(select(AuditEvent.summary).where(AuditEvent.action == action)).all()


def test_a_correction_replaces_the_lines_and_goes_out_as_frequency_7_with_the_payer_claim_number(
        ctx, billing, paid, tmp_path):
    corrections = ClaimCorrectionService(billing.biller)
    with pytest.raises(ValidationError, match="Say why"):
        corrections.correct(paid.id, "  ")
    result = corrections.correct(paid.id, "wrong level of visit: 99214")
    assert result.status == "needs_coding"
    status, owed = balance(ctx, paid.id)
    assert (owed.charged, owed.insurer, owed.patient) == (D(0), D(-125), D(20))  # the charge taken back
    assert audited(ctx, "claim.correct") == [f"corrected claim for Blue Shield Test Plan claim PAYEROC{paid.id}: "
                                             "wrong level of visit: 99214"]
    coding = EncounterService(billing.biller)
    encounter = coding.add_charge(paid.id, result.version, ChargeInput("36415", "", 1, "1"))  # the line forgotten
    service = ClaimService(billing.biller)
    service.mark_ready(paid.id, encounter.version)
    text = service.export_837(tmp_path).path.read_text()
    assert x12_errors(text) == []
    assert f"CLM*OC{paid.id}*140***11:B:7*Y*A*Y*Y~REF*F8*PAYEROC{paid.id}~" in text
    status, owed = balance(ctx, paid.id)  # both lines charged; the payer's first answer stands until replaced
    assert (status, owed.charged, owed.insurer, owed.patient) == ("submitted", D(140), D(15), D(20))
    first, added = (line.id for line in encounter.lines)
    RemittanceService(billing.biller).post_835(make_835([
        Clp(f"OC{paid.id}", "22", [Svc("99213", D(-125), D(-80), 1, str(first), (),
                                       [("CO", "45", D(-25)), ("PR", "2", D(-20))])]),
        Clp(f"OC{paid.id}", "1", [
            Svc("99213", D(125), D(80), 1, str(first), (), [("CO", "45", D(25)), ("PR", "2", D(20))]),
            Svc("36415", D(15), D(8), 1, str(added), (), [("CO", "45", D(5)), ("PR", "2", D(2))])])],
        trace="CHK20002", control=7))
    status, owed = balance(ctx, paid.id)
    assert (status, owed.charged, owed.insurer, owed.patient) == ("paid", D(140), D(0), D(22))
    assert owed.charged == D(125) + D(15)

def test_a_void_reverses_the_claim_and_the_payers_take_back_closes_it(ctx, billing, paid, tmp_path):
    result = ClaimCorrectionService(billing.biller).void(paid.id, "billed to the wrong patient")
    assert result.status == "ready"
    status, owed = balance(ctx, paid.id)
    # The charge, write-off and patient share are gone; the payer's $80 is its credit until it takes it back.
    assert (owed.charged, owed.insurer, owed.patient) == (D(0), D(-80), D(0))
    assert audited(ctx, "claim.void") == [f"void of Blue Shield Test Plan claim PAYEROC{paid.id}: billed to the "
                                          "wrong patient"]
    text = ClaimService(billing.biller).export_837(tmp_path).path.read_text()
    assert x12_errors(text) == []
    assert f"11:B:8*Y*A*Y*Y~REF*F8*PAYEROC{paid.id}~" in text
    assert balance(ctx, paid.id)[0] == "paid"  # open: the payer's credit waits for its take-back
    with pytest.raises(ValidationError, match="voided already"):
        ClaimCorrectionService(billing.biller).void(paid.id, "again")
    [posted] = RemittanceService(billing.biller).post_835(make_835([
        Clp(f"OC{paid.id}", "22", [Svc("99213", D(-125), D(-80), 1, str(paid.lines[0].id), (),
                                       [("CO", "45", D(-25)), ("PR", "2", D(-20))])])], trace="CHK20003",
        control=8))
    assert posted.refused == "", posted.skipped
    status, owed = balance(ctx, paid.id)
    assert (status, owed.charged, owed.insurer, owed.patient) == ("closed", D(0), D(0), D(0))


def test_a_claim_with_no_payer_claim_number_cannot_be_corrected_and_the_biller_is_told_where_it_comes_from(
        ctx, billing, tmp_path):
    claim = billing.coded()
    service = ClaimService(billing.biller)
    service.mark_all_ready()
    service.export_837(tmp_path)
    with pytest.raises(ValidationError) as refused:
        ClaimCorrectionService(billing.biller).correct(claim.id, "wrong code")
    message = refused.value.errors["payer_claim_number"]
    assert "835 remittance (CLP07" in message and "post that remittance first" in message
    with pytest.raises(ValidationError, match="has not been sent"):
        ClaimCorrectionService(billing.biller).void(billing.coded().id, "never sent")
    assert balance(ctx, claim.id)[0] == "submitted"
