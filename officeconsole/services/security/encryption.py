"""Encryption at rest for a SQLite database: encrypt it, change its key, manage its passphrases.

`encrypt` copies the plain database into a new SQLCipher file under a random key
(`sqlcipher_export`, with every writer locked out), checks the copy (integrity check, the
same row count in every table), writes the key file, swaps the copy in with one rename and
overwrites the plain file's bytes. No plain copy is kept: that would defeat the purpose.
`rekey` does the same from the old key to a new one. Both need every console closed (as a
restore does): they end the caller's connections, and the context is not usable afterwards.

What this protects and what it does not is in the README ("Encryption at rest").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from officeconsole.db import cipher
from officeconsole.db.engine import cipher_key
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import OfficeError
from officeconsole.services.common.permissions import requires
from officeconsole.services.security import audit, db_keys
from officeconsole.services.security.db_keys import KeyFile, check_new_passphrase, key_id, keys_path, recovery_code

SLOT_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
DEFAULT_SLOT = "clinic"
BUSY_MS = 3000


class EncryptionError(OfficeError):
    pass


@dataclass(frozen=True)
class Encrypted:
    path: Path
    keys_path: Path
    recovery_code: str
    tables: int
    rows: int
    plain_copies: list[Path]  # earlier plain backups still in the backups folder


@dataclass(frozen=True)
class Rekeyed:
    recovery_code: str
    removed: list[str]  # passphrases that opened the old key only
    keyring: str  # "" when the keyring was not in use, else what happened to it


@dataclass(frozen=True)
class PassphraseInfo:
    name: str
    added: str


class EncryptionService:
    """Every method needs a manager (or admin) signed in on the open database."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # ----- helpers -------------------------------------------------------------------------
    def _path(self) -> Path:
        url = self.ctx.db.engine.url
        if url.get_backend_name() != "sqlite":
            raise EncryptionError(
                "Office Console encrypts SQLite databases only. On PostgreSQL, encryption at rest is the "
                "server's job: encrypt the server's disk (or use the hosting service's storage encryption).")
        if not url.database or url.database == ":memory:":
            raise EncryptionError("An in-memory database cannot be encrypted.")
        return Path(url.database)

    def _key(self) -> bytes:
        key = cipher_key(self.ctx.db.engine)
        if key is None:
            raise EncryptionError("The database is not encrypted: `officeconsole db encrypt` first.")
        return key

    def _keys(self, path: Path) -> KeyFile:
        keys = KeyFile.load(keys_path(path))
        if keys.problem:
            raise EncryptionError(keys.problem)
        return keys

    def _audit(self, action: str, summary: str) -> None:
        with self.ctx.db.write() as session:
            audit.record(session, self.ctx.now(), self.ctx.actor, action, entity="clinic", entity_id=1,
                         summary=summary)

    @requires("database.encrypt")
    def ready(self, *, encrypted: bool) -> Path:
        """The database file, when it can be encrypted (`encrypted=False`) or is (`True`): a
        command checks this before it asks for a new passphrase."""
        path = self._path()
        if encrypted:
            self._key()
        elif cipher_key(self.ctx.db.engine) is not None or db_keys.encrypted_keys(path) is not None:
            raise EncryptionError("The database is encrypted already: `officeconsole db rekey` changes its key.")
        return path

    # ----- encrypting and rekeying ---------------------------------------------------------------
    @requires("database.encrypt")
    def encrypt(self, passphrase: str, backups_dir: Path | None = None, name: str = DEFAULT_SLOT) -> Encrypted:
        """Encrypt the plain database in place; returns the recovery code (shown once)."""
        path = self.ready(encrypted=False)
        check_new_passphrase(passphrase)
        _check_name(name)
        self._audit("database.encrypt", f"encrypting the database at rest (SQLCipher); key file {keys_path(path)}")
        self.ctx.db.dispose()
        key = os.urandom(cipher.KEY_BYTES)
        keys = KeyFile(keys_path(path), key_id(key))
        keys.set_slot(name, key, passphrase)
        counts = _swap_in_copy(path, None, key, lambda: keys.save(_mode(path)))
        plain = sorted(p for p in (backups_dir.iterdir() if backups_dir and backups_dir.is_dir() else [])
                       if p.is_file() and cipher.looks_plain(p))
        return Encrypted(path, keys.path, recovery_code(key), len(counts), sum(counts.values()), plain)

    @requires("database.encrypt")
    def rekey(self, passphrase: str, name: str = DEFAULT_SLOT) -> Rekeyed:
        """A new random key: the database is copied under it and swapped in. The old passphrases
        and recovery code stop opening it; `passphrase` becomes the one passphrase `name`."""
        path = self._path()
        old = self._key()
        check_new_passphrase(passphrase)
        _check_name(name)
        keys = self._keys(path)
        removed = sorted({s.name for s in keys.slots if s.kid == keys.kid} - {name})
        self._audit("database.rekey", "the database key changed; passphrases dropped: " + (", ".join(removed) or "none"))
        self.ctx.db.dispose()
        key = os.urandom(cipher.KEY_BYTES)
        before = (keys.kid, list(keys.slots))
        keys.kid = key_id(key)
        keys.set_slot(name, key, passphrase)
        # While the copy is swapped in, the key file holds both keys' slots: a crash at any
        # point leaves a database that the new passphrase or the old one opens.
        try:
            _swap_in_copy(path, old, key, lambda: keys.save(_mode(path)))
        except BaseException:
            if cipher.key_opens(path, old):  # nothing was swapped: the key file as it was
                keys.kid, keys.slots = before
                keys.save(_mode(path))
            raise
        keys.slots = [s for s in keys.slots if s.kid == keys.kid]
        note = ""
        if keys.keyring:
            try:
                db_keys.keyring_set(path, key)
                note = "the OS keyring now holds the new key"
            except db_keys.KeyringUnavailable as exc:
                keys.keyring = False
                note = f"not updated: {exc.message}"
        keys.save(_mode(path))
        return Rekeyed(recovery_code(key), removed, note)

    # ----- passphrases -----------------------------------------------------------------------
    @requires("database.encrypt")
    def passphrases(self) -> list[PassphraseInfo]:
        path = self._path()
        self._key()
        keys = self._keys(path)
        return [PassphraseInfo(s.name, s.added) for s in keys.slots if s.kid == keys.kid]

    @requires("database.encrypt")
    def set_passphrase(self, name: str, passphrase: str) -> bool:
        """Add passphrase `name`, or replace it (True when it existed). The key does not change."""
        path, key = self._path(), self._key()
        _check_name(name)
        check_new_passphrase(passphrase)
        keys = self._keys(path)
        existed = name in keys.names()
        keys.set_slot(name, key, passphrase)
        keys.save(_mode(path))
        self._audit("database.passphrase", f"database passphrase {name!r} {'changed' if existed else 'added'}")
        return existed

    @requires("database.encrypt")
    def remove_passphrase(self, name: str) -> None:
        path = self._path()
        self._key()
        keys = self._keys(path)
        if name not in keys.names():
            raise EncryptionError(f"No database passphrase is named {name!r} (`db passphrase list`).")
        if keys.names() == [name]:
            raise EncryptionError("That is the last passphrase: set another one first "
                                  "(without any, only the recovery code opens the database).")
        keys.slots = [s for s in keys.slots if s.name != name]
        keys.save(_mode(path))
        self._audit("database.passphrase", f"database passphrase {name!r} removed")

    @requires("database.encrypt")
    def recover(self, passphrase: str, name: str = DEFAULT_SLOT) -> Path | None:
        """A new key file for a database opened with its recovery code (the key file lost or
        unreadable); the unreadable one is set aside. Returns where, if it was."""
        path, key = self._path(), self._key()
        _check_name(name)
        check_new_passphrase(passphrase)
        target = keys_path(path)
        aside = None
        if target.exists():
            current = KeyFile.load(target)
            if not current.problem and current.kid == key_id(key):
                raise EncryptionError("The key file is sound: `officeconsole db passphrase set NAME` "
                                      "changes a passphrase.")
            aside = target.with_name(f"{target.name}.unreadable-{dt.datetime.now():%Y%m%d-%H%M%S}")
            os.replace(target, aside)
        keys = KeyFile(target, key_id(key))
        keys.set_slot(name, key, passphrase)
        keys.save(_mode(path))
        self._audit("database.passphrase", f"key file rebuilt from the recovery code; passphrase {name!r} set")
        return aside

    # ----- the OS keyring ----------------------------------------------------------------------
    @requires("database.encrypt")
    def store_in_keyring(self) -> None:
        """Keep the key in this OS user's keyring: the console then opens without a passphrase."""
        path, key = self._path(), self._key()
        keys = self._keys(path)
        db_keys.keyring_set(path, key)
        keys.keyring = True
        keys.save(_mode(path))
        self._audit("database.keyring", "database key stored in the OS keyring")

    @requires("database.encrypt")
    def forget_keyring(self) -> bool:
        path = self._path()
        self._key()
        keys = self._keys(path)
        removed = db_keys.keyring_delete(path)
        keys.keyring = False
        keys.save(_mode(path))
        self._audit("database.keyring", "database key removed from the OS keyring")
        return removed


def _check_name(name: str) -> None:
    if not SLOT_NAME.match(name):
        raise EncryptionError("A passphrase name is lower-case letters, digits, '.', '_' or '-' "
                              "(a person's username, or 'closeout'), at most 40 characters.")


def _mode(path: Path) -> int:
    """The key file is readable by exactly who can read the database."""
    try:
        return path.stat().st_mode & 0o666
    except OSError:
        return 0o600


def _swap_in_copy(path: Path, old_key: bytes | None, key: bytes, before_swap: Callable[[], object]) -> dict[str, int]:
    """Copy the database at `path` (plain when `old_key` is None) into a new file under `key`,
    check it, call `before_swap` (writes the key file), rename it over the original and
    overwrite the original's bytes. Row counts per table."""
    staged = path.with_name(f".{path.name}.encrypting")
    staged.unlink(missing_ok=True)
    try:
        source = cipher.sqlcipher_connect(path, old_key)
    except cipher.driver().DatabaseError:
        raise EncryptionError(db_keys.WRONG_PASSPHRASE) from None
    try:
        source.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
        try:
            # Leaving WAL needs the only connection: a console still open makes this fail.
            mode = source.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except cipher.driver().OperationalError:
            mode = "busy"
        if mode != "delete":
            raise EncryptionError("The database is in use: close every console (and wait for a running "
                                  "close-out or backup), then try again. Nothing was changed.")
        source.execute("ATTACH DATABASE ? AS exported KEY " + cipher.key_pragma(key), (str(staged),))
        source.execute("BEGIN IMMEDIATE")  # no one writes while the copy is made
        try:
            counts = cipher.table_counts(source)
            source.execute("SELECT sqlcipher_export('exported')").fetchall()
            source.execute("COMMIT")
        except BaseException:
            source.execute("ROLLBACK")
            raise
        finally:
            source.execute("DETACH DATABASE exported")
        _check_copy(staged, key, counts)
        cipher.fsync(staged)
        os.chmod(staged, _mode(path))
        before_swap()
        if os.name == "nt":  # Windows renames no open file: set the original aside, then wipe it
            source.close()
            aside = path.with_name(f".{path.name}.wiping")
            os.replace(path, aside)
            os.replace(staged, path)
            with aside.open("r+b") as original:
                _overwrite(original)
            aside.unlink()
            return counts
        with path.open("r+b") as original:  # the plain (or old-key) bytes, still reachable after the rename
            os.replace(staged, path)
            cipher.fsync(path)
            source.close()
            _overwrite(original)
        return counts
    finally:
        source.close()
        staged.unlink(missing_ok=True)


def _check_copy(staged: Path, key: bytes, counts: dict[str, int]) -> None:
    with contextlib.closing(cipher.connect(staged, key)) as copy:
        ok = copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        if not ok or cipher.table_counts(copy) != counts:
            raise EncryptionError("The encrypted copy did not check out (integrity or row counts): "
                                  "the database was left as it was.")


def _overwrite(handle: BinaryIO) -> None:
    """Zeros over the old file's bytes before its space is freed. On an SSD, a copy-on-write or
    journalling file system old blocks may survive: the README says so."""
    size = os.fstat(handle.fileno()).st_size
    handle.seek(0)
    block = b"\0" * (1 << 20)
    left = size
    while left > 0:
        handle.write(block[:min(left, len(block))])
        left -= min(left, len(block))
    handle.flush()
    os.fsync(handle.fileno())
