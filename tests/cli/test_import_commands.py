"""`officeconsole import patients|policies|appointments|balances FILE [--commit] --as MANAGER`."""

from __future__ import annotations

from sqlalchemy import func, select

from officeconsole.models import Patient

from tests.import_files import write_csv


def test_import_patients_dry_run_then_commit(cli, seeded_url, ctx, tmp_path):
    path = write_csv(tmp_path / "pts.csv", ["Chart No", "Surname", "Given Name", "Date of Birth", "Cell"],
                     [["A1", "Ames", "Ann", "01/02/1970", "(217) 555-0101"],
                      ["A2", "Baker", "[red]Bob[/]", "03/04/05", ""]])
    dry = cli("--db", seeded_url, "import", "patients", str(path), "--source", "oldpms", "--as", "manager")
    assert dry.exit_code == 0, dry.text
    assert "Dry run, nothing was written (1 new, 0 updated, 0 unchanged, 1 refused of 2 rows)" in dry.stdout
    assert "ambiguous" in dry.stdout and "[red]Bob[/]" not in dry.stdout  # reasons shown; cells stay in the file
    assert (tmp_path / "pts.rejects.csv").exists()
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 0
    done = cli("--db", seeded_url, "import", "patients", str(path), "--source", "oldpms", "--commit",
               "--as", "manager")
    assert done.exit_code == 0, done.text
    assert "Imported in" in done.stdout and "1 new" in done.stdout
    again = cli("--db", seeded_url, "import", "patients", str(path), "--source", "oldpms", "--commit",
                "--as", "manager")
    assert "0 new, 0 updated, 1 unchanged, 1 refused" in again.stdout


def test_import_refusals_are_one_line_errors(cli, seeded_url, tmp_path):
    path = write_csv(tmp_path / "pts.csv", ["ref", "last"], [["1", "A"]])
    missing = cli("--db", seeded_url, "import", "patients", str(path), "--as", "manager")
    assert missing.exit_code == 1 and "required field(s) patient_id" in missing.stderr and "first_name" in missing.stderr
    unknown = cli("--db", seeded_url, "import", "patients", str(path), "--map", "id=colour", "--as", "manager")
    assert unknown.exit_code == 1 and "'colour' is not a field" in unknown.stderr
    desk = cli("--db", seeded_url, "import", "patients", str(path), "--as", "desk")
    assert desk.exit_code == 1 and "Permission denied" in desk.stderr
