"""The PC died: a backup restored on a new PC (a fresh profile, no audit key) gets its audit key
back from the backup, with the backup's passphrase or the audit recovery code, and the clinic goes
on writing and checking its trail."""

from __future__ import annotations

import re
import sqlite3

import pytest

from tests.conftest import engine_name

pytestmark = pytest.mark.skipif(engine_name() != "sqlite", reason="a new PC restores its SQLite file; "
                                "a PostgreSQL clinic keeps its database on the server")

@pytest.fixture(autouse=True)
def no_recovery_code_yet(audit_key_file):
    """The run shares one audit key: each test starts (and leaves) it without a recovery code."""
    wrapped = audit_key_file.with_name(audit_key_file.name + ".recovery")
    wrapped.unlink(missing_ok=True)
    yield
    wrapped.unlink(missing_ok=True)


CODE = re.compile(r"([A-Z2-7]{4}(?:-[A-Z2-7]{4}){13})")


def nothing_restored(path) -> bool:
    """No clinic there: no file, or the empty one a look at the missing database left."""
    if not path.exists():
        return True
    with sqlite3.connect(path) as db:
        return not db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]


def new_pc(tmp_path, name: str) -> tuple[str, dict[str, str]]:
    """A database path and the environment of a fresh profile (no audit key yet)."""
    home = tmp_path / name
    return f"sqlite:///{home / 'clinic.db'}", {"OFFICECONSOLE_HOME": str(home),
                                               "OFFICECONSOLE_AUDIT_KEY_FILE": str(home / "config" / "audit.key")}


def test_a_plain_backup_carries_the_key_under_the_recovery_code(cli, db_url, clinic, tmp_path):
    folder = tmp_path / "backups"
    bare = cli("--db", db_url, "backup", "--to", str(folder), "--as", "manager")
    assert bare.exit_code == 0 and "does not carry the audit key" in bare.stderr
    assert not list(folder.glob("*.auditkey"))
    desk = cli("--db", db_url, "audit", "recovery-code", "--as", "desk")
    assert desk.exit_code == 1 and "Permission denied" in desk.stderr
    made = cli("--db", db_url, "audit", "recovery-code", "--as", "manager")
    assert made.exit_code == 0, made.text
    code = CODE.search(made.stdout).group(1)
    carried = cli("--db", db_url, "backup", "--to", str(folder), "--as", "manager")
    assert "travels with it" in carried.stdout and "recovery code" in carried.stdout
    [sidecar] = folder.glob("*.auditkey")
    backup = sidecar.with_name(sidecar.name.removesuffix(".auditkey"))
    assert sidecar.stat().st_mode & 0o077 == 0  # owner-only

    url, env = new_pc(tmp_path, "new-pc")
    wrong = cli("--db", url, "restore", str(backup), "--yes",
                env={**env, "OFFICECONSOLE_AUDIT_RECOVERY_CODE": "AAAA-" * 13 + "AAAA"})
    assert wrong.exit_code == 1 and ("typo" in wrong.stderr or "unwraps" in wrong.stderr)
    assert not (tmp_path / "new-pc" / "config" / "audit.key").exists()
    assert nothing_restored(tmp_path / "new-pc" / "clinic.db")
    restored = cli("--db", url, "restore", str(backup), "--yes",
                   env={**env, "OFFICECONSOLE_AUDIT_RECOVERY_CODE": code.lower().replace("-", " ")})
    assert restored.exit_code == 0, restored.text
    assert "audit key was put back" in restored.stdout
    added = cli("--db", url, "payer", "add", "Restored Mutual", "--as", "manager", env=env)
    assert added.exit_code == 0, added.text
    verified = cli("--db", url, "audit", "verify", "--as", "manager", env=env)
    assert verified.exit_code == 0 and "chain intact" in verified.stdout, verified.text
    listed = cli("--db", url, "audit", "list", "--as", "manager", "--format", "csv", env=env)
    assert f"restored {backup.name}" in listed.stdout and "without sign-in" in listed.stdout


def test_an_encrypted_backup_gives_the_key_back_with_its_passphrase(cli, db_url, clinic, tmp_path):
    secret = {"OFFICECONSOLE_BACKUP_PASSPHRASE": "birch lane backups"}
    made = cli("--db", db_url, "backup", "--encrypt", "--to", str(tmp_path / "b"), "--as", "manager", env=secret)
    assert made.exit_code == 0 and "the passphrase" in made.stdout, made.text
    [backup] = (tmp_path / "b").glob("*.enc")
    url, env = new_pc(tmp_path, "other-pc")
    restored = cli("--db", url, "restore", str(backup), "--yes", env={**env, **secret})
    assert restored.exit_code == 0, restored.text
    assert "audit key was put back" in restored.stdout
    verified = cli("--db", url, "audit", "verify", "--as", "manager", env=env)
    assert verified.exit_code == 0, verified.text


def test_a_backup_without_the_key_says_what_to_do(cli, db_url, clinic, tmp_path):
    cli("--db", db_url, "backup", "--to", str(tmp_path / "b"), "--as", "manager")
    [backup] = (tmp_path / "b").glob("officeconsole-*.db")
    url, env = new_pc(tmp_path, "third-pc")
    restored = cli("--db", url, "restore", str(backup), "--yes", env=env)
    assert restored.exit_code == 1
    assert "Restored" not in restored.stdout and "copy the clinic's audit.key" in restored.stderr
    assert "Nothing was restored" in restored.stderr and nothing_restored(tmp_path / "third-pc" / "clinic.db")
