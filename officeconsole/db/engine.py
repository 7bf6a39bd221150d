"""Engine factory: SQLite pragmas, BEGIN IMMEDIATE for writers, clear connection errors.

With the Python sqlite3 driver's own transaction handling, a read-then-write race is not
isolated (two processes booking 300 slots double-booked 299 of them), so we take BEGIN
over, as SQLAlchemy's pysqlite documentation describes, and start write transactions
with BEGIN IMMEDIATE: the second writer waits for the first instead of both reading a
free slot.
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from officeconsole.config import describe_url
from officeconsole.db.network_share import network_filesystem
from officeconsole.errors import DatabaseUnavailable, WrongDatabaseKey

SQLITE_BUSY_TIMEOUT_MS = 15_000
SQLITE_BEGIN_OPTION = "sqlite_begin"
WRONG_KEY = "The database is encrypted and that passphrase does not open it."

# The raw SQLCipher key of each encrypted engine, by its dialect (which the engine's
# execution_options() copies share), for the code that copies the file: backups, upgrades.
_KEYS: weakref.WeakKeyDictionary[Any, bytes] = weakref.WeakKeyDictionary()


def make_engine(url: str, *, echo: bool = False, key: bytes | None = None) -> Engine:
    """An engine for `url`; nothing is connected until first use.

    `key` (SQLite only) opens an encrypted database: the same pysqlite dialect, pool and
    listeners, with the sqlcipher3 driver and the key given first on every connection.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            share = network_filesystem(database)
            if share is not None:
                raise DatabaseUnavailable(
                    f"{database} is on a network share ({share}). SQLite's locking is not reliable there and its "
                    "write-ahead log does not work across PCs, so the clinic could be damaged: keep the file on "
                    "this PC's own disk, or use PostgreSQL for several PCs (docs/operations.md).")
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        extra: dict[str, Any] = {}
        if key is not None:
            from officeconsole.db import cipher

            cipher.key_pragma(key)  # refuses anything but 32 bytes now, not at first connect
            extra["module"] = cipher.driver()
        engine = create_engine(
            parsed,
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            hide_parameters=True,  # an error's text never carries a patient's data
            **extra,
        )
        if key is not None:
            _install_key(engine, key)
        _install_sqlite_listeners(engine)
        return engine
    if key is not None:
        raise DatabaseUnavailable("Only a SQLite database is encrypted by Office Console.")
    return create_engine(parsed, echo=echo, pool_pre_ping=True, hide_parameters=True)


def cipher_key(engine: Engine) -> bytes | None:
    """The key an encrypted SQLite engine was made with; None for a plain one."""
    return _KEYS.get(engine.dialect)


def _install_key(engine: Engine, key: bytes) -> None:
    from officeconsole.db import cipher

    _KEYS[engine.dialect] = key

    @event.listens_for(engine, "do_connect")
    def _keyed_connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        # The key must be the first thing on the connection, before any pragma reads a page.
        connection = dialect.loaded_dbapi.connect(*cargs, **cparams)
        cipher.apply_key(connection, key)
        return connection


def _install_sqlite_listeners(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy: the driver must not emit BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def writer_engine(engine: Engine) -> Engine:
    """The same pool, but each transaction takes SQLite's write lock at BEGIN."""
    return engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})


def check_connection(engine: Engine) -> None:
    """Connect once and turn driver errors into one clear sentence."""
    where = describe_url(engine.url.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA schema_version").scalar()
    except DatabaseError as exc:  # OperationalError included
        if cipher_key(engine) is not None and "not a database" in str(exc.orig):
            raise WrongDatabaseKey(WRONG_KEY) from None  # SQLCipher's answer to a wrong key
        raise DatabaseUnavailable(_explain(engine, where, exc)) from None


def _explain(engine: Engine, where: str, exc: Exception) -> str:
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else ""
    if engine.dialect.name == "sqlite":
        how = (" If this is the clinic's database and it was damaged, restore the latest backup: "
               "`officeconsole restore <backup file>` (`officeconsole info` shows the backups folder).")
        if "not a database" in detail or "file is encrypted" in detail or "malformed" in detail:
            return (f"{engine.url.database} is not an Office Console database (not a SQLite file, or damaged)."
                    f"{how} If it is encrypted and its key file was lost: `officeconsole db recover`.")
        return f"Cannot open the SQLite database {engine.url.database}: {detail}.{how}"
    host = engine.url.host or "localhost"
    port = engine.url.port or 5432
    return f"Cannot reach the PostgreSQL server at {host}:{port} ({where}): {detail}"
