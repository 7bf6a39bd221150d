"""The forms behind claims that survive real names: the patient form asks for the Latin-letter name
when the name has none, the insurance form takes the subscriber's name in parts, and the clinic form
sets test or production claim files and the submitter ID."""

from __future__ import annotations

from textual.widgets import Label, Select

from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput
from officeconsole.services.frontdesk.patients import PatientService
from officeconsole.services.practice.clinic_settings import ClinicSettingsService
from officeconsole.tui.modals.clinic_form import ClinicFormModal
from officeconsole.tui.modals.insurance_form import InsuranceFormModal
from officeconsole.tui.screens.patient_form import PatientFormScreen
from officeconsole.tui.screens.patient_record import PatientRecordScreen

from tests.factories import register
from tests.tui.conftest import login, open_record, settle, type_text


async def test_the_patient_form_asks_for_the_latin_name_when_the_name_has_none(make_app, desk_ctx):
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await login(pilot, "desk")
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, PatientFormScreen)
        assert not form.query_one("#latin-grid").display  # a Latin name needs nothing more
        await type_text(pilot, "Ann")
        await settle(pilot)
        assert not form.query_one("#latin-grid").display
        form.query_one("#first_name").value = "Иван"
        form.query_one("#last_name").value = "Петров"
        await settle(pilot)
        assert form.query_one("#latin-grid").display and form.query_one("#latin-help").display
        form.query_one("#dob").value = "03/04/1985"
        form.query_one("#phone").value = "(312) 555-0190"
        form.query_one("#latin_first_name").focus()
        await type_text(pilot, "Ivan")
        await pilot.press("tab")
        await type_text(pilot, "Petrov")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
    [row] = PatientService(desk_ctx).search("petrov").rows
    record = PatientService(desk_ctx).get(row.id)
    assert (record.first_name, record.latin_first_name, record.latin_last_name) == ("Иван", "Ivan", "Petrov")


async def test_the_insurance_form_takes_the_subscriber_name_in_parts(make_app, desk_ctx, clinic):
    patient = register(desk_ctx, last_name="Parts", first_name="Kid")
    payer_id = clinic.payer_ids["Blue Shield Test Plan"]
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await login(pilot, "desk")
        await open_record(pilot, "parts")
        await pilot.press("i")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, InsuranceFormModal)
        modal.query_one("#payer_id", Select).value = str(payer_id)
        modal.query_one("#relationship", Select).value = "child"
        modal.query_one("#member_id").value = "BS-778"
        modal.query_one("#effective_from").value = "01/01/2026"
        modal.query_one("#subscriber_dob").value = "02/03/1975"
        modal.query_one("#subscriber_last_name").focus()
        await type_text(pilot, "de la Cruz")
        await pilot.press("tab")
        await type_text(pilot, "Juan")
        await pilot.press("tab", "tab")
        await type_text(pilot, "Jr.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
    [policy] = PatientService(desk_ctx).get(patient.id).policies
    assert (policy.subscriber_last_name, policy.subscriber_first_name, policy.subscriber_suffix,
            policy.subscriber_name) == ("de la Cruz", "Juan", "JR", "Juan de la Cruz Jr.")


async def test_a_subscriber_name_to_split_is_pointed_out_and_kept_until_split(make_app, desk_ctx, clinic):
    patient = register(desk_ctx, last_name="Unsplit", first_name="Kim")
    InsuranceService(desk_ctx).add_policy(patient.id, PolicyInput(
        clinic.payer_ids["Blue Shield Test Plan"], 1, "BS-779", relationship="spouse",
        subscriber_name="Mary Ann Unsplit", effective_from="2026-01-01"))
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await login(pilot, "desk")
        await open_record(pilot, "unsplit")
        await pilot.press("enter")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, InsuranceFormModal)
        hint = str(modal.query_one("#policy-error", Label).render())
        assert hint.startswith("The subscriber was typed as 'Mary Ann Unsplit': type the last and first name")
        modal.query_one("#group_number").value = "G5"
        await pilot.press("ctrl+s")  # saved without splitting: the name is kept as typed
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
    [policy] = PatientService(desk_ctx).get(patient.id).policies
    assert policy.subscriber_name == "Mary Ann Unsplit" and policy.subscriber_to_split and policy.group_number == "G5"


async def test_the_clinic_form_sets_test_claim_files_and_the_submitter_id(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(100, 36)) as pilot:
        await login(pilot, "manager", home=True)
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ClinicFormModal)
        assert form.query_one("#x12_usage", Select).value == "P"
        form.query_one("#x12_usage", Select).value = "T"
        form.query_one("#submitter_id").focus()
        await type_text(pilot, "sub77")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ClinicFormModal)
    saved = ClinicSettingsService(app.ctx).settings()
    assert (saved.x12_usage, saved.submitter_id) == ("T", "SUB77")
