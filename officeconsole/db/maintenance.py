"""Keeping the query planner informed: table statistics after the database changes in bulk.

Without statistics SQLite plans the day sheet's sums on the `kind` index and walks most of the
A/R history instead of the posted-date index. SQLite's `ANALYZE` is run with an analysis limit
(it samples each index, so it takes milliseconds even at a million patients) inside a committed
transaction: the engine's `begin` listener opens one on every connection, and statistics written
outside a commit would be rolled back. PostgreSQL's `ANALYZE` (and `VACUUM` after a bulk load)
needs autocommit.

PostgreSQL's own autovacuum analyses a table once a share of it has changed, so a day's work
needs nothing from us there: a whole-database `ANALYZE` at a million patients takes about five
seconds, which the nightly close would spend for nothing. After an import, only the tables it
filled are analysed; after a bulk load (the benchmark generator), everything.
"""

from __future__ import annotations

from sqlalchemy import Engine

SAMPLE_ROWS = 1000  # rows SQLite reads per index (PRAGMA analysis_limit): fast, and good enough to plan with


def refresh_statistics(engine: Engine, *, after_bulk_load: bool = False, tables: tuple[str, ...] = ()) -> None:
    """Table statistics brought up to date: on SQLite every table's (sampled, so cheap); on
    PostgreSQL those of `tables`, or of every table after a bulk load, and none otherwise
    (autovacuum keeps them)."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql(f"PRAGMA analysis_limit = {SAMPLE_ROWS}")
            conn.exec_driver_sql("ANALYZE")
        return
    if after_bulk_load:
        statement = "VACUUM (ANALYZE)"
    elif tables:
        statement = "ANALYZE " + ", ".join(f'"{name}"' for name in tables)
    else:
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(statement)


def damage(engine: Engine, tables: tuple[str, ...] = ()) -> str | None:
    """What SQLite's `quick_check` finds wrong (None when sound, and always None on PostgreSQL,
    whose server checks its own pages): in `tables` and their indexes, or in the whole file.

    The whole file takes about 15 seconds a gigabyte; a few small tables, milliseconds. The nightly
    close checks its own tables before it locks the day and the whole database in the backup copy
    it makes (services/operations/backups.py), where a damaged page is copied as it is."""
    if engine.dialect.name != "sqlite":
        return None
    from sqlalchemy.exc import DatabaseError

    statements = [f'PRAGMA quick_check("{table}")' for table in tables] or ["PRAGMA quick_check(5)"]
    found: list[str] = []
    try:
        with engine.connect() as conn:
            for statement in statements:
                found += [_one_line(row[0]) for row in conn.exec_driver_sql(statement) if row[0] != "ok"]
    except DatabaseError as exc:
        return str(getattr(exc, "orig", exc)).splitlines()[0]
    return "; ".join(found[:5]) or None


def _one_line(problem: object) -> str:
    """SQLite's finding as one line ("*** in database main ***" and its line breaks dropped)."""
    return " ".join(str(problem).replace("*** in database main ***", "").split())
