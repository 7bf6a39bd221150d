"""The setup wizard on an empty database, and logging in and out."""

from __future__ import annotations

from textual.widgets import Label

from officeconsole.services.security import auth
from officeconsole.tui.screens.login import LoginScreen
from officeconsole.tui.screens.patients import PatientsScreen
from officeconsole.tui.screens.practice_setup import PracticeSetupScreen
from officeconsole.tui.screens.schedule import ScheduleScreen
from officeconsole.tui.screens.setup import SetupScreen

from tests.tui.conftest import login, settle, type_text


async def test_setup_wizard_creates_clinic_and_logs_in(make_app, ctx):
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SetupScreen)
        await type_text(pilot, "Oak Clinic")
        await pilot.press("tab", "tab")
        await type_text(pilot, "boss")
        await pilot.press("tab")
        await type_text(pilot, "Bo Boss")
        await pilot.press("tab")
        await type_text(pilot, "short")
        await pilot.press("tab")
        await type_text(pilot, "short")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SetupScreen)
        assert "at least 8 characters" in str(app.screen.query_one("#field-password .field-error", Label).render())
        assert auth.needs_setup(ctx.db)
        app.screen.query_one("#password").value = "long enough"
        app.screen.query_one("#password_again").value = "long enough"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PracticeSetupScreen)  # nothing can be booked yet: set up first
        assert isinstance(app.screen_stack[-2], PatientsScreen)
        assert app.ctx.actor.username == "boss"
        header = str(app.screen.query_one("#header-user", Label).render())
        assert "Bo Boss" in header and "Manager" in header
    assert not auth.needs_setup(ctx.db)


async def test_login_wrong_password_then_right(make_app, clinic):
    app = make_app(notice="Demo logins: desk / correct horse")
    async with app.run_test(size=(100, 32)) as pilot:
        await login(pilot, "desk", "nope nope", typed=True)  # the one login typed key by key
        assert isinstance(app.screen, LoginScreen)
        assert "Unknown username or wrong password" in str(app.screen.query_one("#login-error", Label).render())
        assert app.screen.query_one("#password").value == ""
        await type_text(pilot, "correct horse")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ScheduleScreen)  # the front desk's home
        assert isinstance(app.screen_stack[-2], PatientsScreen)


async def test_unknown_user_gets_the_same_message(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await login(pilot, "nobody")
        assert "Unknown username or wrong password" in str(app.screen.query_one("#login-error", Label).render())


async def test_logout_returns_to_a_clean_login(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await login(pilot, "desk")
        assert isinstance(app.screen, PatientsScreen)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.ctx.actor is None
        assert app.screen.query_one("#username").value == ""
        assert not [s for s in app.screen_stack if isinstance(s, PatientsScreen)]


async def test_logging_out_from_a_busy_screen_shows_no_stale_error(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "manager")
        for key in ("f5", "f6"):  # screens whose loads were still running or resumed underneath
            await pilot.press(key)
            await settle(pilot)
            await pilot.press("ctrl+l")
            await settle(pilot)
            await app.workers.wait_for_complete()
            await settle(pilot)
            assert isinstance(app.screen, LoginScreen)
            messages = [n.message for n in app._notifications]
            assert not [m for m in messages if "log in first" in m], messages
            await login(pilot, "manager")


def test_the_login_screen_is_drawn_before_the_database_libraries_load():
    """What the console imports to draw its login screen leaves SQLAlchemy, the models and the
    phone and e-mail validators to the worker that opens the database: they cost more to import
    than Textual itself, and the first frame would wait for them."""
    import subprocess
    import sys

    heavy = ("sqlalchemy", "officeconsole.models", "phonenumbers", "email_validator", "simple_icd_10_cm")
    code = ("import sys; import officeconsole.cli, officeconsole.tui.app, officeconsole.tui.screens.login; "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
