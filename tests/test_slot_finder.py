"""The slot finder and the day listing, on the two-provider schedule from conftest."""

from __future__ import annotations

import datetime as dt

import pytest

from officeconsole.services.common.errors import ValidationError
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.scheduling.hours import HoursService
from officeconsole.services.scheduling.schedule import ScheduleService
from officeconsole.services.scheduling.slot_finder import SlotFinder, SlotQuery

from tests.conftest import MONDAY


def _book(sched, start: str, provider: str = "lee", patient: str = "ann", day=MONDAY, minutes=None):
    return sched["book"].book(BookingInput(sched[patient], sched[provider], sched["type"], day, start,
                                           minutes=minutes))


def test_next_slots_skip_bookings_lunch_and_the_past(desk_ctx, sched):
    _book(sched, "08:00")
    _book(sched, "08:40", minutes=40)
    slots = SlotFinder(desk_ctx).find(SlotQuery(type_id=sched["type"], provider_id=sched["lee"],
                                                after=MONDAY, count=4))
    assert [(s.start.strftime("%H:%M"), s.minutes) for s in slots] == [
        ("08:20", 20), ("09:20", 20), ("09:40", 20), ("10:00", 20)]
    today = SlotFinder(desk_ctx).find(SlotQuery(type_id=sched["type"], provider_id=sched["lee"], count=1))
    assert today[0].start.date() == dt.date(2026, 11, 23) and today[0].start.time() >= dt.time(10)
    lunch = SlotFinder(desk_ctx).find(SlotQuery(minutes=60, provider_id=sched["lee"], after=MONDAY, count=4))
    assert all(not (s.start.time() < dt.time(13) and s.end.time() > dt.time(12)) for s in lunch)


def test_any_provider_weekday_and_afternoon_filters(desk_ctx, sched, manager_ctx):
    HoursService(manager_ctx).set_day(sched["lee"], MONDAY, [])  # Lee is off that Monday
    slots = SlotFinder(desk_ctx).find(SlotQuery(type_id=sched["type"], after=MONDAY, weekdays={0},
                                                part="afternoon", count=3))
    assert {s.provider_name for s in slots} == {"Jo Kim"}
    assert all(s.start.weekday() == 0 and s.start.time() >= dt.time(12) for s in slots)
    morning = SlotFinder(desk_ctx).find(SlotQuery(minutes=30, after=MONDAY + dt.timedelta(days=1),
                                                  part="morning", count=10))
    assert {s.provider_name for s in morning} == {"Avery Lee", "Jo Kim"}
    assert all(s.end.time() <= dt.time(12) for s in morning)


def test_holidays_and_full_days_are_skipped(desk_ctx, sched, manager_ctx):
    HoursService(manager_ctx).add_holiday(MONDAY, "Closed for training")
    slots = SlotFinder(desk_ctx).find(SlotQuery(type_id=sched["type"], after=MONDAY, count=1))
    assert slots[0].start.date() == MONDAY + dt.timedelta(days=1)


def test_a_public_holiday_the_clinic_keeps_open_is_offered_with_a_note(desk_ctx, sched):
    christmas = dt.date(2026, 12, 25)  # a Friday: nobody has closed the clinic for it
    finder = SlotFinder(desk_ctx)
    [eve] = finder.find(SlotQuery(type_id=sched["type"], after=christmas - dt.timedelta(days=1), count=1))
    [day] = finder.find(SlotQuery(type_id=sched["type"], after=christmas, count=1))
    assert (eve.start.date(), eve.note) == (christmas - dt.timedelta(days=1), "")
    assert (day.start.date(), day.note) == (christmas, "Christmas Day: a public holiday (the clinic is open)")


def test_bad_queries(desk_ctx, sched):
    finder = SlotFinder(desk_ctx)
    for query, field in ((SlotQuery(), "type_id"), (SlotQuery(minutes=7), "minutes"),
                         (SlotQuery(minutes=20, part="evening"), "part"),
                         (SlotQuery(minutes=20, after="02/30/2026"), "after"),
                         (SlotQuery(minutes=20, after=MONDAY, until=MONDAY - dt.timedelta(days=1)), "until")):
        with pytest.raises(ValidationError) as caught:
            finder.find(query)
        assert field in caught.value.errors


def test_day_listing_in_clinic_time(desk_ctx, sched):
    _book(sched, "09:00")
    _book(sched, "09:00", provider="kim", patient="bob")
    cancelled = _book(sched, "10:00")
    sched["book"].cancel(cancelled.id, cancelled.version, "clinic_cancelled")
    rows = ScheduleService(desk_ctx).day(MONDAY)
    assert [(r.start.strftime("%H:%M"), r.provider_name, r.status) for r in rows] == [
        ("09:00", "Avery Lee", "scheduled"), ("09:00", "Jo Kim", "scheduled"), ("10:00", "Avery Lee", "cancelled")]
    assert rows[0].patient_name == "Testperson, Ann" and rows[0].phone == "(415) 555-2671"
    only_kim = ScheduleService(desk_ctx).day(MONDAY, [sched["kim"]])
    assert [r.provider_name for r in only_kim] == ["Jo Kim"]


def test_patient_appointments_upcoming_and_recent(desk_ctx, sched):
    _book(sched, "09:00")
    _book(sched, "10:00", day=MONDAY + dt.timedelta(days=7))
    later = _book(sched, "11:00", day=MONDAY + dt.timedelta(days=14))
    sched["book"].cancel(later.id, later.version, "patient_cancelled")
    past = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], dt.date(2026, 11, 20),
                                           "09:00", override_reason="entered late"))
    upcoming, recent = ScheduleService(desk_ctx).for_patient(sched["ann"])
    assert [r.start.date() for r in upcoming] == [MONDAY, MONDAY + dt.timedelta(days=7)]
    assert [r.id for r in recent] == [past.id]


def test_day_plan_counts_for_the_schedule_header(desk_ctx, sched, manager_ctx):
    _book(sched, "09:00")
    _book(sched, "09:00", provider="kim", patient="bob")
    gone = _book(sched, "10:00")
    sched["book"].cancel(gone.id, gone.version, "patient_cancelled")
    plan = ScheduleService(desk_ctx).day_plan(MONDAY)
    assert [p.name for p in plan.providers] == ["Avery Lee", "Jo Kim"]
    assert plan.booked == 2 and plan.arrived == 0 and plan.no_shows == 0
    # 2 providers x 8 hours = 96 free 5-minute steps... minus 2 x 4 booked, in 15-minute blocks
    assert plan.free_slots == (2 * 96 - 8) // 3
    HoursService(manager_ctx).set_day(sched["kim"], MONDAY + dt.timedelta(days=1), [])
    tuesday = ScheduleService(desk_ctx).day_plan(MONDAY + dt.timedelta(days=1))
    assert [p.name for p in tuesday.providers] == ["Avery Lee"]


def test_full_days_are_counted_a_week_at_a_time_and_the_next_week_is_read_right(desk_ctx, sched):
    """Lee's days are filled one by one for a week and two days (the finder counts booked steps a
    week at a time): the first slot offered is the first free time after them, and a search for
    exactly one full day finds nothing while the next day's finds its morning."""
    full = [MONDAY + dt.timedelta(days=n) for n in range(9)]
    for day in full:
        if day.weekday() < 5:
            for start in range(8 * 60, 17 * 60, 20):
                if not 12 * 60 <= start < 13 * 60:
                    _book(sched, f"{start // 60:02d}:{start % 60:02d}", day=day)
    # (Lee works Monday to Friday, 08-12 and 13-17, in conftest)
    finder = SlotFinder(desk_ctx)
    [first] = finder.find(SlotQuery(type_id=sched["type"], provider_id=sched["lee"], after=MONDAY, count=1))
    assert first.start.date() == MONDAY + dt.timedelta(days=9) and first.start.strftime("%H:%M") == "08:00"
    lee = {"type_id": sched["type"], "provider_id": sched["lee"]}
    assert finder.find(SlotQuery(**lee, after=full[-1], until=full[-1])) == []
    following = full[-1] + dt.timedelta(days=1)
    [after] = finder.find(SlotQuery(**lee, after=following, until=following, count=1))
    assert after.start.strftime("%H:%M") == "08:00"
