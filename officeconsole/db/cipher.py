"""SQLCipher at the file level: keyed connections, telling an encrypted file from a plain one,
copying a database into a new file under a key.

The engine (engine.py) uses `apply_key` on every connection it opens; backups, the pre-upgrade
copy and `db encrypt`/`db rekey` use `connect` and `export` directly. A key is always the raw
32 bytes (`PRAGMA key = "x'...'"`), never a passphrase, so no PBKDF runs per connection: the
passphrase work happens once, when the key is unwrapped (services/security/db_keys.py).

`sqlcipher3` is imported only when an encrypted database is opened.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Any

KEY_BYTES = 32
SQLITE_HEADER = b"SQLite format 3\x00"


def key_pragma(key: bytes) -> str:
    if len(key) != KEY_BYTES:
        raise ValueError("a database key is 32 bytes")
    return f"\"x'{key.hex()}'\""


def driver() -> Any:
    """The sqlcipher3 module (a drop-in for sqlite3, with SQLCipher inside)."""
    try:
        import sqlcipher3
    except ImportError:
        from officeconsole.errors import DatabaseUnavailable

        raise DatabaseUnavailable("An encrypted database needs SQLCipher: "
                                  "pip install \"officeconsole[encryption]\".") from None
    return sqlcipher3


def apply_key(connection: Any, key: bytes) -> None:
    """First statements on a new sqlcipher3 connection: quiet logging, then the raw key.

    Without cipher_log_level=NONE, SQLCipher writes every failed page decryption (a wrong
    key) onto stderr, that is over the console's screen.
    """
    connection.execute("PRAGMA cipher_log_level = NONE")
    connection.execute(f"PRAGMA key = {key_pragma(key)}")


def connect(path: Path | str, key: bytes | None = None, *, readonly: bool = False) -> Any:
    """A DB-API connection to a SQLite file: sqlite3 when `key` is None, else keyed sqlcipher3."""
    target = f"file:{path}?mode=ro" if readonly else str(path)
    if key is None:
        return sqlite3.connect(target, uri=readonly)
    connection = driver().connect(target, uri=readonly)
    apply_key(connection, key)
    return connection


def sqlcipher_connect(path: Path | str, key: bytes | None = None) -> Any:
    """Always a sqlcipher3 connection (for `export`), keyed when `key` is given, plain otherwise."""
    connection = driver().connect(str(path), isolation_level=None)
    if key is None:
        connection.execute("PRAGMA cipher_log_level = NONE")
    else:
        apply_key(connection, key)
    return connection


def looks_plain(path: Path) -> bool:
    """True when the file starts with SQLite's plain header (an encrypted file is random bytes)."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def key_opens(path: Path, key: bytes) -> bool:
    """Does `key` decrypt the database at `path`? (one page read; nothing is written)"""
    try:
        with contextlib.closing(connect(path, key)) as con:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except driver().DatabaseError:
        return False


def errors() -> tuple[type[Exception], ...]:
    """The DatabaseError classes of both drivers, for `except`."""
    return (sqlite3.DatabaseError, driver().DatabaseError)


def export(source: Any, target: Path, key: bytes | None) -> None:
    """Copy the open database `source` (a sqlcipher3 connection) into a new file `target`,
    encrypted under `key` (plain when None), with `sqlcipher_export`: schema, rows, user_version.

    `source` must not be inside a transaction of its own writes; the caller holds the locks.
    """
    target.unlink(missing_ok=True)
    clause = f"KEY {key_pragma(key)}" if key is not None else "KEY ''"
    source.execute(f"ATTACH DATABASE ? AS exported {clause}", (str(target),))
    try:
        source.execute("SELECT sqlcipher_export('exported')").fetchall()
    finally:
        source.execute("DETACH DATABASE exported")


def table_counts(connection: Any) -> dict[str, int]:
    tables = [r[0] for r in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in sorted(tables)}


def fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
    with contextlib.suppress(OSError):  # the rename itself, where the platform allows it
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
