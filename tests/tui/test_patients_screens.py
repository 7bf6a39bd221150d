"""Search, open, register and edit patients in the console, and the refusals on the way."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import DataTable, Label, Select, Static

from officeconsole.services.frontdesk.patients import PatientService
from officeconsole.services.security.audit import AuditService
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.insurance_form import InsuranceFormModal
from officeconsole.tui.screens.patient_form import PatientFormScreen
from officeconsole.tui.screens.patient_record import PatientRecordScreen
from officeconsole.tui.screens.patients import PatientsScreen
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.factories import register
from tests.tui.conftest import login, open_record, settle, type_text


def _names(screen) -> list[str]:
    return [row.display_name for row in screen.rows]


def _shown(screen) -> list[str]:
    table = screen.query_one("#results", ResultsTable)
    return [table.row(i)[1] for i in range(table.row_count)]


async def test_search_as_you_type_and_open(make_app, desk_ctx, manager_ctx):
    for last, first in (("Smith", "John"), ("Smith", "Joan"), ("Jones", "Ann")):
        register(desk_ctx, last_name=last, first_name=first)
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await login(pilot, "desk")
        screen = app.screen
        assert _shown(screen) == ["Jones, Ann", "Smith, Joan", "Smith, John"]
        await type_text(pilot, "smith jo")
        await settle(pilot)
        assert _shown(screen) == ["Smith, Joan", "Smith, John"]
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        assert "Smith, John" in str(app.screen.query_one("#record-title", Label).render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        await type_text(pilot, "jones")  # back on the list: typing starts the next search at once
        await settle(pilot)
        assert app.screen.query_one("#search").value == "jones" and _shown(screen) == ["Jones, Ann"]
    actions = [r.action for r in AuditService(manager_ctx).list()]
    assert "patient.view" in actions


async def test_pages_through_long_results(make_app, desk_ctx):
    for i in range(55):
        register(desk_ctx, last_name="Pager", first_name=f"Person{i:02d}")
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await login(pilot, "desk")
        await type_text(pilot, "pager")
        await settle(pilot)
        screen = app.screen
        assert len(screen.rows) == 50
        await pilot.press("pagedown")
        await settle(pilot)
        assert _names(screen) == [f"Pager, Person{i:02d}" for i in range(50, 55)]
        assert "Page 2" in str(screen.query_one("#page-info", Label).render())
        await pilot.press("pageup")
        await settle(pilot)
        assert len(screen.rows) == 50 and screen.rows[0].first_name == "Person00"


async def test_register_with_validation_then_success(make_app, desk_ctx):
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await login(pilot, "desk")
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, PatientFormScreen)
        await type_text(pilot, "[bold]Rosa[/]")
        await pilot.press("tab")
        await type_text(pilot, "Diaz")
        await pilot.press("tab", "tab", "tab")
        await type_text(pilot, "12/01/2030")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "cannot be in the future" in str(form.query_one("#field-dob .field-error", Label).render())
        assert PatientService(desk_ctx).search("diaz").rows == []
        form.query_one("#dob").value = "12/01/1990"
        form.query_one("#phone").value = "(312) 555-0188"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        assert "Diaz, [bold]Rosa[/]" in str(app.screen.query_one("#record-title", Label).render())
    rows = PatientService(desk_ctx).search("diaz").rows
    assert [r.first_name for r in rows] == ["[bold]Rosa[/]"] and rows[0].phone == "(312) 555-0188"


async def test_duplicate_warning_asks_before_saving(make_app, desk_ctx):
    register(desk_ctx, last_name="Twin", first_name="Sam", dob="1990-01-01")
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await login(pilot, "desk")
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        form.query_one("#first_name").value = "Sam"
        form.query_one("#last_name").value = "Twin"
        form.query_one("#dob").value = "01/01/1990"
        form.query_one("#phone").value = "415 555 2699"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is form and len(PatientService(desk_ctx).search("twin").rows) == 1
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
    assert len(PatientService(desk_ctx).search("twin").rows) == 2


async def test_edit_patient_and_add_insurance(make_app, desk_ctx, clinic, manager_ctx):
    patient = register(desk_ctx, last_name="Edit", first_name="Me")
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await login(pilot, "desk")
        await open_record(pilot, "edit")
        assert isinstance(app.screen, PatientRecordScreen)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        form.query_one("#city").value = "Shelbyville"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        await pilot.press("i")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, InsuranceFormModal)
        modal.query_one("#payer_id", Select).value = str(clinic.payer_ids["Blue Shield Test Plan"])
        modal.query_one("#member_id").value = "BS-777"
        modal.query_one("#effective_from").value = "01/01/2026"
        modal.query_one("#copay").value = "abc"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        assert str(modal.query_one("#field-copay .field-error", Label).render()) == (
            "Copay abc is not an amount: type an amount like 20.00 or 1,250.50.")
        modal.query_one("#copay").value = "30"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        table = app.screen.query_one("#policies", DataTable)
        assert table.row_count == 1 and str(table.get_row_at(0)[2]) == "BS-777"
    record = PatientService(desk_ctx).get(patient.id)
    assert record.city == "Shelbyville" and record.policies[0].copay is not None
    summaries = [r.summary for r in AuditService(manager_ctx).list(patient_mrn=patient.mrn)]
    assert "city: Springfield -> Shelbyville" in summaries


async def test_concurrent_edit_is_refused_and_form_kept(make_app, desk_ctx, as_role):
    patient = register(desk_ctx, last_name="Shared", first_name="Record")
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await login(pilot, "desk")
        await open_record(pilot, "shared")
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        other = PatientService(as_role("manager"))  # another console saves first
        theirs = other.get(patient.id).as_input()
        theirs.city = "Their City"
        other.update(patient.id, patient.version, theirs)
        form.query_one("#city").value = "My City"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "Someone else changed" in str(form.query_one("#form-error", Label).render())
        assert form.query_one("#city").value == "My City"
    assert PatientService(desk_ctx).get(patient.id).city == "Their City"


async def test_billing_user_cannot_register(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await login(pilot, "biller")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        messages = [n.message for n in app._notifications]
        assert any("Billing user may not register patients" in m for m in messages)


async def test_usable_at_80_by_24(make_app, desk_ctx):
    register(desk_ctx, last_name="Small", first_name="Screen")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "desk")
        assert _shown(app.screen) == ["Small, Screen"]
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        for field in ("first_name", "last_name", "dob", "phone", "preferred_contact"):
            widget = form.query_one(f"#{field}")
            assert widget.region.right <= 80, field


async def test_record_lists_upcoming_and_recent_appointments(make_app, sched):
    from officeconsole.services.scheduling.booking import BookingInput

    from tests.conftest import MONDAY

    book = sched["book"]
    book.book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    book.book(BookingInput(sched["ann"], sched["lee"], sched["type"], "11/20/2026", "10:00", override_reason="late entry"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "desk")
        await open_record(pilot, "testperson, ann")
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(app.screen.query_one("#appointments", Static).content)
        shown = console.export_text()
        assert "Mon 11/30/2026" in shown and "09:00" in shown and "scheduled" in shown
        assert "Fri 11/20/2026" in shown and "Avery Lee" in shown


async def test_a_new_patient_starts_in_the_clinics_state_and_keeps_it(make_app, desk_ctx, manager_ctx):
    """The State box holds the clinic's state as a real value (not a grey hint that saves nothing)."""
    import dataclasses

    from officeconsole.services.practice.clinic_settings import ClinicSettingsService, input_from

    settings = ClinicSettingsService(manager_ctx)
    view = settings.settings()
    settings.update(view.version, dataclasses.replace(input_from(view), state="WI"))
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await login(pilot, "desk")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen.query_one("#state").value == "WI"
        await type_text(pilot, "Lena")
        await pilot.press("tab")
        await type_text(pilot, "Statewise")
        app.screen.query_one("#dob").value = "02/03/1970"
        app.screen.query_one("#phone").value = "(608) 555-0142"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
    [row] = PatientService(desk_ctx).search("statewise").rows
    assert PatientService(desk_ctx).get(row.id).state == "WI"
