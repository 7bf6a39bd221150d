"""The staff directory (F8) by keyboard: the credential alert strip, a manager fixing a provider's
NPI (a wrong check digit refused beside the field, nothing lost, then saved) and adding a
credential; the front desk reading but refused the edit keys; a provider asking for time off
over a booked appointment; and the schedule's line of who is on duty."""

from __future__ import annotations

import datetime as dt
import io

from rich.console import Console
from textual.widgets import DataTable, Input, Label, Static

from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.scheduling.hours import HoursService
from officeconsole.services.staffing.credentials import CredentialInput, CredentialService
from officeconsole.services.staffing.roster import RosterService, ShiftInput
from officeconsole.services.staffing.staff import StaffRow, StaffService
from officeconsole.services.staffing.time_off import TimeOffService
from officeconsole.tui.modals.credential_form import CredentialFormModal
from officeconsole.tui.modals.staff_form import StaffFormModal
from officeconsole.tui.modals.time_off_form import TimeOffFormModal
from officeconsole.tui.screens.schedule import ScheduleScreen
from officeconsole.tui.screens.staff import StaffScreen
from officeconsole.tui.widgets.form_field import FormField

from tests.conftest import MONDAY, NOW
from tests.tui.conftest import login, settle, type_text


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


def shown(widget: Static) -> str:
    """What a Static holding a Rich renderable (a grid, a styled line) shows, as plain text."""
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(widget.content)
    return console.export_text()


def field_error(app, field: str) -> str:
    return str(app.screen.query_one(f"#field-{field}", FormField).query_one(".field-error", Label).render())


def lee(ctx) -> StaffRow:
    return next(r for r in StaffService(ctx).directory() if r.username == "drlee")


async def open_staff(pilot, who: str) -> StaffScreen:
    await login(pilot, who)
    await pilot.press("f8")
    await settle(pilot)
    assert isinstance(pilot.app.screen, StaffScreen)
    return pilot.app.screen


async def test_manager_sees_alerts_fixes_an_npi_and_adds_a_credential(make_app, manager_ctx, clinic):
    doctor = clinic.actors["provider"].user_id
    CredentialService(manager_ctx).add_credential(CredentialInput(
        doctor, "state_licence", "Illinois medical licence", "036-123456", "IL", NOW.date() + dt.timedelta(days=20)))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_staff(pilot, "manager")
        strip = shown(screen.query_one("#alerts", Static))
        assert "Avery Lee: Illinois medical licence expires 12/13/2026 (in 20 days)" in strip
        staff = screen.query_one("#staff", DataTable)
        assert staff.row_count == 5
        await pilot.press("slash")
        await type_text(pilot, "lee")
        await pilot.press("enter")  # into the list, on the one match
        assert staff.has_focus and staff.row_count == 1 and screen.person.name == "Avery Lee"
        assert "⚠ 30 days" in str(staff.get_row_at(0)[-1])

        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, StaffFormModal)
        await type_text(pilot, "GP")  # the job title
        app.screen.query_one("#phone", Input).value = "2175550199"
        app.screen.query_one("#npi", Input).value = "1234567890"  # a wrong check digit
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, StaffFormModal)  # refused, still open, nothing lost
        assert "1234567890 is not a valid NPI" in field_error(app, "npi")
        assert app.screen.focused.id == "npi" and app.screen.query_one("#phone", Input).value == "2175550199"
        assert app.screen.query_one("#job_title", Input).value == "GP"
        assert lee(manager_ctx).npi == "1234567893"
        app.screen.query_one("#npi", Input).value = ""
        await type_text(pilot, "1245319599")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        saved = lee(manager_ctx)
        assert (saved.npi, saved.phone, saved.job_title) == ("1245319599", "(217) 555-0199", "GP")
        assert str(staff.get_row_at(0)[-2]) == "1245319599"  # NPI (no e-mail column at 120)

        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, CredentialFormModal)
        await pilot.press("enter", "down", "enter")  # Kind: State licence -> DEA registration
        await pilot.press("tab")
        await type_text(pilot, "DEA")
        app.screen.query_one("#number", Input).value = "AB1234567"  # a bad check digit: refused beside it
        app.screen.query_one("#expires_on", Input).value = "06/30/2028"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "DEA number" in field_error(app, "number")
        app.screen.query_one("#number", Input).value = "ab1234563"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        credentials = screen.query_one("#credentials", DataTable)
        assert [str(credentials.get_row_at(n)[0]) for n in range(credentials.row_count)] == [
            "DEA registration", "State licence"]
        assert [(c.kind, c.number) for c in CredentialService(manager_ctx).for_user(doctor)] == [
            ("dea", "AB1234563"), ("state_licence", "036-123456")]

        await pilot.press("enter")  # into Avery Lee's credentials
        await pilot.press("down", "enter")  # the licence: renewed
        await settle(pilot)
        assert isinstance(app.screen, CredentialFormModal)
        app.screen.query_one("#expires_on", Input).value = "11/30/2028"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "No credential has expired" in shown(screen.query_one("#alerts", Static))
        await pilot.press("up", "x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert [c.kind for c in CredentialService(manager_ctx).for_user(doctor)] == ["state_licence"]
        assert credentials.row_count == 1


async def test_front_desk_reads_the_directory_but_cannot_edit(make_app, manager_ctx, clinic):
    doctor = clinic.actors["provider"].user_id
    CredentialService(manager_ctx).add_credential(CredentialInput(
        doctor, "cpr_bls", "BLS", "", "AHA", NOW.date() - dt.timedelta(days=2)))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_staff(pilot, "desk")
        assert "Avery Lee: BLS expired 11/21/2026" in shown(screen.query_one("#alerts", Static))
        staff = screen.query_one("#staff", DataTable)
        names = [str(staff.get_row_at(n)[0]) for n in range(staff.row_count)]
        row = names.index("Avery Lee")
        assert str(staff.get_row_at(row)[-1]) == "⚠ expired"
        await pilot.press(*["down"] * row)
        await settle(pilot)
        assert "NPI          1234567893" in shown(screen.query_one("#details", Static))
        for key in ("e", "n"):
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is screen
        refusal = "Permission denied: a Front Desk user may not edit staff details and credentials."
        assert notes(app).count(refusal) == 2
        await pilot.press("enter")  # into the credentials: readable, Enter there refused
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and notes(app).count(refusal) == 3
        assert str(screen.query_one("#credentials", DataTable).get_row_at(0)[-1]) == "BLS"
        await pilot.press("escape", "escape")  # credentials -> list -> back out
        await settle(pilot)
        assert not isinstance(app.screen, StaffScreen)


async def test_provider_asks_for_time_off_over_a_booked_appointment(make_app, sched, manager_ctx, clinic):
    sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_staff(pilot, "drlee")
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, TimeOffFormModal)
        assert "Avery Lee" in str(app.screen.query_one("#time-off-title", Label).render())
        await type_text(pilot, "12/01/2026")
        app.screen.query_one("#last_day", Input).value = "11/30/2026"  # before the first: refused beside it
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "before the first" in field_error(app, "last_day")
        assert app.screen.focused.id == "last_day"
        app.screen.query_one("#first_day", Input).value = "11/30/2026"
        app.screen.query_one("#last_day", Input).value = "12/01/2026"
        await pilot.press("tab", "tab")  # last day -> kind -> note
        await type_text(pilot, "CME")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, StaffScreen), notes(app)
        asked = "Time off asked for Avery Lee: Mon 11/30 - Tue 12/01/2026 (vacation)."
        assert any(n.startswith(asked) for n in notes(app)), notes(app)
        assert ("1 appointment is booked in those days: they will need moving if approved. "
                "Mon 11/30 09:00 Testperson, Ann.") in notes(app)
    [asked] = TimeOffService(manager_ctx).requests()
    assert (asked.user_id, asked.status, asked.note) == (clinic.actors["provider"].user_id, "requested",
                                                         "CME")


async def test_schedule_shows_who_is_on_duty_for_the_day_shown(make_app, manager_ctx, clinic):
    roster = RosterService(manager_ctx)
    today = NOW.date()
    roster.add_shift(ShiftInput(clinic.actors["front_desk"].user_id, today, "07:30", "12:30"))
    roster.add_shift(ShiftInput(clinic.actors["billing"].user_id, today, "12:30", "17:00"))
    HoursService(manager_ctx).set_day(clinic.provider_id, today, [("08:00", "17:00")])  # providers: their hours
    roster.add_shift(ShiftInput(clinic.actors["front_desk"].user_id, today + dt.timedelta(days=1), "12:30", "17:00"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "desk", home=True)
        screen = app.screen
        assert isinstance(screen, ScheduleScreen)
        duty = screen.query_one("#on-duty", Label)
        assert str(duty.render()) == ("On duty: Front Desk: Dana 07:30-12:30 · Provider: Avery 08:00-17:00 · "
                                      "Billing: Billie 12:30-17:00")
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert str(duty.render()) == "On duty: Front Desk: Dana 12:30-17:00"
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert str(duty.render()) == "On duty: nobody is on the rota this day."


def test_staff_screen_snapshot(snap_compare, make_app, manager_ctx, clinic):
    doctor = clinic.actors["provider"].user_id
    credentials = CredentialService(manager_ctx)
    credentials.add_credential(CredentialInput(doctor, "state_licence", "Illinois medical licence", "036-123456", "IL",
                                               NOW.date() + dt.timedelta(days=20)))
    credentials.add_credential(CredentialInput(doctor, "board", "ABFM [board]", "", "ABFM"))

    async def before(pilot):
        await login(pilot, "manager")
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("down", "down", "down", "down", "enter")  # Avery Lee, the last: into the credentials
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=before)
