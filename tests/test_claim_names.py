"""Claims that survive real names and one bad claim: X12 element lengths, a batch that sends its
clean claims, subscriber names in parts, letters outside ASCII, names in other scripts, a solo
practitioner, test or production files, Medicare MBIs and preventive codes by age."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import delete, text, update

from officeconsole.models import ClinicSettings, Encounter, EncounterDiagnosis, InsurancePolicy
from officeconsole.services.billing.claim_data import load_claim
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.billing.scrubber import scrub
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.text import search_key
from officeconsole.services.formats.x12_837 import write_837
from officeconsole.services.formats.x12_check import x12_errors
from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput
from officeconsole.services.frontdesk.patients import PatientService
from officeconsole.services.frontdesk.person_names import NameParts, split_name
from officeconsole.services.practice.clinic_settings import ClinicSettingsService, input_from

from tests.billing_setup import make_billing
from tests.factories import patient_input, register

LONG_FIRST = "Maximiliane-Christabella-Annaliese-X"  # 36 letters: NM104 holds 35


@pytest.fixture
def billing(sched, as_role, clinic):
    return make_billing(sched, as_role, clinic)


def _insured(billing, first, last, member="MB123456", **policy):
    patient = register(billing.desk, first_name=first, last_name=last, address_line1="1 Elm St")
    view = InsuranceService(billing.desk).add_policy(patient.id, PolicyInput(
        billing.payer_id, 1, member, effective_from="2025-01-01", **policy))
    return patient, view


def _segments(body: str) -> list[str]:
    return body.strip().rstrip("~").split("~")


def _claim(ctx, encounter_id):
    with ctx.db.read() as session:
        return load_claim(session, encounter_id)


def _export(billing, tmp_path):
    claims = ClaimService(billing.biller)
    claims.mark_all_ready()
    return claims.export_837(tmp_path)


# ----- one bad claim never stops the batch ------------------------------------------------------------
def test_a_subscriber_name_too_long_for_nm104_holds_back_its_claim_and_the_others_are_sent(ctx, billing, tmp_path):
    assert len(LONG_FIRST) == 36
    claims = ClaimService(billing.biller)
    good = [billing.coded(), billing.coded()]
    patient, policy = _insured(billing, "Bea", "Spouse", relationship="spouse", subscriber_first_name="Max",
                               subscriber_last_name="Spouse", subscriber_dob="1970-02-03")
    bad = billing.coded(patient_id=patient.id)
    assert claims.mark_all_ready().failing == {}
    InsuranceService(billing.desk).update_policy(policy.id, policy.version, dataclasses.replace(
        PolicyInput(billing.payer_id, 1, "MB123456", effective_from="2025-01-01", relationship="spouse",
                    subscriber_last_name="Spouse", subscriber_dob="1970-02-03"),
        subscriber_first_name=LONG_FIRST))
    batch = claims.export_837(tmp_path)
    assert batch.claims == 2 and list(batch.skipped) == [bad.id]
    reason = batch.skipped[bad.id]
    assert reason.startswith(f"Spouse, Bea (MRN {patient.mrn}): ") and "Subscriber first name" in reason
    assert "36 characters" in reason and "NM104" in reason
    assert x12_errors(batch.path.read_text()) == []
    with ctx.db.read() as session:
        assert session.get(Encounter, bad.id).status == "needs_coding"
        assert {session.get(Encounter, e.id).status for e in good} == {"submitted"}
    problems = [p.message for p in claims.scrub(bad.id).problems]  # still in the queue, with its reason
    assert any("Subscriber first name" in m and "at most 35" in m for m in problems)


def test_the_writer_cuts_every_name_and_address_to_its_element(ctx, billing):
    claim = _claim(ctx, billing.coded().id)
    long = dataclasses.replace(claim, patient=dataclasses.replace(
        claim.patient, last_name="L" * 70, first_name=LONG_FIRST, middle_name="M" * 30, address_line1="A" * 60,
        city="C" * 40))
    assert len(scrub(long, ctx.today())) == 5  # each would be cut: the scrubber holds the claim
    body = write_837([long], 7, dt.datetime(2026, 11, 2, 9, 30))
    assert x12_errors(body) == []
    nm1 = next(s for s in _segments(body) if s.startswith("NM1*IL*")).split("*")
    assert (len(nm1[3]), len(nm1[4]), len(nm1[5])) == (60, 35, 25)
    assert f"N3*{'A' * 55}" in _segments(body) and any(s.startswith(f"N4*{'C' * 30}*") for s in _segments(body))


def test_a_claim_the_validator_refuses_is_held_back_and_the_rest_are_sent(ctx, billing, tmp_path, monkeypatch):
    """A problem the scrubber does not know of: the file is not refused whole; the claim pyx12
    refuses on its own is named and left in the queue."""
    claims = ClaimService(billing.biller)
    good, bad = billing.coded(), billing.coded()
    claims.mark_all_ready()
    with ctx.db.write() as session:  # no diagnosis: an empty HI segment
        session.execute(delete(EncounterDiagnosis).where(EncounterDiagnosis.encounter_id == bad.id))
    monkeypatch.setattr("officeconsole.services.billing.claims.scrub", lambda claim, today: [])
    batch = claims.export_837(tmp_path)
    assert batch.claims == 1 and list(batch.skipped) == [bad.id]
    assert "Claimant, Carla" in batch.skipped[bad.id] and "validator refused it" in batch.skipped[bad.id]
    assert x12_errors(batch.path.read_text()) == []
    with ctx.db.read() as session:
        assert session.get(Encounter, bad.id).status == "needs_coding"
        assert session.get(Encounter, good.id).status == "submitted"


# ----- subscriber names in parts ----------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "parts"), [
    ("John Smith Jr.", NameParts("Smith", "John", "", "JR")),
    ("Juan de la Cruz", NameParts("de la Cruz", "Juan")),
    ("Smith, John A", NameParts("Smith", "John", "A")),
    ("Smith Jr., John", NameParts("Smith", "John", "", "JR")),
    ("John Q. Public III", NameParts("Public", "John", "Q", "III")),
    ("Anna van der Berg", NameParts("van der Berg", "Anna")),
    ("Mary Ann Smith", None), ("Cher", None), ("Garcia Lopez, Maria, Jose", None),
])
def test_a_name_in_one_line_is_split_only_when_the_split_is_sure(typed, parts):
    assert split_name(typed) == parts


def test_subscriber_suffix_goes_to_nm107_and_particles_stay_in_the_surname(ctx, billing, tmp_path):
    jr, _ = _insured(billing, "Amy", "Smith", member="JR1234", relationship="spouse", subscriber_name="John Smith Jr.",
                     subscriber_dob="1970-01-01")
    cruz, _ = _insured(billing, "Ana", "Cruz", member="DC1234", relationship="child",
                       subscriber_name="Juan de la Cruz", subscriber_dob="1975-01-01")
    billing.coded(patient_id=jr.id)
    billing.coded(patient_id=cruz.id)
    body = _export(billing, tmp_path).path.read_text()
    assert x12_errors(body) == []
    assert "NM1*IL*1*SMITH*JOHN***JR*MI*JR1234" in _segments(body)
    assert "NM1*IL*1*DE LA CRUZ*JUAN****MI*DC1234" in _segments(body)


def test_the_policy_takes_the_name_in_parts_and_lists_the_ones_to_split(ctx, billing):
    insurance = InsuranceService(billing.desk)
    patient, parts = _insured(billing, "Tom", "Nguyen", relationship="child", subscriber_last_name="Nguyen",
                              subscriber_first_name="Anh", subscriber_suffix="iii", subscriber_dob="1980-05-05")
    assert (parts.subscriber_last_name, parts.subscriber_first_name, parts.subscriber_suffix,
            parts.subscriber_name) == ("Nguyen", "Anh", "III", "Anh Nguyen III")
    with pytest.raises(ValidationError) as refused:
        insurance.update_policy(parts.id, parts.version, PolicyInput(
            billing.payer_id, 1, "MB123456", effective_from="2025-01-01", relationship="child",
            subscriber_first_name="Anh", subscriber_suffix="Esq"))
    assert set(refused.value.errors) == {"subscriber_last_name", "subscriber_suffix"}
    other, unsure = _insured(billing, "Sam", "Smith", member="MA1234", relationship="spouse",
                             subscriber_name="Mary Ann Smith", subscriber_dob="1970-01-01")
    assert unsure.subscriber_to_split and unsure.subscriber_last_name == ""
    listed = InsuranceService(billing.biller).subscriber_names_to_split()
    assert [(r.policy_id, r.mrn, r.subscriber_name) for r in listed] == [(unsure.id, other.mrn, "Mary Ann Smith")]
    encounter = billing.coded(patient_id=other.id)
    problems = [p.message for p in ClaimService(billing.biller).scrub(encounter.id).problems]
    assert problems == ["Subscriber name 'Mary Ann Smith': type the first and last name in their own fields on "
                        "the policy."]
    split = insurance.update_policy(unsure.id, unsure.version, PolicyInput(
        billing.payer_id, 1, "MA1234", effective_from="2025-01-01", relationship="spouse",
        subscriber_last_name="Smith", subscriber_first_name="Mary", subscriber_middle_name="Ann",
        subscriber_dob="1970-01-01"))
    assert split.subscriber_name == "Mary Ann Smith" and not split.subscriber_to_split
    assert InsuranceService(billing.biller).subscriber_names_to_split() == []
    assert ClaimService(billing.biller).scrub(encounter.id).clean


# ----- letters outside ASCII, names in other scripts ---------------------------------------------------
def test_letters_outside_ascii_are_transliterated_not_dropped(ctx, billing, tmp_path):
    polish, _ = _insured(billing, "Łukasz", "Grøß", member="PL1234")
    child, _ = _insured(billing, "Ola", "Wałęsa", member="PL5678", relationship="child",
                        subscriber_last_name="Wałęsa", subscriber_first_name="Zbigniew", subscriber_dob="1970-01-01")
    billing.coded(patient_id=polish.id)
    billing.coded(patient_id=child.id)
    body = _export(billing, tmp_path).path.read_text()
    assert x12_errors(body) == []
    assert "NM1*IL*1*GROSS*LUKASZ****MI*PL1234" in _segments(body)
    assert "NM1*IL*1*WALESA*ZBIGNIEW****MI*PL5678" in _segments(body)
    assert "NM1*QC*1*WALESA*OLA" in _segments(body)


def test_a_name_in_another_script_is_registered_and_its_claim_asks_for_the_latin_letters(ctx, billing, tmp_path):
    patients = PatientService(billing.desk)
    record = patients.register(patient_input(first_name="Иван", last_name="Иванов", address_line1="5 Oak St"),
                               allow_duplicate=True)
    assert record.needs_latin_name and search_key(record.last_name) == "ivanov"
    with pytest.raises(ValidationError, match="needs at least one letter"):
        patients.register(patient_input(first_name="123", last_name="Иванов"), allow_duplicate=True)
    InsuranceService(billing.desk).add_policy(record.id, PolicyInput(billing.payer_id, 1, "RU1234",
                                                                     effective_from="2025-01-01"))
    encounter = billing.coded(patient_id=record.id)
    problems = ClaimService(billing.biller).scrub(encounter.id).problems
    assert [(p.fix, p.message) for p in problems] == [
        ("patient", "Patient name has no Latin letters: type it as on the insurance card (Latin-letter name on the "
                    "patient form).")]
    typed = dataclasses.replace(record.as_input(), latin_first_name="Ivan", latin_last_name="Иванов")
    with pytest.raises(ValidationError) as refused:
        patients.update(record.id, record.version, typed)
    assert set(refused.value.errors) == {"latin_last_name"}
    saved = patients.update(record.id, record.version, dataclasses.replace(typed, latin_last_name="Ivanov"))
    assert not saved.needs_latin_name and saved.last_name == "Иванов"
    body = _export(billing, tmp_path).path.read_text()
    assert x12_errors(body) == [] and "NM1*IL*1*IVANOV*IVAN****MI*RU1234" in _segments(body)


# ----- a solo practitioner, test files, the submitter ID ---------------------------------------------
def test_a_solo_practitioner_is_the_billing_person_and_files_follow_the_test_setting(ctx, billing, tmp_path):
    billing.coded()
    with ctx.db.write() as session:  # the clinic bills under Dr Lee's own (type 1) NPI
        session.execute(update(ClinicSettings).values(npi="1245319599"))
    settings = ClinicSettingsService(billing.manager)
    with pytest.raises(ValidationError) as refused:
        settings.update(settings.settings().version, dataclasses.replace(
            input_from(settings.settings()), x12_usage="x", submitter_id="no!"))
    assert set(refused.value.errors) == {"x12_usage", "submitter_id"}
    view = settings.update(settings.settings().version, dataclasses.replace(
        input_from(settings.settings()), x12_usage="test", submitter_id="sub 4455"))
    assert (view.x12_usage, view.submitter_id) == ("T", "SUB4455")
    body = _export(billing, tmp_path).path.read_text()
    assert x12_errors(body) == []
    segments = _segments(body)
    isa = segments[0].split("*")
    assert isa[15] == "T" and isa[6] == "SUB4455".ljust(15)
    assert segments[1].split("*")[2] == "SUB4455" and any(s.endswith("*46*SUB4455") for s in segments)
    billing_loop = next(s for s in segments if s.startswith("NM1*85*"))
    assert billing_loop.startswith("NM1*85*1*LEE*") and billing_loop.endswith("*XX*1245319599")
    assert not any(s.startswith("NM1*82*") for s in segments)  # no 2310B: the renderer is the biller


def test_files_are_production_interchanges_by_default(ctx, billing, tmp_path):
    billing.coded()
    segments = _segments(_export(billing, tmp_path).path.read_text())
    isa = segments[0].split("*")
    assert isa[15] == "P" and isa[6] == "1234567893".ljust(15)


# ----- Medicare MBIs and preventive codes by age ------------------------------------------------------
def test_medicare_member_ids_are_mbis_and_preventive_codes_fit_the_age(ctx, billing):
    claim = _claim(ctx, billing.coded().id)
    medicare = dataclasses.replace(claim.policy, filing_code="MB", member_id="MCR123456")
    messages = [p.message for p in scrub(dataclasses.replace(claim, policy=medicare), ctx.today())]
    assert any("is not an MBI" in m for m in messages)
    for mbi in ("1EG4-TE5-MK72", "1eg4te5mk72"):
        ok = dataclasses.replace(claim.policy, filing_code="MB", member_id=mbi)
        assert scrub(dataclasses.replace(claim, policy=ok), ctx.today()) == []
    thirty = dataclasses.replace(claim.patient, dob=claim.date_of_service.replace(year=claim.date_of_service.year - 30))
    for code, fits in (("99391", "99395"), ("99387", "99385"), ("99395", None), ("99385", None)):
        line = dataclasses.replace(claim.lines[0], code=code)
        messages = [p.message for p in scrub(dataclasses.replace(claim, patient=thirty, lines=(line,)), ctx.today())]
        if fits is None:
            assert messages == []
        else:
            assert messages == [f"Line 1: {code} is a preventive visit for "
                                f"{'under 1 year' if code == '99391' else 'ages 65 and over'}; the patient is 30 on "
                                f"the date of service: bill {fits}."]


# ----- the upgrade splits what it surely can ----------------------------------------------------------
def test_the_upgrade_splits_subscriber_names_it_is_sure_of(empty_db_url):
    from officeconsole.db import migrate
    from officeconsole.db.database import Database

    database = Database.from_url(empty_db_url)
    migrate.upgrade(database.engine, revision="0016")
    with database.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO patient (id, mrn, first_name, middle_name, last_name, preferred_name, first_key, last_key, dob, "
            "sex, phone, phone_key, email, address_line1, address_line2, city, state, postal_code, preferred_contact, "
            "status, created_at, updated_at, version) VALUES (1, '0001001', 'A', '', 'B', '', 'a', 'b', '1980-01-01', "
            "'F', '', '', '', '', '', '', '', '', 'mail', 'active', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)"))
        conn.execute(text("INSERT INTO payer (id, name, payer_code, filing_code, phone, active) "
                          "VALUES (1, 'Plan', 'P1', 'CI', '', true)"))
        for id_, name in ((1, "John Smith Jr."), (2, "Mary Ann Smith"), (3, "")):
            conn.execute(text(
                "INSERT INTO insurance_policy (id, patient_id, payer_id, rank, member_id, group_number, subscriber_name, "
                "subscriber_relationship, effective_from, verified_how, created_at, version) VALUES "
                "(:id, 1, 1, 1, :member, '', :name, 'spouse', '2025-01-01', '', '2026-01-01 00:00:00', 1)"),
                {"id": id_, "member": f"M{id_}", "name": name})
    migrate.upgrade(database.engine)
    with database.read() as session:
        rows = {p.id: (p.subscriber_last_name, p.subscriber_first_name, p.subscriber_suffix)
                for p in session.query(InsurancePolicy)}
    assert rows == {1: ("Smith", "John", "JR"), 2: ("", "", ""), 3: ("", "", "")}
    database.dispose()
