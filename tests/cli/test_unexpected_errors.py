"""A bug in a command ends in one line with an error id, never a traceback or patient data."""

from __future__ import annotations

from officeconsole.services.frontdesk.insurance import InsuranceService


def test_the_cli_says_one_line_for_the_unexpected(cli, db_url, clinic, monkeypatch):
    def broken(self, include_retired=False):
        raise RuntimeError("a bug with Zoe Testwell in its message")

    monkeypatch.setattr(InsuranceService, "payers", broken)
    result = cli("--db", db_url, "payer", "list", "--as", "manager")
    assert result.exit_code == 1 and "Traceback" not in result.text
    assert result.stderr.startswith("error: something unexpected went wrong (RuntimeError, error ")
    assert "Zoe Testwell" not in result.stderr


def test_a_full_disk_is_one_line_in_words(cli, db_url, clinic, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def full(self, *args, **kwargs):
        raise OperationalError("INSERT INTO payer ...", {}, Exception("database or disk is full"))

    monkeypatch.setattr(InsuranceService, "add_payer", full)
    result = cli("--db", db_url, "payer", "add", "Full Disk Mutual", "--as", "manager")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: The disk is full: nothing was saved.") and "Traceback" not in result.text


def test_an_empty_file_is_not_made_into_a_new_clinic(cli, tmp_path):
    empty = tmp_path / "clinic.db"
    empty.write_bytes(b"")
    result = cli("--db", str(empty), "payer", "list", "--as", "manager")
    assert result.exit_code == 1 and "is an empty file (0 bytes), not a clinic" in result.stderr
    assert empty.stat().st_size == 0
