"""Schema upgrades through Alembic, run by the app at start and by `officeconsole db`.

A database that already holds data is copied to the backups folder before it is
upgraded, and a database migrated by newer code is refused rather than touched.

Alembic (with Mako) costs about a tenth of a second to import, so a start on a database
that is already at `HEAD_REVISION` reads `alembic_version` with one plain query and never
loads it; a test keeps that constant equal to the newest revision script.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from officeconsole import migrations
from officeconsole.db import cipher
from officeconsole.db.engine import check_connection, cipher_key, writer_engine
from officeconsole.errors import SchemaTooNew
from officeconsole.migrations import HEAD_REVISION

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(migrations.__file__).parent


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def script_directory() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _stamped_revision(engine: Engine) -> str | None:
    """alembic_version read with plain SQL; None when the table is missing or empty."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


@dataclass(frozen=True)
class UpgradeResult:
    before: str | None
    after: str
    backup: Path | None


def ensure_known_revision(engine: Engine) -> str | None:
    """The current revision; SchemaTooNew when this code does not know it."""
    current = current_revision(engine)
    if current is not None:
        known = {rev.revision for rev in script_directory().walk_revisions()}
        if current not in known:
            raise SchemaTooNew(
                f"This database was upgraded by a newer Office Console (schema {current}). "
                "Install the newer version to open it."
            )
    return current


def upgrade(engine: Engine, backup_dir: Path | None = None, revision: str = "head") -> UpgradeResult:
    check_connection(engine)
    if revision == "head" and (stamped := _stamped_revision(engine)) == HEAD_REVISION:
        return UpgradeResult(before=stamped, after=HEAD_REVISION, backup=None)
    from alembic import command

    before = ensure_known_revision(engine)
    target = head_revision() if revision == "head" else revision
    backup = None
    if before != target and backup_dir is not None and _holds_data(engine):
        backup = backup_before_upgrade(engine, backup_dir, before)
    with _migrating(engine) as conn:
        command.upgrade(alembic_config(conn), revision)
    return UpgradeResult(before=before, after=current_revision(engine) or "", backup=backup)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with _migrating(engine) as conn:
        command.downgrade(alembic_config(conn), revision)


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """One transaction for the whole run. On SQLite the foreign keys are switched off for it (a
    batch rebuild drops and re-creates a table others refer to, which a populated database would
    refuse) and every reference is checked before the commit instead: a run that would leave a
    dangling one is rolled back whole."""
    with writer_engine(engine).connect() as conn:
        sqlite = engine.dialect.name == "sqlite"
        raw = conn.connection.dbapi_connection if sqlite else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys = OFF")  # outside the transaction: inside one it is ignored
        try:
            yield conn
            if sqlite:
                dangling = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if dangling:
                    conn.rollback()
                    raise RuntimeError(f"the migration would leave {len(dangling)} dangling references (the first in "
                                       f"{dangling[0][0]}): nothing was changed")
            conn.commit()
        finally:
            if raw is not None:
                conn.rollback()
                raw.execute("PRAGMA foreign_keys = ON")


def _holds_data(engine: Engine) -> bool:
    tables = set(inspect(engine).get_table_names())
    return bool(tables - {"alembic_version"})


def backup_before_upgrade(engine: Engine, backup_dir: Path, revision: str | None) -> Path | None:
    """A consistent copy of a SQLite file (the online backup API); PostgreSQL is left to pg_dump."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return None
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = backup_dir / f"pre-upgrade-{revision or 'empty'}-{stamp}.db"
    key = cipher_key(engine)  # an encrypted database's copy is encrypted under the same key
    source = cipher.connect(engine.url.database, key)
    try:
        dest = cipher.connect(target, key)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    return target
