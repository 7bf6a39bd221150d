"""The Practice setup hub (F10): the checklist in two parts, the clinic form by `c`, who may open
it, where a manager lands after the wizard, and the desk's schedule with no provider yet."""

from __future__ import annotations

from textual.widgets import Input, Label, Static

from officeconsole.services.practice.clinic_settings import ClinicSettingsService
from officeconsole.services.security import auth
from officeconsole.services.security.auth import SetupInput, UserService
from officeconsole.tui.modals.clinic_form import ClinicFormModal
from officeconsole.tui.screens.dashboard import DashboardScreen
from officeconsole.tui.screens.patients import PatientsScreen
from officeconsole.tui.screens.practice_setup import PracticeSetupScreen
from officeconsole.tui.screens.schedule import ScheduleScreen
from officeconsole.tui.screens.setup import SetupScreen

from tests.factories import PASSWORD
from tests.tui.conftest import login, settle, type_text


def checklist(app) -> list[str]:
    return [" ".join(str(part.render()) for part in item.query(Static)) for item in app.screen.query(".item")]


def line(app, label: str) -> str:
    """The checklist line about `label`, such as "✗  t  An appointment type: None yet..."."""
    return next(text for text in checklist(app) if text[6:].startswith(label))


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


async def fill(pilot, field: str, value: str) -> None:
    box = pilot.app.screen.query_one(f"#{field}", Input)
    box.focus()
    box.value = ""
    await type_text(pilot, value)


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def test_f10_shows_the_checklist_and_c_fixes_the_clinic(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "manager", home=True)
        assert isinstance(app.screen, PracticeSetupScreen)  # nothing can be booked yet: the manager lands here
        await press(pilot, "escape")
        assert isinstance(app.screen, PatientsScreen)
        await press(pilot, "f10")
        assert isinstance(app.screen, PracticeSetupScreen)
        assert str(app.screen.query_one("#book-title", Label).render()) == "Before you can book"
        assert line(app, "A provider") == "✓  p  A provider: 1 active: Avery Lee"
        assert line(app, "An appointment type").startswith("✗  t  An appointment type: None yet: add the kinds")
        assert line(app, "Clinic NPI").startswith("✗  c  Clinic NPI: Not set: the clinic's type 2 NPI")
        assert len(checklist(app)) == 11

        await press(pilot, "c")
        assert isinstance(app.screen, ClinicFormModal)
        assert app.screen.query_one("#name", Input).value == "Maple Street Family Practice"
        await fill(pilot, "npi", "1234567890")
        await fill(pilot, "city", "Springfield")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, ClinicFormModal)  # refused: nothing typed is lost
        error = str(app.screen.query_one("#field-npi .field-error", Label).render())
        assert error.startswith("NPI 1234567890 is not a valid NPI: 10 digits, the last a check digit")
        assert app.screen.query_one("#npi", Input).value == "1234567890"
        assert app.screen.query_one("#city", Input).value == "Springfield"
        assert ClinicSettingsService(app.ctx).settings().city == ""

        await fill(pilot, "npi", "1234567893")
        await fill(pilot, "tax_id", "37-1234567")
        await fill(pilot, "hours_sat", "09:00-12:00")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, PracticeSetupScreen)
        saved = ClinicSettingsService(app.ctx).settings()
        assert (saved.npi, saved.tax_id, saved.city, saved.opening_hours["sat"]) == (
            "1234567893", "37-1234567", "Springfield", ["09:00", "12:00"])
        assert line(app, "Clinic NPI") == "✓  c  Clinic NPI: 1234567893"  # the checklist read again
        assert line(app, "Tax ID") == "✓  c  Tax ID: EIN 37-1234567"


async def test_the_clinic_form_fits_80x24_and_cancels(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "admin", home=True)
        await press(pilot, "c")
        assert isinstance(app.screen, ClinicFormModal)
        form = app.screen.query_one("ClinicFormModal > Vertical")
        assert form.region.height <= 24 and form.region.width <= 80
        await fill(pilot, "name", "Not saved")
        await press(pilot, "escape")
        assert isinstance(app.screen, PracticeSetupScreen)
        assert ClinicSettingsService(app.ctx).settings().name == "Maple Street Family Practice"


async def test_the_desk_is_refused_practice_setup(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await login(pilot, "desk")
        await press(pilot, "f10")  # not offered to the desk: the key does nothing
        assert not isinstance(app.screen, PracticeSetupScreen)
        app.action_practice_setup()  # as the command palette would
        await settle(pilot)
        assert not isinstance(app.screen, PracticeSetupScreen)
        assert "Practice setup is for managers." in notices(app)


async def test_after_the_wizard_the_manager_lands_on_practice_setup(make_app, ctx):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SetupScreen)
        await type_text(pilot, "Oak Clinic")
        for field, value in (("username", "boss"), ("full_name", "Bo Boss"), ("password", PASSWORD),
                             ("password_again", PASSWORD)):
            await fill(pilot, field, value)
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, PracticeSetupScreen)
        assert isinstance(app.screen_stack[-2], PatientsScreen)
        assert all(text.startswith("✗") for text in checklist(app))
        summary = str(app.screen.query_one("#setup-summary", Label).render())
        assert summary.startswith("11 thing(s) still to set up")


async def test_a_manager_who_can_book_but_not_bill_is_told_f10(make_app, sched):
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await login(pilot, "manager", home=True)
        assert isinstance(app.screen, DashboardScreen)  # the clinic can book: the manager's home
        [notice] = [m for m in notices(app) if "Practice setup" in m]
        assert notice.startswith("Before claims can go out, still to set up: clinic address and phone, clinic npi")
        assert notice.endswith("Practice setup: F10.")


async def test_the_desk_is_told_to_ask_a_manager_when_no_provider_is_set_up(make_app, ctx):
    manager = auth.setup_clinic(ctx, SetupInput("Oak Clinic", "America/New_York", "boss", "Bo Boss",
                                                PASSWORD, PASSWORD))
    UserService(ctx.as_actor(manager)).add("desk", "Dana Desk", "front_desk", PASSWORD)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "desk", home=True)
        assert isinstance(app.screen, ScheduleScreen)
        message = app.screen.query_one("#no-provider", Label)
        assert message.display and str(message.render()) == (
            "No provider is set up yet: ask a manager to open Practice setup (F10).")
        assert not app.screen.query_one("#grid").display


async def test_the_desk_with_providers_sees_the_grid(make_app, sched):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "desk", home=True)
        assert not app.screen.query_one("#no-provider", Label).display
        assert app.screen.query_one("#grid").display


def test_practice_setup_snapshot(snap_compare, make_app, clinic):
    async def before(pilot):
        await login(pilot, "manager", home=True)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=before)


def cut_hints(app) -> list[str]:
    """The hints (placeholders) of empty fields that do not fit in their field."""
    return [f"{box.id}: {box.placeholder}" for box in app.screen.query(Input)
            if not box.value and len(box.placeholder) > box.content_region.width]


async def test_the_payer_and_provider_forms_show_whole_hints_at_80x24(make_app, clinic):
    from officeconsole.tui.modals.payer_form import PayerFormModal
    from officeconsole.tui.modals.provider_form import ProviderFormModal

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "manager", home=True)
        await press(pilot, "y", "a")
        assert isinstance(app.screen, PayerFormModal)
        assert cut_hints(app) == []
        await press(pilot, "escape", "escape", "p", "a", "1")
        assert isinstance(app.screen, ProviderFormModal)
        assert cut_hints(app) == []
