"""Open a database for the console or the CLI: resolve, connect, migrate, hand back a context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from officeconsole.config import Paths, resolve_db_url
from officeconsole.db import migrate
from officeconsole.db.database import Database
from officeconsole.db.engine import check_connection
from officeconsole.services.common.clock import Clock, ServerClock, SystemClock, measure_offset
from officeconsole.services.common.context import ServiceContext


@dataclass
class Opened:
    ctx: ServiceContext
    paths: Paths
    url: str
    upgrade: migrate.UpgradeResult | None


def open_database(
    db: str | None = None,
    *,
    clock: Clock | None = None,
    paths: Paths | None = None,
    upgrade: bool = True,
    passphrase: str | None = None,
    ask: Callable[[str], str] | None = None,
    key: bytes | None = None,
) -> Opened:
    """Connect and bring the schema to head (a backup copy first when data exists).

    An encrypted SQLite database is opened with `key`, else with `passphrase`, else the key
    from the keyring or the environment, else what `ask` returns; without any of them it
    raises DatabaseLocked (services/security/db_keys.py).
    """
    paths = paths or Paths.discover()
    paths.ensure()
    url = resolve_db_url(db, paths=paths)
    if key is None:
        from officeconsole.services.security.db_keys import unlock

        key = unlock(url, passphrase=passphrase, ask=ask)
    _refuse_an_empty_file(url, upgrade)
    database = Database.from_url(url, key=key)
    ctx = ServiceContext(database, clock or SystemClock())
    try:
        check_connection(database.engine)
        if clock is None and (offset := measure_offset(database.engine)) is not None:
            ctx.clock = ServerClock(offset)  # several PCs: one time, the server's
        result = migrate.upgrade(database.engine, paths.backups_dir) if upgrade else None
        if upgrade:
            _ = ctx.timezone  # read here, where the database opens (off the console's UI thread)
    except Exception:
        database.dispose()
        raise
    return Opened(ctx, paths, url, result)


def _refuse_an_empty_file(url: str, upgrade: bool) -> None:
    """A zero-byte file given as the database is not silently made into a new clinic: it is more
    likely a clinic lost in a bad copy than a wish to start afresh."""
    from sqlalchemy.engine import make_url

    from officeconsole.errors import DatabaseUnavailable

    parsed = make_url(url)
    if not upgrade or parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return
    path = Path(parsed.database)
    if path.is_file() and path.stat().st_size == 0:
        raise DatabaseUnavailable(
            f"{path} is an empty file (0 bytes), not a clinic. If it should hold the clinic, restore the latest "
            "backup into it (`officeconsole restore FILE`); to start a new clinic there, delete the empty file and "
            "open it again.")
