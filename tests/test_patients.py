"""The patient registry's rules: validation, MRNs, duplicates, search, audit, conflicts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from officeconsole.models import AuditEvent
from officeconsole.services.common.errors import ConcurrentEdit, PossibleDuplicate, ValidationError
from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput
from officeconsole.services.frontdesk.patients import PatientService
from officeconsole.services.security.audit import AuditService

from tests.factories import patient_input, register


def test_register_assigns_sequential_mrns_and_normalises(desk_ctx):
    first = register(desk_ctx)
    second = register(desk_ctx, first_name="John", last_name="O'Brien", phone="415.555.2672",
                      email="John@Example.ORG", state="ca")
    assert (first.mrn, second.mrn) == ("0001001", "0001002")
    assert second.phone == "+14155552672" and second.phone_display == "(415) 555-2672"
    assert second.email == "John@example.org" and second.state == "CA"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"first_name": " "}, "first_name", "First name is required"),
        ({"last_name": ""}, "last_name", "Last name is required"),
        ({"dob": ""}, "dob", "Date of birth is required"),
        ({"dob": "2026-11-24"}, "dob", "cannot be in the future"),
        ({"dob": "31/31/1990"}, "dob", "is not a date"),
        ({"dob": "1850-01-01"}, "dob", "before 1900"),
        ({"phone": "12"}, "phone", "not"),
        ({"email": "not-an-email"}, "email", "not a valid e-mail"),
        ({"sex": "Q"}, "sex", "Sex must be"),
        ({"preferred_contact": "email", "email": ""}, "preferred_contact", "no e-mail"),
        ({"preferred_contact": "pigeon"}, "preferred_contact", "must be phone"),
    ],
)
def test_register_rejects_bad_input(desk_ctx, overrides, field, message):
    with pytest.raises(ValidationError) as info:
        PatientService(desk_ctx).register(patient_input(**overrides))
    assert message in info.value.errors[field]
    assert PatientService(desk_ctx).search("").rows == []


def test_dob_today_is_allowed_in_clinic_timezone(desk_ctx):
    # 15:00 UTC on the 23rd is the 23rd in New York: a newborn registered today.
    assert register(desk_ctx, dob="2026-11-23").dob == dt.date(2026, 11, 23)


def test_duplicate_warning_then_confirmed(desk_ctx):
    service = PatientService(desk_ctx)
    original = service.register(patient_input())
    with pytest.raises(PossibleDuplicate) as info:
        service.register(patient_input(first_name="JANE", last_name="test-person", phone="", preferred_contact="mail"))
    assert [m.mrn for m in info.value.matches] == [original.mrn]
    confirmed = service.register(patient_input(), allow_duplicate=True)
    assert confirmed.mrn != original.mrn


def test_text_is_stored_literally_and_controls_stripped(desk_ctx):
    record = register(desk_ctx, first_name="[bold]Ann[/]", last_name="O'Neil \x1b[31mRed\x1b[0m\x07")
    assert record.first_name == "[bold]Ann[/]"
    assert record.last_name == "O'Neil Red"
    with pytest.raises(ValidationError, match="First name: 500 characters; the most it may hold is 100"):
        register(desk_ctx, first_name="X" * 500)  # refused with the limit, never cut without a word


@pytest.fixture
def registry(desk_ctx):
    people = [
        ("Smith", "John", "1970-01-02", "(415) 555-0101"),
        ("Smith", "Joan", "1971-02-03", "(415) 555-0102"),
        ("Smithers", "Waylon", "1950-03-04", "(212) 555-0103"),
        ("Johnson", "Smitty", "1990-04-05", "(212) 555-0104"),
        ("Núñez", "José", "1985-05-06", "(312) 555-0105"),
        ("Garcia Lopez", "Maria", "1999-06-07", "(312) 555-0106"),
    ]
    return {last + first: register(desk_ctx, last_name=last, first_name=first, dob=dob, phone=phone)
            for last, first, dob, phone in people}


def _names(page):
    return [r.display_name for r in page.rows]


def test_search_by_name_forms(desk_ctx, registry):
    search = PatientService(desk_ctx).search
    assert _names(search("smi")) == ["Smith, Joan", "Smith, John", "Smithers, Waylon", "Johnson, Smitty"]
    assert _names(search("smith jo")) == ["Smith, Joan", "Smith, John"]
    assert _names(search("Smith, John")) == ["Smith, John"]
    assert _names(search("john smith")) == ["Smith, John"]
    assert _names(search("nunez")) == ["Núñez, José"]
    assert _names(search("garcia lopez maria")) == ["Garcia Lopez, Maria"]
    assert _names(search("zzz")) == []


def test_search_by_dob_phone_mrn(desk_ctx, registry):
    search = PatientService(desk_ctx).search
    assert _names(search("1970-01-02")) == ["Smith, John"]
    assert _names(search("02/03/1971")) == ["Smith, Joan"]
    assert _names(search("212555")) == ["Smithers, Waylon", "Johnson, Smitty"]
    assert _names(search("(312) 555-0106")) == ["Garcia Lopez, Maria"]
    assert _names(search("0106")) == ["Garcia Lopez, Maria"]  # the last 4 digits, as a caller reads them
    assert _names(search("555-0104")) == ["Johnson, Smitty"]  # the last 7
    mrn = registry["SmithersWaylon"].mrn
    assert _names(search(mrn)) == ["Smithers, Waylon"]
    assert _names(search(mrn.lstrip("0"))) == ["Smithers, Waylon"]


def test_search_pages_by_keyset_without_gaps_or_repeats(desk_ctx, registry):
    service = PatientService(desk_ctx)
    for i in range(7):
        register(desk_ctx, last_name="Smithson", first_name=f"Kid{i}")
    seen, cursor, pages = [], None, 0
    while True:
        page = service.search("smi", cursor, limit=3)
        seen += [r.id for r in page.rows]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 11
    assert pages == 4
    assert seen == [r.id for r in service.search("smi", limit=50).rows]


def test_open_record_is_audited(desk_ctx, manager_ctx, registry):
    patient = registry["SmithJohn"]
    record = PatientService(desk_ctx).get(patient.id)
    assert record.mrn == patient.mrn
    rows = AuditService(manager_ctx).list(patient_mrn=patient.mrn)
    assert [(r.action, r.username) for r in rows] == [("patient.view", "desk"), ("patient.create", "desk")]


def test_update_records_changes_in_audit(desk_ctx, manager_ctx, registry):
    patient = registry["SmithJohn"]
    service = PatientService(desk_ctx)
    data = service.get(patient.id).as_input()
    data.city = "Shelbyville"
    updated = service.update(patient.id, patient.version, data)
    assert updated.city == "Shelbyville" and updated.version == patient.version + 1
    summary = AuditService(manager_ctx).list(patient_mrn=patient.mrn)[0].summary
    assert summary == "city: Springfield -> Shelbyville"


def test_second_save_of_same_version_is_refused(desk_ctx, as_role, registry):
    patient = registry["SmithJoan"]
    mine, theirs = PatientService(desk_ctx), PatientService(as_role("manager"))
    opened_here = mine.get(patient.id)
    opened_there = theirs.get(patient.id)
    edit = opened_there.as_input()
    edit.phone = "(415) 555-0199"
    theirs.update(patient.id, opened_there.version, edit)
    mine_edit = opened_here.as_input()
    mine_edit.city = "Capital City"
    with pytest.raises(ConcurrentEdit, match="Someone else changed"):
        mine.update(patient.id, opened_here.version, mine_edit)
    final = mine.get(patient.id)
    assert final.phone == "+14155550199" and final.city == "Springfield"


def test_version_column_catches_a_race_inside_the_check(desk_ctx, registry, monkeypatch):
    """Even if both reads see the same version, the UPDATE ... WHERE version = n loses."""
    patient = registry["SmithJoan"]
    service = PatientService(desk_ctx)
    record = service.get(patient.id)
    with desk_ctx.db.write() as session:  # another console bumps the row behind our back
        from officeconsole.models import Patient

        session.get(Patient, patient.id).city = "Elsewhere"
    from sqlalchemy.orm.exc import StaleDataError

    def stale(*_a, **_k):
        raise StaleDataError("row changed")

    data = record.as_input()
    data.city = "Mine"
    with pytest.raises(ConcurrentEdit):
        service.update(patient.id, record.version, data)
    monkeypatch.setattr("sqlalchemy.orm.Session.flush", stale)
    with pytest.raises(ConcurrentEdit):
        service.update(patient.id, record.version + 1, data)


def test_insurance_policy_rules(desk_ctx, clinic, registry):
    patient = registry["SmithJohn"]
    payer = clinic.payer_ids["Blue Shield Test Plan"]
    insurance = InsuranceService(desk_ctx)
    policy = insurance.add_policy(patient.id, PolicyInput(payer, 1, "XJ123", "G1", effective_from="2025-01-01",
                                                          copay="25"))
    assert policy.rank_label == "Primary" and str(policy.copay) == "25.00"
    with pytest.raises(ValidationError) as info:
        insurance.add_policy(patient.id, PolicyInput(payer, 4, "", effective_from="2025-02-01",
                                                     effective_to="2025-01-01", copay="-3"))
    assert set(info.value.errors) == {"rank", "member_id", "effective_to", "copay"}
    with pytest.raises(ValidationError, match="already has that payer"):
        insurance.add_policy(patient.id, PolicyInput(payer, 2, "XJ123", effective_from="2025-01-01"))
    updated = insurance.update_policy(policy.id, policy.version,
                                      PolicyInput(payer, 1, "XJ124", effective_from="2025-01-01"))
    assert updated.member_id == "XJ124"
    with pytest.raises(ConcurrentEdit):
        insurance.update_policy(policy.id, policy.version, PolicyInput(payer, 1, "XJ125", effective_from="2025-01-01"))
    record = PatientService(desk_ctx).get(patient.id)
    assert [p.member_id for p in record.policies] == ["XJ124"]


def test_audit_rows_written_in_same_transaction(desk_ctx, registry):
    with desk_ctx.db.read() as session:
        creates = session.scalars(select(AuditEvent).where(AuditEvent.action == "patient.create")).all()
    assert len(creates) == len(registry)


def test_payers_are_added_by_billing_not_front_desk(as_role):
    from officeconsole.services.common.errors import PermissionDenied

    biller = InsuranceService(as_role("billing"))
    row = biller.add_payer("Aetna Test", "ae123", "(800) 555-0100")
    assert row.payer_code == "AE123"
    assert "Aetna Test" in [p.name for p in biller.payers()]
    with pytest.raises(ValidationError, match="exists already"):
        biller.add_payer("Aetna Test")
    with pytest.raises(ValidationError):
        biller.add_payer("", "bad code!")
    with pytest.raises(PermissionDenied):
        InsuranceService(as_role("front_desk")).add_payer("Sneaky Plan")
