"""The planner's statistics are written and kept: after a close-out or an import on SQLite the
`sqlite_stat1` table holds figures (a statistics run outside a commit would be rolled back)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from officeconsole.db.maintenance import refresh_statistics

from tests.conftest import engine_name
from tests.factories import register


def test_statistics_survive_the_transaction(database, clinic, as_role):
    """SQLite's are sampled for every table; PostgreSQL analyses the tables named (an import's),
    and leaves the rest to its autovacuum."""
    for last in ("Lee", "Park", "Diaz"):
        register(as_role("front_desk"), last_name=last)
    refresh_statistics(database.engine, tables=("patient", "audit_event"))
    with database.engine.connect() as conn:
        if engine_name() == "sqlite":
            rows = conn.execute(text("SELECT count(*) FROM sqlite_stat1")).scalar()
        else:
            rows = conn.execute(text("SELECT count(DISTINCT tablename) FROM pg_stats "
                                     "WHERE schemaname = current_schema() "
                                     "AND tablename IN ('patient', 'audit_event')")).scalar()
            assert rows == 2
    assert rows > 0


@pytest.mark.skipif(engine_name() != "sqlite", reason="the SQLite planner's own table")
def test_the_day_sheet_sums_use_the_posted_date_index(database, clinic):
    refresh_statistics(database.engine)
    with database.engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.execute(text(
            "EXPLAIN QUERY PLAN SELECT kind, sum(amount) FROM ar_entry "
            "WHERE posted_at >= '2026-11-23' AND posted_at < '2026-11-24' GROUP BY kind")))
    assert "ix_ar_entry_posted" in plan, plan


@pytest.mark.skipif(engine_name() != "postgresql", reason="a PostgreSQL column setting")
def test_the_name_keys_keep_finer_statistics(database):
    """Common surname prefixes are estimated from 500 buckets, so a name search walks the name
    index to its page instead of fetching and sorting thousands of matches."""
    with database.engine.connect() as conn:
        targets = dict(conn.execute(text(
            "SELECT attname, attstattarget FROM pg_attribute "
            "WHERE attrelid = 'patient'::regclass AND attname IN ('last_key', 'first_key')")).all())
    assert targets == {"last_key": 500, "first_key": 500}
