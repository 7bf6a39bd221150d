"""The Roster screen (F7) by keyboard: next week's rota built from last week's, a coverage gap
seen and fixed, a provider's time off approved with the appointments to move listed, bad
shifts refused inside the form, removing one of two shifts, the front desk reading only;
one layout snapshot of the rota."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import Input

from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.scheduling.hours import HoursService
from officeconsole.services.staffing.credentials import CredentialInput, CredentialService
from officeconsole.services.staffing.roster import RosterService, ShiftInput
from officeconsole.services.staffing.time_off import TimeOffService
from officeconsole.tui.modals.choice import ChoiceModal
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.notice_list import NoticeListModal
from officeconsole.tui.modals.reason import ReasonModal
from officeconsole.tui.modals.shift_form import ShiftFormModal
from officeconsole.tui.screens.roster import RosterScreen
from officeconsole.tui.widgets.results_table import ResultsTable
from officeconsole.tui.widgets.rota_grid import RotaGrid

from tests.conftest import MONDAY
from tests.tui.conftest import login, settle, type_text

LAST_MONDAY = MONDAY - dt.timedelta(days=7)  # 11/23, today
DAY = dt.timedelta(days=1)


@pytest.fixture
def rota(manager_ctx, clinic):
    """Front desk covered 08-17 (at least one), two front-desk templates, last week's shifts:
    Dana Desk all day but Wednesday morning only; Avery Lee (provider) works Monday to Friday by
    their provider hours (the rota shows them; providers have no shifts)."""
    roster = RosterService(manager_ctx)
    roster.set_rule("front_desk", 1, "08:00", "17:00")
    roster.add_template("Front AM", "front_desk", "08:00", "12:00")
    roster.add_template("Front PM", "front_desk", "12:00", "17:00")
    desk = clinic.actors["front_desk"].user_id
    HoursService(manager_ctx).set_week(clinic.provider_id, {n: [("08:00", "17:00")] for n in range(5)})
    for n in range(5):
        roster.add_shift(ShiftInput(desk, LAST_MONDAY + n * DAY, "08:00", "12:00" if n == 2 else "17:00"))
    return roster


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def field_error(app, field: str) -> str:
    return text(app, f"#field-{field} .field-error")


def rows(app, selector: str) -> list[tuple[str, ...]]:
    table = app.screen.query_one(selector, ResultsTable)
    return [tuple(cell.strip() for cell in table.row(n)) for n in range(table.row_count)]


def cell(app, name: str, day: dt.date) -> list[str]:
    grid = app.screen.query_one("#rota", RotaGrid)
    person = next(n for n, p in enumerate(grid.people) if p.name == name)
    return grid.cell_text(person, grid.week.days.index(day))


async def open_roster(pilot, username: str = "manager") -> None:
    await login(pilot, username)
    await pilot.press("f7")
    await settle(pilot)
    assert isinstance(pilot.app.screen, RosterScreen)


async def test_manager_builds_next_week_fixes_a_gap_and_approves_time_off(make_app, rota, sched, clinic, as_role):
    ann = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY + DAY, "09:00"))
    doctor = clinic.actors["provider"].user_id
    TimeOffService(as_role("provider")).request(doctor, MONDAY + DAY, None, "training", "conference")
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await open_roster(pilot)
        assert text(app, "#week-title").startswith(
            "Rota · week of Mon 11/23/2026 to Sun 11/29/2026 (this week) · 5 shifts, 120 h with providers' hours · "
            "1 coverage gap")
        assert cell(app, "Dana Desk", LAST_MONDAY + 2 * DAY) == ["08:00-12:00"]
        assert cell(app, "Avery Lee", LAST_MONDAY) == ["08:00-12:00", "13:00-17:00"]  # their hours, read-only
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert text(app, "#week-title").startswith(
            "Rota · week of Mon 11/30/2026 to Sun 12/06/2026 · 0 shifts, 80 h with providers' hours · "
            "5 coverage gaps")
        assert rows(app, "#requests") == [("pending", "Avery Lee", "Tue 12/01/2026", "training", "1", "conference")]

        # The provider's day off: approved from the requests, and the visit booked in it listed.
        await pilot.press("o", "y")
        await settle(pilot)
        assert isinstance(app.screen, NoticeListModal)
        assert "Avery Lee is off Tue 12/01/2026 (training)" in text(app, "#notice-message")
        assert rows(app, "#notice-rows") == [("Tue 12/01 09:00", "Testperson, Ann", "(415) 555-2671", "scheduled")]
        await pilot.press("escape")
        await settle(pilot)
        assert messages(app)[-1] == "Approved: Avery Lee, training, Tue 12/01/2026."
        assert rows(app, "#requests")[0][0] == "approved"
        assert cell(app, "Avery Lee", MONDAY + DAY) == ["off: training"]
        assert ann.id == TimeOffService(as_role("manager")).requests()[0].booked[0].appointment_id

        # Last week's rota copied in: the front desk's shifts (providers work by their hours).
        await pilot.press("o", "c")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        assert messages(app)[-1] == "5 copied, 0 skipped."
        assert isinstance(app.screen, RosterScreen)
        assert cell(app, "Dana Desk", MONDAY) == ["08:00-17:00"]
        assert cell(app, "Avery Lee", MONDAY) == ["08:00-12:00", "13:00-17:00"]

        # Wednesday afternoon has nobody at the front desk: the gap is listed and its day marked.
        assert rows(app, "#gaps") == [("⚠ Wed 12/02 12:00-17:00: Front Desk 0 of 1",)]
        grid = app.screen.query_one("#rota", RotaGrid)
        assert grid.gap_days == {MONDAY + 2 * DAY}
        await pilot.press("right", "right")  # Dana Desk is the first row: Monday -> Wednesday
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ShiftFormModal)
        await pilot.press("tab")  # from the templates into Start
        app.screen.query_one("#start", Input).value = ""
        await type_text(pilot, "12:00")
        await pilot.press("tab")
        app.screen.query_one("#end", Input).value = ""
        await type_text(pilot, "17:00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RosterScreen)
        assert messages(app)[-1] == "Added: Dana Desk Wed 12/02 12:00-17:00."
        assert cell(app, "Dana Desk", MONDAY + 2 * DAY) == ["08:00-12:00", "12:00-17:00"]
        assert rows(app, "#gaps") == [] and grid.gap_days == set()
        assert text(app, "#gaps-title") == "Coverage: every rule met this week ✓"
        assert grid._hours[0] == ("45 h ⚠", True)  # Dana Desk: 4 x 9 + 4 + 5 hours, over 40
    assert len([s for s in rota.week(MONDAY).shifts if s.source == "shift"]) == 6


async def test_bad_shifts_refused_in_the_form_one_of_two_removed_a_template_by_number_a_denial(
        make_app, rota, clinic, as_role):
    desk = clinic.actors["front_desk"].user_id
    rota.add_shift(ShiftInput(desk, MONDAY, "08:00", "12:00"))
    TimeOffService(as_role("front_desk")).request(desk, MONDAY + 3 * DAY, None, "vacation")
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await open_roster(pilot)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        await pilot.press("enter")  # Dana Desk, Monday
        await settle(pilot)
        assert isinstance(app.screen, ShiftFormModal)
        start, end = app.screen.query_one("#start", Input), app.screen.query_one("#end", Input)
        assert (start.value, end.value) == ("08:00", "12:00")  # the first template, highlighted
        start.value, end.value = "17:00", "09:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ShiftFormModal)
        assert field_error(app, "end") == "The shift ends (09:00) before it starts (17:00)."
        assert (start.value, end.value) == ("17:00", "09:00")  # nothing lost
        start.value, end.value = "11:00", "13:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert field_error(app, "start") == ("Dana Desk already works 08:00-12:00 that day: shifts for one person "
                                             "cannot overlap.")
        assert field_error(app, "end") == ""
        start.value, end.value = "12:30", "17:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RosterScreen)
        assert cell(app, "Dana Desk", MONDAY) == ["08:00-12:00", "12:30-17:00"]

        # Two shifts in the cell: which one, then are you sure.
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceModal)
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert text(app, "#confirm-question") == "Remove Dana Desk's shift on Monday 11/30/2026, 12:30-17:00?"
        await pilot.press("y")
        await settle(pilot)
        assert messages(app)[-1] == "Removed: Dana Desk Mon 11/30 12:30-17:00."
        assert cell(app, "Dana Desk", MONDAY) == ["08:00-12:00"]
        await pilot.press("a", "2")  # Front PM, by its number
        await settle(pilot)
        assert isinstance(app.screen, RosterScreen)
        assert cell(app, "Dana Desk", MONDAY) == ["08:00-12:00", "12:00-17:00"]
        assert rota.week(MONDAY).cell(desk, MONDAY)[1].template == "Front PM"
        await pilot.press("down", "d")  # Billie Biller has no shift
        assert messages(app)[-1] == "There is no shift in this cell to remove."

        # Denying asks why, and will not go on without a reason.
        await pilot.press("o", "n")
        await settle(pilot)
        assert isinstance(app.screen, ReasonModal)
        await pilot.press("enter")
        assert isinstance(app.screen, ReasonModal)
        await type_text(pilot, "busy")
        await pilot.press("enter")
        await settle(pilot)
        assert messages(app)[-1] == "Denied: Dana Desk, vacation, Thu 12/03/2026."
        assert rows(app, "#requests")[0][0] == "denied"
    denied = TimeOffService(as_role("manager")).requests()[0]
    assert (denied.status, denied.decision_note) == ("denied", "busy")


async def test_the_manager_clears_a_week_after_saying_yes(make_app, rota, clinic):
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await open_roster(pilot)
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")  # kept
        await settle(pilot)
        assert cell(app, "Dana Desk", LAST_MONDAY) == ["08:00-17:00"]
        await pilot.press("C")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert messages(app)[-1] == "Week of Mon 11/23/2026 cleared: 5 shifts removed."
        assert cell(app, "Dana Desk", LAST_MONDAY) == ["·"]
        assert cell(app, "Avery Lee", LAST_MONDAY) == ["08:00-17:00"]  # their hours stay
    assert not [s for s in rota.week(LAST_MONDAY).shifts if s.source == "shift"]


async def test_the_front_desk_reads_the_rota_but_cannot_change_it(make_app, rota, clinic, as_role, manager_ctx):
    desk, doctor = clinic.actors["front_desk"].user_id, clinic.actors["provider"].user_id
    TimeOffService(as_role("front_desk")).request(desk, MONDAY, None, "vacation")
    CredentialService(manager_ctx).add_credential(CredentialInput(
        doctor, "state_licence", "Illinois medical licence", "036-123456", "IL", LAST_MONDAY + 5 * DAY))
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await open_roster(pilot, "desk")
        assert cell(app, "Dana Desk", LAST_MONDAY) == ["08:00-17:00"]
        assert text(app, "#credential-alerts") == ("⚠ Credentials: Avery Lee: Illinois medical licence expires "
                                                   "11/28/2026 (in 5 days) · F8 Staff lists them")
        assert rows(app, "#requests")[0][:3] == ("pending", "Dana Desk", "Mon 11/30/2026")
        for key in ("a", "c", "C", "d"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, RosterScreen)
            assert messages(app)[-1] == "Permission denied: a Front Desk user may not plan shifts and staffing rules."
        await pilot.press("o", "y")
        await settle(pilot)
        assert messages(app)[-1] == "Permission denied: a Front Desk user may not approve or deny time off."
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(app.screen, ReasonModal)
        assert TimeOffService(as_role("manager")).requests()[0].status == "requested"
        await pilot.press("x")  # her own request: she may withdraw it
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        assert messages(app)[-1] == "Cancelled: Dana Desk, vacation, Mon 11/30/2026."
        assert not rows(app, "#requests")  # the list holds this week's and the pending ones
    assert not [s for s in rota.week(MONDAY).shifts if s.source == "shift"]
    assert TimeOffService(as_role("manager")).requests()[0].status == "cancelled"


def test_roster_snapshot(snap_compare, make_app, rota, sched, clinic, as_role, manager_ctx):
    """This week: last week's shifts, Wednesday afternoon short at the front desk, the provider
    off on Thursday, a pending request with a visit booked in it."""
    doctor, desk = clinic.actors["provider"].user_id, clinic.actors["front_desk"].user_id
    rota.add_shift(ShiftInput(desk, LAST_MONDAY + 5 * DAY, "09:00", "13:00"))  # Saturday: 40 + 4 hours
    sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY + DAY, "09:00"))
    off = TimeOffService(manager_ctx).request(doctor, LAST_MONDAY + 4 * DAY, None, "sick")
    TimeOffService(manager_ctx).approve(off.id, off.version)
    TimeOffService(as_role("provider")).request(doctor, MONDAY + DAY, None, "training", "conference")

    async def before(pilot):
        await login(pilot, "manager")
        pilot.app.clear_notifications()  # the manager's reminder of what billing still needs (F10)
        await pilot.press("f7")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(160, 36), run_before=before)


async def test_at_80x24_the_rota_keeps_its_hours_column_while_the_days_scroll(make_app, rota, clinic):
    """The week's hours stay at the right edge, beside the names, however far the days scroll."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_roster(pilot)
        grid = app.screen.query_one("#rota", RotaGrid)
        person = next(n for n, p in enumerate(grid.people) if p.name == "Dana Desk")

        def line(y: int) -> str:
            return grid.render_line(y).text

        dana_y = next(y for y in range(1, grid.size.height) if line(y).startswith(" Dana Desk"))
        for moves in (0, 6):  # Monday in view, then Sunday (the days scrolled sideways)
            grid.cursor = (person, moves)
            await settle(pilot)
            assert line(0).rstrip().endswith("Hours"), line(0)
            assert line(dana_y).rstrip().endswith("40 h"), line(dana_y)  # the week in shifts
        assert "Sun 11/29" in line(0) and grid.scroll_offset.x > 0
