"""The schedule marks a visit whose patient's insurance came back inactive on the latest 271: only for
a policy in force on the visit's day, and only while the latest answer about it says inactive."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from officeconsole.demo.eligibility import MemberAnswerSpec, make_271
from officeconsole.models import InsurancePolicy
from officeconsole.services.billing.acknowledgements import sender_id
from officeconsole.services.common.errors import PermissionDenied
from officeconsole.services.frontdesk.checkin import CheckInService
from officeconsole.services.frontdesk.eligibility import EligibilityService
from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.scheduling.schedule import INACTIVE_MARK, DayRow, ScheduleService

from tests.conftest import NOW

TODAY = NOW.date()
TOMORROW = TODAY + dt.timedelta(days=1)
PLAN = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


@pytest.fixture
def insured(sched, clinic, desk_ctx):
    """Ann (M-100) and Bob (M-200) on one payer, each booked today and tomorrow."""
    payer_id = next(iter(clinic.payer_ids.values()))
    policies = {}
    for who, member in (("ann", "M-100"), ("bob", "M-200")):
        policies[who] = InsuranceService(desk_ctx).add_policy(
            sched[who], PolicyInput(payer_id, 1, member, effective_from="2025-01-01")).id
        for day, start in ((TODAY, "10:20" if who == "ann" else "10:40"), (TOMORROW, "09:00" if who == "ann" else "09:20")):
            sched["book"].book(BookingInput(sched[who], sched["lee"], sched["type"], day, start))
    return policies


def post_271(ctx, *members, control=901, asked_on=TODAY):
    with ctx.db.read() as session:
        receiver = sender_id(session) or "1234567893"
    EligibilityService(ctx).post_text(make_271(list(members), control=control, asked_on=asked_on, receiver=receiver))


def marks(ctx, day) -> dict[str, tuple[str, str]]:
    return {r.patient_name.split(", ")[1]: (r.mark, ", ".join(r.inactive_coverage))
            for r in ScheduleService(ctx).day(day)}


def test_a_visit_is_marked_while_the_latest_answer_says_inactive(desk_ctx, insured, clinic, sched):
    payer = next(iter(clinic.payer_ids))
    assert marks(desk_ctx, TODAY) == {"Ann": ("", ""), "Bob": ("", "")}  # never asked: nothing to say
    post_271(desk_ctx, MemberAnswerSpec("M-100", name=("TESTPERSON", "ANN"), active=False, plan=(None, None)),
             MemberAnswerSpec("M-200", name=("TESTPERSON", "BOB"), plan=PLAN))
    assert marks(desk_ctx, TODAY) == {"Ann": (INACTIVE_MARK, payer), "Bob": ("", "")}
    assert marks(desk_ctx, TOMORROW)["Ann"] == (INACTIVE_MARK, payer)
    assert EligibilityService(desk_ctx).inactive_on(TODAY, [sched["ann"], sched["bob"]]) == {sched["ann"]: [payer]}
    # A later answer says Ann's plan is active again: the latest answer counts.
    post_271(desk_ctx, MemberAnswerSpec("M-100", name=("TESTPERSON", "ANN"), plan=PLAN), control=902,
             asked_on=TOMORROW)
    assert marks(desk_ctx, TODAY) == {"Ann": ("", ""), "Bob": ("", "")}


def test_a_policy_ended_on_file_is_no_longer_marked_after_its_end(desk_ctx, insured, sched):
    post_271(desk_ctx, MemberAnswerSpec("M-100", name=("TESTPERSON", "ANN"), active=False, plan=(None, None)))
    with desk_ctx.db.read() as session:
        policy = session.get(InsurancePolicy, insured["ann"])
        payer_id, version = policy.payer_id, policy.version
    # The desk learns the plan ended and ends the policy today: tomorrow's visit is no longer marked.
    InsuranceService(desk_ctx).update_policy(insured["ann"], version, PolicyInput(
        payer_id, 1, "M-100", effective_from="2025-01-01", effective_to=TODAY))
    assert marks(desk_ctx, TODAY)["Ann"][0] == INACTIVE_MARK
    assert marks(desk_ctx, TOMORROW)["Ann"] == ("", "")
    assert EligibilityService(desk_ctx).inactive_on(TOMORROW, [sched["ann"], sched["bob"]]) == {}


def test_everyone_who_sees_the_schedule_sees_the_mark(as_role, desk_ctx, insured):
    post_271(desk_ctx, MemberAnswerSpec("M-100", name=("TESTPERSON", "ANN"), active=False, plan=(None, None)))
    provider = as_role("provider")
    assert marks(provider, TODAY)["Ann"][0] == INACTIVE_MARK
    with pytest.raises(PermissionDenied):  # the answers themselves are the desk's and the billers'
        EligibilityService(provider).inactive_on(TODAY, [1])


def test_the_marks_read_in_one_order():
    row = DayRow(1, 1, 1, "Dr", 1, "Doe, Jo", "0001", "", "", "Visit", "", NOW, NOW, "scheduled", "",
                 confirmation="confirmed", alerts=("Interpreter",), inactive_coverage=("Acme",))
    assert row.mark == "!$☑"


def test_check_in_holds_the_copay_of_a_plan_answered_inactive(desk_ctx, insured, clinic, sched):
    """The payer's own latest answer outranks the copay on file: the form proposes none and says why,
    and proposes it again once a newer answer says active."""
    payer = next(iter(clinic.payer_ids))
    with desk_ctx.db.read() as session:
        policy = session.get(InsurancePolicy, insured["ann"])
        payer_id, version = policy.payer_id, policy.version
    InsuranceService(desk_ctx).update_policy(insured["ann"], version, PolicyInput(
        payer_id, 1, "M-100", effective_from="2025-01-01", copay="25.00"))
    visit = next(r for r in ScheduleService(desk_ctx).day(TODAY) if r.patient_name.endswith("Ann"))
    service = CheckInService(desk_ctx)
    assert service.view(visit.id).copay_due == Decimal("25.00")
    post_271(desk_ctx, MemberAnswerSpec("M-100", name=("TESTPERSON", "ANN"), active=False, plan=(None, None)))
    held = service.view(visit.id)
    assert held.copay_due is None
    assert held.copay_held.startswith(f"{payer} answered inactive on {TODAY:%m/%d/%Y}")
    post_271(desk_ctx, MemberAnswerSpec("M-100", name=("TESTPERSON", "ANN"), plan=PLAN), control=902,
             asked_on=TOMORROW)
    again = service.view(visit.id)
    assert (again.copay_due, again.copay_held) == (Decimal("25.00"), "")
