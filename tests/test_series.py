"""Recurring appointments: all dates booked together or none, every conflict listed first."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from officeconsole.models import Appointment, AppointmentSeries, AuditEvent
from officeconsole.services.common.errors import SeriesConflicts, ValidationError
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.scheduling.hours import HoursService

from tests.conftest import MONDAY


def _input(sched, **overrides) -> BookingInput:
    values = dict(patient_id=sched["ann"], provider_id=sched["lee"], type_id=sched["type"], day=MONDAY,
                  start="09:00", reason="Physical therapy")
    values.update(overrides)
    return BookingInput(**values)


def _count(ctx, model) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_weekly_series_books_every_date_in_one_series(ctx, sched):
    booked = sched["book"].book_series(_input(sched), 6)
    days = [b.start_at.astimezone(ctx.timezone).date() for b in booked]
    assert days == [MONDAY + dt.timedelta(weeks=i) for i in range(6)]
    with ctx.db.read() as session:
        series_ids = set(session.scalars(select(Appointment.series_id)))
        assert len(series_ids) == 1 and None not in series_ids
        series = session.get(AppointmentSeries, series_ids.pop())
        assert (series.every_weeks, series.occurrences) == (1, 6)
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "appointment.book")) == 6


def test_every_other_week(ctx, sched):
    booked = sched["book"].book_series(_input(sched), 3, every_weeks=2)
    assert [b.start_at.astimezone(ctx.timezone).date() for b in booked] == [
        MONDAY, MONDAY + dt.timedelta(weeks=2), MONDAY + dt.timedelta(weeks=4)]


def test_conflicts_on_several_dates_are_all_listed_and_nothing_is_saved(ctx, sched, manager_ctx):
    book = sched["book"]
    book.book(_input(sched, patient_id=sched["bob"], day=MONDAY + dt.timedelta(weeks=1), start="09:10"))
    book.book(_input(sched, patient_id=sched["bob"], day=MONDAY + dt.timedelta(weeks=3), start="08:50"))
    HoursService(manager_ctx).add_holiday(MONDAY + dt.timedelta(weeks=4), "Clinic closed")
    with pytest.raises(SeriesConflicts) as refused:
        book.book_series(_input(sched), 6)
    days = [day for day, _ in refused.value.conflicts]
    assert days == [MONDAY + dt.timedelta(weeks=n) for n in (1, 3, 4)]
    assert not refused.value.overridable  # another patient's booking cannot be reasoned away
    assert "already has an appointment 09:10-09:30" in refused.value.message
    assert "nothing was saved" in refused.value.message
    assert _count(ctx, Appointment) == 2
    assert _count(ctx, AppointmentSeries) == 0


def test_soft_conflicts_can_be_overridden_for_the_whole_series(ctx, sched, manager_ctx):
    HoursService(manager_ctx).add_holiday(MONDAY + dt.timedelta(weeks=2), "Staff training")
    with pytest.raises(SeriesConflicts) as refused:
        sched["book"].book_series(_input(sched), 4)
    assert refused.value.overridable
    assert "Give a reason" in refused.value.message
    booked = sched["book"].book_series(_input(sched, override_reason="Doctor will come in for this one"), 4)
    assert len(booked) == 4
    assert all(b.override_reason == "Doctor will come in for this one" for b in booked)


def test_a_date_that_does_not_exist_in_the_series_is_listed(ctx, sched):
    """02:30 on the spring-forward Sunday does not exist: that date is a conflict, not moved."""
    sunday = dt.date(2027, 3, 7)  # DST starts 2027-03-14 in New York
    with pytest.raises(SeriesConflicts) as refused:
        sched["book"].book_series(_input(sched, day=sunday, start="02:30", override_reason="night clinic"), 3)
    assert [day for day, _ in refused.value.conflicts] == [dt.date(2027, 3, 14)]
    assert _count(ctx, Appointment) == 0


@pytest.mark.parametrize(("occurrences", "every", "field"), [
    (1, 1, "occurrences"), (53, 1, "occurrences"), ("six", 1, "occurrences"), (4, 0, "every_weeks"),
])
def test_bad_repeat_counts(sched, occurrences, every, field):
    with pytest.raises(ValidationError) as refused:
        sched["book"].book_series(_input(sched), occurrences, every)
    assert field in refused.value.errors
