"""Moving in: importing another system's patients, policies, appointments and balances."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from officeconsole.models import AuditEvent, ImportSource, InsurancePolicy, LedgerEntry, Patient
from officeconsole.services.billing.receivables import ReceivablesService
from officeconsole.services.billing.statements import StatementService
from officeconsole.services.common.errors import PermissionDenied, ValidationError
from officeconsole.services.frontdesk.ledger import LedgerService
from officeconsole.services.operations.importing import ImportFileError, ImportKind, ImportRequest, ImportService
from officeconsole.services.operations.importing import service as import_service
from officeconsole.services.operations.importing.mapping import Mapping
from officeconsole.services.operations.importing.values import strict_date

from tests.conftest import MONDAY
from tests.factories import register
from tests.import_files import BAD_KINDS, PATIENT_HEADER, PATIENT_MAP, patient_rows, write_csv


def run(ctx, kind, path, *, commit=False, source="oldpms", maps=PATIENT_MAP, mapping_file=None):
    return ImportService(ctx).run(ImportRequest(kind, path, source=source, maps=tuple(maps),
                                                mapping_file=mapping_file, commit=commit))


def count(ctx, model) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


# ----- the "done when" file: 2,000 patients in another system's layout -------------------------------
@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> tuple[Path, dict[int, str], list[list[str]]]:
    rows, bad = patient_rows(2000)
    path = write_csv(tmp_path_factory.mktemp("import") / "oldpms patients.csv", PATIENT_HEADER, rows, "cp1252")
    return path, bad, rows


def test_a_2000_patient_file_dry_run_commit_rerun_and_correction(manager_ctx, big_file, tmp_path):
    source_file, bad, rows = big_file
    path = tmp_path / source_file.name
    path.write_bytes(source_file.read_bytes())
    assert len(bad) == 100 and {kind for kind in bad.values()} == set(BAD_KINDS)

    dry = run(manager_ctx, ImportKind.PATIENTS, path)
    assert dry.file.encoding_label == "Windows-1252"
    assert dry.counts == {"new": 1900, "updated": 0, "unchanged": 0, "refused": 100}
    assert count(manager_ctx, Patient) == 0 and count(manager_ctx, ImportSource) == 0  # nothing written
    rejects = read_rejects(path.with_name("oldpms patients.rejects.csv"))
    assert [int(r["rejected_line"]) for r in rejects] == [i + 2 for i in sorted(bad)]
    reasons = {bad[int(r["rejected_line"]) - 2]: r["rejected_reason"] for r in rejects}
    assert "ambiguous" in reasons["ambiguous date"]
    assert "future" in reasons["future birth"]
    assert "before 1900" in reasons["year 0001"]
    assert "last_name is empty" in reasons["no last name"]
    assert "phone" in reasons["bad phone"].lower()
    assert "first_name is empty" in reasons["no first name"]
    assert "not a date" in reasons["not a date"]
    assert "on line" in reasons["repeated id"]
    assert "sex" in reasons["bad sex"]
    assert "mail" in reasons["bad email"].lower()
    assert all(r["rejected_reason"] for r in rejects)

    done = run(manager_ctx, ImportKind.PATIENTS, path, commit=True)
    assert done.counts == dry.counts
    assert count(manager_ctx, Patient) == 1900
    with manager_ctx.db.read() as session:
        accented = session.scalars(select(Patient.last_name).where(Patient.last_name.like("%-%"))).all()
        events = session.scalars(select(AuditEvent.summary).where(AuditEvent.action == "import.commit")).all()
        created = session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "patient.create"))
    assert any("ñ" in name or "ë" in name or "Å" in name for name in accented)  # Windows-1252 read right
    assert created == 1900
    assert len(events) == 1 and done.file.sha256 in events[0] and "1900 new" in events[0]

    again = run(manager_ctx, ImportKind.PATIENTS, path, commit=True)
    assert again.counts == {"new": 0, "updated": 0, "unchanged": 1900, "refused": 100}
    assert count(manager_ctx, Patient) == 1900

    fixed = [list(r) for r in rows]
    fixed[0][6] = "(217) 555-9999"  # a corrected phone
    fixed[1][8] = "1 Corrected Street"
    write_csv(path, PATIENT_HEADER, fixed, "utf-8-sig")
    corrected = run(manager_ctx, ImportKind.PATIENTS, path, commit=True)
    assert corrected.file.encoding_label == "UTF-8 with byte-order mark"
    assert corrected.counts == {"new": 0, "updated": 2, "unchanged": 1898, "refused": 100}
    with manager_ctx.db.read() as session:
        first = session.get(Patient, session.scalar(select(ImportSource.local_id).where(
            ImportSource.source_id == "A000000")))
        assert first.phone == "+12175559999"


# ----- the other kinds ---------------------------------------------------------------------------------
PATIENTS = [["P1", "Ames", "Ann", "1970-01-02", "F", "(217) 555-0101"],
            ["P2", "Baker", "Bob", "03/15/1982", "M", "(217) 555-0102"]]


@pytest.fixture
def imported(manager_ctx, tmp_path):
    path = write_csv(tmp_path / "patients.csv", ["ID", "Last", "First", "DOB", "Sex", "Phone"], PATIENTS)
    report = run(manager_ctx, ImportKind.PATIENTS, path, commit=True, maps=("ID=patient_id",))
    assert report.counts["new"] == 2
    return tmp_path


def test_policies_match_payers_by_name_or_id_and_list_an_unmatched_payer_once(manager_ctx, imported, clinic):
    header = ["Patient ID", "Insurance", "Subscriber ID", "Group #", "Order", "Effective Date", "Relationship"]
    rows = [["P1", "blue shield test plan", "XY1", "G1", "primary", "01/01/2026", "self"],
            ["P2", "MCRB1", "1EG4TE5MK73", "", "1", "2026-01-01", ""],
            ["P1", "BCBS of Nowhere", "Z9", "", "2", "2026-01-01", ""],
            ["P2", "BCBS of Nowhere", "Z8", "", "2", "2026-01-01", ""],
            ["P9", "MCRB1", "Q1", "", "1", "2026-01-01", ""]]
    path = write_csv(imported / "policies.csv", header, rows)
    report = run(manager_ctx, ImportKind.POLICIES, path, commit=True, maps=())
    assert report.counts == {"new": 2, "updated": 0, "unchanged": 0, "refused": 3}
    assert report.unmatched == {"payer": {"BCBS of Nowhere": 2}}
    [line] = report.unmatched_lines()
    assert "BCBS of Nowhere" in line and "--map \"payer:BCBS of Nowhere=" in line
    assert "import the patients file first" in report.refused[-1].reason

    mapped = run(manager_ctx, ImportKind.POLICIES, path, commit=True,
                 maps=("payer:BCBS of Nowhere=Blue Shield Test Plan",))
    assert mapped.counts == {"new": 2, "updated": 0, "unchanged": 2, "refused": 1}
    with manager_ctx.db.read() as session:
        ranks = session.execute(select(InsurancePolicy.member_id, InsurancePolicy.rank)
                                .order_by(InsurancePolicy.member_id)).all()
    assert ("XY1", 1) in ranks and ("Z9", 2) in ranks


def test_appointments_book_through_the_schedule_rules(manager_ctx, imported, sched, clinic):
    from officeconsole.services.scheduling.booking import BookingInput
    from officeconsole.services.scheduling.hours import HoursService

    HoursService(manager_ctx).add_holiday(MONDAY + dt.timedelta(days=3), "Thanksgiving")
    with manager_ctx.db.read() as session:
        ann = session.scalar(select(Patient.id).where(Patient.last_name == "Ames"))
    sched["book"].book(BookingInput(patient_id=sched["ann"], provider_id=sched["lee"], type_id=sched["type"],
                                    day=MONDAY, start="10:00"))
    header = ["Appt ID", "Patient ID", "Doctor", "Visit Type", "Appt Date", "Time", "Duration", "Notes"]
    rows = [["V1", "P1", "1234567893", "Follow-up", f"{MONDAY:%m/%d/%Y}", "9:00 AM", "20", "cough"],
            ["V2", "P2", "Avery Lee", "follow-up", f"{MONDAY:%Y-%m-%d}", "10:00", "", ""],  # taken
            ["V3", "P2", "drlee", "Follow-up", f"{MONDAY:%Y-%m-%d}", "18:00", "", ""],  # after hours
            ["V4", "P2", "drlee", "Follow-up", f"{MONDAY + dt.timedelta(days=3):%Y-%m-%d}", "09:00", "", ""],
            ["V5", "P2", "Dr Nobody", "Follow-up", f"{MONDAY:%Y-%m-%d}", "11:00", "", ""]]
    path = write_csv(imported / "appointments.csv", header, rows)
    report = run(manager_ctx, ImportKind.APPOINTMENTS, path, commit=True, maps=())
    assert report.counts == {"new": 1, "updated": 0, "unchanged": 0, "refused": 4}
    reasons = {r.source_id: r.reason for r in report.refused}
    assert "collides with an existing booking" in reasons["V2"] and report.collisions == 1
    assert "outside" in reasons["V3"]
    assert "does not work on Thursday 12/03/2026" in reasons["V4"]  # the clinic's holiday
    assert report.unmatched == {"provider": {"Dr Nobody": 1}}
    again = run(manager_ctx, ImportKind.APPOINTMENTS, path, commit=True, maps=())
    assert again.counts == {"new": 0, "updated": 0, "unchanged": 1, "refused": 4}
    rows[0][5] = "11:00"
    write_csv(path, header, rows)
    moved = run(manager_ctx, ImportKind.APPOINTMENTS, path, commit=True, maps=())
    assert moved.counts["updated"] == 1
    with manager_ctx.db.read() as session:
        from officeconsole.models import Appointment
        start = session.scalar(select(Appointment.start_at).where(Appointment.patient_id == ann))
    assert start.astimezone(manager_ctx.timezone).time() == dt.time(11, 0)


def test_opening_balances_show_on_the_account_statement_and_aging(manager_ctx, imported):
    path = write_csv(imported / "balances.csv", ["Account", "Balance Due", "As Of"],
                     [["P1", "$1,250.50", "11/20/2026"], ["P2", "0.00", ""], ["P9", "5", ""]])
    report = run(manager_ctx, ImportKind.BALANCES, path, commit=True, maps=("Account=patient_id",))
    assert report.counts == {"new": 1, "updated": 0, "unchanged": 1, "refused": 1}
    with manager_ctx.db.read() as session:
        ann = session.scalar(select(Patient.id).where(Patient.last_name == "Ames"))
    account = LedgerService(manager_ctx).account(ann)
    assert account.balance == Decimal("1250.50")
    assert account.entries[0].description == "Opening balance as of 11/20/2026"
    statement = StatementService(manager_ctx).statement(ann)
    assert [(line.description, line.charges) for line in statement.lines] == [
        ("Opening balance as of 11/20/2026", Decimal("1250.50"))]
    assert statement.balance == Decimal("1250.50")
    aging = ReceivablesService(manager_ctx).aging()
    assert aging.patient_total == Decimal("1250.50")
    assert run(manager_ctx, ImportKind.BALANCES, path, commit=True,
               maps=("Account=patient_id",)).counts["unchanged"] == 2
    path.write_text("Account,Balance Due\nP1,99.00\n", encoding="utf-8")
    changed = run(manager_ctx, ImportKind.BALANCES, path, commit=True, maps=("Account=patient_id",))
    assert changed.counts["refused"] == 1 and "never changed" in changed.refused[0].reason
    assert LedgerService(manager_ctx).account(ann).balance == Decimal("1250.50")
    assert count(manager_ctx, LedgerEntry) == 1


# ----- safe to rerun ---------------------------------------------------------------------------------
def test_likely_duplicates_of_patients_already_in_the_clinic_are_reported_not_created(manager_ctx, tmp_path):
    register(manager_ctx, first_name="Ann", last_name="Ames", dob="1970-01-02", phone="(217) 555-0101")
    register(manager_ctx, first_name="Bob", last_name="Other", dob="1960-01-01", phone="(217) 555-0102")
    path = write_csv(tmp_path / "patients.csv", ["ID", "Last", "First", "DOB", "Phone"],
                     [["P1", "AMES", "ann", "01/02/1970", ""], ["P2", "Baker", "Bob", "1982-03-15", "217-555-0102"],
                      ["P3", "Cole", "Cy", "1990-01-01", ""], ["P4", "Cole", "Cy", "1990-01-01", ""]])
    report = run(manager_ctx, ImportKind.PATIENTS, path, commit=True, maps=("ID=patient_id",))
    assert report.counts == {"new": 1, "updated": 0, "unchanged": 0, "refused": 3}
    assert report.duplicates == 3
    assert all("likely duplicate" in r.reason for r in report.refused)
    assert count(manager_ctx, Patient) == 3


def test_the_file_s_own_likely_duplicates_and_twice_held_policies_are_refused(manager_ctx, imported):
    path = write_csv(imported / "more.csv", ["ID", "Last", "First", "DOB", "Phone"],
                     [["P3", "Cole", "Cy", "1990-01-01", "(217) 555-0301"],
                      ["P4", "COLE", "cy", "01/01/1990", ""],  # the same person as line 2
                      ["P5", "Coles", "Cy", "1991-02-02", "217.555.0301"],  # the same first name and phone
                      ["P6", "Baker", "Bob", "1982-03-15", ""]])  # in the clinic already (imported)
    dry = run(manager_ctx, ImportKind.PATIENTS, path, maps=("ID=patient_id",))
    done = run(manager_ctx, ImportKind.PATIENTS, path, commit=True, maps=("ID=patient_id",))
    for report in (dry, done):
        assert report.counts == {"new": 1, "updated": 0, "unchanged": 0, "refused": 3}
        assert report.duplicates == 3
        reasons = [r.reason for r in report.refused]
        assert "name and date of birth as line 2" in reasons[0]
        assert "first name and phone number as line 2" in reasons[1]
        assert "in the clinic already as MRN" in reasons[2]

    policies = write_csv(imported / "policies.csv", ["Policy ID", "Patient ID", "Payer", "Member ID", "Effective"],
                         [["A", "P1", "BSTP1", "M1", "2026-01-01"], ["B", "P1", "Blue Shield Test Plan", "M1",
                                                                    "2026-01-01"]])
    report = run(manager_ctx, ImportKind.POLICIES, policies, commit=True, maps=())
    assert report.counts["new"] == 1 and "already has that payer and member ID" in report.refused[0].reason


def test_appointments_need_a_date_and_start_or_start_at(manager_ctx, imported):
    path = write_csv(imported / "appts.csv", ["Appt ID", "Patient ID", "Provider", "Type", "Date"],
                     [["X1", "P1", "drlee", "Follow-up", "2026-11-30"]])
    with pytest.raises(ImportFileError, match="start_at"):
        run(manager_ctx, ImportKind.APPOINTMENTS, path, maps=())


def test_a_crash_part_way_leaves_whole_batches_and_a_rerun_finishes(manager_ctx, tmp_path, monkeypatch):
    from officeconsole.services.security import audit

    rows = [[f"C{i}", f"Last{chr(65 + i % 26)}", f"First{chr(65 + i // 26)}", "1980-01-01"] for i in range(25)]
    path = write_csv(tmp_path / "patients.csv", ["ID", "Last", "First", "DOB"], rows)
    monkeypatch.setattr(import_service, "BATCH", 10)
    real = audit.record_many
    calls = {"n": 0}

    def crash(*args, **kwargs):  # the second batch: its patients inserted, their audit rows not yet
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(audit, "record_many", crash)
    with pytest.raises(KeyboardInterrupt):
        run(manager_ctx, ImportKind.PATIENTS, path, commit=True, maps=("ID=patient_id",))
    assert count(manager_ctx, Patient) == 10 and count(manager_ctx, ImportSource) == 10
    monkeypatch.setattr(audit, "record_many", real)
    report = run(manager_ctx, ImportKind.PATIENTS, path, commit=True, maps=("ID=patient_id",))
    assert report.counts == {"new": 15, "updated": 0, "unchanged": 10, "refused": 0}
    assert count(manager_ctx, Patient) == 25


# ----- bad input -----------------------------------------------------------------------------------------
def _refusal(ctx, path, kind=ImportKind.PATIENTS, maps=(), **kw) -> str:
    with pytest.raises((ImportFileError, ValidationError)) as caught:
        run(ctx, kind, path, maps=maps, **kw)
    return str(caught.value)


def test_files_that_cannot_be_imported_say_why(manager_ctx, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "empty" in _refusal(manager_ctx, empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text("patient_id,last_name,first_name,dob\n", encoding="utf-8")
    assert "header row but no rows" in _refusal(manager_ctx, header_only)
    no_dob = write_csv(tmp_path / "nodob.csv", ["patient_id", "last_name", "first_name"], [["1", "A", "B"]])
    message = _refusal(manager_ctx, no_dob)
    assert "required field(s) dob" in message and "--map" in message
    pdf = tmp_path / "patients.csv"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    assert "is a PDF, not a CSV" in _refusal(manager_ctx, pdf)
    binary = tmp_path / "random.csv"
    binary.write_bytes(bytes(range(256)) * 40)
    assert "not a text file" in _refusal(manager_ctx, binary)
    cyrillic = tmp_path / "cyrillic.csv"
    cyrillic.write_bytes("patient_id,last_name,first_name,dob\n1,Петров,Иван,1980-01-01\n".encode("cp1251"))
    message = _refusal(manager_ctx, cyrillic)
    assert "not UTF-8" in message and "CSV UTF-8" in message
    ok = write_csv(tmp_path / "ok.csv", ["patient_id", "last_name", "first_name", "dob"], [["1", "A", "B", "1980-01-01"]])
    message = _refusal(manager_ctx, ok, maps=("Colour=favourite_colour",))
    assert "'favourite_colour' is not a field of a patients import" in message and "last_name" in message
    assert "There is no file" in _refusal(manager_ctx, tmp_path / "missing.csv")
    message = _refusal(manager_ctx, ok, maps=("Surname=last_name",))
    assert "names a column ok.csv does not have: 'Surname'" in message
    assert count(manager_ctx, Patient) == 0


def test_long_fields_markup_and_control_characters(manager_ctx, tmp_path):
    rows = [["1", "X" * 10_000, "Ann", "1980-01-01"],
            ["2", "[bold red]Evil[/]", "Bob\x07\x1b[31m", "1980-01-01"],
            ["3", "Ok", "Cy", "2999-01-01"]]
    path = write_csv(tmp_path / "p.csv", ["patient_id", "last_name", "first_name", "dob"], rows)
    report = run(manager_ctx, ImportKind.PATIENTS, path, commit=True, maps=())
    assert report.counts == {"new": 1, "updated": 0, "unchanged": 0, "refused": 2}
    assert "10,000 characters" in report.refused[0].reason and "the most it may hold is 100" in report.refused[0].reason
    assert "future" in report.refused[1].reason
    with manager_ctx.db.read() as session:
        stored = session.execute(select(Patient.last_name, Patient.first_name)).one()
    assert tuple(stored) == ("[bold red]Evil[/]", "Bob")  # markup kept literally, control characters removed


def test_dates_are_strict():
    assert strict_date("2024-03-01", "dob") == dt.date(2024, 3, 1)
    assert strict_date("3/1/2024", "dob") == dt.date(2024, 3, 1)
    assert strict_date("", "dob") is None
    for text, why in (("03/04/05", "ambiguous"), ("2024-02-30", "not a real date"), ("0001-01-01", "before 1900"),
                      ("1/2/24", "ambiguous"), ("March 1", "not a date"), ("01.02.2024", "not a date")):
        with pytest.raises(ValidationError, match=why):
            strict_date(text, "dob")


def test_a_mapping_file_and_value_maps(manager_ctx, imported, tmp_path):
    mapping = tmp_path / "oldpms.map"
    mapping.write_text("# oldpms column names\nPat=patient_id\nCarrier Code=payer\npayer:OLD-7=BSTP1\n", encoding="utf-8")
    path = write_csv(tmp_path / "pol.csv", ["Pat", "Carrier Code", "Member", "Eff"],
                     [["P1", "OLD-7", "M1", "2026-01-01"]])
    report = run(manager_ctx, ImportKind.POLICIES, path, commit=True, maps=("Member=member_id", "Eff=effective_from"),
                 mapping_file=mapping)
    assert report.counts["new"] == 1, report.refused
    bad = tmp_path / "bad.map"
    bad.write_text("Pat=patient\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="bad.map line 1: 'patient' is not a field"):
        run(manager_ctx, ImportKind.POLICIES, path, mapping_file=bad, maps=())


def test_only_managers_import(as_role, tmp_path):
    path = write_csv(tmp_path / "p.csv", ["patient_id", "last_name", "first_name", "dob"], [["1", "A", "B", "1980-01-01"]])
    with pytest.raises(PermissionDenied):
        run(as_role("front_desk"), ImportKind.PATIENTS, path, maps=())


def test_the_example_files_in_the_docs_import_cleanly(manager_ctx, sched, tmp_path):
    examples = Path(__file__).parents[1] / "docs" / "import-examples"
    for kind in (ImportKind.PATIENTS, ImportKind.POLICIES, ImportKind.APPOINTMENTS, ImportKind.BALANCES):
        path = tmp_path / f"{kind.value}.csv"
        path.write_bytes((examples / f"{kind.value}.csv").read_bytes())
        report = run(manager_ctx, kind, path, commit=True, maps=())
        assert report.counts["refused"] == 0, report.refused
        assert report.counts["new"] >= 2 and report.ignored == []
    mapping = Mapping.build(ImportKind.PATIENTS, mapping_file=examples / "oldpms.map")
    assert mapping.columns == {"chart#": "patient_id", "ptlast": "last_name", "ptfirst": "first_name"}
