"""Code sets, the fee schedule import, and coding an encounter (diagnoses and charge lines)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from officeconsole.models import Encounter, FeeScheduleItem
from officeconsole.services.billing.codes import icd10, parse_modifiers, procedure_kind, search_icd10
from officeconsole.services.billing.encounters import ChargeInput, DuplicateCharge, EncounterService
from officeconsole.services.billing.fees import FeeImportError, FeeService
from officeconsole.services.common.errors import ConcurrentEdit, PermissionDenied, ValidationError
from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService
from officeconsole.services.scheduling.booking import BookingInput

from tests.conftest import NOW

FEES = "code,description,fee\n99213,Office visit est. low,125.00\n99214,Office visit est. moderate,185\nJ1100,Dexamethasone 1 mg inj,12.50\n36415,Venipuncture,15\n"


@pytest.mark.parametrize(("typed", "code"), [("E11.9", "E11.9"), ("e119", "E11.9"), (" J45.909 ", "J45.909"),
                                              ("I10", "I10")])
def test_icd10_with_or_without_the_dot(typed, code):
    assert icd10(typed)[0] == code


@pytest.mark.parametrize(("typed", "message"), [("E11", "category, not billable"), ("XYZ.1", "not an ICD-10-CM"),
                                                 ("", "Type a diagnosis")])
def test_icd10_refusals(typed, message):
    with pytest.raises(ValidationError, match=message):
        icd10(typed)


def test_icd10_search_by_code_or_words():
    assert search_icd10("e11.9")[0][0] == "E11.9"
    assert all("asthma" in d.lower() for _, d in search_icd10("asthma uncomplicated"))


def test_procedure_codes_and_modifiers():
    assert procedure_kind("99213") == "cpt" and procedure_kind("0001F") == "cpt" and procedure_kind("j1100") == "hcpcs"
    with pytest.raises(ValidationError):
        procedure_kind("9921")
    assert parse_modifiers("25, 59") == ["25", "59"]
    for bad in ("2", "25 25", "25,59,76,77,91"):
        with pytest.raises(ValidationError):
            parse_modifiers(bad)


def test_fee_import_all_or_nothing_and_idempotent(ctx, as_role, tmp_path):
    fees = FeeService(as_role("billing"))
    result = fees.import_csv(FEES)
    assert (result.added, result.updated, result.unchanged) == (4, 0, 0)
    assert fees.import_csv(FEES) == type(result)(0, 0, 4)
    changed = fees.import_csv(FEES.replace("125.00", "130.00"))
    assert (changed.updated, changed.unchanged) == (1, 3)
    bad = "99215,Office visit high,250\nABCDE,Nonsense,10\n99213,Twice,1\n99203,New patient,-5\n"
    with pytest.raises(FeeImportError) as refused:
        fees.import_csv(bad)
    assert [p.split(":")[0] for p in refused.value.problems] == ["line 2", "line 4"]
    assert "99215" not in {f.code for f in fees.fees()}  # nothing half-imported
    twice = "99215,A,1\n99215,B,2\n"
    with pytest.raises(FeeImportError, match="listed already on line 1"):
        fees.import_csv(twice)
    with pytest.raises(FeeImportError, match="Cannot read"):
        fees.import_csv(tmp_path / "missing.csv")
    with pytest.raises(PermissionDenied):
        FeeService(as_role("front_desk")).import_csv(FEES)
    with ctx.db.read() as session:
        assert session.scalar(select(FeeScheduleItem.fee).where(FeeScheduleItem.code == "99213")) == Decimal("130.00")


@pytest.fixture
def coded_visit(sched, desk_ctx, as_role):
    FeeService(as_role("billing")).import_csv(FEES)
    visit = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], NOW.date(), "10:20"))
    CheckInService(desk_ctx).check_in(CheckInInput(visit.id, visit.version))
    return visit


def test_check_in_opens_the_encounter_and_a_biller_codes_it(ctx, coded_visit, as_role):
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Encounter)) == 1
    coding = EncounterService(as_role("billing"))
    encounter = coding.for_visit(coded_visit.id)
    assert encounter.status == "needs_coding" and encounter.date_of_service == NOW.date()
    encounter = coding.set_diagnoses(encounter.id, encounter.version, ["e119", "I10"])
    assert [(p, c) for p, c, _ in encounter.diagnoses] == [(1, "E11.9"), (2, "I10")]
    encounter = coding.add_charge(encounter.id, encounter.version, ChargeInput("99214", "25", 1, "1,2"))
    encounter = coding.add_charge(encounter.id, encounter.version, ChargeInput("36415", "", 1, "1"))
    assert [(line.code, line.modifiers, line.amount) for line in encounter.lines] == [
        ("99214", "25", Decimal("185.00")), ("36415", "", Decimal("15.00"))]
    assert encounter.total == Decimal("200.00")
    with pytest.raises(DuplicateCharge, match="on this visit already"):
        coding.add_charge(encounter.id, encounter.version, ChargeInput("36415"))
    encounter = coding.add_charge(encounter.id, encounter.version, ChargeInput("36415", allow_duplicate=True))
    assert len(encounter.lines) == 3
    with pytest.raises(ConcurrentEdit):
        coding.add_charge(encounter.id, encounter.version - 1, ChargeInput("99213"))
    with pytest.raises(ValidationError, match="points at diagnosis 2"):
        coding.set_diagnoses(encounter.id, encounter.version, ["E11.9"])
    encounter = coding.remove_charge(encounter.id, encounter.version, encounter.lines[-1].id)
    assert len(encounter.lines) == 2


@pytest.mark.parametrize(("charge", "field"), [
    (ChargeInput("99999"), "code"), (ChargeInput("9921"), "code"), (ChargeInput("99213", units=0), "units"),
    (ChargeInput("99213", units=-2), "units"), (ChargeInput("99213", units="two"), "units"),
    (ChargeInput("99213", pointers="3"), "pointers"), (ChargeInput("99213", pointers=""), "pointers"),
    (ChargeInput("99213", modifiers="2"), "modifiers"),
])
def test_bad_charge_lines(coded_visit, as_role, charge, field):
    coding = EncounterService(as_role("billing"))
    encounter = coding.for_visit(coded_visit.id)
    encounter = coding.set_diagnoses(encounter.id, encounter.version, ["E11.9"])
    with pytest.raises(ValidationError) as refused:
        coding.add_charge(encounter.id, encounter.version, charge)
    assert field in refused.value.errors


def test_bad_diagnoses_are_listed_per_position(coded_visit, as_role):
    coding = EncounterService(as_role("billing"))
    encounter = coding.for_visit(coded_visit.id)
    with pytest.raises(ValidationError) as refused:
        coding.set_diagnoses(encounter.id, encounter.version, ["E11.9", "E11", "Q99.9Z", "E11.9"])
    assert set(refused.value.errors) == {"diagnosis_2", "diagnosis_3", "diagnosis_4"}
    with pytest.raises(ValidationError, match="at most 12"):
        coding.set_diagnoses(encounter.id, encounter.version, ["I10"] * 13)


def test_queue_counts_and_amounts_by_state(coded_visit, as_role):
    coding = EncounterService(as_role("billing"))
    encounter = coding.for_visit(coded_visit.id)
    encounter = coding.set_diagnoses(encounter.id, encounter.version, ["E11.9"])
    coding.add_charge(encounter.id, encounter.version, ChargeInput("99214", units=2))
    queue = coding.queue()
    assert queue.counts == {"needs_coding": (1, Decimal("370.00"))}
    [row] = queue.rows
    assert (row.patient_name, row.lines, row.total, row.status) == ("Testperson, Ann", 1, Decimal("370.00"),
                                                                     "needs_coding")
    assert coding.queue("ready").rows == []
    with pytest.raises(ValidationError):
        coding.queue("lost")


def test_the_code_set_file_reads_back_what_was_written_and_a_damaged_one_is_not_used(tmp_path):
    """The ICD-10-CM cache file keeps descriptions exactly (some hold a tab) and a category's examples;
    a file cut short, or of another format, is rebuilt rather than trusted."""
    from officeconsole.services.billing import codes

    rows = [("E11", False, "Type 2 diabetes mellitus", ("E11.00", "E11.01", "E11.9")),
            ("E11.9", True, "Type 2 diabetes mellitus without complications", ()),
            ("H35.3113", True, "Macular degeneration, advanced atrophic/\tadvanced dry stage \\ right eye", ())]
    path = tmp_path / "set.tsv"
    codes._write(path, rows)
    assert codes._read(path) == rows
    indexed = codes._index(rows)
    assert indexed.find("E119") == "E11.9" and indexed.find("E1.19") is None
    assert [code for code, _, _ in indexed.billable] == ["E11.9", "H35.3113"]
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    assert codes._read(path) is None
    path.write_text("0\t3\n" + text.split("\n", 1)[1], encoding="utf-8")
    assert codes._read(path) is None
