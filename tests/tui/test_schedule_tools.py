"""The slot finder, recurring bookings and the waitlist, driven from the schedule by keyboard."""

from __future__ import annotations

import datetime as dt

from textual.widgets import Label

from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.tui.modals.booking_form import BookingModal
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.find_slot import FindSlotModal
from officeconsole.tui.modals.waitlist import WaitlistModal
from officeconsole.tui.modals.waitlist_form import WaitlistFormModal
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.conftest import MONDAY
from tests.tui.conftest import login, settle, type_text


def _text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Label).render())


async def _go_to(pilot, day: dt.date) -> None:
    await pilot.press("g")
    await type_text(pilot, f"{day:%m/%d/%Y}")
    await pilot.press("enter")
    await settle(pilot)


async def test_find_a_slot_then_book_it(make_app, sched):
    for start in ("08:00", "08:20", "08:40"):  # Lee's Monday morning starts full
        sched["book"].book(BookingInput(sched["bob"], sched["lee"], sched["type"], MONDAY, start))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "desk", home=True)
        schedule = app.screen
        await pilot.press("f")
        await settle(pilot)
        finder = app.screen
        assert isinstance(finder, FindSlotModal)
        finder.query_one("#provider_id").value = str(sched["lee"])
        finder.query_one("#after").value = f"{MONDAY:%m/%d/%Y}"
        finder.query_one("#weekdays").value = "mon fri"
        await pilot.press("ctrl+s")
        await settle(pilot)
        table = finder.query_one("#slots", ResultsTable)
        assert table.has_focus
        assert table.row(0) == ("Mon 11/30/2026", "09:00-09:20", "Avery Lee", "20", "")
        finder.query_one("#weekdays").value = "someday"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "not a weekday" in str(finder.query_one("#field-weekdays .field-error", Label).render())
        finder.query_one("#weekdays").value = "mon"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("down", "enter")  # the second slot: 09:20
        await settle(pilot)
        form = app.screen
        assert isinstance(form, BookingModal)
        assert form.query_one("#start").value == "09:20" and form.query_one("#day").value == "11/30/2026"
        await type_text(pilot, "testperson, ann")
        await settle(pilot)
        await pilot.press("enter", "ctrl+s")
        await settle(pilot)
        assert app.screen is schedule and schedule.plan.day == MONDAY
        assert ("Testperson, Ann", "09:20") in [(r.patient_name, f"{r.start:%H:%M}") for r in schedule.plan.rows]


async def test_recurring_booking_lists_conflicts_then_books_all(make_app, sched):
    clash = MONDAY + dt.timedelta(weeks=2)
    sched["book"].book(BookingInput(sched["bob"], sched["lee"], sched["type"], clash, "09:10"))
    app = make_app()
    async with app.run_test(size=(120, 44)) as pilot:
        await login(pilot, "desk", home=True)
        schedule = app.screen
        await _go_to(pilot, MONDAY)
        await pilot.press(*["up"] * 40, *["down"] * 12)  # 09:00, Avery Lee
        await pilot.press("b")
        await settle(pilot)
        await type_text(pilot, "testperson, ann")
        await settle(pilot)
        await pilot.press("enter")
        app.screen.query_one("#occurrences").value = "4"
        await pilot.press("ctrl+s")
        await settle(pilot)
        message = _text(app.screen, "#booking-error")
        assert "nothing was saved" in message and "Mon 12/14/2026: Avery Lee already has an appointment" in message
        app.screen.query_one("#start").value = "09:40"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is schedule
        with app.ctx.db.read() as session:
            from sqlalchemy import select

            from officeconsole.models import Appointment
            starts = session.scalars(select(Appointment.start_at).where(Appointment.patient_id == sched["ann"])
                                     .order_by(Appointment.start_at)).all()
        assert [s.astimezone(app.ctx.timezone).strftime("%m/%d %H:%M") for s in starts] == [
            "11/30 09:40", "12/07 09:40", "12/14 09:40", "12/21 09:40"]


async def test_waitlist_from_a_booking_to_a_freed_slot(make_app, sched):
    later = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"],
                                            MONDAY + dt.timedelta(weeks=2), "10:00"))
    soon = MONDAY + dt.timedelta(days=1)
    filler = [sched["book"].book(BookingInput(sched["bob"], sched["lee"], sched["type"], soon,
                                              dt.time(8 + (i * 20) // 60, (i * 20) % 60)))
              for i in range(12)] + [
              sched["book"].book(BookingInput(sched["bob"], sched["lee"], sched["type"], soon,
                                              dt.time(13 + (i * 20) // 60, (i * 20) % 60)))
              for i in range(12)]
    app = make_app()
    async with app.run_test(size=(130, 44)) as pilot:
        await login(pilot, "desk", home=True)
        schedule = app.screen
        await _go_to(pilot, later.start_at.astimezone(app.ctx.timezone).date())
        await pilot.press("l", "e")  # the list's only row is Ann's booking
        await settle(pilot)
        assert isinstance(app.screen, WaitlistFormModal)
        assert "would like an earlier slot than Mon 12/14/2026 10:00" in _text(app.screen, "#waitlist-booking")
        await type_text(pilot, "tue")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is schedule
        await _go_to(pilot, soon)
        assert not schedule.query_one("#waitlist-line").has_class("-shown")  # Tuesday is full
        sched["book"].cancel(filler[3].id, filler[3].version, "patient_cancelled")  # 09:00 frees up
        await pilot.press("right_square_bracket", "left_square_bracket")
        await settle(pilot)
        assert _text(schedule, "#waitlist-line") == (
            "⚑ Waitlist: Testperson, Ann could take 09:00 with Avery Lee (w)")
        await pilot.press("w")
        await settle(pilot)
        panel = app.screen
        assert isinstance(panel, WaitlistModal)
        assert panel.query_one("#matches", ResultsTable).row(0)[:3] == ("09:00-09:20", "Avery Lee", "Testperson, Ann")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        assert panel.query_one("#matches", ResultsTable).row_count == 0
        assert panel.query_one("#waiting", ResultsTable).row_count == 0
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is schedule
        ann = [r for r in schedule.plan.rows if r.patient_name == "Testperson, Ann"]
        assert [(f"{r.start:%m/%d %H:%M}", r.id) for r in ann] == [("12/01 09:00", later.id)]
        assert not schedule.query_one("#waitlist-line").has_class("-shown")
