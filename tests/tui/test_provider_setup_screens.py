"""Practice setup's providers and appointment types, by keys: add, edit, retire and reinstate; a bad
value is refused under its field and what was typed stays; a refused retire says why."""

from __future__ import annotations

from textual.widgets import Input

from officeconsole.services.common.identifiers import npi_with_check_digit
from officeconsole.services.practice.appointment_types import AppointmentTypeService, TypeInput
from officeconsole.services.practice.providers import ProviderService
from officeconsole.services.scheduling.booking import BookingInput, BookingService
from officeconsole.services.scheduling.hours import HoursService
from officeconsole.tui.modals.appointment_type_form import AppointmentTypeFormModal
from officeconsole.tui.modals.choice import ChoiceModal
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.provider_form import ProviderFormModal
from officeconsole.tui.screens.setup_providers import ProvidersSetupScreen
from officeconsole.tui.screens.setup_types import AppointmentTypesScreen
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.conftest import MONDAY, WEEK
from tests.factories import register
from tests.tui.conftest import login, settle, type_text

NPI = npi_with_check_digit("198765432")


def field_error(app, field: str) -> str:
    return str(app.screen.query_one(f"#field-{field} .field-error").render())


def typed(app, field: str) -> str:
    return app.screen.query_one(f"#{field}", Input).value


async def fill(pilot, field: str, value: str) -> None:
    box = pilot.app.screen.query_one(f"#{field}", Input)
    box.focus()
    box.value = ""
    await type_text(pilot, value)


def table_rows(app) -> list[tuple[str, ...]]:
    table = app.screen.query_one("#setup-table", ResultsTable)
    return [tuple(cell.strip() for cell in table.row(n)) for n in range(table.row_count)]


def cursor_row(app) -> tuple[str, ...]:
    table = app.screen.query_one("#setup-table", ResultsTable)
    return tuple(cell.strip() for cell in table.row(table.cursor_row))


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def open_screen(pilot, screen) -> None:
    await login(pilot, "manager")
    pilot.app.push_screen(screen)
    await settle(pilot)


async def test_appointment_types_added_edited_retired_by_keys(make_app, clinic, manager_ctx):
    app = make_app()
    types = AppointmentTypeService(manager_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_screen(pilot, AppointmentTypesScreen())
        assert table_rows(app) == []
        await press(pilot, "a")
        assert isinstance(app.screen, AppointmentTypeFormModal)
        await type_text(pilot, "Follow-up")
        await fill(pilot, "minutes", "1000")
        await fill(pilot, "default_code", "9921")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, AppointmentTypeFormModal)
        assert field_error(app, "minutes") == "Length: 5 to 480 minutes (not 1000)."
        assert field_error(app, "default_code").startswith("Code 9921: not on the fee schedule")
        assert (typed(app, "name"), typed(app, "minutes"), typed(app, "default_code")) == (
            "Follow-up", "1000", "9921")
        await fill(pilot, "minutes", "20")
        await fill(pilot, "default_code", "99213")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, AppointmentTypesScreen)
        assert cursor_row(app) == ("Follow-up", "20", "steelblue", "", "99213", "all", "yes")

        await press(pilot, "a")
        await type_text(pilot, "FOLLOW-UP")
        await fill(pilot, "minutes", "15")
        await press(pilot, "ctrl+s")
        assert field_error(app, "name") == "An appointment type called 'Follow-up' exists already."
        await fill(pilot, "name", "New patient")
        await fill(pilot, "minutes", "40")
        app.screen.query_one("#new_patient").focus()
        await press(pilot, "space", "ctrl+s")
        assert isinstance(app.screen, AppointmentTypesScreen)
        assert cursor_row(app)[:4] == ("New patient", "40", "steelblue", "yes")

        await press(pilot, "e")
        assert isinstance(app.screen, AppointmentTypeFormModal) and typed(app, "minutes") == "40"
        await fill(pilot, "minutes", "45")
        await press(pilot, "ctrl+s")
        assert [(t.name, t.minutes, t.version) for t in types.types()] == [("Follow-up", 20, 1),
                                                                            ("New patient", 45, 2)]
        await press(pilot, "x")
        assert isinstance(app.screen, ConfirmModal)
        await press(pilot, "y")
        assert [row[0] for row in table_rows(app)] == ["Follow-up"]
        await press(pilot, "v")
        assert ("New patient", "retired") in [(row[0], row[-1]) for row in table_rows(app)]
        while cursor_row(app)[0] != "New patient":
            await press(pilot, "down")
        await press(pilot, "x", "y")
        assert [t.name for t in types.types()] == ["Follow-up", "New patient"]
        await press(pilot, "escape")
        assert not isinstance(app.screen, AppointmentTypesScreen)


async def test_a_staff_member_made_a_provider_by_keys_bad_npi_kept_under_its_field(make_app, clinic, manager_ctx):
    app = make_app()
    AppointmentTypeService(manager_ctx).add(TypeInput("Follow-up", 20))
    AppointmentTypeService(manager_ctx).add(TypeInput("Sick visit", 15))
    wrong_check = NPI[:-1] + str((int(NPI[-1]) + 1) % 10)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_screen(pilot, ProvidersSetupScreen())
        assert [row[0] for row in table_rows(app)] == ["Avery Lee"]
        await press(pilot, "a")
        assert isinstance(app.screen, ChoiceModal)
        assert app.screen.choices[0] == "Alex Admin (admin, Admin)"
        await press(pilot, "1")
        assert isinstance(app.screen, ProviderFormModal)
        assert "Types: Follow-up, Sick visit" in str(app.screen.query_one("#types-hint").render())
        await type_text(pilot, wrong_check)
        await fill(pilot, "taxonomy", "207q00000x")
        await fill(pilot, "credentials", "fnp-c")
        await fill(pilot, "type_ids", "Sick visit, Physio")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, ProviderFormModal)
        assert field_error(app, "npi").startswith(f"NPI {wrong_check} is not a valid NPI")
        assert field_error(app, "type_ids") == "No appointment type is called Physio (types: Follow-up, Sick visit)."
        assert (typed(app, "npi"), typed(app, "taxonomy"), typed(app, "type_ids")) == (
            wrong_check, "207q00000x", "Sick visit, Physio")
        await fill(pilot, "npi", "1234567893")
        await fill(pilot, "type_ids", "sick visit")
        await press(pilot, "ctrl+s")
        assert field_error(app, "npi") == "NPI 1234567893 is Avery Lee's: each provider has their own."
        assert field_error(app, "type_ids") == ""
        await fill(pilot, "npi", NPI)
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, ProvidersSetupScreen)
        assert cursor_row(app) == ("Alex Admin", NPI, "FNP-C", "", "20", "Sick visit", "yes")
        made = ProviderService(manager_ctx).providers()[0]
        assert (made.username, made.taxonomy, made.type_names) == ("admin", "207Q00000X", ("Sick visit",))

        await press(pilot, "enter")
        assert isinstance(app.screen, ProviderFormModal) and typed(app, "type_ids") == "Sick visit"
        await fill(pilot, "default_visit_minutes", "22")
        await press(pilot, "ctrl+s")
        assert field_error(app, "default_visit_minutes") == "Visit length: in 5-minute steps, such as 20 or 25."
        assert typed(app, "default_visit_minutes") == "22"
        await fill(pilot, "default_visit_minutes", "30")
        await fill(pilot, "type_ids", "all")
        await press(pilot, "ctrl+s")
        assert cursor_row(app)[4:6] == ("30", "all")


async def test_retiring_a_provider_with_booked_visits_is_refused_with_the_reason(make_app, clinic, manager_ctx,
                                                                               desk_ctx):
    app = make_app()
    kind = AppointmentTypeService(manager_ctx).add(TypeInput("Follow-up", 20))
    HoursService(manager_ctx).set_week(clinic.provider_id, WEEK)
    BookingService(desk_ctx).book(BookingInput(register(desk_ctx).id, clinic.provider_id, kind.id, MONDAY, "09:00"))
    async with app.run_test(size=(160, 48)) as pilot:
        await open_screen(pilot, ProvidersSetupScreen())
        await press(pilot, "x")
        assert isinstance(app.screen, ConfirmModal)
        await press(pilot, "y")
        assert isinstance(app.screen, ProvidersSetupScreen)
        shown = [str(n.message) for n in app._notifications]
        assert "Avery Lee has 1 booked visit from now on (11/30/2026): move or cancel them first." in shown
        assert cursor_row(app)[-1] == "yes"
        assert [p.active for p in ProviderService(manager_ctx).providers(include_retired=True)] == [True]
