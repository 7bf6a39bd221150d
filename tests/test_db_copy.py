"""`db copy`: the whole clinic into an empty database, all or nothing, counted and verified.

On the SQLite run the small demo goes to another SQLite file; on the PostgreSQL run a SQLite demo
goes to a new PostgreSQL database (the move from one PC to several) and back to a file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from officeconsole.db import migrate
from officeconsole.db.base import Base
from officeconsole.db.database import Database
from officeconsole.demo.clinic import DEMO_PASSWORD, build_demo
from officeconsole.errors import DatabaseUnavailable
from officeconsole.models import AuditEvent, Patient
from officeconsole.models.enums import Role
from officeconsole.services.common.clock import FixedClock
from officeconsole.services.common.context import Actor, ServiceContext
from officeconsole.services.common.errors import PermissionDenied
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput
from officeconsole.services.frontdesk.patients import PatientService
from officeconsole.services.operations import db_copy
from officeconsole.services.operations.db_copy import CopyMismatch, DbCopyError, DbCopyService
from officeconsole.services.scheduling.booking import BookingInput, BookingService
from officeconsole.services.scheduling.slot_finder import SlotFinder, SlotQuery
from officeconsole.services.security import auth
from officeconsole.services.security.audit_verify import AuditChainService

from tests.conftest import NOW, SMALL_DEMO
from tests.factories import patient_input


@pytest.fixture(scope="module")
def sqlite_demo(small_demo, _template, tmp_path_factory) -> str:
    """The small demo in a SQLite file on both runs (the PostgreSQL run builds one: its template is a
    PostgreSQL database)."""
    if small_demo.pg is None:
        return small_demo.url
    path = tmp_path_factory.mktemp("sqlite-demo") / "demo.db"
    database = Database.from_url(f"sqlite:///{path}")
    try:
        migrate.upgrade(database.engine)
        build_demo(ServiceContext(database, FixedClock(NOW)), **SMALL_DEMO)
    finally:
        database.dispose()
    return f"sqlite:///{path}"


@pytest.fixture
def source_url(sqlite_demo, tmp_path) -> str:
    """A copy of the SQLite demo of its own (the copy writes its audit event into the source)."""
    target = tmp_path / "source.db"
    shutil.copyfile(sqlite_demo.removeprefix("sqlite:///"), target)
    return f"sqlite:///{target}"


@pytest.fixture
def target_url(pg_databases, tmp_path) -> str:
    """An empty database: a new PostgreSQL database on that run (no tables at all), else a new file."""
    if pg_databases is not None:
        return pg_databases.create("_copy_to")
    return f"sqlite:///{tmp_path / 'copy' / 'clinic.db'}"


@pytest.fixture
def open_source(source_url):
    opened: list[Database] = []

    def _open(url: str | None = None, username: str = "manager") -> ServiceContext:
        database = Database.from_url(url or source_url)
        opened.append(database)
        ctx = ServiceContext(database, FixedClock(NOW))
        return ctx.as_actor(auth.login(ctx, username, DEMO_PASSWORD))

    yield _open
    for database in opened:
        database.dispose()


def counts(url: str) -> dict[str, int]:
    database = Database.from_url(url)
    try:
        with database.read() as session:
            return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}
    finally:
        database.dispose()


def test_db_copy_moves_the_demo_with_identical_row_counts_and_a_verifying_audit_chain(open_source, source_url,
                                                                                        target_url):
    manager = open_source()  # signing in is audited: counted after it
    before = counts(source_url)
    result = DbCopyService(manager).copy(target_url)
    assert result.matches and result.chain.intact
    assert {t.table: t.source for t in result.tables} == before
    assert [t.table for t in result.tables if not t.same] == []
    assert before["patient"] == SMALL_DEMO["patients"] and before["audit_event"] > 100
    copied = counts(target_url)
    # ...and the copy's own record; its trail has an id of its own for the witness (audit_witness)
    assert copied == {**before, "audit_event": before["audit_event"] + 1, "counter": before["counter"] + 1}
    assert result.chain.events == copied["audit_event"]
    target = Database.from_url(target_url)
    try:
        with target.read() as session:
            last = session.execute(select(AuditEvent.action, AuditEvent.username, AuditEvent.summary)
                                   .order_by(AuditEvent.seq.desc()).limit(1)).one()
        assert (last.action, last.username) == ("database.copy", "manager")
        assert "sqlite:///" in last.summary and target_url.split("/")[-1] in last.summary
        ctx = ServiceContext(target, FixedClock(NOW))
        manager = ctx.as_actor(auth.login(ctx, "manager", DEMO_PASSWORD))
        assert AuditChainService(manager).verify().intact
        # The desk works on the copy: new rows take ids after the copied ones.
        desk = ctx.as_actor(auth.login(ctx, "desk", DEMO_PASSWORD))
        record = PatientService(desk).register(patient_input(last_name="Aftercopy"))
        assert record.id == SMALL_DEMO["patients"] + 1
        LedgerService(desk).post_payment(PaymentInput(record.id, "25.00", "cash", request_key="after-copy"))
        slot = SlotFinder(desk).find(SlotQuery(type_id=1, after="2026-12-07", count=1))[0]
        BookingService(desk).book(BookingInput(record.id, slot.provider_id, 1, slot.start.date(), slot.start.time()))
        assert AuditChainService(manager).verify().intact
    finally:
        target.dispose()
    source = Database.from_url(source_url)  # the source records that it was copied, and where
    try:
        with source.read() as session:
            assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(1)) == "database.copy"
        ctx = ServiceContext(source, FixedClock(NOW))
        assert AuditChainService(ctx.as_actor(auth.login(ctx, "manager", DEMO_PASSWORD))).verify().intact
    finally:
        source.dispose()


def test_the_copy_copies_back(open_source, target_url, tmp_path):
    """PostgreSQL back to a file (on the SQLite run: a file to a file, twice)."""
    DbCopyService(open_source()).copy(target_url)
    back = f"sqlite:///{tmp_path / 'back.db'}"
    result = DbCopyService(open_source(target_url)).copy(back)
    assert result.matches and counts(back)["patient"] == SMALL_DEMO["patients"]
    if os.name == "posix":  # every patient's record: owner-only from the start
        assert (tmp_path / "back.db").stat().st_mode & 0o777 == 0o600


def test_a_target_with_clinic_data_is_refused(open_source, small_demo):
    full = small_demo.copy("copy_full")
    before = counts(full)
    with pytest.raises(DbCopyError, match="already holds clinic data .*nothing was copied"):
        DbCopyService(open_source()).copy(full)
    assert counts(full) == before


def test_the_source_itself_is_refused_as_target(open_source, source_url):
    with pytest.raises(DbCopyError, match="is the database being copied"):
        DbCopyService(open_source()).copy(source_url.removeprefix("sqlite:///"))


def test_an_unreachable_target_is_named_clearly(open_source):
    with pytest.raises(DatabaseUnavailable, match=r"Cannot reach the PostgreSQL server at 127\.0\.0\.1:1 "):
        DbCopyService(open_source()).copy("postgresql+psycopg://office@127.0.0.1:1/clinic")


def test_a_source_at_an_older_schema_is_asked_to_upgrade_first(empty_db_url, target_url):
    old = Database.from_url(empty_db_url)
    try:
        migrate.upgrade(old.engine, revision="0019")
        ctx = ServiceContext(old, FixedClock(NOW), Actor(1, "manager", "Morgan Reyes", Role.MANAGER))
        with pytest.raises(DbCopyError, match=r"at schema 0019.*`officeconsole db upgrade`"):
            DbCopyService(ctx).copy(target_url)
    finally:
        old.dispose()


def test_only_managers_copy_the_clinic(open_source, target_url):
    with pytest.raises(PermissionDenied):
        DbCopyService(open_source(username="desk")).copy(target_url)


def _empty(url: str) -> bool:
    return not any(counts(url).values())


def test_a_copy_interrupted_midway_leaves_the_target_empty(open_source, target_url, monkeypatch):
    real, calls = db_copy.bulk.insert_rows, []

    def insert_then_fail(session, table, rows):
        calls.append(table.name)
        if table.name == "appointment":
            raise KeyboardInterrupt  # Ctrl+C halfway through the tables
        return real(session, table, rows)

    monkeypatch.setattr(db_copy.bulk, "insert_rows", insert_then_fail)
    with pytest.raises(KeyboardInterrupt):
        DbCopyService(open_source()).copy(target_url)
    assert "patient" in calls and _empty(target_url)
    database = Database.from_url(target_url)
    try:
        if database.dialect == "sqlite":  # the guards dropped for the copy are back
            with database.read() as session:
                names = set(session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
            assert {"audit_event_no_delete", "ledger_entry_closed_day"} <= names
    finally:
        database.dispose()
    monkeypatch.setattr(db_copy.bulk, "insert_rows", real)
    assert DbCopyService(open_source()).copy(target_url).matches  # the empty target takes the copy after all


def test_a_copy_whose_counts_differ_is_not_kept(open_source, source_url, target_url, monkeypatch):
    referenced = {fk.column.table.name for t in Base.metadata.sorted_tables for fk in t.foreign_keys}
    manager = open_source()
    rows = counts(source_url)
    left_out = next(t.name for t in Base.metadata.sorted_tables if t.name not in referenced and rows[t.name]
                    and not t.name.startswith("audit"))
    real = db_copy._copy_table

    def leave_one_out(source, dest, table, batch):
        if table.name != left_out:
            real(source, dest, table, batch)

    monkeypatch.setattr(db_copy, "_copy_table", leave_one_out)
    with pytest.raises(CopyMismatch, match=f"{left_out}, {rows[left_out]:,} rows against 0") as caught:
        DbCopyService(manager).copy(target_url)
    assert [(t.table, t.target) for t in caught.value.tables if not t.same] == [(left_out, 0)]
    assert _empty(target_url)


def test_forward_references_within_a_table_are_copied_after_their_target(open_source, source_url, target_url):
    """A patient merged into a patient registered after them: with foreign keys checked row by row
    (SQLite; PostgreSQL without the right to switch them off) the later row goes in first."""
    source = Database.from_url(source_url)
    try:
        with source.write() as session:
            session.execute(Patient.__table__.update().where(Patient.id == 3).values(status="merged",
                                                                                   merged_into_id=30))
    finally:
        source.dispose()
    assert DbCopyService(open_source()).copy(target_url).matches
    target = Database.from_url(target_url)
    try:
        with target.read() as session:
            assert session.scalar(select(Patient.merged_into_id).where(Patient.id == 3)) == 30
    finally:
        target.dispose()


def test_postgresql_without_the_right_to_switch_off_triggers(open_source, target_url, monkeypatch):
    """A role that is the database's owner but not a superuser: the tables' own triggers are
    disabled for the copy (and enabled again), the foreign keys stay checked."""
    if not target_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    monkeypatch.setattr(db_copy, "_replica", lambda session: False)
    assert DbCopyService(open_source()).copy(target_url).matches
    target = Database.from_url(target_url)
    try:
        with target.read() as session:
            states = set(session.scalars(text(
                "SELECT t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND c.relname IN ('audit_event', 'ledger_entry')")))
        assert states == {"O"}  # enabled again
        assert "audit_event" in inspect(target.engine).get_table_names()
    finally:
        target.dispose()


def test_an_encrypted_source_is_copied_with_its_key(open_source, source_url, target_url, monkeypatch):
    pytest.importorskip("sqlcipher3")
    from officeconsole.services.security import db_keys
    from officeconsole.services.security.encryption import EncryptionService

    monkeypatch.setattr(db_keys, "KDF", db_keys.KdfParams(time_cost=1, memory_cost=8, parallelism=1))

    path = Path(source_url.removeprefix("sqlite:///"))
    manager = open_source()
    EncryptionService(manager).encrypt("a long passphrase", path.parent / "backups", "clinic")
    manager.db.dispose()
    key = db_keys.unlock(source_url, passphrase="a long passphrase")
    encrypted = Database.from_url(source_url, key=key)
    try:
        ctx = ServiceContext(encrypted, FixedClock(NOW))
        result = DbCopyService(ctx.as_actor(auth.login(ctx, "manager", DEMO_PASSWORD))).copy(target_url)
    finally:
        encrypted.dispose()
    assert result.matches and counts(target_url)["patient"] == SMALL_DEMO["patients"]
