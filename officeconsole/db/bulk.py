"""Bulk loading for generators (the demo clinic, the benchmark clinic) through SQLAlchemy Core.

Rows carry their own primary keys so related rows can be built before insert; on
PostgreSQL the id sequences are then moved past them so later inserts do not collide.
SQLite takes a Core executemany; PostgreSQL takes COPY through the same connection and
transaction (five times faster than executemany there), with values prepared exactly as
the column types would bind them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, select, text
from sqlalchemy.orm import Session

from officeconsole.db.base import Base


def chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def insert_rows(session: Session, table: Table | type[Base], rows: list[dict[str, Any]]) -> int:
    """Insert in one round; returns the number of rows."""
    if not rows:
        return 0
    target: Table = table if isinstance(table, Table) else cast(Table, table.__table__)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _copy(connection, target, rows)
    else:
        session.execute(insert(target), rows)
    return len(rows)


def _copy(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    names = list(rows[0])
    dialect = connection.dialect
    processors = [table.c[name].type.bind_processor(dialect) for name in names]
    columns = ", ".join(f'"{name}"' for name in names)
    driver = connection.connection.driver_connection
    assert driver is not None  # a live psycopg connection: the caller's session holds it
    cursor = driver.cursor()
    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([value if process is None or value is None else process(value)
                            for process, value in zip(processors, (row[n] for n in names), strict=True)])


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


def slot_rows(appointments: Iterable[dict[str, Any]], after: dt.datetime,
              step_minutes: int = 5) -> Iterator[dict[str, Any]]:
    """booked_slot rows for generated appointments that are not cancelled and end after `after`
    (the key that keeps later bookings from overlapping them)."""
    import datetime as dt

    step = dt.timedelta(minutes=step_minutes)
    for row in appointments:
        if row["status"] == "cancelled" or row["end_at"] <= after:
            continue
        at = row["start_at"]
        while at < row["end_at"]:
            yield {"provider_id": row["provider_id"], "slot_start": at, "appointment_id": row["id"]}
            at += step
