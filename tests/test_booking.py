"""Booking rules: working hours, the past, the patient's other bookings, DST, and no double booking."""

from __future__ import annotations

import datetime as dt
import multiprocessing

import pytest
from sqlalchemy import func, select

from officeconsole.db.database import Database
from officeconsole.models import BookedSlot
from officeconsole.services.common.clock import FixedClock
from officeconsole.services.common.context import Actor, ServiceContext
from officeconsole.services.common.errors import (
    ConcurrentEdit,
    NeedsOverride,
    NotFound,
    PermissionDenied,
    SlotTaken,
    ValidationError,
)
from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService
from officeconsole.services.scheduling.booking import BookingInput, BookingService
from officeconsole.services.scheduling.hours import HoursService

from tests.conftest import MONDAY, NOW, WEEK


def _input(sched, **overrides) -> BookingInput:
    values = dict(patient_id=sched["ann"], provider_id=sched["lee"], type_id=sched["type"], day=MONDAY,
                  start="09:00", reason="Follow-up: blood pressure")
    values.update(overrides)
    return BookingInput(**values)


def test_book_within_hours_claims_its_steps_and_is_recorded(ctx, sched):
    booked = sched["book"].book(_input(sched))
    assert booked.start_at == dt.datetime(2026, 11, 30, 14, 0, tzinfo=dt.UTC)  # 09:00 EST
    assert booked.end_at - booked.start_at == dt.timedelta(minutes=20)
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(BookedSlot)) == 4
    history = sched["book"].history(booked.id)
    assert [(who, action) for _, who, action, _, _ in history] == [("desk", "booked")]
    today = sched["book"].book(_input(sched, day=NOW.date(), start="10:20"))
    CheckInService(sched["book"].ctx).check_in(CheckInInput(today.id, today.version))
    history = sched["book"].history(today.id)
    assert [action for _, _, action, _, _ in history] == ["booked", "arrived"]  # the status it moved to


def test_same_provider_overlap_is_refused_adjacent_is_fine(sched):
    book = sched["book"]
    book.book(_input(sched))
    with pytest.raises(SlotTaken, match="already has an appointment"):
        book.book(_input(sched, patient_id=sched["bob"], start="09:15"))
    book.book(_input(sched, patient_id=sched["bob"], start="09:20"))
    book.book(_input(sched, patient_id=sched["bob"], start="09:00", provider_id=sched["kim"]))


@pytest.mark.parametrize(("changes", "message"), [
    ({"start": "12:00"}, "outside Avery Lee's hours"),          # lunch
    ({"start": "16:50"}, "outside Avery Lee's hours"),          # runs past 17:00
    ({"day": dt.date(2026, 11, 28)}, "does not work on Saturday"),
    ({"day": dt.date(2026, 11, 23), "start": "08:00"}, "in the past"),
])
def test_soft_rules_need_a_reason(sched, changes, message):
    with pytest.raises(NeedsOverride, match=message):
        sched["book"].book(_input(sched, **changes))
    booked = sched["book"].book(_input(sched, override_reason="Doctor agreed to stay late", **changes))
    assert booked.override_reason == "Doctor agreed to stay late"


def test_holiday_closes_the_day(sched, manager_ctx):
    HoursService(manager_ctx).add_holiday(MONDAY, "Clinic retreat")
    with pytest.raises(NeedsOverride, match="does not work on Monday"):
        sched["book"].book(_input(sched))


def test_day_exception_replaces_the_template(sched, manager_ctx):
    HoursService(manager_ctx).set_day(sched["lee"], MONDAY, [("10:00", "14:00")], note="conference morning")
    with pytest.raises(NeedsOverride):
        sched["book"].book(_input(sched, start="09:00"))
    sched["book"].book(_input(sched, start="12:00"))  # lunch is worked that day
    HoursService(manager_ctx).set_day(sched["lee"], MONDAY + dt.timedelta(days=1), [])
    with pytest.raises(NeedsOverride, match="does not work on Tuesday"):
        sched["book"].book(_input(sched, day=MONDAY + dt.timedelta(days=1)))


def test_patient_double_booked_with_another_provider_needs_a_reason(sched):
    book = sched["book"]
    book.book(_input(sched))
    with pytest.raises(NeedsOverride, match="already booked at 09:00 with Avery Lee"):
        book.book(_input(sched, provider_id=sched["kim"], start="09:10"))
    book.book(_input(sched, provider_id=sched["kim"], start="09:10", override_reason="Joint visit"))


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"start": "09:07"}, "start", "5-minute steps"),
    ({"minutes": 7}, "start", "5-minute steps"),
    ({"minutes": 0}, "start", "at least 5 minutes"),
    ({"day": "31/02/2026"}, "day", "is not a date"),
    ({"day": "02/31/2026"}, "day", "is not a date"),
    ({"start": "25:00"}, "start", "not a time"),
    ({"start": "23:30", "minutes": 60, "override_reason": "late"}, "start", "past midnight"),
])
def test_bad_times_are_refused_with_a_message(sched, changes, field, message):
    with pytest.raises(ValidationError) as caught:
        sched["book"].book(_input(sched, **changes))
    assert message in caught.value.errors[field]


def test_unknown_patient_or_provider(sched):
    with pytest.raises(NotFound, match="No patient has id 999"):
        sched["book"].book(_input(sched, patient_id=999))
    with pytest.raises(NotFound, match="No provider has id 999"):
        sched["book"].book(_input(sched, provider_id=999))


def test_dst_days_in_the_clinic_zone(sched):
    book = sched["book"]
    with pytest.raises(ValidationError, match="does not exist on 03/14/2027"):
        book.book(_input(sched, day=dt.date(2027, 3, 14), start="02:30", override_reason="test"))
    with pytest.raises(ValidationError, match="happens twice on 11/07/2027"):
        book.book(_input(sched, day=dt.date(2027, 11, 7), start="01:30", override_reason="test"))
    first = book.book(_input(sched, day=dt.date(2027, 11, 7), start="01:30", fold=0, override_reason="night"))
    second = book.book(_input(sched, day=dt.date(2027, 11, 7), start="01:30", fold=1, override_reason="night"))
    assert first.start_at == dt.datetime(2027, 11, 7, 5, 30, tzinfo=dt.UTC)   # EDT
    assert second.start_at == dt.datetime(2027, 11, 7, 6, 30, tzinfo=dt.UTC)  # EST, an hour later
    after = book.book(_input(sched, day=dt.date(2027, 3, 15), start="09:00"))
    assert after.start_at == dt.datetime(2027, 3, 15, 13, 0, tzinfo=dt.UTC)   # EDT from now on


def test_cancel_frees_the_time_and_keeps_the_record(sched):
    book = sched["book"]
    first = book.book(_input(sched))
    cancelled = book.cancel(first.id, first.version, "patient_cancelled", "car trouble")
    assert cancelled.status == "cancelled"
    book.book(_input(sched, patient_id=sched["bob"]))  # the same time is free again
    with pytest.raises(ValidationError, match="cannot be cancelled"):
        book.cancel(first.id, cancelled.version, "patient_cancelled")
    with pytest.raises(ValidationError, match="Reason must be"):
        book.cancel(first.id, cancelled.version, "bored")
    with pytest.raises(ValidationError, match="book a new one"):
        book.move(first.id, cancelled.version, MONDAY, "11:00")
    actions = [(action, reason) for _, _, action, reason, _ in book.history(first.id)]
    assert actions == [("booked", ""), ("cancelled", "patient_cancelled")]


def test_move_frees_the_old_time_and_checks_the_new(sched):
    book = sched["book"]
    first = book.book(_input(sched))
    book.book(_input(sched, patient_id=sched["bob"], start="10:00"))
    with pytest.raises(SlotTaken):
        book.move(first.id, first.version, MONDAY, "10:00")
    moved = book.move(first.id, first.version, MONDAY, "11:00")
    assert moved.start_at == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)
    book.book(_input(sched, patient_id=sched["bob"], start="09:00"))  # the old time is free
    with pytest.raises(ConcurrentEdit):
        book.move(first.id, first.version, MONDAY, "11:30")  # a stale version


def test_working_hours_are_checked_and_manager_only(desk_ctx, manager_ctx, sched):
    with pytest.raises(PermissionDenied):
        HoursService(desk_ctx).set_week(sched["lee"], WEEK)
    hours = HoursService(manager_ctx)
    with pytest.raises(ValidationError, match="overlap"):
        hours.set_week(sched["lee"], {0: [("08:00", "12:00"), ("11:00", "15:00")]})
    with pytest.raises(ValidationError, match="ends before it starts"):
        hours.set_week(sched["lee"], {0: [("12:00", "08:00")]})
    assert HoursService(desk_ctx).intervals(sched["lee"], MONDAY) == [
        (dt.time(8), dt.time(12)), (dt.time(13), dt.time(17))]


def _race(url: str, actor: Actor, provider_id: int, patient_id: int, type_id: int, results) -> None:
    """Book every 20-minute slot of a morning, as fast as possible."""
    ctx = ServiceContext(Database.from_url(url), FixedClock(NOW), actor)
    book, won = BookingService(ctx), 0
    for n in range(12):
        start = dt.time(8 + n // 3, (n % 3) * 20)
        try:
            book.book(BookingInput(patient_id, provider_id, type_id, MONDAY, start, override_reason="race"))
            won += 1
        except (SlotTaken, NeedsOverride):
            pass
    results.put(won)
    ctx.db.dispose()


def test_two_processes_never_book_the_same_slot(db_url, sched, clinic):
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    actor = clinic.actors["front_desk"]
    procs = [context.Process(target=_race, args=(db_url, actor, sched["lee"], patient, sched["type"], results))
             for patient in (sched["ann"], sched["bob"])]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    wins = [results.get(timeout=5) for _ in procs]
    assert sum(wins) == 12, wins
    database = Database.from_url(db_url)
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(BookedSlot)) == 12 * 4
    database.dispose()


def test_audit_summaries_say_clinic_time_and_provider_names(ctx, sched, manager_ctx):
    from officeconsole.services.security.audit import AuditService

    book = sched["book"]
    booked = book.book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    book.move(booked.id, booked.version, MONDAY, "15:40", provider_id=sched["kim"])
    summaries = {r.action: r.summary for r in AuditService(manager_ctx).list(limit=20)}
    assert summaries["appointment.book"] == "2026-11-30 09:00-09:20 with Avery Lee, Follow-up"
    assert summaries["appointment.move"] == "from 2026-11-30 09:00 with Avery Lee to 2026-11-30 15:40 with Jo Kim"
