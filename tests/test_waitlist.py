"""The waitlist: requests, matching a freed slot on a day, and taking it in one step."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from officeconsole.models import Appointment, AuditEvent, WaitlistEntry
from officeconsole.services.common.errors import ConcurrentEdit, SlotTaken, ValidationError
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.scheduling.waitlist import WaitlistInput, WaitlistService

from tests.conftest import MONDAY

TUESDAY = MONDAY + dt.timedelta(days=1)


def _fill_day(sched, day, provider="lee", patient="bob"):
    """Book the provider's whole day in 20-minute visits, the given patient each time."""
    book = sched["book"]
    ids = []
    for start in [dt.time(8) , dt.time(13)]:
        at = dt.datetime.combine(day, start)
        for _ in range(12):
            ids.append(book.book(BookingInput(sched[patient], sched[provider], sched["type"], day, at.time(),
                                              override_reason="filler")))
            at += dt.timedelta(minutes=20)
    return ids


@pytest.fixture
def waitlist(desk_ctx):
    return WaitlistService(desk_ctx)


@pytest.fixture
def later(sched):
    """Ann's booking two weeks out, which she would like sooner."""
    return sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"],
                                           MONDAY + dt.timedelta(weeks=2), "10:00"))


def test_a_freed_slot_before_the_booking_matches_and_taking_it_moves_the_booking(ctx, sched, waitlist, later):
    filled = _fill_day(sched, TUESDAY)
    entry = waitlist.add_to_waitlist(WaitlistInput(sched["ann"], sched["type"], sched["lee"], later.id,
                                                   note="Wants sooner"))
    assert waitlist.waitlist_matches(TUESDAY) == []  # a full day frees nothing
    freed = filled[4]  # 09:20
    sched["book"].cancel(freed.id, freed.version, "patient_cancelled")
    [match] = waitlist.waitlist_matches(TUESDAY)
    assert match.entry.id == entry.id and match.slot.start.time() == dt.time(9, 20)
    moved = waitlist.take_slot(entry.id, entry.version, match.slot.provider_id, match.slot.start_at)
    assert moved.id == later.id  # the same booking, brought forward
    assert moved.start_at.astimezone(ctx.timezone) == dt.datetime.combine(TUESDAY, dt.time(9, 20), ctx.timezone)
    assert waitlist.waiting() == []
    with ctx.db.read() as session:
        closed = session.get(WaitlistEntry, entry.id)
        assert (closed.status, closed.booked_appointment_id) == ("booked", later.id)
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == sched["ann"])))
    assert {"waitlist.add", "waitlist.book", "appointment.move"} <= actions
    assert waitlist.waitlist_matches(TUESDAY) == []


def test_slots_after_the_booking_or_outside_preferences_do_not_match(sched, waitlist, later):
    waitlist.add_to_waitlist(WaitlistInput(sched["ann"], sched["type"], sched["lee"], later.id,
                                           weekdays="wed thu", part="afternoon"))
    assert waitlist.waitlist_matches(TUESDAY) == []  # Tuesday is not wanted
    [match] = waitlist.waitlist_matches(TUESDAY + dt.timedelta(days=1))
    assert match.slot.start.time() == dt.time(13)  # first free afternoon slot
    assert waitlist.waitlist_matches(MONDAY + dt.timedelta(weeks=3, days=2)) == []  # after her booking


def test_any_provider_request_without_a_booking_books_a_new_visit(ctx, sched, waitlist):
    _fill_day(sched, TUESDAY, "lee")
    entry = waitlist.add_to_waitlist(WaitlistInput(sched["ann"], sched["type"], None, earliest=TUESDAY,
                                                   latest=TUESDAY, part="morning"))
    [match] = waitlist.waitlist_matches(TUESDAY)
    assert match.slot.provider_name == "Jo Kim"  # Lee is full, Kim is free
    booked = waitlist.take_slot(entry.id, entry.version, match.slot.provider_id, match.slot.start_at)
    with ctx.db.read() as session:
        assert session.get(Appointment, booked.id).reason == "From the waitlist"
    assert waitlist.waitlist_matches(MONDAY) == []  # outside the request's dates


def test_taking_a_slot_someone_just_booked_fails_and_keeps_the_request(ctx, sched, waitlist):
    entry = waitlist.add_to_waitlist(WaitlistInput(sched["ann"], sched["type"], sched["lee"]))
    [match] = waitlist.waitlist_matches(TUESDAY)
    sched["book"].book(BookingInput(sched["bob"], sched["lee"], sched["type"], TUESDAY, match.slot.start.time()))
    with pytest.raises(SlotTaken):
        waitlist.take_slot(entry.id, entry.version, match.slot.provider_id, match.slot.start_at)
    assert [e.id for e in waitlist.waiting()] == [entry.id]


def test_remove_needs_the_current_version_and_closes_the_request(sched, waitlist):
    entry = waitlist.add_to_waitlist(WaitlistInput(sched["ann"], sched["type"], sched["lee"]))
    with pytest.raises(ConcurrentEdit):
        waitlist.remove_from_waitlist(entry.id, entry.version + 1, "no longer needed")
    waitlist.remove_from_waitlist(entry.id, entry.version, "no longer needed")
    assert waitlist.waiting() == []
    with pytest.raises(ValidationError, match="removed already"):
        waitlist.remove_from_waitlist(entry.id, entry.version + 1, "again")


@pytest.mark.parametrize(("changes", "field"), [
    ({"weekdays": "mon funday"}, "weekdays"),
    ({"part": "evening"}, "part"),
    ({"earliest": "12/10/2026", "latest": "12/01/2026"}, "latest"),
    ({"latest": "11/01/2026"}, "latest"),
    ({"earliest": "31/02/2026"}, "earliest"),
])
def test_bad_requests_are_refused_field_by_field(sched, waitlist, changes, field):
    data = WaitlistInput(sched["ann"], sched["type"], sched["lee"], **changes)
    with pytest.raises(ValidationError) as refused:
        waitlist.add_to_waitlist(data)
    assert field in refused.value.errors


def test_someone_elses_booking_and_duplicates_are_refused(sched, waitlist, later):
    with pytest.raises(ValidationError, match="another patient's"):
        waitlist.add_to_waitlist(WaitlistInput(sched["bob"], sched["type"], sched["lee"], later.id))
    waitlist.add_to_waitlist(WaitlistInput(sched["ann"], sched["type"], sched["lee"], later.id))
    with pytest.raises(ValidationError, match="already on the waitlist"):
        waitlist.add_to_waitlist(WaitlistInput(sched["ann"], sched["type"], None, later.id))
