"""Bulk loading for generators (the demo clinic, the benchmark clinic) through SQLAlchemy Core.

Rows carry their own primary keys so related rows can be built before insert; on
PostgreSQL the id sequences are then moved past them so later inserts do not collide.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from officeconsole.db.base import Base


def chunks(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def insert_rows(session: Session, table: Table | type[Base], rows: list[dict]) -> int:
    """One executemany; returns the number of rows."""
    if not rows:
        return 0
    target = table if isinstance(table, Table) else table.__table__
    session.execute(insert(target), rows)
    return len(rows)


def next_id(session: Session, table: type[Base]) -> int:
    return (session.scalar(select(func.max(table.__table__.c.id))) or 0) + 1


def sync_sequences(session: Session, tables: Iterable[type[Base]]) -> None:
    """After inserting explicit ids on PostgreSQL, let the serial sequences catch up."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in tables:
        name = model.__tablename__
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
        ))
