"""The clinic's own settings (every field's rule, concurrent edits, the audit trail, who may) and
the setup checklist (an empty clinic misses everything; a set-up one is ready)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from officeconsole.models import AppointmentType, AuditEvent, ClinicSettings
from officeconsole.services.billing.fees import FeeService
from officeconsole.services.common.errors import ConcurrentEdit, PermissionDenied, ValidationError
from officeconsole.services.practice.clinic_settings import ClinicInput, ClinicSettingsService, input_from
from officeconsole.services.practice.setup_check import SetupCheckService, setup_status
from officeconsole.services.scheduling.hours import HoursService

GOOD = dict(name="Maple Street Family Practice", address_line1="12 Maple Street", address_line2="Suite 4",
            city="Springfield", state="il", postal_code="627041234", phone="(217) 555-0100",
            fax="217-555-0101", email="Front@Maple.example", timezone="America/Chicago", npi="1234567893",
            tax_id="371234567", taxonomy="261qp2300x", place_of_service="11", clearinghouse_id="clear01",
            clearinghouse_name="Clear House", opening_hours={"mon": ["8:00", "17:00"], "sat": None})


@pytest.fixture
def service(manager_ctx) -> ClinicSettingsService:
    return ClinicSettingsService(manager_ctx)


def save(service: ClinicSettingsService, **changes):
    return service.update(service.settings().version, ClinicInput(**{**GOOD, **changes}))


def refused(service: ClinicSettingsService, **changes) -> dict[str, str]:
    before = service.settings()
    with pytest.raises(ValidationError) as caught:
        save(service, **changes)
    assert service.settings() == before  # nothing saved
    return caught.value.errors


def test_a_clinic_saved_as_typed_is_stored_in_one_form(service):
    view = save(service)
    assert (view.state, view.postal_code, view.phone, view.fax, view.email) == (
        "IL", "62704-1234", "+12175550100", "+12175550101", "Front@maple.example")
    assert (view.tax_id, view.taxonomy, view.clearinghouse_id) == ("37-1234567", "261QP2300X", "CLEAR01")
    assert view.opening_hours["mon"] == ["08:00", "17:00"]
    assert view.opening_hours["sat"] is None and view.opening_hours["tue"] is None  # a day not given is closed
    assert view.address == "12 Maple Street, Suite 4, Springfield, IL 62704-1234"
    assert view.version == 2


def test_five_digit_zip_and_empty_identifiers_are_allowed_while_setting_up(service):
    view = save(service, postal_code="62704", npi="", tax_id="", taxonomy="", clearinghouse_id="", phone="",
                fax="", email="")
    assert (view.postal_code, view.npi, view.tax_id, view.taxonomy) == ("62704", "", "", "")


def test_opening_hours_none_leaves_them_alone(service):
    save(service)
    view = save(service, opening_hours=None, name="Maple Street Clinic")
    assert view.name == "Maple Street Clinic" and view.opening_hours["mon"] == ["08:00", "17:00"]


def test_a_solo_practitioners_ssn_is_a_tax_id(service):
    view = save(service, tax_id="123-45-6789")
    assert view.tax_id == "123-45-6789"
    events = list_audit(service)
    assert "SSN ***-**-6789" in events[-1] and "123-45-6789" not in events[-1]  # never the whole SSN


@pytest.mark.parametrize(("field", "value", "words"), [
    ("name", "  ", "name is required"),
    ("state", "XX", "not a US state"),
    ("state", "Illinois", "not a US state"),
    ("postal_code", "6270", "ZIP"),
    ("postal_code", "62704-12", "ZIP"),
    ("phone", "555", "not"),
    ("fax", "call us", "not a phone number"),
    ("email", "front@", "not a valid e-mail"),
    ("timezone", "Mars/Olympus", "not a time zone"),
    ("timezone", "", "Time zone is required"),
    ("npi", "1234567890", "check digit"),
    ("npi", "12345", "not a valid NPI"),
    ("tax_id", "00-1234567", "EIN"),
    ("tax_id", "123-45-678", "EIN"),
    ("tax_id", "000-12-3456", "SSN"),
    ("taxonomy", "207Q0000X", "not a taxonomy code"),
    ("taxonomy", "207Q00000Y", "not a taxonomy code"),
    ("taxonomy", "20AQ00000X", "not a taxonomy code"),
    ("place_of_service", "00", "Place of service"),
    ("place_of_service", "", "Place of service"),
    ("clearinghouse_id", "A", "Clearinghouse ID"),
])
def test_each_field_refuses_bad_input_with_its_own_message(service, field, value, words):
    errors = refused(service, **{field: value})
    assert list(errors) == [field]
    assert words.lower() in errors[field].lower()


@pytest.mark.parametrize(("hours", "field", "words"), [
    ({"mon": ["17:00", "08:00"]}, "hours_mon", "not after"),
    ({"tue": ["08:00", "08:00"]}, "hours_tue", "not after"),
    ({"wed": ["08:03", "17:00"]}, "hours_wed", "5-minute"),
    ({"thu": ["8am", "5pm"]}, "hours_thu", "HH:MM"),
    ({"fri": ["25:00", "26:00"]}, "hours_fri", "HH:MM"),
    ({"sat": ["08:00"]}, "hours_sat", "opening and closing"),
    ({"xyz": ["08:00", "12:00"]}, "opening_hours", "not a weekday"),
])
def test_opening_hours_on_the_grid_and_ending_after_they_start(service, hours, field, words):
    errors = refused(service, opening_hours=hours)
    assert list(errors) == [field] and words in errors[field]


def test_every_bad_field_is_reported_at_once(service):
    errors = refused(service, npi="1234567890", state="ZZ", taxonomy="X")
    assert set(errors) == {"npi", "state", "taxonomy"}


def test_concurrent_edit_is_refused(manager_ctx, as_role):
    mine, theirs = ClinicSettingsService(manager_ctx), ClinicSettingsService(as_role("admin"))
    opened = mine.settings()
    theirs.update(opened.version, ClinicInput(**{**GOOD, "name": "Their name"}))
    with pytest.raises(ConcurrentEdit):
        mine.update(opened.version, ClinicInput(**{**GOOD, "name": "My name"}))
    assert mine.settings().name == "Their name"


def list_audit(service) -> list[str]:
    with service.ctx.db.read() as session:
        return list(session.scalars(select(AuditEvent.summary).where(AuditEvent.action == "clinic.update")
                                    .order_by(AuditEvent.id)))


def test_the_change_is_audited_before_and_after(service):
    save(service)
    save(service, phone="(217) 555-0199", opening_hours=None)
    first, second = list_audit(service)
    assert "NPI: (none) -> 1234567893" in first and "City: (none) -> Springfield" in first
    assert second == "Phone: +12175550100 -> +12175550199"
    service.update(service.settings().version, input_from(service.settings()))  # nothing changed
    assert len(list_audit(service)) == 2


def test_the_billing_identities_form_keeps_working_beside_it(service, manager_ctx):
    from officeconsole.services.billing.billing_identity import BillingIdentityService, Identities

    save(service)
    BillingIdentityService(manager_ctx).set_identities(Identities("1245319599", "36-1234567", "62701-0001",
                                                                  "CH2", "Other house"))
    view = service.settings()
    assert (view.npi, view.tax_id, view.postal_code, view.clearinghouse_id) == (
        "1245319599", "36-1234567", "62701-0001", "CH2")
    assert save(service, name="Again").name == "Again"  # the version moved on with it


@pytest.mark.parametrize("role", ["front_desk", "billing", "provider"])
def test_only_managers_set_up_the_clinic(as_role, role):
    with pytest.raises(PermissionDenied):
        ClinicSettingsService(as_role(role)).settings()
    with pytest.raises(PermissionDenied):
        ClinicSettingsService(as_role(role)).update(1, ClinicInput(**GOOD))
    with pytest.raises(PermissionDenied):
        SetupCheckService(as_role(role)).check()


# ----- the checklist -------------------------------------------------------------------------------

def keys_missing(status) -> list[str]:
    return [item.label for item in status.missing]


def test_an_empty_clinic_misses_everything(ctx):
    from officeconsole.services.security import auth
    from officeconsole.services.security.auth import SetupInput

    manager = auth.setup_clinic(ctx, SetupInput("New Clinic", "America/Chicago", "boss", "Robin Boss",
                                                "correct horse", "correct horse"))
    status = SetupCheckService(ctx.as_actor(manager)).check()
    assert not status.ready_to_book and not status.ready_to_bill
    assert [(i.label, i.done, i.key) for i in status.before_booking] == [
        ("A provider", False, "p"), ("An appointment type", False, "t"), ("Working hours", False, "h")]
    assert [(i.label, i.done, i.key) for i in status.before_billing] == [
        ("Clinic address and phone", False, "c"), ("Clinic NPI", False, "c"), ("Tax ID", False, "c"),
        ("Taxonomy code", False, "c"), ("Clearinghouse", False, "c"), ("A payer", False, "y"),
        ("A fee schedule", False, "f"), ("Provider NPIs", False, "p")]
    assert status.before_billing[0].detail == "Missing: street, city, state, ZIP+4, phone."
    assert status.before_booking[0].fix == "press p (Providers)"


def test_a_set_up_clinic_is_ready_to_book_and_bill(ctx, clinic, manager_ctx, service):
    status = setup_status_now(ctx)
    assert keys_missing(status) == ["An appointment type", "Working hours", "Clinic address and phone",
                                    "Clinic NPI", "Tax ID", "Taxonomy code", "Clearinghouse", "A fee schedule"]
    save(service, postal_code="62704")
    status = setup_status_now(ctx)
    address = status.before_billing[0]
    assert not address.done and address.detail == "Missing: ZIP+4 (62704 has 5 digits)."
    save(service)
    with ctx.db.write() as session:
        session.add(AppointmentType(name="Follow-up", default_minutes=20))
    HoursService(manager_ctx).set_week(clinic.provider_id, {0: [("08:00", "17:00")]})
    FeeService(manager_ctx).add_fee("99213", "Office visit", "125.00")
    status = SetupCheckService(manager_ctx).check()
    assert status.missing == [] and status.ready_to_book and status.ready_to_bill
    assert status.before_booking[2].detail == "Set for Avery Lee"


def test_a_saved_identifier_that_fails_its_check_is_still_missing(ctx, clinic, service):
    save(service)
    with ctx.db.write() as session:
        session.get(ClinicSettings, 1).npi = "1234567890"
    item = next(i for i in setup_status_now(ctx).before_billing if i.label == "Clinic NPI")
    assert not item.done and "check digit" in item.detail


def setup_status_now(ctx):
    with ctx.db.read() as session:
        return setup_status(session)


def test_input_from_round_trips(service):
    view = save(service)
    data = input_from(view)
    assert dataclasses.replace(data, name="Other").name == "Other"
    assert service.update(view.version, data) == view  # nothing changed: same version
