"""The audit trail's keyed hash chain: intact chains verify; edits, deletions, a cut tail, swapped
rows, unkeyed hashes and a wrong key are each caught at the first broken link; two writers at
once keep one chain; an upgraded clinic's old events are chained by the migration."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from officeconsole.db import migrate
from officeconsole.db.database import Database
from officeconsole.db.engine import make_engine
from officeconsole.models.audit import AuditChainHead, AuditEvent
from officeconsole.services.common.context import WRITE_HOOKS, ServiceContext
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.operations.closeout import CloseOutService
from officeconsole.services.security import audit
from officeconsole.services.security.audit_chain import (
    ANCHOR,
    CHANGED,
    ENV_KEY_FILE,
    GENESIS,
    HEAD,
    MISSING,
    REORDERED,
    TRUNCATED,
    UNKEYED,
    WRONG_KEY,
    AuditChainService,
    AuditKeyError,
    canonical,
    chain_new_events,
    load_key,
    verify_chain,
)

from tests.conftest import NOW


def write(ctx, count: int, what: str = "test.event") -> None:
    """`count` events, one transaction each, as the services write them."""
    for n in range(count):
        with ctx.db.write() as session:
            audit.record(session, ctx.now(), ctx.actor, what, entity="thing", entity_id=n, summary=f"event {n}")


def events(ctx) -> list:
    with ctx.db.read() as session:
        return session.execute(select(AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash)
                               .order_by(AuditEvent.seq)).all()


@contextmanager
def tampering(database: Database):
    """An attacker with database access: the append-only triggers lifted, put back afterwards."""
    with database.engine.begin() as conn:
        if database.dialect == "sqlite":
            saved = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                                      "tbl_name IN ('audit_event', 'audit_chain_head')")).all()
            for name, _ in saved:
                conn.execute(text(f"DROP TRIGGER {name}"))
            yield conn
            for _, sql in saved:
                conn.execute(text(sql))
        else:
            for table in ("audit_event", "audit_chain_head"):
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            yield conn
            for table in ("audit_event", "audit_chain_head"):
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


@pytest.fixture
def trail(manager_ctx):
    """The seeded clinic's events plus ten more: a service for checking them, and the count."""
    write(manager_ctx, 10)
    return AuditChainService(manager_ctx), len(events(manager_ctx))


def test_intact_chain_verifies_and_links_every_event_to_the_one_before(manager_ctx, trail):
    service, count = trail
    rows = events(manager_ctx)
    assert [r.seq for r in rows] == list(range(1, count + 1))
    assert rows[0].prev_hash == GENESIS
    assert all(row.prev_hash == before.hash for before, row in zip(rows, rows[1:], strict=False))
    report = service.verify()
    assert report.intact and report.events == count
    assert report.latest.seq == count and report.latest.hash == rows[-1].hash
    with manager_ctx.db.read() as session:
        head = session.get(AuditChainHead, 1)
        assert (head.seq, head.hash, head.rebuilt_at) == (count, rows[-1].hash, None)


def test_a_row_edited_in_the_database_is_named(database, trail):
    service, _ = trail
    with tampering(database) as conn:
        conn.execute(text("UPDATE audit_event SET summary = 'nothing to see' WHERE seq = 7"))
    problem = service.verify().problem
    assert (problem.seq, problem.kind) == (7, CHANGED) and problem.at is not None
    assert service.verify().events == 6  # the six before it are intact


def test_a_deleted_row_is_named(database, trail):
    service, _ = trail
    with tampering(database) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = 5"))
    problem = service.verify().problem
    assert (problem.seq, problem.kind) == (5, MISSING)
    assert "event 5 is missing" in problem.detail


def test_a_cut_tail_is_caught_by_the_head_and_a_rolled_back_head_by_the_anchor(database, manager_ctx, trail):
    service, count = trail
    with database.engine.connect() as conn:
        earlier_head = conn.execute(text("SELECT seq, hash, key_id, rebuilt_at, seal FROM audit_chain_head")).one()
    write(manager_ctx, 3)
    anchor = service.verify().latest  # what the evening's close-out printed
    with tampering(database) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq > :seq"), {"seq": count + 1})
    problem = service.verify().problem
    assert (problem.seq, problem.kind) == (count + 2, TRUNCATED)
    # An attacker who kept an earlier sealed head puts it back: without an anchor that verifies...
    with tampering(database) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq > :seq"), {"seq": count})
        conn.execute(text("UPDATE audit_chain_head SET seq = :seq, hash = :hash, key_id = :key_id, "
                          "rebuilt_at = :rebuilt_at, seal = :seal"), earlier_head._asdict())
    assert service.verify().intact
    # ...but not against the hash written down on paper.
    report = service.verify(anchor=anchor.hash[:16])
    assert report.problem.kind == ANCHOR and "not in the chain" in report.problem.detail
    # A head set back by hand (not sealed by the key) is caught without any anchor.
    with tampering(database) as conn:
        conn.execute(text("UPDATE audit_chain_head SET seq = 3, hash = (SELECT hash FROM audit_event WHERE seq = 3)"))
    assert service.verify().problem.kind == HEAD


def test_swapped_rows_are_named(database, trail):
    service, _ = trail
    with tampering(database) as conn:
        conn.execute(text("UPDATE audit_event SET seq = -1 WHERE seq = 4"))
        conn.execute(text("UPDATE audit_event SET seq = 4 WHERE seq = 5"))
        conn.execute(text("UPDATE audit_event SET seq = 5 WHERE seq = -1"))
    problem = service.verify().problem
    assert (problem.seq, problem.kind) == (4, REORDERED)


@pytest.mark.parametrize("rehash", ["plain sha-256", "another key"])
def test_a_hash_recomputed_without_the_key_is_named(database, manager_ctx, trail, rehash):
    service, _ = trail
    with manager_ctx.db.read() as session:
        row = session.execute(select(AuditEvent).where(AuditEvent.seq == 6)).scalar_one()
        session.expunge(row)
    row.summary = "rewritten"
    message = canonical(row, row.seq, row.prev_hash)
    forged = (hashlib.sha256(message).hexdigest() if rehash == "plain sha-256"
              else hmac.new(os.urandom(32), message, hashlib.sha256).hexdigest())
    with tampering(database) as conn:
        conn.execute(text("UPDATE audit_event SET summary = 'rewritten', hash = :hash WHERE seq = 6"), {"hash": forged})
    problem = service.verify().problem
    assert (problem.seq, problem.kind) == (6, UNKEYED if rehash == "plain sha-256" else CHANGED)


def test_a_wrong_or_missing_key_is_reported(trail, tmp_path):
    service, _ = trail
    other = tmp_path / "other.key"
    other.write_bytes(os.urandom(32))
    problem = service.verify(key_file=other).problem
    assert (problem.seq, problem.kind) == (1, WRONG_KEY) and str(other) in problem.detail
    with pytest.raises(AuditKeyError, match="is missing"):
        service.verify(key_file=tmp_path / "nowhere.key")
    (tmp_path / "short.key").write_bytes(b"too short")
    with pytest.raises(AuditKeyError, match="not an audit key"):
        service.verify(key_file=tmp_path / "short.key")
    with pytest.raises(ValidationError, match="16 hexadecimal"):
        service.verify(anchor="not a hash")


def test_writers_refuse_another_key_rather_than_fork_the_chain(manager_ctx, trail, tmp_path, monkeypatch):
    service, count = trail
    monkeypatch.setenv(ENV_KEY_FILE, str(tmp_path / "missing.key"))
    with pytest.raises(AuditKeyError, match="missing"):
        write(manager_ctx, 1)
    assert not (tmp_path / "missing.key").exists()  # a chain that exists is never given a new key
    other = tmp_path / "other.key"
    other.write_bytes(os.urandom(32))
    monkeypatch.setenv(ENV_KEY_FILE, str(other))
    with pytest.raises(AuditKeyError, match="not the key"):
        write(manager_ctx, 1)
    monkeypatch.undo()
    assert service.verify().events == count  # nothing was saved


def test_the_first_event_makes_an_owner_only_key(database, ctx, tmp_path, monkeypatch):
    path = tmp_path / "config" / "audit.key"
    monkeypatch.setenv(ENV_KEY_FILE, str(path))
    write(ctx, 2)
    assert path.stat().st_size == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    with database.read() as session:
        report = verify_chain(session, load_key(path))
    assert report.intact and report.events == 2


def test_a_deleted_head_is_reported_even_after_writing_carries_on(database, manager_ctx, trail):
    service, count = trail
    with tampering(database) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq > :seq"), {"seq": count - 2})
        conn.execute(text("DELETE FROM audit_chain_head"))
    assert service.verify().problem.kind == HEAD
    write(manager_ctx, 1)  # the clinic keeps working; the head records that it was rebuilt
    problem = service.verify().problem
    assert (problem.seq, problem.kind) == (count - 1, HEAD)
    assert f"writing carried on after event {count - 2}" in problem.detail


def test_two_writers_at_once_keep_one_chain(manager_ctx, trail):
    service, count = trail
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            start.wait()
            write(manager_ctx, 25, what=name)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    report = service.verify()
    assert report.intact and report.events == count + 50
    with manager_ctx.db.read() as session:
        writers = dict(session.execute(select(AuditEvent.action, func.count()).where(
            AuditEvent.action.in_(["left", "right"])).group_by(AuditEvent.action)).all())
    assert writers == {"left": 25, "right": 25}


def test_the_close_out_prints_the_chain_and_the_day_sheet_keeps_the_whole_hash(manager_ctx, clinic, clock, tmp_path):
    clock.at = NOW.replace(hour=23)
    result = CloseOutService(manager_ctx).close_day(reports_dir=tmp_path)
    lock_lines = next(s for s in result.steps if s.name == "Lock the day").lines
    point = result.sheet.audit
    with manager_ctx.db.read() as session:
        close_event = session.execute(select(AuditEvent.seq, AuditEvent.hash)
                                      .where(AuditEvent.action == "day.close")).one()
    assert (point.seq, point.hash) == tuple(close_event)
    assert f"Audit chain: event {point.seq}, hash {point.hash[:16]}…" in lock_lines
    csv_text = (tmp_path / f"day-sheet-{NOW:%Y-%m-%d}.csv").read_text()
    assert f"Audit chain event,{point.seq}" in csv_text and f"Audit chain hash,{point.hash}" in csv_text
    again = CloseOutService(manager_ctx).close_day(reports_dir=tmp_path)
    assert point.line in again.steps[0].lines and again.sheet.audit == point
    report = AuditChainService(manager_ctx).verify(anchor=point.hash[:16])
    assert report.intact and report.anchor.seq == point.seq


def test_an_upgraded_clinic_has_its_old_events_chained(empty_db_url):
    database = Database.from_url(empty_db_url)
    migrate.upgrade(database.engine, revision="0011")
    with database.engine.begin() as conn:
        for n in range(7):
            conn.execute(text("INSERT INTO audit_event (at, user_id, username, action, entity, entity_id, "
                              "patient_id, summary) VALUES (:at, NULL, 'manager', 'login', 'user', '1', NULL, :s)"),
                         {"at": f"2026-11-0{n + 1} 14:00:00.{n:06d}", "s": f"old event {n} ✓"})
    migrate.upgrade(database.engine)
    key = load_key()
    with database.read() as session:
        report = verify_chain(session, key)
    assert report.intact and report.events == 7
    ServiceContext(database)  # as the console opens it: the services' write hooks on this database
    with database.write() as session:
        audit.record(session, NOW, None, "login.failed", username="someone")
    with database.read() as session:
        assert verify_chain(session, key).events == 8
    with pytest.raises(Exception, match="append-only"):
        with database.write() as session:
            session.execute(text("UPDATE audit_event SET summary = 'x'"))
    database.dispose()


def test_wiping_the_whole_trail_does_not_pass(database, trail, manager_ctx):
    """Triggers dropped, every event and the head deleted: the witness beside the key says so."""
    from officeconsole.services.security import audit_witness

    service = AuditChainService(manager_ctx)
    with database.write() as session:  # as a close-out or a backup does: the trail's witness, made
        audit_witness.record(session)
    assert service.verify().intact
    with database.read() as session:
        held = audit_witness.read(load_key(), audit_witness._trail_id(session))
    assert held is not None and held[0] == service.verify().events
    with tampering(database) as conn:
        conn.execute(text("DELETE FROM audit_event"))
        conn.execute(text("DELETE FROM audit_chain_head"))
    report = service.verify()
    assert not report.intact and report.problem.kind == TRUNCATED
    assert "the whole trail was wiped" in report.problem.detail


def test_each_database_chains_its_own_writes_and_other_sessions_are_left_alone(ctx, empty_db_url):
    """The chain's hook is attached to the databases the services use, one by one: a second
    Database in the same process gets its own (its events start a chain of their own), one no
    service context was built over has none, and a Session made without a Database flushes
    audit rows exactly as given."""
    engine = make_engine(empty_db_url)
    migrate.upgrade(engine)
    engine.dispose()
    other = Database.from_url(empty_db_url)
    try:
        assert other.write_hooks == ()
        other_ctx = ServiceContext(other, ctx.clock)
        assert other.write_hooks == ctx.db.write_hooks == WRITE_HOOKS
        write(ctx, 3)
        write(other_ctx, 2)
        assert [row.seq for row in events(ctx)] == [1, 2, 3]
        assert [row.seq for row in events(other_ctx)] == [1, 2]
        assert not event.contains(Session, "before_flush", chain_new_events)  # nothing process-wide
        with Session(other.engine) as session:
            row = AuditEvent(at=NOW, username="someone", action="test.plain", seq=99, prev_hash=GENESIS,
                             hash="f" * 64)
            session.add(row)
            session.flush()
            assert (row.seq, row.hash) == (99, "f" * 64)  # no hook renumbered it
            session.rollback()
        with other.write() as session:  # the same row through the database: a link of its chain
            row = AuditEvent(at=NOW, username="someone", action="test.plain", seq=99, prev_hash=GENESIS,
                             hash="f" * 64)
            session.add(row)
            session.flush()
            assert row.seq == 3 and row.hash != "f" * 64
    finally:
        other.dispose()
