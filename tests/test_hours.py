"""Provider hours: weekly templates with an effective date, recurring blocks, one-day exceptions,
clinic holidays; every rule and bad input; a change that would leave booked visits outside
working time lists them and is saved only when confirmed; the schedule shows blocks."""

from __future__ import annotations

import datetime as dt

import pytest

from officeconsole.models import AuditEvent
from officeconsole.services.common.errors import (
    NeedsConfirmation,
    NeedsOverride,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.scheduling.hours import (
    EARLIEST,
    HoursService,
    parse_block_ranges,
    parse_ranges,
    parse_weekdays,
)
from officeconsole.services.scheduling.schedule import ScheduleService
from officeconsole.services.scheduling.slot_finder import SlotFinder, SlotQuery

from tests.conftest import MONDAY, NOW

T = dt.time
TODAY = NOW.date()  # Monday 11/23/2026
LUNCH = {day: [("12:00", "13:00", "Lunch")] for day in range(5)}
FULL_DAYS = {day: [("08:00", "17:00")] for day in range(5)}


def actions(ctx, action: str) -> list[str]:
    with ctx.db.read() as session:
        return [e.summary for e in session.query(AuditEvent).filter(AuditEvent.action == action)]


def test_a_week_with_a_lunch_block_is_bookable_around_it(manager_ctx, desk_ctx, sched):
    hours = HoursService(manager_ctx)
    hours.set_week(sched["lee"], FULL_DAYS, blocks=LUNCH, effective_from=TODAY)
    assert hours.intervals(sched["lee"], MONDAY) == [(T(8), T(12)), (T(13), T(17))]
    day = HoursService(desk_ctx).hours_on(sched["lee"], MONDAY)
    assert (day.source, day.blocks) == ("template", ((T(12), T(13), "Lunch"),))
    with pytest.raises(NeedsOverride, match="12:00-12:20 is in Avery Lee's Lunch \\(12:00-13:00\\)"):
        sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "12:00"))
    booked = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "12:00",
                                             override_reason="only time she can come"))  # same rule as outside hours
    assert booked.override_reason == "only time she can come"
    slots = SlotFinder(desk_ctx).find(SlotQuery(type_id=sched["type"], provider_id=sched["lee"], after=MONDAY,
                                                count=30))
    assert not [s for s in slots if s.start.date() == MONDAY and T(11, 45) < s.start.time() < T(13)]
    plan = ScheduleService(desk_ctx).day_plan(MONDAY)
    assert plan.blocks[sched["lee"]] == [(T(12), T(13), "Lunch")] and sched["kim"] not in plan.blocks
    assert plan.hours[sched["lee"]] == [(T(8), T(12)), (T(13), T(17))]
    assert actions(manager_ctx, "hours.set_week")[-1] == (
        "from 2026-11-23: Mon 08:00-17:00 (blocks 12:00-13:00 Lunch); Tue 08:00-17:00 (blocks 12:00-13:00 Lunch); "
        "Wed 08:00-17:00 (blocks 12:00-13:00 Lunch); Thu 08:00-17:00 (blocks 12:00-13:00 Lunch); "
        "Fri 08:00-17:00 (blocks 12:00-13:00 Lunch)")


@pytest.mark.parametrize(("week", "blocks", "field", "message"), [
    ({0: [("12:00", "08:00")]}, None, "mon", "Monday: 12:00-08:00 ends before it starts."),
    ({1: [("08:00", "12:00"), ("11:00", "15:00")]}, None, "tue", "Tuesday: the intervals overlap."),
    ({2: [("08:03", "12:00")]}, None, "wed", "Wednesday: hours are in 5-minute steps."),
    ({3: [("8 o'clock", "12:00")]}, None, "thu", "is not a time"),
    ({0: [("08:00", "12:00")]}, {0: [("11:30", "12:30", "Lunch")]}, "mon_blocks",
     "Monday: the block 11:30-12:30 is not inside the working hours (08:00-12:00)."),
    ({0: [("08:00", "12:00")]}, {5: [("09:00", "10:00", "Meeting")]}, "sat_blocks",
     "Saturday: the block 09:00-10:00 is not inside the working hours (none that day)."),
    ({0: [("08:00", "17:00")]}, {0: [("12:00", "13:00", "Lunch"), ("12:30", "13:30", "Call")]}, "mon_blocks",
     "the intervals overlap"),
    ({7: [("08:00", "12:00")]}, None, "weekday", "is not a weekday"),
])
def test_bad_weeks_are_refused_with_the_field_and_nothing_saved(manager_ctx, sched, week, blocks, field, message):
    hours = HoursService(manager_ctx)
    with pytest.raises(ValidationError) as refused:
        hours.set_week(sched["lee"], week, blocks=blocks, effective_from=MONDAY)
    assert field in refused.value.errors and message in refused.value.errors[field]
    assert [t.effective_from for t in hours.templates(sched["lee"])] == [EARLIEST]  # the fixture's, untouched


def test_a_template_from_next_month_leaves_this_month_alone(manager_ctx, desk_ctx, sched):
    hours = HoursService(manager_ctx)
    december = dt.date(2026, 12, 1)
    hours.set_week(sched["lee"], {0: [("09:00", "13:00")], 1: [("09:00", "13:00")]}, effective_from=december)
    assert hours.intervals(sched["lee"], MONDAY) == [(T(8), T(12)), (T(13), T(17))]  # 11/30: the old week
    assert hours.intervals(sched["lee"], december) == [(T(9), T(13))]  # Tuesday 12/01: the new one
    assert hours.intervals(sched["lee"], december + dt.timedelta(days=1)) == []  # Wednesday: now a day off
    first, second = HoursService(desk_ctx).templates(sched["lee"])
    assert (first.in_force, first.period, first.day_text(0)) == (True, "from the start to 11/30/2026",
                                                                 "08:00-12:00, 13:00-17:00")
    assert (second.in_force, second.period, second.day_text(2)) == (False, "from 12/01/2026", "")
    # Replacing the December template keeps the earlier one; an earlier date between them splits them.
    hours.set_week(sched["lee"], {0: [("10:00", "14:00")]}, effective_from=december)
    assert [t.effective_from for t in hours.templates(sched["lee"])] == [EARLIEST, december]
    assert hours.intervals(sched["lee"], december + dt.timedelta(days=6)) == [(T(10), T(14))]  # Monday 12/07
    with pytest.raises(PermissionDenied):
        HoursService(desk_ctx).set_week(sched["lee"], FULL_DAYS, effective_from=december)


def test_a_template_in_the_past_is_refused_once_visits_exist(manager_ctx, sched):
    hours = HoursService(manager_ctx)
    last_week = TODAY - dt.timedelta(days=7)
    hours.set_week(sched["lee"], FULL_DAYS, effective_from=last_week)  # no visits since: allowed
    sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], TODAY - dt.timedelta(days=3),
                                    "09:00", override_reason="entered late"))
    with pytest.raises(ValidationError) as refused:
        hours.set_week(sched["lee"], FULL_DAYS, blocks=LUNCH, effective_from=last_week)
    assert refused.value.errors["effective_from"] == (
        "Avery Lee has visits from 11/16/2026 on: hours cannot change in the past once visits exist. "
        "Choose today (11/23/2026) or later.")
    hours.set_week(sched["lee"], FULL_DAYS, blocks=LUNCH, effective_from=TODAY)  # from today is fine
    assert hours.intervals(sched["lee"], TODAY - dt.timedelta(days=3)) == [(T(8), T(17))]


def test_narrower_hours_list_the_booked_visits_and_save_only_when_confirmed(manager_ctx, sched):
    hours = HoursService(manager_ctx)
    morning = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    lunch = sched["book"].book(BookingInput(sched["bob"], sched["lee"], sched["type"], MONDAY, "11:30"))
    sched["book"].book(BookingInput(sched["bob"], sched["lee"], sched["type"], MONDAY, "15:00"))
    new_week = {day: [("08:00", "13:00")] for day in range(5)}
    with pytest.raises(NeedsConfirmation) as asked:
        hours.set_week(sched["lee"], new_week, blocks={0: [("11:45", "12:15", "Team meeting")]})
    assert asked.value.items == ["Mon 11/30/2026 11:30  Testperson, Bob  Follow-up  (Avery Lee)",
                                 "Mon 11/30/2026 15:00  Testperson, Bob  Follow-up  (Avery Lee)"]
    assert "2 visits booked would fall outside Avery Lee's new hours" in asked.value.message
    assert [t.effective_from for t in hours.templates(sched["lee"])] == [EARLIEST]  # nothing saved
    hours.set_week(sched["lee"], new_week, blocks={0: [("11:45", "12:15", "Team meeting")]}, confirm=True)
    assert hours.intervals(sched["lee"], MONDAY) == [(T(8), T(11, 45)), (T(12, 15), T(13))]
    day = ScheduleService(manager_ctx).day(MONDAY)
    assert [(r.id, r.status) for r in day if r.id in (morning.id, lunch.id)] == [
        (morning.id, "scheduled"), (lunch.id, "scheduled")]  # nothing moved or cancelled
    assert len(day) == 3
    # Cancelled visits and visits already outside the hours are not listed again.
    hours.set_week(sched["lee"], new_week)


def test_blocks_added_to_the_template_in_force(manager_ctx, sched):
    hours = HoursService(manager_ctx)
    hours.add_blocks(sched["lee"], {2: [("10:00", "11:00", "Admin")]}, effective_from=MONDAY)
    assert [t.effective_from for t in hours.templates(sched["lee"])] == [EARLIEST, MONDAY]  # a copy from 11/30
    assert hours.intervals(sched["lee"], MONDAY + dt.timedelta(days=2)) == [
        (T(8), T(10)), (T(11), T(12)), (T(13), T(17))]
    assert hours.intervals(sched["lee"], TODAY + dt.timedelta(days=2)) == [(T(8), T(12)), (T(13), T(17))]
    hours.add_blocks(sched["lee"], {4: [("08:00", "09:00", "")]}, effective_from=MONDAY)  # amends that copy
    template = hours.templates(sched["lee"])[-1]
    assert (template.blocks_text(2), template.blocks_text(4)) == ("10:00-11:00 Admin", "08:00-09:00 Blocked")
    with pytest.raises(ValidationError, match="not inside the working hours"):
        hours.add_blocks(sched["lee"], {5: [("10:00", "11:00", "Saturday")]}, effective_from=MONDAY)


def test_one_day_exceptions_replace_the_day_and_clear_back_to_the_week(manager_ctx, desk_ctx, sched):
    hours = HoursService(manager_ctx)
    hours.set_week(sched["lee"], FULL_DAYS, blocks=LUNCH)
    hours.set_day(sched["lee"], MONDAY, [("10:00", "14:00")], note="conference morning")
    day = hours.hours_on(sched["lee"], MONDAY)
    assert (day.intervals, day.blocks, day.source, day.note) == (((T(10), T(14)),), (), "exception",
                                                                  "conference morning")  # no blocks that day
    booked = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "12:00"))
    with pytest.raises(NeedsConfirmation) as asked:
        hours.set_day(sched["lee"], MONDAY, [], note="sick")
    assert asked.value.items == ["Mon 11/30/2026 12:00  Testperson, Ann  Follow-up  (Avery Lee)"]
    with pytest.raises(NeedsConfirmation):
        hours.clear_day(sched["lee"], MONDAY)  # back to the week puts 12:00 in the lunch block
    hours.set_day(sched["lee"], MONDAY, [], note="sick", confirm=True)
    assert hours.intervals(sched["lee"], MONDAY) == []
    assert [(e.day, e.text, e.note) for e in HoursService(desk_ctx).exceptions(sched["lee"], TODAY, MONDAY)] == [
        (MONDAY, "off", "sick")]
    hours.clear_day(sched["lee"], MONDAY, confirm=True)
    assert hours.intervals(sched["lee"], MONDAY) == [(T(8), T(12)), (T(13), T(17))]
    assert ScheduleService(manager_ctx).day(MONDAY)[0].id == booked.id
    with pytest.raises(NotFound, match="no exception on 11/30/2026"):
        hours.clear_day(sched["lee"], MONDAY)
    with pytest.raises(ValidationError, match="ends before it starts"):
        hours.set_day(sched["lee"], MONDAY, [("14:00", "10:00")])
    with pytest.raises(ValidationError, match="Date"):
        hours.set_day(sched["lee"], "the 31st of never", [])
    assert actions(manager_ctx, "hours.set_day") == ["2026-11-30: 10:00-14:00 (conference morning)",
                                                     "2026-11-30: off (sick)"]
    assert actions(manager_ctx, "hours.clear_day") == ["2026-11-30: back to the weekly hours"]


def test_holidays_list_the_visits_that_day_then_close_it(manager_ctx, desk_ctx, sched):
    hours = HoursService(manager_ctx)
    sched["book"].book(BookingInput(sched["ann"], sched["kim"], sched["type"], MONDAY, "09:00"))
    with pytest.raises(NeedsConfirmation) as asked:
        hours.add_holiday(MONDAY, "Clinic retreat")
    assert asked.value.items == ["Mon 11/30/2026 09:00  Testperson, Ann  Follow-up  (Jo Kim)"]
    assert hours.intervals(sched["kim"], MONDAY)  # nothing saved
    hours.add_holiday(MONDAY, "Clinic retreat", confirm=True)
    assert hours.intervals(sched["kim"], MONDAY) == [] and hours.hours_on(sched["kim"], MONDAY).note == (
        "Clinic retreat")
    assert [(h.day, h.name) for h in HoursService(desk_ctx).holidays(TODAY, MONDAY)] == [(MONDAY, "Clinic retreat")]
    hours.add_holiday(dt.date(2026, 12, 25), "Christmas Day")  # nothing booked: no question
    assert [h.confirmed for h in hours.suggest_holidays(2026) if h.day == dt.date(2026, 12, 25)] == [True]
    hours.remove_holiday(MONDAY)
    assert hours.intervals(sched["kim"], MONDAY)
    with pytest.raises(NotFound):
        hours.remove_holiday(MONDAY)
    with pytest.raises(ValidationError, match="needs a name"):
        hours.add_holiday(MONDAY, "  ")
    assert actions(manager_ctx, "holiday.remove") == ["Clinic retreat"]


def test_the_new_methods_are_for_managers_only(as_role, sched):
    for role in ("front_desk", "billing", "provider"):
        hours = HoursService(as_role(role))
        for call in (lambda: hours.set_week(sched["lee"], FULL_DAYS, effective_from=MONDAY),
                     lambda: hours.add_blocks(sched["lee"], LUNCH, effective_from=MONDAY),
                     lambda: hours.set_day(sched["lee"], MONDAY, []),
                     lambda: hours.clear_day(sched["lee"], MONDAY),
                     lambda: hours.add_holiday(MONDAY, "Closed"),
                     lambda: hours.remove_holiday(MONDAY)):
            with pytest.raises(PermissionDenied):
                call()
        assert hours.templates(sched["lee"]) and hours.hours_on(sched["lee"], MONDAY).source == "template"


def test_typed_ranges_and_weekdays():
    assert parse_ranges("08:00-12:00, 13:00-17:00") == [("08:00", "12:00"), ("13:00", "17:00")]
    assert parse_ranges("  off ") == [] and parse_ranges("") == []
    assert parse_ranges("9-1pm") == [("9", "1pm")]
    assert parse_block_ranges("12:00-13:00 Lunch, 15:00-15:30 Team meeting") == [
        ("12:00", "13:00", "Lunch"), ("15:00", "15:30", "Team meeting")]
    assert parse_block_ranges("10:00-11:00 Admin;2pm-3pm Appointments review") == [
        ("10:00", "11:00", "Admin"), ("2pm", "3pm", "Appointments review")]
    with pytest.raises(ValidationError, match="is not a time range"):
        parse_ranges("08:00-12:00 Lunch")
    with pytest.raises(ValidationError, match="is not a time range"):
        parse_ranges("morning")
    assert parse_weekdays("mon-fri") == [0, 1, 2, 3, 4] and parse_weekdays("sat,sun,mon") == [0, 5, 6]
    with pytest.raises(ValidationError, match="not a weekday"):
        parse_weekdays("funday")
    with pytest.raises(ValidationError, match="not a weekday range"):
        parse_weekdays("fri-mon")
