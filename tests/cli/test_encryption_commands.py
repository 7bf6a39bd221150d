"""`officeconsole db encrypt|rekey|recover|passphrase|keyring`, and every other command on an
encrypted database, as a manager would type them."""

from __future__ import annotations

import re
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from officeconsole.services.security import db_keys

from tests.conftest import engine_name
from tests.factories import register

PASSPHRASE = "maple street sunrise"
NEW = "OFFICECONSOLE_DB_NEW_PASSPHRASE"
CODE = re.compile(r"\b(?:[A-Z2-7]{4}-){13}[A-Z2-7]{4}\b")
sqlite_only = pytest.mark.skipif(engine_name() != "sqlite", reason="SQLCipher encrypts SQLite files")


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch):
    monkeypatch.setattr(db_keys, "KDF", db_keys.KdfParams(time_cost=1, memory_cost=8, parallelism=1))
    monkeypatch.delenv(db_keys.ENV_DB_PASSPHRASE, raising=False)


@pytest.fixture
def encrypted_url(cli, db_url, clinic, as_role, database):
    """The seeded clinic with a patient Quackenbush, encrypted by `db encrypt`; its recovery code."""
    register(as_role("front_desk"), first_name="Zebediah", last_name="Quackenbush")
    database.dispose()  # the fixtures' own connections: a console would be closed first
    done = cli("--db", db_url, "db", "encrypt", "--as", "manager", "--yes", env={NEW: PASSPHRASE})
    assert done.exit_code == 0, done.text
    assert "RECOVERY CODE" in done.stdout and "overwritten" in done.stdout
    return db_url, CODE.search(done.stdout).group(0)


def path_of(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


@sqlite_only
def test_encrypt_then_each_command_needs_the_key(cli, encrypted_url):
    url, code = encrypted_url
    assert b"Quackenbush" not in path_of(url).read_bytes()
    listed = cli("--db", url, "user", "list", "--as", "manager", env={db_keys.ENV_DB_PASSPHRASE: PASSPHRASE})
    assert listed.exit_code == 0 and "Morgan Manager" in listed.stdout
    wrong = cli("--db", url, "user", "list", "--as", "manager", input="not the passphrase\n")
    assert wrong.exit_code == 1 and "Traceback" not in wrong.text
    assert "error: The database is encrypted and that passphrase does not open it." in wrong.stderr
    assert "Morgan" not in wrong.text
    prompted = cli("--db", url, "user", "list", "--as", "manager", input=f"{PASSPHRASE}\n")
    assert prompted.exit_code == 0, prompted.text
    by_code = cli("--db", url, "user", "list", "--as", "manager", input=f"{code}\n")
    assert by_code.exit_code == 0, by_code.text
    bad_env = cli("--db", url, "user", "list", "--as", "manager", env={db_keys.ENV_DB_PASSPHRASE: "wrong wrong wrong"})
    assert bad_env.exit_code == 1 and "$OFFICECONSOLE_DB_PASSPHRASE does not open it" in bad_env.stderr
    info = cli("--db", url, "info")
    assert "SQLCipher" in info.stdout and "not read" in info.stdout
    again = cli("--db", url, "db", "encrypt", "--as", "manager", "--yes",
                env={NEW: "another passphrase", db_keys.ENV_DB_PASSPHRASE: PASSPHRASE})
    assert again.exit_code == 1 and "encrypted already" in again.stderr


@sqlite_only
def test_passphrases_rekey_and_a_missing_keyring(cli, encrypted_url):
    url, code = encrypted_url
    env = {db_keys.ENV_DB_PASSPHRASE: PASSPHRASE}
    added = cli("--db", url, "db", "passphrase", "set", "closeout", "--as", "manager",
                env={**env, NEW: "the nightly close passphrase"})
    assert added.exit_code == 0 and "added" in added.stdout
    listed = cli("--db", url, "db", "passphrase", "list", "--as", "manager", "--format", "csv", env=env)
    assert listed.stdout.splitlines()[1:] and [r.split(",")[0] for r in listed.stdout.splitlines()[1:]] == ["clinic", "closeout"]
    desk = cli("--db", url, "db", "passphrase", "list", "--as", "desk", env=env)
    assert desk.exit_code == 1 and "Permission denied" in desk.stderr
    saved = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        store = cli("--db", url, "db", "keyring", "store", "--as", "manager", env=env)
    finally:
        keyring.set_keyring(saved)
    assert store.exit_code == 1 and "No OS keyring is available" in store.stderr and "Traceback" not in store.text
    rekeyed = cli("--db", url, "db", "rekey", "--as", "manager", "--yes", env={**env, NEW: "the brand new passphrase"})
    assert rekeyed.exit_code == 0, rekeyed.text
    assert "closeout" in rekeyed.stdout and CODE.search(rekeyed.stdout).group(0) != code
    old = cli("--db", url, "user", "list", "--as", "manager", env=env)
    assert old.exit_code == 1 and "does not open it" in old.stderr
    new = cli("--db", url, "user", "list", "--as", "manager", env={db_keys.ENV_DB_PASSPHRASE: "the brand new passphrase"})
    assert new.exit_code == 0, new.text


@sqlite_only
def test_backup_and_restore_of_an_encrypted_database(cli, encrypted_url, tmp_path):
    url, _code = encrypted_url
    env = {db_keys.ENV_DB_PASSPHRASE: PASSPHRASE}
    made = cli("--db", url, "backup", "--to", str(tmp_path / "b"), "--as", "manager", env=env)
    assert made.exit_code == 0, made.text
    [file] = (tmp_path / "b").glob("officeconsole-*")
    assert b"Quackenbush" not in file.read_bytes() and not file.read_bytes().startswith(b"SQLite format 3")
    done = cli("--db", url, "restore", str(file), "--as", "manager", "--yes", env=env)
    assert done.exit_code == 0 and "Restored" in done.stdout, done.text
    wrong = cli("--db", url, "restore", str(file), "--yes", env={db_keys.ENV_DB_PASSPHRASE: "wrong wrong wrong"})
    assert wrong.exit_code == 1 and "does not open it" in wrong.stderr
    assert cli("--db", url, "user", "list", "--as", "manager", env=env).exit_code == 0


@sqlite_only
def test_recover_a_lost_key_file_with_the_recovery_code(cli, encrypted_url):
    url, code = encrypted_url
    keys = db_keys.keys_path(path_of(url))
    keys.unlink()
    lost = cli("--db", url, "user", "list", "--as", "manager", env={db_keys.ENV_DB_PASSPHRASE: PASSPHRASE})
    assert lost.exit_code == 1 and "db recover" in lost.stderr
    recovered = cli("--db", url, "db", "recover", "--as", "manager", input=f"{code}\n", env={NEW: "a fresh passphrase"})
    assert recovered.exit_code == 0, recovered.text
    again = cli("--db", url, "user", "list", "--as", "manager", env={db_keys.ENV_DB_PASSPHRASE: "a fresh passphrase"})
    assert again.exit_code == 0, again.text


@pytest.mark.skipif(engine_name() != "postgresql", reason="PostgreSQL run only")
def test_postgresql_is_refused(cli, seeded_url):
    done = cli("--db", seeded_url, "db", "encrypt", "--as", "manager", "--yes", env={NEW: PASSPHRASE})
    assert done.exit_code == 1 and "server's job" in done.stderr
