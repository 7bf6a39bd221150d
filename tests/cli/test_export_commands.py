"""`officeconsole export --format csv|fhir --out DIR [--force]` and `export patient MRN [--out DIR]`; and
the formula escaping on another command's CSV."""

from __future__ import annotations

import csv
import io
import json

from officeconsole.services.scheduling.booking import BookingInput

from tests.conftest import MONDAY
from tests.factories import register


def test_export_the_clinic_as_csv_and_fhir(cli, seeded_url, desk_ctx, tmp_path):
    register(desk_ctx, first_name="Ann", last_name="Exported")
    out = tmp_path / "csv-export"
    done = cli("--db", seeded_url, "export", "--format", "csv", "--out", str(out), "--as", "manager")
    assert done.exit_code == 0, done.text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "officeconsole-csv" and manifest["exported_by"] == "manager"
    patients = {f["file"]: f["rows"] for f in manifest["files"]}["patient.csv"]
    assert patients == 1 and "Exported" in (out / "patient.csv").read_text()
    assert f"Exported {len(manifest['files'])} files" in done.stdout and "manifest.json" in done.stdout

    again = cli("--db", seeded_url, "export", "--format", "fhir", "--out", str(out), "--as", "manager")
    assert again.exit_code == 1 and "is not empty" in again.stderr and "--force" in again.stderr
    forced = cli("--db", seeded_url, "export", "--format", "fhir", "--out", str(out), "--force", "--as", "manager")
    assert forced.exit_code == 0, forced.text
    assert json.loads((out / "manifest.json").read_text())["format"] == "fhir-r4-ndjson"
    assert json.loads((out / "Patient.ndjson").read_text().splitlines()[0])["name"][0]["family"] == "Exported"


def test_export_refusals(cli, seeded_url, tmp_path):
    refused = cli("--db", seeded_url, "export", "--format", "csv", "--out", str(tmp_path / "x"), "--as", "biller")
    assert refused.exit_code == 1 and "error: Permission denied" in refused.stderr
    assert not (tmp_path / "x").exists()
    bare = cli("--db", seeded_url, "export", "--as", "manager")
    assert bare.exit_code == 1 and "--format csv|fhir --out DIR" in bare.stderr
    wrong = cli("--db", seeded_url, "export", "--format", "xml", "--out", str(tmp_path / "y"), "--as", "manager")
    assert wrong.exit_code == 2 and not (tmp_path / "y").exists()


def test_export_one_patient_s_record(cli, seeded_url, desk_ctx, tmp_path):
    patient = register(desk_ctx, first_name="Rita", last_name="Record")
    done = cli("--db", seeded_url, "export", "patient", patient.mrn, "--as", "manager")
    assert done.exit_code == 0, done.text
    folder = tmp_path / "home" / "reports" / "records"  # the reports folder under OFFICECONSOLE_HOME
    files = sorted(p.name for p in folder.iterdir())
    assert [name.rsplit(".", 1)[-1] for name in files] == ["json", "pdf"]
    assert all(name.startswith(f"record-{patient.mrn}-") for name in files)
    assert f"Record of Record, Rita (MRN {patient.mrn})" in done.stdout and str(folder) in done.stdout
    bundle = json.loads((folder / files[0]).read_text())
    assert bundle["resourceType"] == "Bundle" and bundle["entry"][0]["resource"]["birthDate"] == "1980-04-12"

    elsewhere = cli("--db", seeded_url, "export", "patient", patient.mrn, "--out", str(tmp_path / "mine"),
                    "--as", "manager")
    assert elsewhere.exit_code == 0 and len(list((tmp_path / "mine").iterdir())) == 2
    unknown = cli("--db", seeded_url, "export", "patient", "9999999", "--as", "manager")
    assert unknown.exit_code == 1 and "No patient has MRN 9999999" in unknown.stderr
    desk = cli("--db", seeded_url, "export", "patient", patient.mrn, "--as", "desk")
    assert desk.exit_code == 1 and "Permission denied" in desk.stderr
    audit = cli("--db", seeded_url, "audit", "list", "--patient", patient.mrn, "--as", "manager", "--format", "json")
    assert [e["action"] for e in json.loads(audit.stdout)].count("patient.disclose") == 2


def test_the_reminder_list_csv_is_escaped_too(cli, db_url, sched, desk_ctx):
    formula = register(desk_ctx, first_name="Ann", last_name="=Cmd+2")
    sched["book"].book(BookingInput(formula.id, sched["lee"], sched["type"], MONDAY, "09:00"))
    export = cli("--db", db_url, "schedule", "export", "--as", "desk", "--date", "2026-11-30")
    assert export.exit_code == 0, export.text
    rows = list(csv.reader(io.StringIO(export.stdout)))
    assert rows[1][0] == "'=Cmd+2, Ann" and rows[1][rows[0].index("Time")] == "2026-11-30 09:00"
