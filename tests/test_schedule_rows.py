"""The schedule's day rows are built in one pass over plain rows (times as stored, converted once per
distinct value): each is still a whole, frozen DayRow in the clinic's time, equal to one built the
ordinary way."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.scheduling.schedule import DayRow, ScheduleService

from tests.conftest import NOW


def test_a_days_rows_are_whole_frozen_rows_in_clinic_time(ctx, sched, desk_ctx):
    day = NOW.date()
    for who, provider in (("ann", "lee"), ("bob", "kim")):  # two visits sharing one start time
        sched["book"].book(BookingInput(sched[who], sched[provider], sched["type"], day, "10:20"))
    rows = ScheduleService(desk_ctx).day(day)
    assert sorted(r.patient_id for r in rows) == sorted([sched["ann"], sched["bob"]])
    for row in rows:
        assert set(vars(row)) == {f.name for f in dataclasses.fields(DayRow)}
        assert row == DayRow(**vars(row)) and hash(row) == hash(DayRow(**vars(row)))
        assert row.start == dt.datetime.combine(day, dt.time(10, 20), ctx.timezone) and row.start.tzinfo == ctx.timezone
        assert row.end > row.start and row.alerts == () and row.inactive_coverage == ()
        with pytest.raises(dataclasses.FrozenInstanceError):
            row.status = "arrived"  # type: ignore[misc]
    upcoming, _ = ScheduleService(desk_ctx).for_patient(sched["ann"])
    assert upcoming == [r for r in rows if r.patient_id == sched["ann"]]
