"""Moving a whole clinic to another database (`officeconsole db copy --to URL`): the embedded SQLite
file to PostgreSQL when the clinic grows to several PCs, back again, or to another file.

The target must hold no clinic data; the project's own migrations bring it to the newest schema
first. The source, also at the newest schema, is read in one snapshot; every table is copied in
foreign-key order, in batches, inside one transaction of the target, so a failure (an error,
Ctrl+C, a kill) leaves it empty. The guards a faithful copy would trip (a closed day's payments
are refused by the closed-day triggers, a void's update by the append-only ones) are switched off
inside that transaction only. Before the commit the row counts are compared table by table and
the copy's audit chain is walked with the key; the copy records itself in both trails.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Engine, ForeignKey, Integer, Table, delete, func, insert, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from officeconsole.config import describe_url, normalize_db_url
from officeconsole.db import bulk, migrate
from officeconsole.db.base import Base
from officeconsole.db.database import Database
from officeconsole.db.engine import check_connection
from officeconsole.models import Counter
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import OfficeError
from officeconsole.services.common.permissions import requires
from officeconsole.services.security import audit, audit_witness
from officeconsole.services.security.audit_chain import ChainReport, load_key
from officeconsole.services.security.audit_verify import AuditChainService, verify_chain

BATCH = 5_000
ACTION = "database.copy"

Progress = Callable[[str, int, int], None]  # the table being copied, its number, how many tables


class DbCopyError(OfficeError):
    pass


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int

    @property
    def same(self) -> bool:
        return self.source == self.target


class CopyMismatch(DbCopyError):
    """The copy does not match its source: nothing was kept in the target."""

    def __init__(self, message: str, tables: tuple[TableCount, ...], chain: ChainReport | None = None) -> None:
        super().__init__(message)
        self.tables, self.chain = tables, chain


@dataclass(frozen=True)
class CopyResult:
    source: str  # the URLs, passwords hidden
    target: str
    tables: tuple[TableCount, ...]  # counted in the target before the copy's own audit event
    chain: ChainReport  # the target's trail, walked after the commit (the copy's event is its last)
    seconds: float

    @property
    def rows(self) -> int:
        return sum(t.source for t in self.tables)

    @property
    def differences(self) -> tuple[TableCount, ...]:
        return tuple(t for t in self.tables if not t.same)

    @property
    def matches(self) -> bool:
        return not self.differences and self.chain.intact


def source_ready(engine: Engine) -> None:
    """Only a database at the newest schema is copied: the target is made at that schema."""
    current, head = migrate.ensure_known_revision(engine), migrate.head_revision()
    if current != head:
        where = describe_url(engine.url.render_as_string(hide_password=False))
        raise DbCopyError(f"The database to copy ({where}) is at schema {current or '(none)'}, this version's is "
                          f"{head}: upgrade it first (`officeconsole db upgrade`), then copy it.")


def _same_database(source: str, target: str) -> bool:
    a, b = make_url(source), make_url(target)
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        return bool(a.database) and a.database == b.database
    return (a.host or "localhost", a.port or 5432, a.database, a.query) == (b.host or "localhost", b.port or 5432,
                                                                          b.database, b.query)


def _refuse_unless_empty(engine: Engine, where: str) -> None:
    """A target with any clinic data (or any other program's tables) is not written to."""
    ours = set(Base.metadata.tables)
    names = set(inspect(engine).get_table_names())
    foreign = sorted(names - ours - {"alembic_version"})
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise DbCopyError(f"{where} already holds tables that are not Office Console's ({shown}): copy the "
                          "clinic into an empty database.")
    with engine.connect() as conn:
        full = [t.name for t in Base.metadata.sorted_tables
                if t.name in names and conn.execute(select(1).select_from(t).limit(1)).first() is not None]
    if full:
        raise DbCopyError(f"{where} already holds clinic data (in {', '.join(full[:5])}"
                          f"{', ...' if len(full) > 5 else ''}): nothing was copied. Copy into an empty database "
                          "(a new PostgreSQL database, or a SQLite file that does not exist yet).")


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _owner_only(path: Path, new_folder: bool) -> bool:
    """A new SQLite target holds every patient's record: made owner-only (its folder too, when it
    was made for it) before SQLite opens it; its journal files take the file's permissions. Whether
    the file was made here."""
    try:
        if new_folder:
            os.chmod(path.parent, 0o700)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return False
    except OSError as exc:
        raise DbCopyError(f"Cannot create {path}: {exc.strerror or exc}.") from None
    return True


class DbCopyService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("export.clinic")
    def copy(self, to: str, *, key: bytes | None = None, batch: int = BATCH,
             progress: Progress | None = None) -> CopyResult:
        """Copy every table of the clinic into the empty database at `to` (`key`: an encrypted
        SQLite target's), check it and record it. CopyMismatch when the copy would differ."""
        target_url = normalize_db_url(to)
        source_url = self.ctx.db.engine.url.render_as_string(hide_password=False)
        source_name, target_name = describe_url(source_url), describe_url(target_url)
        if _same_database(source_url, target_url):
            raise DbCopyError(f"{target_name} is the database being copied: give another one with --to.")
        source_ready(self.ctx.db.engine)
        file = _sqlite_file(target_url)
        new_folder = file is not None and not file.parent.exists()
        target = Database.from_url(target_url, key=key)  # refuses a network share; makes the folder
        target_ctx = ServiceContext(target, self.ctx.clock, self.ctx.actor)  # its writes hooked as the source's
        made = file is not None and _owner_only(file, new_folder)
        try:
            check_connection(target.engine)
            _refuse_unless_empty(target.engine, target_name)
            migrate.upgrade(target.engine)
            started = time.perf_counter()
            tables = self._copy(target, source_name, target_name, batch, progress)
            seconds = time.perf_counter() - started
            chain = AuditChainService(target_ctx).verify()
        except BaseException:
            if made and file is not None and file.exists() and file.stat().st_size == 0:
                target.dispose()
                file.unlink()  # nothing was written: no empty file is left to be taken for a clinic
            raise
        finally:
            target.dispose()
        with self.ctx.db.write() as session:
            audit.record(session, self.ctx.now(), self.ctx.actor, ACTION, entity="clinic", entity_id=1,
                         summary=f"copied to {target_name}: {len(tables)} tables, {sum(t.source for t in tables):,} rows")
        return CopyResult(source_name, target_name, tables, chain, seconds)

    def _copy(self, target: Database, source_name: str, target_name: str, batch: int,
              progress: Progress | None) -> tuple[TableCount, ...]:
        """Everything in one transaction of the target, read from one snapshot of the source."""
        order = Base.metadata.sorted_tables
        with self.ctx.db.read() as source, target.write() as dest:
            if self.ctx.db.dialect == "postgresql":
                source.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            guards = _Guards(dest, target_name)
            for number, table in enumerate(order, 1):
                if progress is not None:
                    progress(table.name, number, len(order))
                _copy_table(source, dest, table, batch)
            guards.restore()
            _sync_sequences(dest, order)
            counts = tuple(TableCount(t.name, _count(source, t), _count(dest, t)) for t in order)
            wrong = [t for t in counts if not t.same]
            if wrong:
                raise CopyMismatch(f"The copy's row counts differ from the source's in {len(wrong)} tables (the first: "
                                   f"{wrong[0].table}, {wrong[0].source:,} rows against {wrong[0].target:,}): nothing "
                                   "was kept in the target.", counts)
            # The copy is a database of its own: its trail gets its own witness (audit_witness), so
            # the source's trail, which carries on without this event, is not held to it.
            dest.execute(delete(Counter).where(Counter.name == audit_witness.TRAIL_COUNTER))
            audit.record(dest, self.ctx.now(), self.ctx.actor, ACTION, entity="clinic", entity_id=1,
                         summary=f"copied from {source_name} to {target_name}: {len(order)} tables, "
                                 f"{sum(t.source for t in counts):,} rows")
            dest.flush()
            audit_key = load_key()
            chain = verify_chain(dest, audit_key)
            problem = chain.problem or audit_witness.problem(dest, audit_key, chain.events)
            if problem is not None:
                raise CopyMismatch(f"The copy's audit trail does not verify ({problem.detail}): nothing was kept in the "
                                   "target. Check the source's trail: `officeconsole audit verify`.", counts, chain)
            audit_witness.record(dest)
        return counts


class _Guards:
    """The target's triggers (append-only, closed day) off for the copy, inside its transaction.

    SQLite: each trigger is dropped and made again from its own SQL (DDL is transactional there).
    PostgreSQL: `session_replication_role = replica` for this transaction when the role may set it
    (a superuser), else the tables' own triggers are disabled (the tables' owner may) while the
    foreign keys stay checked, which the copy's order satisfies."""

    def __init__(self, session: Session, where: str) -> None:
        self.session, self.where = session, where
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.triggers: list[tuple[str, str]] = []
        self.disabled: list[str] = []
        self.replica = False
        if self.sqlite:
            self.triggers = [(name, sql) for name, sql in session.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"))]
            for name, _sql in self.triggers:
                session.execute(text(f'DROP TRIGGER "{name}"'))
        elif _replica(session):
            self.replica = True
        else:
            self.disabled = list(session.scalars(text(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE NOT t.tgisinternal AND n.nspname = current_schema() ORDER BY c.relname")))
            try:
                for name in self.disabled:
                    session.execute(text(f'ALTER TABLE "{name}" DISABLE TRIGGER USER'))
            except DBAPIError as exc:
                raise DbCopyError(f"The PostgreSQL role may not switch off the guards of {self.where}'s tables for the "
                                  f"copy ({_first_line(exc)}): run the copy as the database's owner.") from None

    def restore(self) -> None:
        if self.sqlite:
            for _name, sql in self.triggers:
                self.session.execute(text(sql))
        elif self.replica:
            self.session.execute(text("SET LOCAL session_replication_role = origin"))
        else:
            for name in self.disabled:
                self.session.execute(text(f'ALTER TABLE "{name}" ENABLE TRIGGER USER'))


def _replica(session: Session) -> bool:
    """Triggers and foreign-key checks off until the transaction ends, if this role may."""
    try:
        with session.begin_nested():
            session.execute(text("SET LOCAL session_replication_role = replica"))
    except DBAPIError:
        return False
    return True


def _first_line(exc: DBAPIError) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0]


def _copy_table(source: Session, dest: Session, table: Table, batch: int) -> None:
    stmt = select(table).order_by(*table.primary_key.columns).execution_options(yield_per=batch)
    result = source.connection().execute(stmt)
    parts: Iterator[list[dict[str, Any]]] = ([dict(row) for row in part] for part in result.mappings().partitions(batch))
    refs = [fk for fk in table.foreign_keys if fk.column.table is table]
    if refs:
        parts = _referenced_first(parts, table, refs)
    # COPY (bulk.insert_rows on PostgreSQL) takes values as the column types bind them, and a JSON
    # column's are left to the driver: such a table (the clinic's settings, one row) takes an INSERT.
    plain = any(isinstance(column.type, JSON) for column in table.columns)
    for rows in parts:
        if plain and rows:
            dest.execute(insert(table), rows)
        else:
            bulk.insert_rows(dest, table, rows)


def _referenced_first(parts: Iterator[list[dict[str, Any]]], table: Table, refs: list[ForeignKey]) -> Iterator[list[dict[str, Any]]]:
    """Rows of a table that refers to itself (a patient merged into another, a void of a payment),
    each after the row it names, for a target whose foreign keys are checked row by row: in id
    order, a row naming a later (or held back) row waits until the end of the table."""
    key = list(table.primary_key.columns)
    if len(key) != 1 or any(fk.column is not key[0] for fk in refs):
        yield from parts  # no such table in the schema: kept in key order
        return
    id_name, names = key[0].name, [fk.parent.name for fk in refs]
    held: dict[Any, dict[str, Any]] = {}
    for part in parts:
        ready = []
        for row in part:
            if all(row[n] is None or (row[n] < row[id_name] and row[n] not in held) for n in names):
                ready.append(row)
            else:
                held[row[id_name]] = row
        yield ready
    while held:
        ready = [row for row in held.values() if not any(row[n] in held for n in names)]
        if not ready:
            raise DbCopyError(f"The rows of {table.name} refer to each other in a loop: the source is damaged.")
        for row in ready:
            del held[row[id_name]]
        yield ready


def _sync_sequences(session: Session, tables: list[Table]) -> None:
    """PostgreSQL's id counters moved past the copied ids, so the next booking does not collide."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer):
                continue
            sequence = session.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                      {"t": f'"{table.name}"', "c": column.name})
            if sequence:
                session.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) '
                                     "+ 1, false)"), {"s": sequence})


def _count(session: Session, table: Table) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0
