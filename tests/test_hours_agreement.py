"""One truth for when a provider works: on random weeks of templates (some starting mid-week),
lunch and meeting blocks, one-day exceptions, clinic holidays and approved time off, the rota's
provider cells, the schedule's working intervals, the slot finder's slots and booking's
accept/refuse all say the same thing."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from officeconsole.models import Provider
from officeconsole.services.common.errors import NeedsOverride, ValidationError
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.scheduling.hours import HoursService, subtract
from officeconsole.services.scheduling.schedule import ScheduleService
from officeconsole.services.scheduling.slot_finder import SlotFinder, SlotQuery
from officeconsole.services.staffing.roster import RosterService
from officeconsole.services.staffing.time_off import TimeOffService

from tests.conftest import MONDAY

T = dt.time
LENGTH = 20  # the Follow-up type's minutes


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _random_week(rng: random.Random) -> tuple[dict, dict]:
    """Per weekday 0-2 working intervals on the 5-minute grid, sometimes a block inside one."""
    week, blocks = {}, {}
    for weekday in range(7):
        if rng.random() < 0.25:
            continue
        start = rng.randrange(7 * 12, 10 * 12) * 5
        end = start + rng.randrange(18, 50) * 5
        intervals = [(start, end)]
        if rng.random() < 0.6:
            later = end + rng.randrange(6, 24) * 5
            intervals.append((later, later + rng.randrange(12, 48) * 5))
        week[weekday] = [(_hhmm(a), _hhmm(b)) for a, b in intervals]
        a, b = intervals[0]
        if rng.random() < 0.5 and b - a >= 90:
            at = a + rng.randrange(1, (b - a - 30) // 5) * 5
            blocks[weekday] = [(_hhmm(at), _hhmm(min(b, at + rng.choice((15, 30, 60)))),
                                rng.choice(("Lunch", "Team meeting", "Admin")))]
    return week, blocks


def _expected_slots(intervals) -> list[dt.time]:
    starts = []
    for a, b in intervals:
        at = dt.datetime.combine(dt.date.min, a)
        while at + dt.timedelta(minutes=LENGTH) <= dt.datetime.combine(dt.date.min, b):
            starts.append(at.time())
            at += dt.timedelta(minutes=LENGTH)
    return starts


def _fits(start: dt.time, intervals) -> bool:
    end = (dt.datetime.combine(dt.date.min, start) + dt.timedelta(minutes=LENGTH)).time()
    return any(a <= start and end <= b for a, b in intervals)


@pytest.mark.parametrize("seed", range(3))
def test_rota_schedule_slot_finder_and_booking_agree(ctx, sched, manager_ctx, desk_ctx, seed):
    rng = random.Random(seed)
    hours, roster, schedule = HoursService(manager_ctx), RosterService(desk_ctx), ScheduleService(desk_ctx)
    finder, book = SlotFinder(desk_ctx), sched["book"]
    with ctx.db.read() as session:
        users = {pid: session.get(Provider, pid).user_id for pid in (sched["lee"], sched["kim"])}
    monday = MONDAY + dt.timedelta(weeks=1 + 2 * seed)
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    for provider_id in (sched["lee"], sched["kim"]):
        week, blocks = _random_week(rng)
        hours.set_week(provider_id, week, blocks=blocks, effective_from=monday, confirm=True)
        if rng.random() < 0.7:  # a new template from mid-week
            week, blocks = _random_week(rng)
            hours.set_week(provider_id, week, blocks=blocks, effective_from=rng.choice(days[1:]), confirm=True)
        exception_day = rng.choice(days)
        if rng.random() < 0.5:
            hours.set_day(provider_id, exception_day, [], note="day off", confirm=True)
        else:
            start = rng.randrange(8 * 12, 12 * 12) * 5
            hours.set_day(provider_id, exception_day, [(_hhmm(start), _hhmm(start + rng.randrange(12, 60) * 5))],
                          confirm=True)
    if rng.random() < 0.7:
        hours.add_holiday(rng.choice(days), "Random closure", confirm=True)
    away = TimeOffService(manager_ctx).request(users[sched["kim"]], rng.choice(days), None, "training")
    TimeOffService(manager_ctx).approve(away.id, away.version)

    rota = roster.week(monday)
    checked = 0
    for day in days:
        plan = schedule.day_plan(day)
        for provider_id in (sched["lee"], sched["kim"]):
            truth = hours.hours_on(provider_id, day)
            intervals = list(truth.intervals)
            assert subtract(intervals, list(truth.blocks)) == intervals  # blocks never bookable
            # The rota's provider cell is the hours.
            assert [(s.start, s.end) for s in rota.cell(users[provider_id], day)] == intervals
            # The schedule grid draws the same working time and blocks.
            assert plan.hours.get(provider_id, []) == intervals
            assert plan.blocks.get(provider_id, []) == list(truth.blocks)
            # The slot finder offers exactly the slots those intervals hold.
            slots = finder.find(SlotQuery(type_id=sched["type"], provider_id=provider_id, after=day, until=day,
                                          count=100))
            assert [s.start.time() for s in slots] == _expected_slots(intervals)
            # Booking accepts a time inside them and asks for a reason outside (or in a block).
            for _ in range(4):
                start = T(rng.randrange(7, 19), rng.randrange(12) * 5)
                data = BookingInput(sched["ann"], provider_id, sched["type"], day, f"{start:%H:%M}")
                if _fits(start, intervals):
                    booked = book.book(data)
                    book.cancel(booked.id, booked.version, "patient_cancelled")
                else:  # time off is refused outright; anything else asks for a reason
                    with pytest.raises(ValidationError if (users[provider_id], day) in rota.away else NeedsOverride):
                        book.book(data)
                checked += 1
    assert checked == 7 * 2 * 4
