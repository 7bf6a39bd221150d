"""A rejection (277CA, 999 or typed in) is a rejected claim's numbered problems, listed before the
scrubber's, each with where it is fixed; once the claim is marked ready again (the resend) it is
history, not an open problem, and a later rejection brings only its own."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from officeconsole.demo.acks import ClaimAnswerSpec, make_277ca, make_999
from officeconsole.models import ClaimAckItem, InsurancePolicy, Payer
from officeconsole.services.billing.acknowledgements import AcknowledgementService
from officeconsole.services.billing.claim_rejections import fix_for
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.billing.scrubber import BILLING, CODING, INSURANCE, PATIENT, REJECTION, SCRUBBER
from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput

from tests.billing_setup import make_billing, send_two_claims


@pytest.fixture
def billing(sched, as_role, clinic):
    return make_billing(sched, as_role, clinic)


@pytest.fixture
def sent(billing, tmp_path):
    return send_two_claims(billing, tmp_path)


def post(billing, *answers, control=801):
    return AcknowledgementService(billing.biller).post_text(make_277ca(list(answers), control=control))


def listed(result):
    return [(p.source, p.fix, p.message) for p in result.problems]


@pytest.mark.parametrize(("status", "entity", "on_a_line", "fix"), [
    ("562", "85", False, BILLING),  # the billing provider's NPI
    ("562", "82", False, BILLING),  # the rendering provider's NPI
    ("33", "IL", False, INSURANCE),  # subscriber and subscriber ID not found
    ("164", "", False, INSURANCE),  # the member's contract number
    ("158", "QC", False, PATIENT),  # the patient's date of birth
    ("158", "IL", False, INSURANCE),  # the subscriber's date of birth (on the policy)
    ("583", "", False, CODING),  # a diagnosis code
    ("21", "", True, CODING),  # a service line's missing or invalid information
    ("999", "ZZ", False, CODING),  # anything else: the claim itself
])
def test_where_a_rejection_is_fixed(status, entity, on_a_line, fix):
    assert fix_for(status, entity, on_a_line) == fix


def test_a_277ca_rejection_is_the_claims_first_numbered_problem(billing, sent):
    first, second, _batch = sent
    post(billing, ClaimAnswerSpec(f"OC{first.id}", D(125)),
         ClaimAnswerSpec(f"OC{second.id}", D(215), "A7", "562", "85", "BILLING NPI INVALID"))
    claims = ClaimService(billing.biller)
    rejected = claims.scrub(second.id)
    assert rejected.status == "rejected"
    assert listed(rejected) == [(REJECTION, BILLING, "277CA: A7:562:85 entity's National Provider Identifier (NPI) "
                                                     "(billing provider); BILLING NPI INVALID")]
    assert rejected.rejected == rejected.problems and rejected.clean  # the scrubber finds nothing: r resends it
    [row] = rejected.rejections
    assert (row.kind, row.codes, row.open) == ("277CA", "A7:562:85", True)
    accepted = claims.scrub(first.id)
    assert accepted.problems == [] and accepted.rejections == ()


def test_every_rejecting_status_is_a_problem_of_its_own_with_the_scrubbers_after(billing, sent):
    first, _second, _batch = sent
    text = make_277ca([ClaimAnswerSpec(f"OC{first.id}", D(125), "A7", "33", "IL", "MEMBER NOT FOUND")])
    stc = next(s for s in text.split("~") if s.startswith("STC*A7"))
    text = text.replace(stc, stc + "~STC*A7:583*20261121*U*125.00********DX NOT BILLABLE"
                        + "~SVC*HC:99213*125*0****1~STC*A7:454*20261121*U*125.00********PROC INVALID")
    count = re.search(r"~SE\*(\d+)\*", text)
    text = text.replace(count.group(0), f"~SE*{int(count.group(1)) + 3}*")  # three more segments
    AcknowledgementService(billing.biller).post_text(text)
    claims = ClaimService(billing.biller)
    assert [(p.fix, p.message.split(";")[0]) for p in claims.scrub(first.id).problems] == [
        (INSURANCE, "277CA: A7:33:IL subscriber and subscriber ID not found (subscriber)"),
        (CODING, "277CA: A7:583 diagnosis code"),
        (CODING, "277CA: A7:454 procedure code for services rendered"),
    ]
    # A scrubber problem found since (the policy's payer lost its payer ID) is listed after them.
    with billing.manager.db.write() as session:
        session.get(Payer, billing.payer_id).payer_code = ""
    problems = claims.scrub(first.id).problems
    assert [p.source for p in problems] == [REJECTION] * 3 + [SCRUBBER]
    assert problems[3].message == "Blue Shield Test Plan has no electronic payer ID."


def test_fixed_and_marked_ready_the_rejection_is_history_and_a_new_one_brings_only_its_own(billing, sent, tmp_path):
    first, _second, _batch = sent
    post(billing, ClaimAnswerSpec(f"OC{first.id}", D(125), "A7", "33", "IL", "MEMBER NOT FOUND"))
    claims = ClaimService(billing.biller)
    before = claims.scrub(first.id)
    with billing.desk.db.read() as session:
        version = session.get(InsurancePolicy, billing.policy_id).version
    InsuranceService(billing.desk).update_policy(billing.policy_id, version, PolicyInput(
        billing.payer_id, 1, "XYZ999999", "G100", effective_from="2025-01-01"))
    ready = claims.mark_ready(first.id, before.version)
    assert ready.status == "ready"
    again = claims.scrub(first.id)
    assert again.problems == [] and again.clean
    [row] = again.rejections
    assert not row.open and "MEMBER NOT FOUND" in row.message  # kept, as history
    assert "(fixed and sent again since)" in row.describe(billing.biller.timezone)
    claims.export_837(tmp_path)
    assert claims.scrub(first.id).problems == []
    # The second send is rejected for another reason: only that one is open.
    post(billing, ClaimAnswerSpec(f"OC{first.id}", D(125), "A7", "158", "QC", "DOB MISMATCH"), control=802)
    now = claims.scrub(first.id)
    assert [(p.fix, p.message) for p in now.problems] == [
        (PATIENT, "277CA: A7:158:QC entity's date of birth (patient); DOB MISMATCH")]
    assert [r.open for r in now.rejections] == [False, True]


def test_the_same_file_twice_lists_its_rejection_once(billing, sent):
    first, _second, _batch = sent
    answer = ClaimAnswerSpec(f"OC{first.id}", D(125), "A7", "562", "85", "BILLING NPI INVALID")
    post(billing, answer)
    post(billing, answer)  # the very same file: nothing changes
    post(billing, answer, control=805)  # the payer sends the same answer again in a new file
    problems = ClaimService(billing.biller).scrub(first.id).problems
    assert len(problems) == 1
    with billing.biller.db.read() as session:
        assert session.scalar(select(func.count()).select_from(ClaimAckItem)) == 2


def test_a_999_rejection_is_a_problem_of_each_claim_in_the_file_and_a_later_277ca_adds_its_own(billing, sent):
    first, second, batch = sent
    AcknowledgementService(billing.biller).post_text(
        make_999(batch.control_number, accepted=False, errors=(("CLM", "24", "2", "8"),)))
    claims = ClaimService(billing.biller)
    for claim in (first, second):
        [problem] = claims.scrub(claim.id).problems
        assert problem.source == REJECTION and problem.fix == CODING
        assert problem.message.startswith(f"999: the clearinghouse rejected file {batch.control_number}: ")
        assert "invalid date" in problem.message
    # The payer's 277CA for a claim the 999 already rejected moves nothing, but what it says is listed.
    result = post(billing, ClaimAnswerSpec(f"OC{first.id}", D(125), "A7", "562", "85", "BILLING NPI INVALID"))
    assert not result.lines[0].moved and "left as it is" in result.lines[0].message
    messages = [p.message for p in claims.scrub(first.id).problems]
    assert messages[0].startswith("999:") and messages[1].endswith("(billing provider); BILLING NPI INVALID")


def test_a_rejection_typed_in_by_hand_is_its_one_problem(billing, sent):
    first, second, _batch = sent
    claims = ClaimService(billing.biller)
    claims.set_claim_state(first.id, claims.scrub(first.id).version, "rejected", "Subscriber not found (A7:33)")
    claims.set_claim_state(second.id, claims.scrub(second.id).version, "rejected", "Payer says call them")
    assert listed(claims.scrub(first.id)) == [(REJECTION, INSURANCE, "Rejected: Subscriber not found (A7:33)")]
    assert listed(claims.scrub(second.id)) == [(REJECTION, CODING, "Rejected: Payer says call them")]
    assert claims.scrub(first.id).rejections == ()  # no file said it
    claims.mark_ready(first.id, claims.scrub(first.id).version)
    assert claims.scrub(first.id).problems == []
