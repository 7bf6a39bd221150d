"""Keeping the query planner informed: table statistics after the database changes in bulk.

Without statistics SQLite plans the day sheet's sums on the `kind` index and walks most of the
A/R history instead of the posted-date index. SQLite's `ANALYZE` is run with an analysis limit
(it samples each index, so it takes milliseconds even at a million patients) inside a committed
transaction: the engine's `begin` listener opens one on every connection, and statistics written
outside a commit would be rolled back. PostgreSQL's `ANALYZE` (and `VACUUM` after a bulk load)
needs autocommit.
"""

from __future__ import annotations

from sqlalchemy import Engine

SAMPLE_ROWS = 1000  # rows SQLite reads per index (PRAGMA analysis_limit): fast, and good enough to plan with


def refresh_statistics(engine: Engine, *, after_bulk_load: bool = False) -> None:
    """Table statistics brought up to date (after a close, an import, a generated clinic)."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql(f"PRAGMA analysis_limit = {SAMPLE_ROWS}")
            conn.exec_driver_sql("ANALYZE")
        return
    statement = "VACUUM (ANALYZE)" if after_bulk_load else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(statement)


def damage(engine: Engine) -> str | None:
    """What SQLite's `quick_check` finds wrong with the live file (None when sound, and always None on
    PostgreSQL, whose server checks its own pages). Cheap enough for every close and backup."""
    if engine.dialect.name != "sqlite":
        return None
    from sqlalchemy.exc import DatabaseError

    try:
        with engine.connect() as conn:
            rows = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA quick_check(5)")]
    except DatabaseError as exc:
        return str(getattr(exc, "orig", exc)).splitlines()[0]
    return None if rows == ["ok"] else "; ".join(rows)
