"""The shared reception PC by keyboard: the idle lock hides every screen and toast; the same
person unlocks where they were; someone else switching in never sees the last person's unsaved
form; five wrong passwords lock an account; a PIN set from the palette unlocks during the day;
a role is denied what it may not do; no key reaches the screens behind the lock."""

from __future__ import annotations

import html
import re
from time import monotonic

from textual.widgets import Input, Label

from officeconsole.tui.modals.pin_form import PinModal
from officeconsole.tui.screens.lock import LockScreen
from officeconsole.tui.screens.login import LoginScreen
from officeconsole.tui.screens.patient_form import PatientFormScreen
from officeconsole.tui.screens.patient_record import PatientRecordScreen
from officeconsole.tui.screens.patients import PatientsScreen

from tests.factories import PASSWORD, register
from tests.tui.conftest import login, open_record, settle, type_text


def on_screen(app) -> str:
    """Everything drawn on the terminal right now, as plain text (the screenshot without its SVG)."""
    svg = app.export_screenshot()
    body = svg[svg.index("<g class"):]  # after the style sheet and fonts
    return html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " ")


def every_input_value(app) -> list[str]:
    return [widget.value for screen in app.screen_stack for widget in screen.query(Input)]


async def go_idle(pilot) -> None:
    pilot.app.last_input = monotonic() - pilot.app.idle_lock_minutes * 60 - 1
    await pilot.pause(0.3)  # the idle check runs every IDLE_CHECK_SECONDS
    await settle(pilot)


async def unlock_as(pilot, username: str | None, secret: str) -> None:
    """Type into the lock screen, which opens with the cursor in PIN/password."""
    if username is not None:
        await pilot.press("shift+tab", "ctrl+u")  # back to the username, cleared
        await type_text(pilot, username)
        await pilot.press("tab")
    await type_text(pilot, secret)
    await pilot.press("enter")
    await settle(pilot)


async def test_idle_lock_hides_the_record_and_the_same_person_carries_on(make_app, desk_ctx):
    register(desk_ctx, last_name="Quintero", first_name="Rosalind")
    app = make_app()
    app.IDLE_CHECK_SECONDS = 0.05
    async with app.run_test(size=(120, 36)) as pilot:
        await login(pilot, "desk")
        await open_record(pilot, "quintero")
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, PatientFormScreen)
        app.screen.query_one("#city").value = "Half-typed City"
        app.notify("Saved Quintero, Rosalind.")
        await go_idle(pilot)
        assert isinstance(app.screen, LockScreen)
        drawn = on_screen(app)
        assert "Quintero" not in drawn and "Rosalind" not in drawn and "Half-typed" not in drawn
        assert "locked at" in drawn and "Dana Desk was signed in (idle 5 minutes)" in drawn
        for key in ("f2", "f4", "ctrl+p", "escape", "ctrl+l"):  # nothing gets behind the lock
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, LockScreen)
        await unlock_as(pilot, None, "wrong one")
        assert "Unknown username or wrong password." in str(app.screen.query_one("#lock-error", Label).render())
        await unlock_as(pilot, None, PASSWORD)
        assert isinstance(app.screen, PatientFormScreen)  # their own form, as they left it
        assert app.screen.query_one("#city").value == "Half-typed City"


async def test_someone_else_switching_in_never_sees_the_last_form(make_app, desk_ctx):
    register(desk_ctx, last_name="Quintero", first_name="Rosalind")
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await login(pilot, "desk")
        await open_record(pilot, "quintero")
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#city").value = "Half-typed City"
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        await unlock_as(pilot, "biller", PASSWORD)
        assert app.ctx.actor.username == "biller"
        assert [type(s) for s in app.screen_stack[1:]] == [LoginScreen, PatientsScreen]
        assert not any("Half-typed" in value or "quintero" in value.lower() for value in every_input_value(app))
        assert "Half-typed" not in on_screen(app)
        await pilot.press("f12")  # the biller locks it; the desk comes back to a fresh session
        await settle(pilot)
        await unlock_as(pilot, "desk", PASSWORD)
        assert app.ctx.actor.username == "desk"
        assert not any(isinstance(s, (PatientFormScreen, PatientRecordScreen)) for s in app.screen_stack)


async def test_five_wrong_passwords_lock_the_account_and_a_role_is_denied(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        for attempt in range(5):
            if attempt:
                app.screen.reset()  # a fresh form, as after Esc
            await login(pilot, "desk", "not my password")
            assert isinstance(app.screen, LoginScreen)
        error = str(app.screen.query_one("#login-error", Label).render())
        assert error.startswith("Too many failed attempts: desk is locked until 10:15.")
        app.screen.reset()
        await login(pilot, "desk")  # the right password, still locked
        assert isinstance(app.screen, LoginScreen)
        assert "locked until 10:15" in str(app.screen.query_one("#login-error", Label).render())
        app.screen.reset()
        await login(pilot, "biller")  # the rest of the desk is not locked out
        assert isinstance(app.screen, PatientsScreen)
        await pilot.press("f8", "u")  # the biller may not unlock anyone
        await settle(pilot)
        assert any(n.message == "Permission denied: a Billing user may not manage users."
                   for n in app._notifications)


async def test_a_pin_set_from_the_palette_unlocks_during_the_day(make_app, clinic, as_role):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await login(pilot, "desk")
        await pilot.press("ctrl+p")
        await type_text(pilot, "set my pin")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PinModal)
        await type_text(pilot, PASSWORD)
        await pilot.press("enter")
        await type_text(pilot, "1234")
        await pilot.press("enter")
        await type_text(pilot, "1234")
        await pilot.press("enter")
        await settle(pilot)
        assert "run like 1234" in str(app.screen.query_one("#field-pin .field-error").render())
        app.screen.query_one("#password").value = PASSWORD
        app.screen.query_one("#pin").value = "4826"
        app.screen.query_one("#pin_again").value = "4826"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, PinModal)
        await pilot.press("f12")
        await settle(pilot)
        await unlock_as(pilot, None, "4826")
        assert not isinstance(app.screen, LockScreen) and app.ctx.actor.username == "desk"


async def test_an_idle_lock_changed_elsewhere_reaches_an_open_console(make_app, clinic, manager_ctx):
    from officeconsole.services.security.sign_in import SignInService

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "desk")
        assert app.idle_lock_minutes == 5
        SignInService(manager_ctx).set_rules(idle_lock_minutes=2)  # `user sign-in-rules` at another PC
        for _ in range(app.SETTINGS_EVERY_CHECKS):
            app.lock_when_idle()
        await settle(pilot)
        assert app.idle_lock_minutes == 2
