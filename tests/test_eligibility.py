"""270 eligibility inquiries and 271 answers: the day's patients asked about in one file, the answers
posted per policy (active or not, plan dates, copay, deductible left), the same file twice changes
nothing, and a file that is cut off, for another submitter or about a member we do not have posts
nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from officeconsole.demo.eligibility import MemberAnswerSpec, make_271
from officeconsole.models import AuditEvent, EligibilityCheck
from officeconsole.services.formats.x12_270 import trace_number
from officeconsole.services.formats.x12_271 import EligibilityFileError
from officeconsole.services.formats.x12_envelope import Envelopes, read_segments
from officeconsole.services.frontdesk.eligibility import EligibilityService
from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput

from tests.billing_setup import make_billing
from tests.factories import register


@pytest.fixture
def billing(sched, as_role, clinic):
    return make_billing(sched, as_role, clinic)


@pytest.fixture
def asked(billing, tmp_path):
    """Carla (insured) and a self-pay patient booked today; the 270 written."""
    billing.visit(checked_out=False)
    cash = register(billing.desk, first_name="Sam", last_name="Selfpay")
    billing.visit(cash.id, checked_out=False)
    return EligibilityService(billing.desk).write_270(billing.desk.today(), tmp_path)


def test_booked_but_none_insured_says_so_not_nobody_booked():
    from officeconsole.services.frontdesk.eligibility import InquiryResult, Skipped

    day = dt.date(2026, 11, 23)
    skipped = [Skipped("Selfpay, Sam (MRN 000123)", "no insurance policy in force on 11/23/2026")]
    assert InquiryResult(day, None, None, skipped=skipped).summary() == (
        "No 270 written for 11/23/2026: no booked patient has a policy to ask about.")


def checks(ctx):
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(EligibilityCheck))


def answer_file(billing, result, control=901, **kw):
    return make_271([MemberAnswerSpec("XYZ123456", trace_number(result.control_number, billing.policy_id), **kw)],
                    control=control)


def test_the_270_asks_about_every_insured_patient_booked_that_day(billing, asked):
    text = asked.path.read_text()
    assert [s.patient for s in asked.skipped] == [s.patient for s in asked.skipped if s.patient.startswith("Selfpay")]
    assert "no insurance policy in force" in asked.skipped[0].reason
    assert asked.asked == ["Claimant, Carla: Blue Shield Test Plan member XYZ123456"]
    # The envelopes close with the right counts and control numbers, read as every X12 we read.
    segments, _term, _digest = read_segments(text, EligibilityFileError)
    envelopes = Envelopes("HS", "270", "a 270")
    for n, seg in enumerate(segments, start=1):
        envelopes.step(n, seg)
    envelopes.finish(segments[-1].get_seg_id())
    ids = [s.get_seg_id() for s in segments]
    assert ids == ["ISA", "GS", "ST", "BHT", "HL", "NM1", "HL", "NM1", "HL", "TRN", "NM1", "REF", "DMG", "DTP", "EQ",
                   "SE", "GE", "IEA"]
    assert "ST*270*0001*005010X279A1~" in text and "GS*HS*1234567893*CLEARHOUSE1*" in text
    assert "NM1*PR*2*BLUE SHIELD TEST PLAN*****PI*BSTP1~" in text
    assert "NM1*1P*2*" in text and "*XX*1234567893~" in text
    assert f"TRN*1*{trace_number(asked.control_number, billing.policy_id)}*1371234567~" in text
    assert "NM1*IL*1*CLAIMANT*CARLA****MI*XYZ123456~" in text
    assert f"DTP*291*D8*{billing.desk.today():%Y%m%d}~EQ*30~" in text


def test_a_dependent_is_asked_about_under_the_subscriber(billing, tmp_path):
    child = register(billing.desk, first_name="Kim", last_name="Claimant", dob="2015-03-04")
    InsuranceService(billing.desk).add_policy(child.id, PolicyInput(
        billing.payer_id, 1, "FAM777", "G100", effective_from="2025-01-01", relationship="child",
        subscriber_last_name="Claimant", subscriber_first_name="Pat", subscriber_dob="1980-05-06"))
    billing.visit(child.id, checked_out=False)
    text = EligibilityService(billing.desk).write_270(billing.desk.today(), tmp_path).path.read_text()
    assert "NM1*IL*1*CLAIMANT*PAT****MI*FAM777~REF*6P*G100~DMG*D8*19800506~HL*4*3*23*0~TRN*1*" in text
    assert "NM1*03*1*CLAIMANT*KIM~DMG*D8*20150304*" in text and "INS*N*19~DTP*291*D8*" in text


def test_the_271_posts_active_copay_and_the_deductible_left(billing, asked, tmp_path):
    service = EligibilityService(billing.desk)
    file = tmp_path / "answer.271"
    file.write_text(answer_file(billing, asked))
    result = service.post_271(file)
    assert result.summary() == "271 answer.271: 1 policies, 1 active, 0 inactive."
    [latest] = service.latest(billing.patient_id)
    assert (latest.active, latest.copay, latest.deductible, latest.deductible_remaining) == (True, D("25.00"),
                                                                                            D("1000.00"), D("300.00"))
    assert (latest.plan_begin, latest.plan_end, latest.checked_on) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31),
                                                                       dt.date(2026, 12, 5))
    assert latest.describe() == ("Eligibility 12/05: active, copay $25.00, deductible $300.00 of $1,000.00 left, "
                                 "plan ends 12/31/2026")
    with billing.desk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "eligibility.posted", AuditEvent.patient_id == billing.patient_id)) == 1
    assert service.inactive_on(billing.desk.today(), [billing.patient_id]) == {}


def test_an_inactive_answer_and_a_later_one_wins(billing, asked):
    service = EligibilityService(billing.desk)
    service.post_text(answer_file(billing, asked))
    service.post_text(answer_file(billing, asked, active=False, plan=(dt.date(2026, 1, 1), dt.date(2026, 11, 30)),
                                  control=902), "later.271")
    [latest] = service.latest(billing.patient_id)
    assert latest.describe() == "Eligibility 12/05: inactive since 11/30/2026"
    assert list(service.inactive_on(billing.desk.today(), [billing.patient_id])) == [billing.patient_id]


def test_the_same_file_twice_changes_nothing(billing, asked):
    service = EligibilityService(billing.desk)
    text = answer_file(billing, asked)
    service.post_text(text)
    again = service.post_text(text.replace("~", "~\n"))  # line breaks do not make another file
    assert again.posted_before is not None and "nothing changed" in again.summary()
    assert checks(billing.desk) == 1


def test_a_truncated_file_posts_nothing(billing, asked):
    text = answer_file(billing, asked)
    with pytest.raises(EligibilityFileError, match="cut off"):
        EligibilityService(billing.desk).post_text(text[: len(text) // 2])
    with pytest.raises(EligibilityFileError, match="missing"):
        EligibilityService(billing.desk).post_text(text[: text.index("SE*")])
    assert checks(billing.desk) == 0


def test_an_unknown_member_refuses_the_whole_file(billing, asked):
    good = MemberAnswerSpec("XYZ123456", trace_number(asked.control_number, billing.policy_id))
    with pytest.raises(EligibilityFileError, match="member ID 'NOPE999' is on no policy of this clinic"):
        EligibilityService(billing.desk).post_text(make_271([good, MemberAnswerSpec("NOPE999", name=("GHOST", "G"))]))
    with pytest.raises(EligibilityFileError, match="names no policy of this clinic"):
        EligibilityService(billing.desk).post_text(make_271([MemberAnswerSpec("XYZ123456", "000000001-4242")]))
    assert checks(billing.desk) == 0


def test_a_file_for_another_submitter_posts_nothing(billing, asked):
    with pytest.raises(EligibilityFileError, match="for submitter 'SOMEONEELSE'"):
        EligibilityService(billing.desk).post_text(make_271(
            [MemberAnswerSpec("XYZ123456", trace_number(asked.control_number, billing.policy_id))],
            receiver="SOMEONEELSE"))
    assert checks(billing.desk) == 0


def test_an_answer_without_our_trace_is_placed_by_member_id_and_a_rejection_is_kept(billing, asked):
    service = EligibilityService(billing.desk)
    service.post_text(make_271([MemberAnswerSpec("xyz123456", reject="75")]))
    [latest] = service.latest(billing.patient_id)
    assert not latest.active and "subscriber/insured not found" in latest.describe()


def test_no_one_booked_writes_no_file(billing, tmp_path):
    out = tmp_path / "eligibility"
    result = EligibilityService(billing.desk).write_270(billing.desk.today() + dt.timedelta(days=30), out)
    assert result.path is None and result.summary().endswith(": nobody is booked that day.")
    assert list(out.iterdir()) == []


def test_front_desk_books_and_the_provider_may_not_ask(billing, as_role, tmp_path):
    from officeconsole.services.common.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        EligibilityService(as_role("provider")).write_270(billing.desk.today(), tmp_path)
