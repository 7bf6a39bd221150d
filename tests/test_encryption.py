"""Encryption at rest: a clinic encrypted with SQLCipher cannot be read without its key.

SQLite only (on the PostgreSQL run only the refusal is tested): encrypting, the passphrase,
the recovery code and the keyring opening it, a wrong one refused with one clear message,
every service working on the encrypted file, rekeying, backups that stay encrypted and
restore, and migrations on an encrypted database.
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from sqlalchemy import select, text

from officeconsole.bootstrap import open_database
from officeconsole.config import Paths
from officeconsole.db import cipher, migrate
from officeconsole.db.engine import cipher_key, make_engine
from officeconsole.migrations import HEAD_REVISION
from officeconsole.models import Patient
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import DatabaseLocked, OfficeError, PermissionDenied, WrongDatabaseKey
from officeconsole.services.frontdesk.patients import PatientService
from officeconsole.services.operations.backups import BackupKeyMismatch, BackupService, restore
from officeconsole.services.scheduling.booking import BookingInput, BookingService
from officeconsole.services.security import db_keys
from officeconsole.services.security.audit_chain import AuditChainService
from officeconsole.services.security.encryption import EncryptionError, EncryptionService

from tests.conftest import MONDAY, engine_name
from tests.factories import register

PASSPHRASE = "maple street sunrise"
sqlite_only = pytest.mark.skipif(engine_name() != "sqlite", reason="SQLCipher encrypts SQLite files")


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch):
    monkeypatch.setattr(db_keys, "KDF", db_keys.KdfParams(time_cost=1, memory_cost=8, parallelism=1))
    monkeypatch.delenv(db_keys.ENV_DB_PASSPHRASE, raising=False)


class MemoryKeyring(KeyringBackend):
    """An OS keyring that lives in this test's memory."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        from keyring.errors import PasswordDeleteError

        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture
def use_keyring():
    saved = keyring.get_keyring()

    def _use(backend):
        keyring.set_keyring(backend)
        return backend

    yield _use
    keyring.set_keyring(saved)


def db_file(db_url: str) -> Path:
    return Path(db_url.removeprefix("sqlite:///"))


def reopen(db_url, tmp_path, clock, **how) -> ServiceContext:
    opened = open_database(db_url, paths=Paths.discover({"OFFICECONSOLE_HOME": str(tmp_path / "home")}),
                           clock=clock, **how)
    return opened.ctx


@pytest.fixture
def encrypted(ctx, sched, as_role, manager_ctx, tmp_path, db_url):
    """The scheduling clinic with a patient Quackenbush, encrypted under PASSPHRASE."""
    register(as_role("front_desk"), first_name="Zebediah", last_name="Quackenbush")
    done = EncryptionService(manager_ctx).encrypt(PASSPHRASE, tmp_path / "backups")
    return done


@sqlite_only
def test_an_encrypted_clinic_cannot_be_read_without_its_key(encrypted, db_url):
    folder = db_file(db_url).parent
    raw = db_file(db_url).read_bytes()
    assert b"Quackenbush" not in raw and not raw.startswith(b"SQLite format 3")
    for side in folder.glob("clinic.db*"):  # no WAL, journal or leftover copy holds it either
        assert b"Quackenbush" not in side.read_bytes(), side
    with contextlib.closing(sqlite3.connect(db_file(db_url))) as plain, pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT * FROM patient").fetchall()
    keys = encrypted.keys_path.read_text()
    assert PASSPHRASE not in keys and "Quackenbush" not in keys
    assert encrypted.rows > 0 and encrypted.tables > 10
    assert len(encrypted.recovery_code.split("-")) == 14
    assert not list(db_file(db_url).parent.glob(".*encrypting"))  # no staged copy left behind


@sqlite_only
def test_the_passphrase_opens_it_and_every_service_works(encrypted, db_url, tmp_path, clock, sched, clinic):
    ctx = reopen(db_url, tmp_path, clock, passphrase=PASSPHRASE)
    try:
        assert cipher_key(ctx.db.engine) is not None
        desk = ctx.as_actor(clinic.actors["front_desk"])
        [row] = PatientService(desk).search("quackenbush").rows
        booked = BookingService(desk).book(BookingInput(row.id, sched["lee"], sched["type"], MONDAY, "09:00"))
        assert booked.id
        register(desk, first_name="After", last_name="Encryption")
        assert AuditChainService(ctx.as_actor(clinic.actors["manager"])).verify().intact
        with ctx.db.engine.connect() as conn:  # the engine's SQLite settings are all there
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
    finally:
        ctx.db.dispose()
    assert b"Encryption" not in db_file(db_url).read_bytes()


@sqlite_only
def test_a_wrong_passphrase_gets_one_clear_message_and_changes_nothing(encrypted, db_url, tmp_path, clock):
    before = db_file(db_url).read_bytes()
    with pytest.raises(WrongDatabaseKey) as caught:
        reopen(db_url, tmp_path, clock, passphrase="not the passphrase")
    assert str(caught.value) == "The database is encrypted and that passphrase does not open it."
    with pytest.raises(DatabaseLocked, match="encrypted: type its passphrase"):
        reopen(db_url, tmp_path, clock)  # no passphrase, no keyring, no prompt
    assert db_file(db_url).read_bytes() == before


@sqlite_only
def test_a_wrong_key_reaching_sqlcipher_is_the_same_message(encrypted, db_url):
    from officeconsole.db.engine import check_connection

    engine = make_engine(db_url, key=b"\1" * 32)
    try:
        with pytest.raises(WrongDatabaseKey, match="that passphrase does not open it"):
            check_connection(engine)
    finally:
        engine.dispose()


@sqlite_only
def test_the_recovery_code_opens_it_even_without_the_key_file(encrypted, db_url, tmp_path, clock, clinic):
    code = encrypted.recovery_code
    ctx = reopen(db_url, tmp_path, clock, passphrase=code.lower().replace("-", " "))
    ctx.db.dispose()
    typo = ("B" if code[0] != "B" else "C") + code[1:]
    with pytest.raises(WrongDatabaseKey, match="recovery code has a typo"):
        reopen(db_url, tmp_path, clock, passphrase=typo)
    encrypted.keys_path.write_text("{ damaged")
    with pytest.raises(DatabaseLocked, match="cannot be read.*recovery code"):
        reopen(db_url, tmp_path, clock)
    ctx = reopen(db_url, tmp_path, clock, passphrase=code)
    try:
        aside = EncryptionService(ctx.as_actor(clinic.actors["manager"])).recover("a new clinic passphrase")
        assert aside is not None and aside.read_text() == "{ damaged"
    finally:
        ctx.db.dispose()
    reopen(db_url, tmp_path, clock, passphrase="a new clinic passphrase").db.dispose()


@sqlite_only
def test_passphrases_per_person_and_the_environment(encrypted, db_url, tmp_path, clock, clinic, monkeypatch):
    ctx = reopen(db_url, tmp_path, clock, passphrase=PASSPHRASE)
    service = EncryptionService(ctx.as_actor(clinic.actors["manager"]))
    assert service.set_passphrase("closeout", "the nightly close passphrase") is False
    assert [p.name for p in service.passphrases()] == ["clinic", "closeout"]
    with pytest.raises(OfficeError, match="at least 12 characters"):
        service.set_passphrase("short", "too short")
    with pytest.raises(EncryptionError, match="passphrase name"):
        service.set_passphrase("Not A Name!", "a long enough passphrase")
    with pytest.raises(PermissionDenied):
        EncryptionService(ctx.as_actor(clinic.actors["front_desk"])).set_passphrase("desk", "a desk passphrase!")
    ctx.db.dispose()
    monkeypatch.setenv(db_keys.ENV_DB_PASSPHRASE, "the nightly close passphrase")
    ctx = reopen(db_url, tmp_path, clock)
    service = EncryptionService(ctx.as_actor(clinic.actors["manager"]))
    service.remove_passphrase("clinic")
    with pytest.raises(EncryptionError, match="last passphrase"):
        service.remove_passphrase("closeout")
    ctx.db.dispose()
    monkeypatch.setenv(db_keys.ENV_DB_PASSPHRASE, PASSPHRASE)
    with pytest.raises(WrongDatabaseKey, match=r"\$OFFICECONSOLE_DB_PASSPHRASE does not open it"):
        reopen(db_url, tmp_path, clock)


@sqlite_only
def test_rekey_and_the_old_passphrase_no_longer_opens_it(encrypted, db_url, tmp_path, clock, clinic):
    ctx = reopen(db_url, tmp_path, clock, passphrase=PASSPHRASE)
    service = EncryptionService(ctx.as_actor(clinic.actors["manager"]))
    service.set_passphrase("morgan", "morgan's own passphrase")
    old_key = cipher_key(ctx.db.engine)
    done = service.rekey("the brand new passphrase")
    assert done.removed == ["morgan"] and done.recovery_code != encrypted.recovery_code
    for old in (PASSPHRASE, "morgan's own passphrase", encrypted.recovery_code):
        with pytest.raises(WrongDatabaseKey):
            reopen(db_url, tmp_path, clock, passphrase=old)
    assert not cipher.key_opens(db_file(db_url), old_key)
    ctx = reopen(db_url, tmp_path, clock, passphrase="the brand new passphrase")
    try:
        with ctx.db.read() as session:
            assert "Quackenbush" in session.scalars(select(Patient.last_name)).all()
    finally:
        ctx.db.dispose()
    assert '"kid"' in encrypted.keys_path.read_text() and encrypted.keys_path.read_text().count('"name"') == 1


@sqlite_only
def test_a_copy_that_does_not_check_out_changes_nothing(ctx, clinic, manager_ctx, db_url, tmp_path, clock,
                                                       monkeypatch):
    def bad_copy(*_args):
        raise EncryptionError("The encrypted copy did not check out")

    monkeypatch.setattr("officeconsole.services.security.encryption._check_copy", bad_copy)
    with pytest.raises(EncryptionError, match="did not check out"):
        EncryptionService(manager_ctx).encrypt(PASSPHRASE)
    assert cipher.looks_plain(db_file(db_url)) and not db_keys.keys_path(db_file(db_url)).exists()
    monkeypatch.undo()
    monkeypatch.setattr(db_keys, "KDF", db_keys.KdfParams(time_cost=1, memory_cost=8, parallelism=1))
    EncryptionService(manager_ctx).encrypt(PASSPHRASE)
    ctx2 = reopen(db_url, tmp_path, clock, passphrase=PASSPHRASE)
    monkeypatch.setattr("officeconsole.services.security.encryption._check_copy", bad_copy)
    with pytest.raises(EncryptionError, match="did not check out"):
        EncryptionService(ctx2.as_actor(clinic.actors["manager"])).rekey("the brand new passphrase")
    with pytest.raises(WrongDatabaseKey):
        reopen(db_url, tmp_path, clock, passphrase="the brand new passphrase")
    ctx3 = reopen(db_url, tmp_path, clock, passphrase=PASSPHRASE)  # the old key, and its key file, as they were
    assert [p.name for p in EncryptionService(ctx3.as_actor(clinic.actors["manager"])).passphrases()] == ["clinic"]
    ctx3.db.dispose()


@sqlite_only
def test_a_backup_of_an_encrypted_database_stays_encrypted_and_restores(encrypted, db_url, tmp_path, clock, clinic):
    ctx = reopen(db_url, tmp_path, clock, passphrase=PASSPHRASE)
    manager = clinic.actors["manager"]
    key = cipher_key(ctx.db.engine)
    made = BackupService(ctx.as_actor(manager)).backup(tmp_path / "b")
    assert made.rows["patient"] == 3
    raw = made.path.read_bytes()
    assert b"Quackenbush" not in raw and not raw.startswith(b"SQLite format 3")
    register(ctx.as_actor(clinic.actors["front_desk"]), first_name="Later", last_name="Patient")
    ctx.db.dispose()
    aside = restore(db_url, made.path, None, manager, key=key)
    assert aside is not None and not cipher.looks_plain(aside)  # the set-aside copy is encrypted too
    ctx = reopen(db_url, tmp_path, clock, passphrase=PASSPHRASE)
    with ctx.db.read() as session:
        assert "Patient" not in session.scalars(select(Patient.last_name)).all()
    service = EncryptionService(ctx.as_actor(manager))
    service.rekey("the brand new passphrase")
    ctx = reopen(db_url, tmp_path, clock, passphrase="the brand new passphrase")
    new_key = cipher_key(ctx.db.engine)
    ctx.db.dispose()
    with pytest.raises(BackupKeyMismatch, match="made before a `db rekey`"):
        restore(db_url, made.path, None, manager, key=new_key)
    restore(db_url, made.path, None, manager, key=new_key,
            backup_key=db_keys.parse_recovery_code(encrypted.recovery_code))
    ctx = reopen(db_url, tmp_path, clock, passphrase="the brand new passphrase")  # brought to the new key
    ctx.db.dispose()


@sqlite_only
def test_a_plain_backup_restored_into_an_encrypted_database_is_encrypted(ctx, clinic, manager_ctx, tmp_path,
                                                                         db_url, clock, as_role):
    register(as_role("front_desk"), first_name="Plain", last_name="Oldbackup")
    plain = BackupService(manager_ctx).backup(tmp_path / "b")
    done = EncryptionService(manager_ctx).encrypt(PASSPHRASE, tmp_path / "b")
    assert done.plain_copies == [plain.path]  # named, so the manager can deal with them
    key = db_keys.unlock(db_url, passphrase=PASSPHRASE)
    restore(db_url, plain.path, None, clinic.actors["manager"], key=key)
    assert b"Oldbackup" not in db_file(db_url).read_bytes()
    ctx2 = reopen(db_url, tmp_path, clock, passphrase=PASSPHRASE)
    with ctx2.db.read() as session:
        assert session.scalars(select(Patient.last_name)).all() == ["Oldbackup"]
    ctx2.db.dispose()


@sqlite_only
def test_migrations_run_on_an_encrypted_database(tmp_path):
    key = b"\7" * 32
    path = tmp_path / "new.db"
    engine = make_engine(f"sqlite:///{path}", key=key)
    try:
        result = migrate.upgrade(engine, tmp_path / "backups")
        assert result.after == HEAD_REVISION
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        copy = migrate.backup_before_upgrade(engine, tmp_path / "backups", "test")  # the pre-upgrade copy
        assert not cipher.looks_plain(copy) and cipher.key_opens(copy, key)
    finally:
        engine.dispose()
    assert not cipher.looks_plain(path)


@sqlite_only
def test_the_key_from_the_os_keyring(encrypted, db_url, tmp_path, clock, clinic, use_keyring):
    memory = use_keyring(MemoryKeyring())
    ctx = reopen(db_url, tmp_path, clock, passphrase=PASSPHRASE)
    service = EncryptionService(ctx.as_actor(clinic.actors["manager"]))
    service.store_in_keyring()
    ctx.db.dispose()
    assert len(memory.items) == 1
    reopen(db_url, tmp_path, clock).db.dispose()  # no passphrase asked
    ctx = reopen(db_url, tmp_path, clock)
    rekeyed = EncryptionService(ctx.as_actor(clinic.actors["manager"])).rekey("the brand new passphrase")
    assert "new key" in rekeyed.keyring
    reopen(db_url, tmp_path, clock).db.dispose()  # the keyring followed the new key
    ctx = reopen(db_url, tmp_path, clock)
    assert EncryptionService(ctx.as_actor(clinic.actors["manager"])).forget_keyring() is True
    ctx.db.dispose()
    assert memory.items == {}
    with pytest.raises(DatabaseLocked):
        reopen(db_url, tmp_path, clock)


@sqlite_only
def test_a_missing_keyring_is_said_plainly_and_the_passphrase_asked(encrypted, db_url, tmp_path, clock, clinic,
                                                                    use_keyring):
    use_keyring(MemoryKeyring())
    ctx = reopen(db_url, tmp_path, clock, passphrase=PASSPHRASE)
    EncryptionService(ctx.as_actor(clinic.actors["manager"])).store_in_keyring()
    ctx.db.dispose()
    use_keyring(fail.Keyring())  # a headless Linux box: no backend at all
    notes = []

    def ask(note: str) -> str:
        notes.append(note)
        return PASSPHRASE

    reopen(db_url, tmp_path, clock, ask=ask).db.dispose()
    assert notes == ["No OS keyring is available to this user (a computer without a desktop session, "
                     "such as a Linux server, has none): type the database passphrase."]
    ctx = reopen(db_url, tmp_path, clock, passphrase=PASSPHRASE)
    with pytest.raises(db_keys.KeyringUnavailable, match="No OS keyring is available.*not stored"):
        EncryptionService(ctx.as_actor(clinic.actors["manager"])).store_in_keyring()
    ctx.db.dispose()


@sqlite_only
def test_refused_while_a_console_has_it_open_and_twice(ctx, clinic, manager_ctx, db_url):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('SELECT count(*) FROM patient').fetchall(); print('open', flush=True); time.sleep(30)",
         str(db_file(db_url))], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        before = db_file(db_url).read_bytes()[:100]
        with pytest.raises(EncryptionError, match="in use: close every console"):
            EncryptionService(manager_ctx).encrypt(PASSPHRASE)
        assert db_file(db_url).read_bytes()[:100] == before and cipher.looks_plain(db_file(db_url))
    finally:
        holder.kill()
        holder.wait()
    assert db_keys.encrypted_keys(db_file(db_url)) is None  # an interrupted encrypt leaves a plain database
    EncryptionService(manager_ctx).encrypt(PASSPHRASE)
    with pytest.raises(EncryptionError, match="encrypted already"):
        EncryptionService(manager_ctx).encrypt(PASSPHRASE)


@sqlite_only
def test_only_managers_encrypt(ctx, clinic, as_role):
    with pytest.raises(PermissionDenied):
        EncryptionService(as_role("front_desk")).encrypt(PASSPHRASE)
    with pytest.raises(OfficeError, match="at least 12"):
        EncryptionService(as_role("manager")).encrypt("short")
    assert cipher.looks_plain(db_file(ctx.db.engine.url.render_as_string()))
    every = [getattr(EncryptionService, n) for n in dir(EncryptionService) if not n.startswith("_")]
    assert all(getattr(fn, "permission", None) == "database.encrypt" for fn in every)


@pytest.mark.skipif(engine_name() != "postgresql", reason="PostgreSQL run only")
def test_postgresql_is_refused_with_where_to_look(ctx, clinic, manager_ctx):
    with pytest.raises(EncryptionError, match="server's job"):
        EncryptionService(manager_ctx).encrypt(PASSPHRASE)
