"""`officeconsole backup` and `officeconsole restore`, as a manager would type them."""

from __future__ import annotations

import pytest

from tests.conftest import engine_name


def test_backup_then_restore_with_confirmation(cli, db_url, clinic, tmp_path):
    made = cli("--db", db_url, "backup", "--to", str(tmp_path / "b"), "--as", "manager")
    assert made.exit_code == 0, made.text
    assert "verified:" in made.stdout and "MB/s" in made.stdout
    [file] = (tmp_path / "b").glob("officeconsole-*")
    desk = cli("--db", db_url, "backup", "--to", str(tmp_path / "b"), "--as", "desk")
    assert desk.exit_code == 1 and "Permission denied" in desk.stderr
    unsigned = cli("--db", db_url, "restore", str(file), "--yes")
    assert unsigned.exit_code == 1 and "Sign in as a manager" in unsigned.stderr
    declined = cli("--db", db_url, "restore", str(file), "--as", "manager", input="n\n")
    assert declined.exit_code == 1
    done = cli("--db", db_url, "restore", str(file), "--as", "manager", "--yes")
    assert done.exit_code == 0, done.text
    assert "Restored" in done.stdout
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    refused = cli("--db", db_url, "restore", str(junk), "--as", "manager", "--yes")
    assert refused.exit_code == 1 and "not an Office Console backup" in refused.stderr
    assert "Traceback" not in refused.text


def test_encrypted_backup_and_a_short_passphrase(cli, db_url, clinic, tmp_path):
    short = cli("--db", db_url, "backup", "--encrypt", "--to", str(tmp_path), "--as", "manager",
                env={"OFFICECONSOLE_BACKUP_PASSPHRASE": "short"})
    assert short.exit_code == 1 and "at least 8 characters" in short.stderr
    made = cli("--db", db_url, "backup", "--encrypt", "--to", str(tmp_path), "--as", "manager",
               env={"OFFICECONSOLE_BACKUP_PASSPHRASE": "a long passphrase"})
    assert made.exit_code == 0 and "encrypted" in made.stdout


@pytest.mark.skipif(engine_name() != "sqlite", reason="a corrupt SQLite file")
def test_a_corrupt_database_is_restored_without_sign_in(cli, db_url, clinic, tmp_path):
    from pathlib import Path

    made = cli("--db", db_url, "backup", "--to", str(tmp_path), "--as", "manager")
    [file] = tmp_path.glob("officeconsole-*")
    path = Path(db_url.removeprefix("sqlite:///"))
    for side in ("-wal", "-shm"):
        Path(str(path) + side).unlink(missing_ok=True)
    path.write_bytes(b"garbage" * 1000)
    done = cli("--db", db_url, "restore", str(file), "--yes")
    assert made.exit_code == 0 and done.exit_code == 0, done.text
    assert "not a readable database" in done.stderr and "set aside" in done.stdout
    assert cli("--db", db_url, "user", "list", "--as", "manager").exit_code == 0
