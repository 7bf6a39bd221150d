"""Check-in, the flow through the clinic, check-out, the ledger and receipts (service level)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from officeconsole.models import AuditEvent, LedgerEntry
from officeconsole.services.common.errors import ConcurrentEdit, PermissionDenied, ValidationError
from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService
from officeconsole.services.frontdesk.flow import FlowService
from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key
from officeconsole.services.frontdesk.receipts import ReceiptService
from officeconsole.services.practice.rooms import RoomService
from officeconsole.services.scheduling.booking import BookingInput

from tests.conftest import MONDAY, NOW
from tests.factories import register


@pytest.fixture
def today(ctx, sched, clinic, desk_ctx, manager_ctx):
    """Ann at 10:20 today with Lee (a $25 copay policy), Bob at 10:40; two rooms."""
    payer_id = next(iter(clinic.payer_ids.values()))
    policy = InsuranceService(desk_ctx).add_policy(sched["ann"], PolicyInput(
        payer_id, 1, "M-100", effective_from="2025-01-01", copay="25"))
    ann = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], NOW.date(), "10:20"))
    bob = sched["book"].book(BookingInput(sched["bob"], sched["lee"], sched["type"], NOW.date(), "10:40"))
    rooms = RoomService(manager_ctx)
    return {"ann": ann, "bob": bob, "policy": policy, "rooms": [rooms.add_room("Exam 1"), rooms.add_room("Exam 2")],
            "checkin": CheckInService(desk_ctx), "flow": FlowService(desk_ctx), "sched": sched}


def _pay(amount="25", key=None, **more) -> PaymentInput:
    values = dict(amount=amount, method="card", reference="4242", memo="Copay", request_key=key or new_request_key())
    return PaymentInput(**(values | more))


def _visit(today, name):
    return next(r for r in today["flow"].board().rows if r.appointment_id == today[name].id)


def test_check_in_verifies_takes_copay_notes_privacy_and_marks_arrived(ctx, clock, today):
    view = today["checkin"].view(today["ann"].id)
    assert view.copay_due == Decimal("25.00") and view.balance == 0
    assert [c.problem for c in view.policies] == ["Never verified"]
    clock.advance(dt.timedelta(minutes=3))
    row = today["checkin"].check_in(CheckInInput(
        today["ann"].id, today["ann"].version, verify_policy_ids=[today["policy"].id], verified_how="phone",
        privacy_signed=True, payment=_pay()))
    assert row.status == "arrived" and row.arrived_at == NOW + dt.timedelta(minutes=3)
    again = today["checkin"].view(today["ann"].id)
    assert again.policies[0].ok and again.policies[0].policy.verified_how == "phone"
    assert again.patient.privacy_notice_on == NOW.date()
    assert again.balance == Decimal("-25.00") and again.paid_for_visit == Decimal("25.00")
    with ctx.db.read() as session:
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == today["sched"]["ann"])))
    assert {"payment.post", "appointment.arrived"} <= actions


def test_confirming_insurance_verifies_the_policies_in_force_and_no_other(ctx, today, desk_ctx, clinic):
    lapsed = InsuranceService(desk_ctx).add_policy(today["sched"]["ann"], PolicyInput(
        clinic.payer_ids["Medicare Part B (test)"], 2, "1EG4TE5MK72", effective_from="2013-02-01",
        effective_to="2025-12-31"))
    today["checkin"].check_in(CheckInInput(today["ann"].id, today["ann"].version, verify_insurance=True))
    view = today["checkin"].view(today["ann"].id)
    verified = {c.policy.id: c.policy.verified_at is not None for c in view.policies}
    assert verified == {today["policy"].id: True, lapsed.id: False}


def test_a_failed_check_in_saves_nothing(ctx, today):
    """A bad amount refuses the whole check-in: no verification, no arrival."""
    with pytest.raises(ValidationError) as refused:
        today["checkin"].check_in(CheckInInput(today["ann"].id, today["ann"].version,
                                               verify_policy_ids=[today["policy"].id], payment=_pay("25.005")))
    assert "two decimals" in refused.value.errors["amount"]
    view = today["checkin"].view(today["ann"].id)
    assert view.visit.status == "scheduled" and view.policies[0].problem == "Never verified"


@pytest.mark.parametrize(("amount", "message"), [
    ("-5", "more than zero"), ("abc", "not an amount"), ("12.345", "two decimals"), ("0", "more than zero"),
    ("", "required"), ("NaN", "not an amount"),
])
def test_bad_amounts(desk_ctx, today, amount, message):
    with pytest.raises(ValidationError, match=message):
        LedgerService(desk_ctx).post_payment(_pay(amount, patient_id=today["sched"]["ann"]))


def test_cannot_check_in_cancelled_other_day_or_twice(today, desk_ctx):
    sched = today["sched"]
    later = sched["book"].book(BookingInput(sched["ann"], sched["kim"], sched["type"], MONDAY, "09:00"))
    with pytest.raises(ValidationError, match="on 11/30/2026"):
        today["checkin"].check_in(CheckInInput(later.id, later.version))
    bob = sched["book"].cancel(today["bob"].id, today["bob"].version, "patient_cancelled")
    with pytest.raises(ValidationError, match="cancelled"):
        today["checkin"].check_in(CheckInInput(bob.id, bob.version))
    first = today["checkin"].check_in(CheckInInput(today["ann"].id, today["ann"].version))
    with pytest.raises(ValidationError, match="checked in already"):
        today["checkin"].check_in(CheckInInput(today["ann"].id, first.version))


def test_two_consoles_checking_in_at_once_take_one_payment(ctx, today, desk_ctx):
    """Both start from the same version; exactly one check-in (and one copay) lands."""
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def console():
        barrier.wait()
        try:
            CheckInService(desk_ctx).check_in(CheckInInput(today["ann"].id, today["ann"].version, payment=_pay()))
            outcomes.append("ok")
        except (ConcurrentEdit, ValidationError) as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=console) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[0] != "ok" and outcomes.count("ok") == 1, outcomes
    with ctx.db.read() as session:
        assert len(session.scalars(select(LedgerEntry)).all()) == 1


def test_a_double_press_of_one_check_in_checks_in_once(ctx, desk_ctx, today):
    """The same form saved twice (one payment key), in turn and from two threads at once: both presses
    get the check-in back, one copay is taken, and nothing is refused."""
    ann = today["ann"]
    data = CheckInInput(ann.id, ann.version, payment=_pay("25", new_request_key()))
    first = CheckInService(desk_ctx).check_in(data)
    again = CheckInService(desk_ctx).check_in(data)
    assert (first.appointment_id, first.status) == (again.appointment_id, again.status) == (ann.id, "arrived")
    bob, results = today["bob"], []
    barrier = threading.Barrier(2)
    twice = CheckInInput(bob.id, bob.version, payment=_pay("25", new_request_key()))

    def press():
        barrier.wait()
        results.append(CheckInService(desk_ctx).check_in(twice).status)

    threads = [threading.Thread(target=press) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["arrived", "arrived"]
    with ctx.db.read() as session:
        assert len(session.scalars(select(LedgerEntry)).all()) == 2


def test_a_double_press_posts_once(ctx, desk_ctx, today):
    ledger = LedgerService(desk_ctx)
    key = new_request_key()
    first = ledger.post_payment(_pay("40", key, patient_id=today["sched"]["ann"]))
    second = ledger.post_payment(_pay("40", key, patient_id=today["sched"]["ann"]))
    assert first.id == second.id and first.receipt_number == second.receipt_number
    with pytest.raises(ValidationError, match="already posted a different payment"):
        ledger.post_payment(_pay("45", key, patient_id=today["sched"]["ann"]))
    assert ledger.account(today["sched"]["ann"]).balance == Decimal("-40.00")


def test_a_double_press_from_two_threads_still_posts_once(ctx, desk_ctx, today):
    key, results = new_request_key(), []
    barrier = threading.Barrier(2)

    def press():
        barrier.wait()
        results.append(LedgerService(desk_ctx).post_payment(_pay("40", key, patient_id=today["sched"]["ann"])).id)

    threads = [threading.Thread(target=press) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and results[0] == results[1]
    with ctx.db.read() as session:
        assert len(session.scalars(select(LedgerEntry)).all()) == 1


def test_void_reverses_with_a_reason_manager_only_and_entries_stay(ctx, desk_ctx, manager_ctx, today):
    posted = LedgerService(desk_ctx).post_payment(_pay("30", patient_id=today["sched"]["ann"]))
    with pytest.raises(PermissionDenied):
        LedgerService(desk_ctx).void_payment(posted.id, "wrong patient", new_request_key())
    with pytest.raises(ValidationError, match="Say why"):
        LedgerService(manager_ctx).void_payment(posted.id, "  ", new_request_key())
    void = LedgerService(manager_ctx).void_payment(posted.id, "Card charged twice", new_request_key())
    assert void.amount == Decimal("30.00") and void.voids_id == posted.id
    with pytest.raises(ValidationError, match="voided already"):
        LedgerService(manager_ctx).void_payment(posted.id, "again", new_request_key())
    account = LedgerService(desk_ctx).account(today["sched"]["ann"])
    assert account.balance == 0 and [e.kind for e in account.entries] == ["void", "payment"]
    assert account.entries[1].voided
    with ctx.db.read() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("payment.%"))))
    assert actions == ["payment.post", "payment.void"]


def test_ledger_rows_cannot_be_edited_or_deleted_even_in_sql(ctx, desk_ctx, today):
    LedgerService(desk_ctx).post_payment(_pay("10", patient_id=today["sched"]["ann"]))
    for statement in ("UPDATE ledger_entry SET amount = -1", "DELETE FROM ledger_entry"):
        with pytest.raises(Exception, match="append-only"):
            with ctx.db.write() as session:
                session.execute(text(statement))


def test_flow_steps_rooms_waits_and_undo(ctx, clock, today):
    flow = today["flow"]
    arrived = today["checkin"].check_in(CheckInInput(today["ann"].id, today["ann"].version))
    clock.advance(dt.timedelta(minutes=12))
    with pytest.raises(ValidationError, match="Choose a room"):
        flow.advance(arrived.appointment_id, arrived.version)
    roomed = flow.advance(arrived.appointment_id, arrived.version, room_id=today["rooms"][0].id)
    assert roomed.status == "roomed" and roomed.room_name == "Exam 1"
    bob = today["checkin"].check_in(CheckInInput(today["bob"].id, today["bob"].version))
    with pytest.raises(ValidationError, match="Exam 1 is taken"):
        flow.advance(bob.appointment_id, bob.version, room_id=today["rooms"][0].id)
    clock.advance(dt.timedelta(minutes=6))
    now = clock.now()
    row = _visit(today, "ann")
    assert row.minutes_in_status(now) == 6 and row.wait_minutes(now) == 18
    seen = flow.advance(roomed.appointment_id, roomed.version)
    assert seen.status == "with_provider"
    undone = flow.undo(seen.appointment_id, seen.version)  # pressed by mistake
    assert undone.status == "roomed" and undone.room_name == "Exam 1"
    assert _visit(today, "ann").minutes_in_status(now) == 6  # back to the roomed clock
    clock.advance(dt.timedelta(minutes=2))
    seen = flow.advance(undone.appointment_id, undone.version)
    clock.advance(dt.timedelta(minutes=15))
    assert _visit(today, "ann").wait_minutes(clock.now()) == 20  # the wait stopped when the provider came
    with pytest.raises(ConcurrentEdit):
        flow.advance(seen.appointment_id, seen.version - 1)
    with pytest.raises(ValidationError, match="check them out"):
        flow.advance(seen.appointment_id, seen.version)
    out = today["checkin"].check_out(seen.appointment_id, seen.version, _pay("15", memo="Balance"))
    assert out.status == "checked_out"
    rows, waits = flow.timeline(NOW.date())
    ann = next(r for r in rows if r.appointment_id == today["ann"].id)
    assert ann.wait_minutes == 20 and set(ann.steps) == {"arrived", "roomed", "with_provider", "checked_out"}
    [lee] = waits
    assert (lee.provider_name, lee.seen, lee.longest_wait) == ("Avery Lee", 1, 20)


def test_board_changes_only_returns_touched_visits(ctx, today):
    flow = today["flow"]
    board = flow.board()
    assert {r.appointment_id for r in board.rows} == {today["ann"].id, today["bob"].id}
    assert flow.changes(board.day, board.last_event_id).rows == []
    today["checkin"].check_in(CheckInInput(today["ann"].id, today["ann"].version))
    changed = flow.changes(board.day, board.last_event_id)
    assert [(r.appointment_id, r.status) for r in changed.rows] == [(today["ann"].id, "arrived")]
    assert changed.last_event_id > board.last_event_id
    assert board.threshold_minutes == 15 and [r.name for r in board.rooms] == ["Exam 1", "Exam 2"]


def test_no_show_only_after_start_and_walk_in_gets_first_free_time(ctx, clock, today, desk_ctx):
    flow = today["flow"]
    with pytest.raises(ValidationError, match="not started yet"):
        flow.mark_no_show(today["ann"].id, today["ann"].version)
    clock.advance(dt.timedelta(minutes=25))
    assert flow.mark_no_show(today["ann"].id, today["ann"].version).status == "no_show"
    sched = today["sched"]
    walk = today["checkin"].walk_in(sched["ann"], sched["kim"], sched["type"], "Sore throat")
    local = walk.start_at.astimezone(ctx.timezone)
    assert local.date() == NOW.date() and local.time() == dt.time(10, 30)  # the next step after 10:25
    assert walk.reason == "Sore throat"
    walkers = [register(desk_ctx, first_name=f"Walker{n}").id for n in range(15)]
    for patient_id in walkers:  # 10:50 to 12:00 and 13:00 to 17:00 hold 15 more
        today["checkin"].walk_in(patient_id, sched["kim"], sched["type"])
    with pytest.raises(ValidationError, match="No free time left today"):
        today["checkin"].walk_in(sched["bob"], sched["kim"], sched["type"])


def test_receipt_text_and_pdf(ctx, desk_ctx, today):
    posted = LedgerService(desk_ctx).post_payment(_pay("25", patient_id=today["sched"]["ann"]))
    receipt = ReceiptService(desk_ctx).receipt(posted.id)
    body = receipt.text()
    assert f"RECEIPT {posted.receipt_number}" in body and "$25.00" in body and "Card 4242" in body
    assert "Balance after" in body and "-$25.00 (credit)" in body
    pdf = ReceiptService(desk_ctx).receipt_pdf(posted.id)
    assert pdf.startswith(b"%PDF") and len(pdf) > 500


def test_billing_cannot_check_in_and_threshold_is_a_manager_setting(as_role, today):
    with pytest.raises(PermissionDenied):
        CheckInService(as_role("billing")).check_in(CheckInInput(today["ann"].id, today["ann"].version))
    with pytest.raises(PermissionDenied):
        RoomService(as_role("front_desk")).set_wait_threshold(20)
    assert RoomService(as_role("manager")).set_wait_threshold("20") == 20
    with pytest.raises(ValidationError):
        RoomService(as_role("manager")).set_wait_threshold("forever")
