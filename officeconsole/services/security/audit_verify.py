"""Checking the audit trail: walk the chain with the key (and the old keys of a key change), find
the first broken link, and compare the end with the chain head and an anchor.

Split from services/security/audit_chain.py (which makes the links); that module re-exports these names.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from officeconsole.models.audit import AuditChainHead, AuditEvent
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.permissions import requires
from officeconsole.services.security.audit_chain import (
    ANCHOR,
    BATCH,
    CHANGED,
    DUPLICATE,
    GENESIS,
    HEAD,
    MISSING,
    NEW_KEY,
    RELINKED,
    REORDERED,
    TRUNCATED,
    UNKEYED,
    WRONG_KEY,
    AuditKey,
    ChainBreak,
    ChainPoint,
    ChainReport,
    Progress,
    _mac,
    canonical,
    head_seal,
    load_key,
    parse_anchor,
)

_COLUMNS = (AuditEvent.seq, AuditEvent.at, AuditEvent.user_id, AuditEvent.username, AuditEvent.action,
            AuditEvent.entity, AuditEvent.entity_id, AuditEvent.patient_id, AuditEvent.summary,
            AuditEvent.prev_hash, AuditEvent.hash)

# One audit event as read for checking: the _COLUMNS, by name.
EventRow: TypeAlias = "Row[*tuple[Any, ...]]"


def _rows(session: Session, batch: int) -> Iterator[EventRow]:
    """Every event in `seq` order, `batch` at a time (keyset pages over the unique index)."""
    after = None
    while True:
        query = select(*_COLUMNS).order_by(AuditEvent.seq).limit(batch)
        if after is not None:
            query = query.where(AuditEvent.seq > after)
        rows = session.connection().execute(query).all()  # plain rows: no ORM bookkeeping per event
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].seq


def _with_next(rows: Iterator[EventRow]) -> Iterator[tuple[EventRow, EventRow | None]]:
    current = next(rows, None)
    if current is None:
        return
    for following in rows:
        yield current, following
        current = following
    yield current, None


def _sha256(message: bytes) -> str:
    return hashlib.sha256(message).hexdigest()


def _check(key: AuditKey, row: EventRow, following: EventRow | None, expected: int, prev: str,
           prev_at: dt.datetime | None) -> ChainBreak | None:
    """What is wrong with `row`, found where event `expected` should follow a link hashing to `prev`."""
    if row.seq != expected:
        if row.seq < expected:
            return ChainBreak(row.seq, row.at, DUPLICATE, f"event number {row.seq} is used twice")
        gap = f"event {expected} is" if row.seq == expected + 1 else f"events {expected} to {row.seq - 1} are"
        return ChainBreak(expected, prev_at or row.at, MISSING,
                          f"{gap} missing (deleted): the chain goes from event {expected - 1} to event {row.seq}")
    actual = canonical(row, row.seq, prev)
    if row.prev_hash == prev and hmac.compare_digest(_mac(key, actual), row.hash):
        return None
    stored = canonical(row, row.seq, row.prev_hash)
    if row.prev_hash != prev:
        if following is not None and following.hash == row.prev_hash:
            return ChainBreak(row.seq, row.at, REORDERED,
                              f"event {row.seq} is out of order: it was written after the event now numbered "
                              f"{following.seq}")
        if hmac.compare_digest(_mac(key, stored), row.hash):
            return ChainBreak(row.seq, row.at, RELINKED,
                              f"event {row.seq} does not follow event {row.seq - 1}: the event it was written "
                              "after was removed or replaced")
    if row.hash in (_sha256(stored), _sha256(actual)):
        return ChainBreak(row.seq, row.at, UNKEYED,
                          f"event {row.seq}'s hash was recomputed without the key (plain SHA-256)")
    return ChainBreak(row.seq, row.at, CHANGED,
                      f"event {row.seq}'s fields do not match its hash: it was changed after it was written "
                      "(or hashed with another key)")


@dataclass(frozen=True)
class KeyChange:
    """A boundary in the trail: from this event on, a new key (the old one was lost)."""

    seq: int
    at: dt.datetime
    username: str
    old_key: str | None
    new_key: str
    reason: str
    checked_before: bool  # whether the events before it could be checked (their key was given)


def _key_changes(session: Session) -> dict[int, dict[str, Any]]:
    rows = session.execute(select(AuditEvent.seq, AuditEvent.summary).where(AuditEvent.action == NEW_KEY)
                           .order_by(AuditEvent.seq)).all()
    changes: dict[int, dict[str, Any]] = {}
    for seq, summary in rows:
        try:
            changes[seq] = json.loads(summary)
        except ValueError:
            changes[seq] = {}
    return changes


def verify_chain(session: Session, key: AuditKey, anchor: str | None = None, progress: Progress | None = None,
                 batch: int = BATCH, old_keys: Sequence[AuditKey] = ()) -> ChainReport:
    """Walk the whole chain in `session` (one snapshot) and report the first broken link.

    A trail whose key was replaced (`audit new-key`) is checked segment by segment: the last with
    `key`, earlier ones with the `old_keys` given; a segment whose key is not given is checked for
    its numbering and links only, and the report says so."""
    head = session.get(AuditChainHead, 1)
    total = head.seq if head is not None else 0
    expected, prev, last, found = 1, GENESIS, None, None
    changes = _key_changes(session)
    keys = {k.id: k for k in old_keys}
    segment = changes[min(changes)].get("old_key") if changes else None  # the first segment's key id
    unchecked: list[int] = []
    boundaries: list[KeyChange] = []

    def report(problem: ChainBreak | None) -> ChainReport:
        latest = ChainPoint(last.seq, last.hash, last.at) if last is not None else None
        return ChainReport(expected - 1, latest, problem, found, key.path, tuple(boundaries), len(unchecked))

    for row, following in _with_next(_rows(session, batch)):
        if row.seq in changes:
            info = changes[row.seq]
            if (info.get("last_seq"), info.get("last_hash")) != (expected - 1, prev):
                return report(ChainBreak(row.seq, row.at, CHANGED, f"the key change at event {row.seq} does not "
                                                                   "record the event before it"))
            boundaries.append(KeyChange(row.seq, row.at, row.username, info.get("old_key"), info.get("new_key", ""),
                                        info.get("reason", ""), not unchecked))
            later = [seq for seq in changes if seq > row.seq]
            segment = changes[min(later)].get("old_key") if later else None
        row_key = key if segment is None else keys.get(segment)
        if row_key is None:  # an earlier key, not given: the numbering and the links only
            problem = None if (row.seq == expected and row.prev_hash == prev) else _check(
                key, row, following, expected, prev, last.at if last is not None else None)
            unchecked.append(row.seq)
        else:
            problem = _check(row_key, row, following, expected, prev, last.at if last is not None else None)
        if problem is not None:
            if expected == 1 and head is not None and head.key_id != key.id and problem.kind in (CHANGED, UNKEYED):
                problem = ChainBreak(problem.seq, problem.at, WRONG_KEY,
                                     f"the key file {key.path} is not the key this audit trail was written with "
                                     f"(key {key.id}, the trail's is {head.key_id}): use the clinic's key file; "
                                     "if it is the right one, the whole trail was rewritten with another key")
            return report(problem)
        if anchor is not None and found is None and row.hash.startswith(anchor):
            found = ChainPoint(row.seq, row.hash, row.at)
        expected, prev, last = expected + 1, row.hash, row
        if progress is not None and expected % batch == 1:
            progress(expected - 1, max(total, expected - 1))
    if progress is not None:
        progress(expected - 1, max(total, expected - 1))
    return report(_head_problem(key, head, last) or _anchor_problem(anchor, found, last))


def _head_problem(key: AuditKey, head: AuditChainHead | None, last: EventRow | None) -> ChainBreak | None:
    if head is None:
        if last is None:
            return None
        return ChainBreak(last.seq, last.at, HEAD, f"the chain head is missing: events after event {last.seq} "
                                                   "may have been removed")
    if not hmac.compare_digest(head.seal, head_seal(key, head.seq, head.hash, head.key_id, head.rebuilt_at)):
        return ChainBreak(head.seq, None, HEAD, f"the chain head (event {head.seq}) was altered: its seal does "
                                                "not match")
    if head.rebuilt_at is not None:
        return ChainBreak(head.rebuilt_at + 1, None, HEAD,
                          f"the chain head went missing or was set back, and writing carried on after event "
                          f"{head.rebuilt_at}: events after it may have been removed before that")
    if last is None or head.seq > last.seq:
        first = last.seq + 1 if last is not None else 1
        what = f"event {first} is" if first == head.seq else f"events {first} to {head.seq} are"
        return ChainBreak(first, last.at if last is not None else None, TRUNCATED,
                          f"{what} missing: the trail ends before the last event the chain head recorded "
                          "(tail removed)")
    if head.seq < last.seq:
        return ChainBreak(head.seq + 1, None, HEAD, f"events after event {head.seq} were added without the chain "
                                                    "head moving")
    if not hmac.compare_digest(head.hash, last.hash):
        return ChainBreak(last.seq, last.at, HEAD, f"the chain head does not match event {last.seq}")
    return None


def _anchor_problem(anchor: str | None, found: ChainPoint | None, last: EventRow | None) -> ChainBreak | None:
    if anchor is None or found is not None:
        return None
    return ChainBreak(None, None, ANCHOR,
                      f"the anchor {anchor[:16]}… is not in the chain: the events up to it were removed or "
                      "rewritten (or it was copied wrongly)")


class AuditChainService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("audit.view")
    def verify(self, anchor: str | None = None, *, progress: Progress | None = None,
               key_file: Path | None = None, old_key_files: Sequence[Path] = ()) -> ChainReport:
        """Check the whole audit trail against the key (and the anchor, a hash printed earlier)."""
        wanted = parse_anchor(anchor) if anchor else None
        key = load_key(key_file)
        with self.ctx.db.read() as session:
            if self.ctx.db.dialect == "postgresql":  # one snapshot for every batch
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            report = verify_chain(session, key, wanted, progress, old_keys=[load_key(p) for p in old_key_files])
            if report.intact:
                from officeconsole.services.security import audit_witness

                problem = audit_witness.problem(session, key, report.events)
                if problem is not None:
                    return dataclasses.replace(report, problem=problem)
                audit_witness.record(session, create=False)  # a read: only a trail that has its id
            return report
