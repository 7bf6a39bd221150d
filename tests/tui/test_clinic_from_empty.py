"""A real clinic from an empty database, only by keys: the wizard, the clinic, a payer, three fees,
two appointment types, the manager made the provider with a week and a lunch block; then a patient
registered with insurance, booked, checked in, the visit coded, the claim readied (the scrubber
finds nothing) and exported into an 837P that pyx12 accepts."""

from __future__ import annotations

import pytest

from officeconsole.services.common.identifiers import npi_with_check_digit
from officeconsole.services.formats.x12_check import x12_errors
from officeconsole.services.practice.setup_check import SetupCheckService
from officeconsole.services.security import auth
from officeconsole.tui.modals.appointment_type_form import AppointmentTypeFormModal
from officeconsole.tui.modals.booking_form import BookingModal
from officeconsole.tui.modals.charge_form import ChargeModal
from officeconsole.tui.modals.check_in_form import CheckInModal
from officeconsole.tui.modals.check_out import CheckOutModal
from officeconsole.tui.modals.choice import ChoiceModal
from officeconsole.tui.modals.clinic_form import ClinicFormModal
from officeconsole.tui.modals.diagnoses_form import DiagnosesModal
from officeconsole.tui.modals.fee_form import FeeFormModal
from officeconsole.tui.modals.hours_forms import WeekFormModal
from officeconsole.tui.modals.insurance_form import InsuranceFormModal
from officeconsole.tui.modals.payer_form import PayerFormModal
from officeconsole.tui.modals.provider_form import ProviderFormModal
from officeconsole.tui.screens.billing_queue import BillingQueueScreen
from officeconsole.tui.screens.check_in import CheckInScreen
from officeconsole.tui.screens.coding import CodingScreen
from officeconsole.tui.screens.patient_form import PatientFormScreen
from officeconsole.tui.screens.patient_record import PatientRecordScreen
from officeconsole.tui.screens.patients import PatientsScreen
from officeconsole.tui.screens.practice_setup import PracticeSetupScreen
from officeconsole.tui.screens.schedule import ScheduleScreen
from officeconsole.tui.screens.setup import SetupScreen
from officeconsole.tui.screens.setup_fees import FeesSetupScreen
from officeconsole.tui.screens.setup_hours import HoursSetupScreen
from officeconsole.tui.screens.setup_payers import PayersSetupScreen
from officeconsole.tui.screens.setup_providers import ProvidersSetupScreen
from officeconsole.tui.screens.setup_types import AppointmentTypesScreen
from officeconsole.tui.widgets.schedule_grid import ScheduleGrid

from tests.tui.conftest import settle, type_text

pytestmark = pytest.mark.slow

CLINIC_NPI = npi_with_check_digit("145678901")
DOCTOR_NPI = npi_with_check_digit("176543210")


async def keys(pilot, *pressed: str) -> None:
    await pilot.press(*pressed)
    await settle(pilot)


async def tab_to(pilot, field: str) -> None:
    """Press Tab until the field has the focus, as a person would."""
    for _ in range(60):
        if pilot.app.focused is not None and pilot.app.focused.id == field:
            return
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached #{field} on {pilot.app.screen!r} (focus: {pilot.app.focused!r})")


async def put(pilot, field: str, text: str) -> None:
    """Tab to a field and type over what it holds (a field selects its text when tabbed into)."""
    await tab_to(pilot, field)
    await type_text(pilot, text)


async def form(pilot, modal_type, fields: dict[str, str], *, back_to) -> None:
    assert isinstance(pilot.app.screen, modal_type), pilot.app.screen
    for field, text in fields.items():
        await put(pilot, field, text)
    await keys(pilot, "ctrl+s")
    assert isinstance(pilot.app.screen, back_to), _errors(pilot.app.screen)


def _errors(screen) -> str:
    return " | ".join(str(label.render()) for label in screen.query(".field-error, .form-error, Label")
                      if "rror" in " ".join(label.classes) + (label.id or ""))


async def test_a_clinic_set_up_from_empty_books_codes_and_bills_by_keys(make_app, ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(BillingQueueScreen, "_claims_folder", lambda self: tmp_path)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SetupScreen)
        await type_text(pilot, "Birch Lane Family Medicine")
        await put(pilot, "username", "rboss")
        await put(pilot, "full_name", "Robin Boss")
        await put(pilot, "password", "birch lane 2026")
        await put(pilot, "password_again", "birch lane 2026")
        await keys(pilot, "ctrl+s")
        assert isinstance(app.screen, PracticeSetupScreen) and not auth.needs_setup(ctx.db)

        await keys(pilot, "c")
        await form(pilot, ClinicFormModal, {
            "address_line1": "12 Birch Lane", "city": "Evanston", "state": "IL", "postal_code": "60201-1234",
            "phone": "8475550100", "npi": CLINIC_NPI, "tax_id": "36-4567890", "taxonomy": "207Q00000X",
            "clearinghouse_id": "BIRCH01"}, back_to=PracticeSetupScreen)

        await keys(pilot, "y", "a")
        await form(pilot, PayerFormModal, {"name": "Prairie Health", "payer_code": "PRH01"},
                   back_to=PayersSetupScreen)
        await keys(pilot, "escape", "f")
        for code, description, fee in (("99213", "Office visit, established", "120.00"),
                                       ("99203", "Office visit, new patient", "165.00"),
                                       ("36415", "Venipuncture", "15")):
            await keys(pilot, "a")
            await form(pilot, FeeFormModal, {"code": code, "description": description, "fee": fee},
                       back_to=FeesSetupScreen)
        await keys(pilot, "escape", "t")
        for name, minutes, code in (("Follow-up", "20", "99213"), ("New patient", "40", "99203")):
            await keys(pilot, "a")
            await form(pilot, AppointmentTypeFormModal, {"name": name, "minutes": minutes, "default_code": code},
                       back_to=AppointmentTypesScreen)
        await keys(pilot, "escape", "p", "a")
        assert isinstance(app.screen, ChoiceModal) and app.screen.choices == ["Robin Boss (rboss, Manager)"]
        await keys(pilot, "1")
        await form(pilot, ProviderFormModal, {"npi": DOCTOR_NPI, "taxonomy": "207Q00000X", "credentials": "MD"},
                   back_to=ProvidersSetupScreen)
        await keys(pilot, "escape", "h", "w")
        week = {}
        for day in ("mon", "tue", "wed", "thu", "fri"):
            week[day] = "08:00-17:00"
            week[f"{day}_blocks"] = "12:00-13:00 Lunch"
        await form(pilot, WeekFormModal, week, back_to=HoursSetupScreen)
        await keys(pilot, "escape")
        assert isinstance(app.screen, PracticeSetupScreen)
        check = SetupCheckService(app.ctx).check()
        assert [line.label for line in check.missing] == [], check.missing

        await keys(pilot, "escape")
        assert isinstance(app.screen, PatientsScreen)
        await keys(pilot, "ctrl+n")
        await form(pilot, PatientFormScreen, {
            "first_name": "Zoë", "last_name": "Testwell", "dob": "04/17/1961", "phone": "8475550123",
            "address_line1": "40 Oak Street", "city": "Evanston", "state": "IL", "postal_code": "60202"},
            back_to=PatientRecordScreen)
        await keys(pilot, "i")
        assert isinstance(app.screen, InsuranceFormModal)
        await tab_to(pilot, "payer_id")
        await keys(pilot, "enter", "down", "enter")  # the clinic's one payer
        await form(pilot, InsuranceFormModal, {"member_id": "PRH123456", "copay": "25",
                                               "effective_from": "01/01/2026"}, back_to=PatientRecordScreen)

        await keys(pilot, "f2")
        assert isinstance(app.screen, ScheduleScreen)
        schedule = app.screen
        grid = schedule.query_one(ScheduleGrid)
        later = next(n for n, at in enumerate(grid.times) if at.hour == 11)
        await keys(pilot, *["down"] * (later - grid.cursor[0]))  # 11:00 today (Monday 11/23/2026 on the test clock)
        await keys(pilot, "b")
        assert isinstance(app.screen, BookingModal)
        await type_text(pilot, "testwell")
        await keys(pilot, "enter")  # the one match
        await keys(pilot, "ctrl+s")
        assert app.screen is schedule, _errors(app.screen)
        [booked] = schedule.plan.rows
        assert (booked.patient_name, booked.provider_name) == ("Testwell, Zoë", "Robin Boss")

        await keys(pilot, "f3")
        assert isinstance(app.screen, CheckInScreen)
        await keys(pilot, "enter")
        assert isinstance(app.screen, CheckInModal)
        await keys(pilot, "ctrl+s")
        assert isinstance(app.screen, CheckInScreen), _errors(app.screen)
        await keys(pilot, "o")  # seen: checked out (a claim is made once the visit is over)
        assert isinstance(app.screen, CheckOutModal)
        await keys(pilot, "ctrl+s")
        assert isinstance(app.screen, CheckInScreen), _errors(app.screen)

        await keys(pilot, "f5")
        assert isinstance(app.screen, BillingQueueScreen)
        await keys(pilot, "enter")
        assert isinstance(app.screen, CodingScreen)
        await keys(pilot, "d")
        await form(pilot, DiagnosesModal, {"dx-codes": "I10"}, back_to=CodingScreen)
        await keys(pilot, "n")
        assert isinstance(app.screen, ChargeModal), ([n.message for n in app._notifications], app.focused)
        await form(pilot, ChargeModal, {"code": "99213"}, back_to=CodingScreen)
        await keys(pilot, "escape")
        assert isinstance(app.screen, BillingQueueScreen)
        await keys(pilot, "r")
        await keys(pilot, "s")  # the ready claims
        await keys(pilot, "x", "y")
        [file] = tmp_path.glob("837P-*.x12")
        text = file.read_text()
        assert x12_errors(text) == []
        assert f"NM1*85*2*BIRCH LANE FAMILY MEDICINE*****XX*{CLINIC_NPI}" in text
        assert "NM1*IL*1*TESTWELL*ZOE****MI*PRH123456" in text
        assert "SV1*HC:99213*120*UN*1***1" in text
