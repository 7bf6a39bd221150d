"""Old databases upgrade with their data: the small demo clinic (data in nearly every table) is
stepped down the migration chain one revision at a time to the first (with its data, on a populated
database), then upgraded one revision at a time to the head, on both engines; no upgrade loses a row. On SQLite the copy an upgrade
takes first holds the old schema and data, and restores it."""

from __future__ import annotations

import sqlite3

from sqlalchemy import func, inspect, select, table

from officeconsole.db import migrate
from officeconsole.db.database import Database
from officeconsole.db.engine import make_engine
from officeconsole.services.security.audit_chain import load_key, verify_chain

from tests.conftest import engine_name


def _counts(engine) -> dict[str, int]:
    names = [n for n in inspect(engine).get_table_names() if n != "alembic_version"]
    with engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one() for name in names}


def _revisions() -> list[str]:
    """The chain from the first revision to the head."""
    return [rev.revision for rev in reversed(list(migrate.script_directory().walk_revisions()))]


def test_every_revision_steps_down_and_up_with_its_data(small_demo):
    engine = make_engine(small_demo.copy("upgrades"))
    try:
        chain = _revisions()
        at_head = _counts(engine)
        assert sum(at_head.values()) > 1000 and at_head["patient"] and at_head["ar_entry"]
        for revision in reversed(chain[:-1]):  # down, one step at a time, to the first revision (a step down
            migrate.downgrade(engine, revision)  # drops what the older schema cannot hold, e.g. lunch blocks)
        for revision in chain[1:]:  # and up again, one step at a time
            before = _counts(engine)
            migrate.upgrade(engine, revision=revision)
            after = _counts(engine)
            assert {n: after[n] for n in before if n in after} == {n: before[n] for n in before if n in after}, (
                f"rows lost upgrading to {revision}")
        assert migrate.current_revision(engine) == chain[-1]
        database = Database(engine)  # the trail re-chained by the hash-chain revision verifies as written
        with database.read() as session:
            assert verify_chain(session, load_key()).intact
    finally:
        engine.dispose()


def test_an_upgrade_keeps_a_copy_of_the_old_database(small_demo, tmp_path):
    if engine_name() != "sqlite":
        return  # PostgreSQL's copy before an upgrade is the clinic's own pg_dump (docs/operations.md)
    engine = make_engine(small_demo.copy("old-copy"))
    try:
        old = _revisions()[-4]
        migrate.downgrade(engine, old)
        before = _counts(engine)
        result = migrate.upgrade(engine, tmp_path / "backups")
        assert (result.before, result.after) == (old, _revisions()[-1]) and result.backup is not None
        with sqlite3.connect(result.backup) as copy:
            assert copy.execute("SELECT version_num FROM alembic_version").fetchone()[0] == old
            assert copy.execute("SELECT count(*) FROM patient").fetchone()[0] == before["patient"]
    finally:
        engine.dispose()
