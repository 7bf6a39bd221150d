"""Provider hours by keyboard: from the rota (F7, h on the provider's row) a week with a lunch
block is typed in, a bad line is refused under its field with nothing lost, the rota then shows
the hours and the schedule grid shows "Lunch" blocked; a change that would leave a booked
visit outside the hours lists it and asks first; an exception and a holiday by keys."""

from __future__ import annotations

import datetime as dt

from textual.widgets import Input

from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.scheduling.hours import HoursService
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.hours_forms import ExceptionFormModal, HolidayFormModal, HolidaysModal, WeekFormModal
from officeconsole.tui.screens.roster import RosterScreen
from officeconsole.tui.screens.schedule import ScheduleScreen
from officeconsole.tui.screens.setup_hours import HoursSetupScreen
from officeconsole.tui.widgets.rota_grid import RotaGrid
from officeconsole.tui.widgets.schedule_grid import ScheduleGrid

from tests.conftest import MONDAY, NOW
from tests.tui.conftest import login, settle, type_text

T = dt.time
TODAY = NOW.date()


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def field_error(app, field: str) -> str:
    return text(app, f"#field-{field} .field-error")


async def open_hours_from_the_rota(pilot, name: str = "Avery Lee") -> None:
    await login(pilot, "manager")
    await pilot.press("f7")
    await settle(pilot)
    assert isinstance(pilot.app.screen, RosterScreen)
    grid = pilot.app.screen.query_one("#rota", RotaGrid)
    for _ in range(next(n for n, p in enumerate(grid.people) if p.name == name)):
        await pilot.press("down")
    await pilot.press("h")
    await settle(pilot)
    assert isinstance(pilot.app.screen, HoursSetupScreen)


async def fill(pilot, field: str, value: str) -> None:
    pilot.app.screen.query_one(f"#{field}", Input).focus()
    pilot.app.screen.query_one(f"#{field}", Input).value = ""
    await type_text(pilot, value)


async def test_a_week_with_a_lunch_block_typed_then_seen_on_the_rota_and_the_schedule(make_app, clinic, manager_ctx):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_hours_from_the_rota(pilot)
        assert "No working hours yet" in text(app, "#hours-templates")
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, WeekFormModal)
        assert app.screen.query_one("#effective_from", Input).value == "11/23/2026"
        for day in ("mon", "tue", "wed", "thu", "fri"):
            await fill(pilot, day, "08:00-17:00")
            await pilot.press("tab")
            await type_text(pilot, "12:00-13:00 Lunch")
        await fill(pilot, "wed", "17:00-08:00")  # a slip on Wednesday
        await fill(pilot, "fri_blocks", "12:00-13:00 Lunch, 16:30-17:30 Meeting")  # past the end of the day
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, WeekFormModal)
        assert field_error(app, "wed") == "Wednesday: 17:00-08:00 ends before it starts."
        assert app.screen.query_one("#wed", Input).value == "17:00-08:00"  # nothing typed lost
        await fill(pilot, "wed", "08:00-17:00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert field_error(app, "fri_blocks") == (
            "Friday: the block 16:30-17:30 is not inside the working hours (08:00-17:00).")
        assert field_error(app, "wed") == ""
        await fill(pilot, "fri_blocks", "12:00-13:00 Lunch")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, HoursSetupScreen)
        shown = text(app, "#hours-templates")
        assert "In force from 11/23/2026 · 40 h/week" in shown
        assert " Mon 08:00-17:00 (blocked 12:00-13:00 Lunch)" in shown

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, RosterScreen)
        grid = app.screen.query_one("#rota", RotaGrid)
        doctor = next(n for n, p in enumerate(grid.people) if p.name == "Avery Lee")
        assert grid.cell_text(doctor, 0) == ["08:00-12:00", "13:00-17:00"]
        assert grid.cell_text(doctor, 5) == ["·"]  # Saturday: not working
        await pilot.press("a")  # a shift for a provider: refused, pointing at the hours
        await settle(pilot)
        assert isinstance(app.screen, RosterScreen)
        assert [n.message for n in app._notifications][-1] == (
            "Avery Lee is a provider: their working time is their provider hours; hours are set in Practice "
            "setup -> Hours (F10 then h; h on the rota).")

        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ScheduleScreen)
        schedule = app.screen.query_one(ScheduleGrid)
        column = next(n for n, p in enumerate(schedule.plan.providers) if p.name == "Avery Lee")
        noon = next(n for n, at in enumerate(schedule.times) if at.time() == T(12))
        assert "Lunch" in schedule.cell_text(noon, column)
        assert schedule.cell_text(noon + 1, column).strip() == "╳"  # still blocked, distinct from closed
        assert schedule.cell_text(noon - 1, column).strip() == "·"  # free working time
    assert HoursService(manager_ctx).intervals(clinic.provider_id, MONDAY) == [(T(8), T(12)), (T(13), T(17))]


async def test_narrower_hours_list_the_booked_visit_and_save_when_confirmed(make_app, sched, manager_ctx):
    sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "15:00"))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_hours_from_the_rota(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert app.screen.query_one("#mon", Input).value == "08:00-12:00, 13:00-17:00"  # the week in force
        await fill(pilot, "mon", "08:00-12:00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        question = text(app, "#confirm-question")
        assert "1 visit booked would fall outside Avery Lee's new hours" in question
        assert "Mon 11/30/2026 15:00  Testperson, Ann  Follow-up  (Avery Lee)" in question
        await pilot.press("n")  # back to the form, everything still typed
        await settle(pilot)
        assert isinstance(app.screen, WeekFormModal)
        assert app.screen.query_one("#mon", Input).value == "08:00-12:00"
        assert HoursService(manager_ctx).intervals(sched["lee"], MONDAY)[-1] == (T(13), T(17))
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, HoursSetupScreen)
        assert HoursService(manager_ctx).intervals(sched["lee"], MONDAY) == [(T(8), T(12))]

        # A day off on one date, then a clinic holiday of the clinic's own.
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ExceptionFormModal)
        await fill(pilot, "day", "12/01/2026")
        await fill(pilot, "note", "dentist")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, HoursSetupScreen)
        assert HoursService(manager_ctx).intervals(sched["lee"], MONDAY + dt.timedelta(days=1)) == []
        assert app.screen.query_one("#hours-exceptions").row(0) == ("Tue 12/01/2026", "off", "dentist")
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, HolidaysModal)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, HolidayFormModal)
        await fill(pilot, "day", "12/02/2026")
        await fill(pilot, "name", "Staff training")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, HolidaysModal)
        assert ("Wed 12/02/2026", "Staff training", "closed") in [
            app.screen.query_one("#holidays").row(n) for n in range(app.screen.query_one("#holidays").row_count)]
    assert HoursService(manager_ctx).intervals(sched["kim"], MONDAY + dt.timedelta(days=2)) == []


async def test_w_pressed_before_the_hours_are_read_opens_the_week_once_they_are(make_app, clinic, manager_ctx):
    """A quick `h` then `w` (the screen still reading its providers and their hours) is not lost:
    the week form opens as soon as there is a week to edit."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "manager")
        screen = HoursSetupScreen()
        await app.push_screen(screen)
        assert screen.current is None  # nothing read yet: the keys came first
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, WeekFormModal)
        assert app.screen.query_one("#mon", Input).value == ""  # a first week: nothing in force yet
