"""The claim scrubber, marking claims ready, the 837P export (checked by pyx12) and claim moves."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from officeconsole.models import ArEntry, ClaimBatch, Encounter
from officeconsole.services.billing.billing_identity import BillingIdentityService, Identities
from officeconsole.services.billing.claim_data import load_claim
from officeconsole.services.billing.claims import ClaimNotClean, ClaimService, ExportError
from officeconsole.services.billing.encounters import ChargeInput, EncounterService
from officeconsole.services.billing.scrubber import BILLING, CODING, INSURANCE, PATIENT, scrub
from officeconsole.services.common.errors import ConcurrentEdit, PermissionDenied, ValidationError
from officeconsole.services.formats.x12_837 import x12_text
from officeconsole.services.formats.x12_check import x12_errors

from tests.billing_setup import make_billing
from tests.factories import register


@pytest.fixture
def billing(sched, as_role, clinic):
    return make_billing(sched, as_role, clinic)


def test_a_clean_claim_becomes_ready_and_fixes_its_policy(ctx, billing):
    encounter = billing.coded()
    claims = ClaimService(billing.biller)
    result = claims.scrub(encounter.id)
    assert result.clean and result.total == Decimal("125.00")
    ready = claims.mark_ready(encounter.id, result.version)
    assert ready.status == "ready"
    with ctx.db.read() as session:
        assert session.get(Encounter, encounter.id).policy_id == billing.policy_id
    with pytest.raises(ValidationError, match="ready already"):
        claims.mark_ready(encounter.id, ready.version)


def test_every_scrubber_failure_is_one_line_with_where_to_fix_it(ctx, billing, as_role):
    coding = EncounterService(billing.biller)
    uninsured = register(billing.desk, first_name="Una", last_name="Insured")
    encounter = coding.for_visit(billing.visit(patient_id=uninsured.id))
    claim = load_claim_of(ctx, encounter.id)
    bad = dataclasses.replace(
        claim, date_of_service=dt.date(2026, 12, 1), place_of_service="",
        patient=dataclasses.replace(claim.patient, dob=dt.date(2030, 1, 1)),
        lines=(dataclasses.replace(line, pointers=()) for line in claim.lines),
        rendering_npi="1234567890", billing=dataclasses.replace(claim.billing, npi="1234567890", postal_code="62704"))
    problems = scrub(dataclasses.replace(bad, lines=()), ctx.today())
    messages = [p.message for p in problems]
    assert any("in the future" in m for m in messages)
    assert any("Place of service is missing" in m for m in messages)
    assert any("No diagnosis" in m for m in messages) and any("No charge lines" in m for m in messages)
    assert any("No insurance in force" in m for m in messages)
    assert any("date of birth" in m and "after the date of service" in m for m in messages)
    assert any("Patient address is incomplete" in m for m in messages)
    assert any("Rendering provider" in m and "check digit" in m for m in messages)
    assert any("Billing NPI 1234567890" in m for m in messages)
    assert any("ZIP+4" in m for m in messages)
    assert {p.fix for p in problems} == {CODING, INSURANCE, PATIENT, BILLING}
    with pytest.raises(ClaimNotClean) as refused:
        ClaimService(billing.biller).mark_ready(encounter.id, encounter.version)
    assert "No diagnosis" in str(refused.value)
    with ctx.db.read() as session:
        assert session.get(Encounter, encounter.id).status == "needs_coding"


def test_pointer_and_subscriber_checks(ctx, billing):
    encounter = billing.coded(diagnoses=("E11.9",), lines=(("99213", "", 1, "1"),))
    claim = load_claim_of(ctx, encounter.id)
    line = dataclasses.replace(claim.lines[0], pointers=(2,))
    child = dataclasses.replace(claim.policy, relationship="child", subscriber_name="Pat", subscriber_dob=None,
                                member_id="AB 12*", payer_code="")
    messages = [p.message for p in scrub(dataclasses.replace(claim, lines=(line,), policy=child), ctx.today())]
    assert any("points at diagnosis 2" in m for m in messages)
    assert any("first and last name" in m for m in messages) and any("Subscriber's date of birth" in m
                                                                      for m in messages)
    assert any("letters, digits and dashes" in m for m in messages)
    assert any("no electronic payer ID" in m for m in messages)


def load_claim_of(ctx, encounter_id):
    with ctx.db.read() as session:
        return load_claim(session, encounter_id)


def test_export_makes_a_valid_837p_posts_charges_and_never_reuses_a_control_number(ctx, billing, tmp_path):
    claims = ClaimService(billing.biller)
    first = billing.coded(lines=(("99214", "25", 1, "1,2"), ("36415", "", 2, "1")))
    second = billing.coded(diagnoses=("J45.909",))
    run = claims.mark_all_ready()
    assert sorted(run.ready) == [first.id, second.id] and run.failing == {}
    batch = claims.export_837(tmp_path)
    assert (batch.claims, batch.total, batch.control_number) == (2, Decimal("340.00"), 1)
    body = batch.path.read_text()
    assert x12_errors(body) == []
    segments = body.strip().rstrip("~").split("~")
    assert len(segments[0]) == 105 and segments[0].startswith("ISA*00*")  # 106 with its terminator
    assert "HI*ABK:E119*ABF:I10" in segments and "SV1*HC:99214:25*185*UN*1***1:2" in segments
    clm = [s.split("*") for s in segments if s.startswith("CLM*")]
    assert [(c[1], c[2]) for c in clm] == [(f"OC{first.id}", "215"), (f"OC{second.id}", "125")]
    line_sums = {}
    for s in segments:  # CLM02 equals the sum of its SV102s (pyx12 does not check this)
        parts = s.split("*")
        if parts[0] == "CLM":
            current = parts[1]
            line_sums[current] = Decimal(0)
        elif parts[0] == "SV1":
            line_sums[current] += Decimal(parts[2])
    assert {k: str(v) for k, v in line_sums.items()} == {c[1]: c[2] for c in clm}
    se = next(s for s in segments if s.startswith("SE*")).split("*")
    st_index = next(i for i, s in enumerate(segments) if s.startswith("ST*"))
    assert int(se[1]) == segments.index("*".join(se)) - st_index + 1
    with ctx.db.read() as session:
        assert {e.status for e in session.scalars(select(Encounter))} == {"submitted"}
        charges = session.execute(select(func.count(), func.sum(ArEntry.amount)).where(ArEntry.kind == "charge")).one()
    assert charges == (3, Decimal("340.00"))
    with pytest.raises(ExportError, match="No claims are ready"):
        claims.export_837(tmp_path)
    again = claims.reexport_837(batch.batch_id, tmp_path)
    assert again.control_number == 2 and again.claims == 2 and again.path != batch.path
    assert x12_errors(again.path.read_text()) == []
    with ctx.db.read() as session:  # sending again posts nothing twice
        assert session.scalar(select(func.count()).select_from(ArEntry)) == 3
        assert session.scalar(select(func.count()).select_from(ClaimBatch)) == 2
    assert [b.control_number for b in claims.batches()] == [2, 1]
    assert not list(tmp_path.glob(".*partial"))


def test_export_refuses_an_unwritable_folder_and_leaves_claims_ready(ctx, billing, tmp_path):
    claims = ClaimService(billing.biller)
    encounter = billing.coded()
    claims.mark_all_ready()
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    with pytest.raises(ExportError, match="Cannot write"):
        claims.export_837(blocked)
    with ctx.db.read() as session:
        assert session.get(Encounter, encounter.id).status == "ready"


def test_a_claim_that_went_bad_after_ready_is_held_back(ctx, billing, tmp_path):
    claims = ClaimService(billing.biller)
    good, bad = billing.coded(), billing.coded()
    claims.mark_all_ready()
    with ctx.db.write() as session:  # its provider's NPI was mistyped in the meantime, say
        session.get(Encounter, bad.id).place_of_service = "00"
    batch = claims.export_837(tmp_path)
    assert batch.claims == 1 and bad.id in batch.skipped and "Place of service" in batch.skipped[bad.id]
    with ctx.db.read() as session:
        assert session.get(Encounter, bad.id).status == "needs_coding"
        assert session.get(Encounter, good.id).status == "submitted"


def test_rejected_claim_reverses_its_charges_and_is_billed_again_once(ctx, billing, tmp_path):
    claims = ClaimService(billing.biller)
    encounter = billing.coded()
    claims.mark_all_ready()
    claims.export_837(tmp_path)
    version = claims.scrub(encounter.id).version
    with pytest.raises(ValidationError, match="Say why"):
        claims.set_claim_state(encounter.id, version, "rejected")
    moved = claims.set_claim_state(encounter.id, version, "rejected", "Invalid subscriber ID")
    assert moved.status == "rejected"
    with pytest.raises(ConcurrentEdit):
        claims.set_claim_state(encounter.id, version, "accepted")
    with ctx.db.read() as session:
        assert session.scalar(select(func.sum(ArEntry.amount))) == 0
    held = claims.mark_all_ready()  # the bulk run never resends a rejection: it lists it
    assert held.ready == [] and [p.message for p in held.failing[encounter.id]] == ["Rejected: Invalid subscriber ID"]
    assert claims.scrub(encounter.id).status == "rejected"
    assert claims.mark_ready(encounter.id, version + 1).status == "ready"  # the biller's own resend
    claims.export_837(tmp_path)
    with ctx.db.read() as session:
        assert session.scalar(select(func.sum(ArEntry.amount))) == Decimal("125.00")
    version = claims.scrub(encounter.id).version
    assert claims.set_claim_state(encounter.id, version, "accepted").status == "accepted"
    with pytest.raises(ValidationError, match="cannot become closed"):
        claims.set_claim_state(encounter.id, version + 1, "closed")
    with pytest.raises(ValidationError, match="by hand"):
        claims.set_claim_state(encounter.id, version + 1, "paid")


def test_ledger_tables_refuse_edits(ctx, billing, tmp_path):
    ClaimService(billing.biller).mark_all_ready() if billing.coded() else None
    ClaimService(billing.biller).export_837(tmp_path)
    with pytest.raises(Exception, match="append-only"), ctx.db.write() as session:
        session.execute(text("UPDATE ar_entry SET amount = 1"))


def test_front_desk_cannot_export_and_billing_ids_are_checked(billing, as_role, tmp_path):
    with pytest.raises(PermissionDenied):
        ClaimService(as_role("front_desk")).export_837(tmp_path)
    with pytest.raises(ValidationError) as refused:
        BillingIdentityService(as_role("manager")).set_identities(
            Identities("1234567890", "12", "62704", "x", "", {billing.sched["lee"]: "1"}))
    assert set(refused.value.errors) == {"npi", "tax_id", "postal_code", "clearinghouse_id",
                                         f"provider_{billing.sched['lee']}"}


@pytest.mark.parametrize(("typed", "safe"), [("José O'Brien", "JOSE O'BRIEN"), ("A*B~C:D^E", "A B C D E"),
                                              ("  many   spaces ", "MANY SPACES"), ("Zoë\nNewline", "ZOE NEWLINE")])
def test_x12_text_never_carries_a_delimiter(typed, safe):
    assert x12_text(typed) == safe


def test_a_visit_with_no_insurance_is_billed_to_the_patient(ctx, billing):
    uninsured = register(billing.desk, first_name="Sel", last_name="Fpay", address_line1="1 Elm St")
    coding = EncounterService(billing.biller)
    encounter = coding.for_visit(billing.visit(patient_id=uninsured.id))
    claims = ClaimService(billing.biller)
    with pytest.raises(ValidationError, match="Add the visit's charges"):
        claims.bill_self_pay(encounter.id, encounter.version)
    insured = billing.coded()
    with pytest.raises(ValidationError, match="bill the insurer"):
        claims.bill_self_pay(insured.id, insured.version)
    encounter = coding.set_diagnoses(encounter.id, encounter.version, ["J06.9"])
    encounter = coding.add_charge(encounter.id, encounter.version, ChargeInput("99213"))
    result = claims.bill_self_pay(encounter.id, encounter.version)
    assert (result.status, result.patient_owes, result.note) == ("closed", Decimal("125.00"), "self-pay")
    with pytest.raises(ValidationError, match="billed already"):
        claims.bill_self_pay(encounter.id, result.version)


def test_queue_scope_and_filters(ctx, billing, clinic):
    import datetime as dt

    from sqlalchemy import update

    from officeconsole.services.billing.encounters import QueueFilter

    old, recent, open_ = billing.coded(), billing.coded(), billing.coded()
    with ctx.db.write() as session:
        session.execute(update(Encounter).where(Encounter.id == old.id).values(
            status="closed", date_of_service=ctx.today() - dt.timedelta(days=40)))
        session.execute(update(Encounter).where(Encounter.id == recent.id).values(
            status="closed", date_of_service=ctx.today() - dt.timedelta(days=10)))
    queue = EncounterService(billing.biller).queue
    everything = queue(None)
    assert [r.encounter_id for r in everything.rows] == [recent.id, open_.id]  # oldest first
    assert everything.counts == {"needs_coding": (1, Decimal("125.00")), "closed": (1, Decimal("125.00"))}
    assert [r.encounter_id for r in queue("closed").rows] == [recent.id]  # 30 days of closed claims
    other_payer = clinic.payer_ids["Medicare Part B (test)"]
    assert queue(None, where=QueueFilter(payer_id=other_payer)).rows == []
    assert len(queue(None, where=QueueFilter(payer_id=billing.payer_id)).rows) == 2
    assert [r.encounter_id for r in queue(None, where=QueueFilter(older_than_days=5)).rows] == [recent.id]
    assert queue(None, where=QueueFilter(provider_id=billing.sched["kim"])).rows == []
    with pytest.raises(ValidationError, match="Unknown claim state"):
        queue("lost")


def test_delimiters_in_names_and_addresses_never_break_the_file(ctx, billing, tmp_path):
    from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput

    patient = register(billing.desk, first_name="Ann~Marie", last_name="O*Brien", address_line1="12^Main:St~")
    InsuranceService(billing.desk).add_policy(patient.id, PolicyInput(billing.payer_id, 1, "OB1234", "G*1",
                                                                      effective_from="2025-01-01"))
    billing.coded(patient_id=patient.id)
    claims = ClaimService(billing.biller)
    claims.mark_all_ready()
    body = claims.export_837(tmp_path).path.read_text()
    assert x12_errors(body) == []
    assert "NM1*IL*1*O BRIEN*ANN MARIE****MI*OB1234~" in body and "N3*12 MAIN ST~" in body
    assert "SBR*P*18*G 1******CI~" in body


def test_the_payers_claim_filing_indicator_goes_on_the_claim(ctx, billing, tmp_path):
    from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput

    insurance = InsuranceService(billing.manager)
    with pytest.raises(ValidationError, match="Claim filing indicator"):
        insurance.add_payer("Odd Plan", "ODD1", filing_code="XX")
    medicare = insurance.add_payer("Medicare Part B (Illinois)", "MCRIL", filing_code="mb")
    patient = register(billing.desk, first_name="Medi", last_name="Careful", address_line1="3 Oak St")
    InsuranceService(billing.desk).add_policy(patient.id, PolicyInput(medicare.id, 1, "1EG4TE5MK72",
                                                                      effective_from="2025-01-01"))
    billing.coded(patient_id=patient.id)
    claims = ClaimService(billing.biller)
    claims.mark_all_ready()
    body = claims.export_837(tmp_path).path.read_text()
    assert x12_errors(body) == [] and "SBR*P*18*******MB~" in body


def test_a_provider_billing_under_their_own_npi_gets_their_own_billing_loop(ctx, billing, tmp_path):
    """Two providers, one billing under the clinic and one under their own NPI: one 2000A loop each,
    with the billing taxonomy (PRV*BI) and no 2310B for the provider who is the billing provider."""
    from officeconsole.models import Provider

    with ctx.db.write() as session:
        session.get(Provider, billing.sched["lee"]).taxonomy = "207R00000X"
        kim = session.get(Provider, billing.sched["kim"])
        kim.bills_own_npi, kim.taxonomy, kim.npi = True, "363LF0000X", "1987654328"
    billing.coded()
    visit = billing.sched["book"].book(dataclasses.replace(
        _booking(billing), provider_id=billing.sched["kim"], start="16:00"))
    from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService

    arrived = CheckInService(billing.desk).check_in(CheckInInput(visit.id, visit.version))
    CheckInService(billing.desk).check_out(arrived.appointment_id, arrived.version)
    coding = EncounterService(billing.biller)
    encounter = coding.for_visit(visit.id)
    encounter = coding.set_diagnoses(encounter.id, encounter.version, ["E11.9"])
    coding.add_charge(encounter.id, encounter.version, ChargeInput("99213", "", 1, "1"))
    claims = ClaimService(billing.biller)
    assert claims.mark_all_ready().failing == {}
    body = claims.export_837(tmp_path).path.read_text()
    assert x12_errors(body) == []
    segments = body.strip().rstrip("~").split("~")
    billing_loops = [s for s in segments if s.startswith("NM1*85*")]
    assert billing_loops[0].startswith("NM1*85*2*") and billing_loops[0].endswith("*XX*1234567893")
    assert billing_loops[1].startswith("NM1*85*1*KIM*JO*") and billing_loops[1].endswith("*XX*1987654328")
    assert [s for s in segments if s.startswith("PRV*")] == ["PRV*BI*PXC*207Q00000X", "PRV*PE*PXC*207R00000X",
                                                             "PRV*BI*PXC*363LF0000X"]
    assert sum(s.startswith("NM1*82*") for s in segments) == 1  # only Lee's claim names a rendering provider
    hls = [s.split("*") for s in segments if s.startswith("HL*")]
    assert [(h[1], h[2], h[3]) for h in hls] == [("1", "", "20"), ("2", "1", "22"), ("3", "", "20"), ("4", "3", "22")]


def _booking(billing):
    from officeconsole.services.scheduling.booking import BookingInput

    return BookingInput(billing.patient_id, billing.sched["lee"], billing.sched["type"], billing.desk.today(), "09:00")


def test_a_solo_practitioner_may_bill_under_an_ssn_and_taxonomy_is_required(ctx, billing, tmp_path):
    from officeconsole.models import ClinicSettings

    encounter = billing.coded()
    with ctx.db.write() as session:
        settings = session.get(ClinicSettings, 1)
        settings.taxonomy, settings.tax_id = "", "123-45-6788"
    problems = [p.message for p in ClaimService(billing.biller).scrub(encounter.id).problems]
    assert problems == ["No taxonomy code for the billing provider (e.g. 207Q00000X): set it in Practice setup."]
    with ctx.db.write() as session:
        session.get(ClinicSettings, 1).taxonomy = "207Q00000X"
    claims = ClaimService(billing.biller)
    assert claims.mark_all_ready().failing == {}
    body = claims.export_837(tmp_path).path.read_text()
    assert x12_errors(body) == [] and "REF*SY*123456788~" in body


def test_a_claim_is_ready_only_after_the_visit_is_over(billing):
    """Arrived, roomed or with the provider: the scrubber says why not; checked out: clean; a visit that
    ended as a no-show never bills."""
    from officeconsole.services.billing.scrubber import VISIT
    from officeconsole.services.frontdesk.checkin import CheckInService
    from officeconsole.services.frontdesk.flow import FlowService

    visit = billing.visit(checked_out=False)
    coding = EncounterService(billing.biller)
    encounter = coding.for_visit(visit)
    encounter = coding.set_diagnoses(encounter.id, encounter.version, ["I10"])
    encounter = coding.add_charge(encounter.id, encounter.version, ChargeInput("99213", "", 1, "1"))
    claims = ClaimService(billing.biller)
    [problem] = claims.scrub(encounter.id).problems
    assert (problem.fix, problem.message) == (
        VISIT, "The visit is not over (arrived): a claim is made after the patient is checked out (F3, o).")
    with pytest.raises(ClaimNotClean):
        claims.mark_ready(encounter.id, encounter.version)
    assert claims.mark_all_ready().ready == []
    current = next(r for r in FlowService(billing.desk).board().rows if r.appointment_id == visit)
    CheckInService(billing.desk).check_out(visit, current.version)
    assert claims.scrub(encounter.id).problems == []
    assert claims.mark_all_ready().ready == [encounter.id]


def test_claims_read_together_are_the_claims_read_one_by_one(small_demo):
    """The batch reader (a ready run, an 837 batch) reads every claim state the demo has exactly
    as a single claim is read: patient, billed policy (fixed or still following the patient),
    provider, diagnoses, lines in order, the visit's status and the earlier payers."""
    from officeconsole.db.database import Database
    from officeconsole.services.billing.claim_data import load_claims
    from officeconsole.services.billing.cob import policies_in_force

    database = Database.from_url(small_demo.url)  # read only: the shared demo is not changed
    try:
        with database.read() as session:
            encounters = session.scalars(select(Encounter).order_by(Encounter.date_of_service.desc())).all()
            together = load_claims(session, encounters)
            one_by_one = [load_claim(session, e.id) for e in encounters]
            in_force = {e.id: [p.id for p in policies_in_force(session, e)] for e in encounters}
            states = {e.status for e in encounters}
            sequences = {e.claim_sequence for e in encounters}
            encounters = [(e.status, e.claim_sequence, e.policy_id) for e in encounters]
    finally:
        database.dispose()
    assert together == one_by_one
    for (status, sequence, policy_id), claim in zip(encounters, together, strict=True):
        policy = claim.policy.id if claim.policy else None
        if status in ("needs_coding", "rejected") and sequence == "P":
            assert policy == (in_force[claim.encounter_id] or [None])[0]  # still follows the patient's policies
        elif policy_id is not None:
            assert policy == policy_id  # fixed when it was marked ready
    assert len(together) == len(encounters) > 50
    assert {"needs_coding", "submitted", "paid"} <= states and "S" in sequences
    assert any(c.policy is None for c in together) and any(c.other_payers for c in together)
