"""The day's schedule in the console: days by key, go to a date, list view, provider filter."""

from __future__ import annotations

from textual.widgets import Label

from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.tui.modals.go_to_date import GoToDateModal
from officeconsole.tui.screens.patient_record import PatientRecordScreen
from officeconsole.tui.screens.patients import PatientsScreen
from officeconsole.tui.screens.schedule import ScheduleScreen
from officeconsole.tui.widgets.results_table import ResultsTable
from officeconsole.tui.widgets.schedule_grid import ScheduleGrid

from tests.conftest import MONDAY
from tests.tui.conftest import login, settle, type_text


def _text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Label).render())


async def test_schedule_days_dates_list_and_filter(make_app, sched):
    sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    sched["book"].book(BookingInput(sched["bob"], sched["kim"], sched["type"], MONDAY, "10:00"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "desk", home=True)  # the front desk lands on today's schedule
        screen = app.screen
        assert isinstance(screen, ScheduleScreen)
        assert _text(screen, "#day-title") == "Monday 11/23/2026"
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert _text(screen, "#day-title") == "Tuesday 11/24/2026"
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, GoToDateModal)
        await type_text(pilot, "31/02/2026")
        await pilot.press("enter")
        assert "is not a date" in str(app.screen.query_one("#date-error", Label).render())
        app.screen.query_one("#date").value = ""
        await type_text(pilot, "11/30/2026")
        await pilot.press("enter")
        await settle(pilot)
        assert _text(screen, "#day-title") == "Monday 11/30/2026"
        assert _text(screen, "#day-counts").startswith("2 booked · ")
        grid = screen.query_one("#grid", ScheduleGrid)
        assert [p.name for p in grid.plan.providers] == ["Avery Lee", "Jo Kim"]
        await pilot.press(*["up"] * 40, *["down"] * 12)  # to the top (08:00), then 09:00
        assert grid.appointment_at_cursor().patient_name == "Testperson, Ann"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("l")
        table = screen.query_one("#list", ResultsTable)
        assert table.has_focus and table.row_count == 2
        assert table.row(1)[3] == "Jo Kim" and "scheduled" in table.row(1)[2]
        await pilot.press("p")
        await settle(pilot)
        assert _text(screen, "#day-title") == "Monday 11/30/2026 · Avery Lee"
        assert table.row_count == 1
        await pilot.press("t")
        await settle(pilot)
        assert _text(screen, "#day-title").startswith("Monday 11/23/2026")
        await pilot.press("escape")  # Patients is underneath
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)



async def test_book_move_and_cancel_with_the_keyboard(make_app, sched):
    from officeconsole.tui.modals.booking_form import BookingModal
    from officeconsole.tui.modals.cancel_appointment import CancelAppointmentModal
    from officeconsole.tui.modals.move_appointment import MoveAppointmentModal

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "desk")
        await pilot.press("f2")
        await settle(pilot)
        screen = app.screen
        await pilot.press("g")
        await type_text(pilot, "11/30/2026")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*["up"] * 40, *["down"] * 12)  # 09:00, Avery Lee
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, BookingModal)
        await type_text(pilot, "testperson, ann")
        await settle(pilot)
        await pilot.press("enter")  # one match: chosen
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        rows = screen.plan.rows
        assert [(r.patient_name, f"{r.start:%H:%M}", r.provider_name) for r in rows] == [
            ("Testperson, Ann", "09:00", "Avery Lee")]

        await pilot.press("b")  # the same time for someone else: refused, nothing lost
        await settle(pilot)
        await type_text(pilot, "testperson, bob")
        await settle(pilot)
        await pilot.press("enter", "ctrl+s")
        await settle(pilot)
        assert "already has an appointment" in str(app.screen.query_one("#booking-error", Label).render())
        app.screen.query_one("#start").value = "09:40"  # a free time: the message goes as soon as it is fixed
        await settle(pilot)
        assert str(app.screen.query_one("#booking-error", Label).render()) == ""
        app.screen.query_one("#start").value = "09:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "already has an appointment" in str(app.screen.query_one("#booking-error", Label).render())
        app.screen.query_one("#start").value = "12:00"  # lunch: needs a reason
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "outside Avery Lee's hours" in str(app.screen.query_one("#booking-error", Label).render())
        assert app.screen.focused.id == "override_reason"
        await type_text(pilot, "only time he can come")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and len(screen.plan.rows) == 2

        await pilot.press("m")  # the cursor is still on Ann at 09:00
        await settle(pilot)
        assert isinstance(app.screen, MoveAppointmentModal)
        app.screen.query_one("#start").value = "10:30"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [f"{r.start:%H:%M}" for r in screen.plan.rows] == ["10:30", "12:00"]

        await pilot.press("l")  # the list view: cancel the first row
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CancelAppointmentModal)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [(f"{r.start:%H:%M}", r.status) for r in screen.plan.rows] == [
            ("10:30", "cancelled"), ("12:00", "scheduled")]
        assert _text(screen, "#day-counts").startswith("1 booked")


async def test_a_closed_day_says_so_and_refuses_a_booking(make_app, sched, manager_ctx, tmp_path):
    from officeconsole.services.operations.closeout import CloseOutService
    from officeconsole.tui.modals.booking_form import BookingModal

    CloseOutService(manager_ctx).close_day(reports_dir=tmp_path)  # today, closed early
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await login(pilot, "desk", home=True)
        screen = app.screen
        assert "Closed by Morgan Manager at 11/23 10:00: read only" in _text(screen, "#day-counts")
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, BookingModal)
        # Said as the form opens, before anything is typed.
        error = app.screen.query_one("#booking-error", Label)
        for _ in range(20):  # the form's first check may still be on its way
            if str(error.render()):
                break
            await settle(pilot)
        assert "Monday 11/23/2026 is closed" in str(error.render())
        await type_text(pilot, "testperson, ann")
        await settle(pilot)
        await pilot.press("enter", "ctrl+s")
        await settle(pilot)
        error = str(app.screen.query_one("#booking-error", Label).render())
        assert "Monday 11/23/2026 is closed" in error and "reopen-day 2026-11-23" in error
        assert isinstance(app.screen, BookingModal)  # the form stays open with what was typed


async def test_every_appointment_is_drawn_on_its_real_start(make_app, sched, desk_ctx):
    """Bookings start on any 5 minutes: 08:15 is on the 08:15 row, two 10:35 visits side by side are on
    the same row, and a 5-minute visit right after another is not hidden under it."""
    from officeconsole.services.scheduling.booking import BookingInput
    from officeconsole.tui.widgets.schedule_grid import ScheduleGrid

    from tests.conftest import MONDAY
    from tests.factories import register

    book = sched["book"]
    cara = register(desk_ctx, first_name="Cara").id
    book.book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "08:15"))
    book.book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "10:35"))
    book.book(BookingInput(sched["bob"], sched["kim"], sched["type"], MONDAY, "10:35"))
    book.book(BookingInput(cara, sched["kim"], sched["type"], MONDAY, "10:55", minutes=5))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "desk")
        await pilot.press("f2", "g")
        await type_text(pilot, "11/30/2026")
        await pilot.press("enter")
        await settle(pilot)
        grid = app.screen.query_one(ScheduleGrid)
        columns = {p.name: n for n, p in enumerate(grid.plan.providers)}

        def first_row(name: str, column: str) -> str:
            index = next(n for n in range(len(grid.times)) if name in grid.cell_text(n, columns[column]))
            return f"{grid.times[index]:%H:%M}"

        assert first_row("Testperson, Ann", "Avery Lee") == "08:15"
        assert [first_row(n, c) for n, c in (("Ann", "Avery Lee"), ("Bob", "Jo Kim"))] == ["08:15", "10:35"]
        row_1035 = grid.times.index(next(t for t in grid.times if f"{t:%H:%M}" == "10:35"))
        assert "Ann" in grid.cell_text(row_1035, columns["Avery Lee"])
        assert "Bob" in grid.cell_text(row_1035, columns["Jo Kim"])
        assert first_row("Cara", "Jo Kim") == "10:55"


async def test_providers_out_of_view_are_named_at_80_columns(make_app, sched, manager_ctx):
    from officeconsole.services.common.identifiers import npi_with_check_digit
    from officeconsole.services.practice.providers import ProviderInput, ProviderService
    from officeconsole.services.security.auth import UserService

    from tests.factories import PASSWORD

    user = UserService(manager_ctx).add("drpark", "Sam Park", "provider", PASSWORD)
    from officeconsole.services.scheduling.hours import HoursService

    from tests.conftest import WEEK

    park = ProviderService(manager_ctx).add(ProviderInput(user.id, npi_with_check_digit("155555555")))
    HoursService(manager_ctx).set_week(park.id, WEEK)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "desk")
        await pilot.press("f2")
        await settle(pilot)
        grid = app.screen.query_one(ScheduleGrid)
        assert len(grid.plan.providers) == 3
        header = "".join(segment.text for segment in grid.render_line(0))
        assert header.rstrip().endswith("+1 provider →")
        await pilot.press("right", "right")
        await settle(pilot)
        header = "".join(segment.text for segment in grid.render_line(0))
        assert header.startswith("← +1") and "Sam Park" in header and "→" not in header


async def test_visits_booked_in_approved_time_off_are_flagged(make_app, sched, clinic, manager_ctx):
    from officeconsole.services.staffing.time_off import TimeOffService
    from officeconsole.tui.widgets.schedule_grid import ScheduleGrid

    sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    asked = TimeOffService(manager_ctx).request(clinic.actors["provider"].user_id, MONDAY, MONDAY, "vacation")
    TimeOffService(manager_ctx).approve(asked.id, asked.version)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "desk")
        await pilot.press("f2", "g")
        await type_text(pilot, "11/30/2026")
        await pilot.press("enter")
        await settle(pilot)
        grid = app.screen.query_one(ScheduleGrid)
        column = next(n for n, p in enumerate(grid.plan.providers) if p.name == "Avery Lee")
        nine = next(n for n, t in enumerate(grid.times) if f"{t:%H:%M}" == "09:00")
        assert grid.cell_text(nine, column).strip() == "⚠ Testperson, Ann"
        assert grid.cell_text(nine + 1, column).strip() == "provider off: vacation"
        await pilot.press("l")
        await settle(pilot)
        listed = app.screen.query_one("#list", ResultsTable)
        assert listed.row(0)[2] == "⚠ provider off (vacation)"


async def test_down_from_the_booking_search_reaches_the_results(make_app, sched):
    from officeconsole.tui.modals.booking_form import BookingModal

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "desk")
        await pilot.press("f2")
        await settle(pilot)  # the day is read before `b` books on it
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, BookingModal)
        await type_text(pilot, "testperson")
        await settle(pilot)
        await pilot.press("down")
        assert app.focused.id == "picker-results"
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen.query_one("#picker").patient.first_name == "Bob"


async def test_today_opens_at_the_current_time_on_a_small_terminal(make_app, sched):
    """At 80x24 the day's first hours fill the grid: it opens scrolled to now (10:00), one row above it."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "desk", home=True)
        grid = app.screen.query_one("#grid", ScheduleGrid)
        row = grid.cursor[0]
        assert grid.times[row].strftime("%H:%M") == "10:00" and row > 20
        assert round(grid.scroll_offset.y) == row - 1


async def test_booking_today_proposes_the_next_free_time_not_one_already_gone(make_app, sched):
    """It is 10:00 on Monday: with the cursor on 09:00, `b` proposes the provider's next free time
    from now (10:05; 10:00 is not later than now), never a time already gone."""
    from officeconsole.tui.modals.booking_form import BookingModal

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "desk", home=True)
        screen = app.screen
        assert isinstance(screen, ScheduleScreen)
        await pilot.press(*["up"] * 40, *["down"] * 12)  # 09:00, Avery Lee: an hour ago
        assert f"{screen.query_one('#grid', ScheduleGrid).times[12]:%H:%M}" == "09:00"
        await pilot.press("b")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, BookingModal)
        assert (form.query_one("#day").value, form.query_one("#start").value) == ("11/23/2026", "10:05")


async def test_at_80_columns_the_legend_and_the_counts_keep_every_meaning(make_app, sched):
    from officeconsole.tui.screens.schedule import LEGEND_MARKS

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "desk", home=True)
        screen = app.screen
        lines = _text(screen, "#legend").splitlines()
        assert len(lines) == 2 and all(len(line) <= 78 for line in lines)  # broken between marks, none cut
        assert all(any(mark in line for line in lines) for mark in LEGEND_MARKS)
        await pilot.press("left_square_bracket")  # Sunday: nobody works
        await settle(pilot)
        counts = _text(screen, "#day-counts")
        assert counts.startswith("Nobody works this day · 0 booked") and len(counts) <= 78
