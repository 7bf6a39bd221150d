"""Witnesses of the audit trail's length, kept outside the audited tables, so wiping the whole
trail (triggers dropped, every event and the chain head deleted) cannot pass as "intact".

Two witnesses:
- a file beside the audit key (`audit.key.witness`): per trail (a random id the clinic's counters
  hold, since one key may serve several databases on a PC, the demo and the clinic), the latest
  event number and hash, sealed with the key, moved forward (never back) at each close-out, backup
  and successful verify;
- the closed days: each lock is a row of its own table, and each has its `day.close` event.
`audit verify` fails when the trail is shorter than a witness or lacks a recorded close's event.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from officeconsole.models import ClosedDay, Counter
from officeconsole.models.audit import AuditChainHead, AuditEvent
from officeconsole.services.security.audit_chain import TRUNCATED, AuditKey, AuditKeyError, ChainBreak, load_key

SUFFIX = ".witness"


def _path(key: AuditKey) -> Path:
    return key.path.with_name(key.path.name + SUFFIX)


TRAIL_COUNTER = "audit_trail_id"


def _seal(key: AuditKey, trail: int, seq: int, hash_: str) -> str:
    return hmac.new(key.secret, f"oc-audit-witness-v2|{trail}|{seq}|{hash_}".encode(), hashlib.sha256).hexdigest()


def _trail_id(session: Session, *, create: bool = False) -> int | None:
    trail = session.scalar(select(Counter.next_value).where(Counter.name == TRAIL_COUNTER))
    if trail is None and create:
        trail = secrets.randbelow(2**31 - 1) + 1
        session.add(Counter(name=TRAIL_COUNTER, next_value=trail))
        session.flush()
    return trail


def _entries(key: AuditKey) -> dict[str, Any]:
    try:
        data = json.loads(_path(key).read_text())
    except (OSError, ValueError):
        return {}
    return data.get("trails", {}) if isinstance(data, dict) else {}


def read(key: AuditKey, trail: int | None) -> tuple[int, str] | None:
    """The sealed (event number, hash) held for this trail; None when there is none or it is not
    sealed with this key (a witness from another key proves nothing about this trail)."""
    if trail is None:
        return None
    entry: Any = _entries(key).get(str(trail))  # the file's JSON: checked by the reads below
    try:
        seq, hash_ = int(entry["seq"]), str(entry["hash"])
    except (TypeError, KeyError, ValueError):
        return None
    return (seq, hash_) if hmac.compare_digest(str(entry.get("seal", "")), _seal(key, trail, seq, hash_)) else None


def record(session: Session, *, create: bool = True) -> None:
    """Move this trail's witness up to the head (in the caller's transaction's view). `create`:
    give the trail its id when it has none (a write transaction: close-out, backup)."""
    head = session.get(AuditChainHead, 1)
    if head is None:
        return
    try:
        key = load_key()
    except AuditKeyError:
        return
    trail = _trail_id(session, create=create)
    if head.key_id != key.id or trail is None:
        return
    held = read(key, trail)
    if held is not None and held[0] >= head.seq:
        return
    entries = _entries(key)
    entries[str(trail)] = {"seq": head.seq, "hash": head.hash, "seal": _seal(key, trail, head.seq, head.hash)}
    target = _path(key)
    staged = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, json.dumps({"trails": entries}).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(staged, target)


def problem(session: Session, key: AuditKey, events: int) -> ChainBreak | None:
    """What the witnesses say is missing from an otherwise intact trail of `events` events."""
    held = read(key, _trail_id(session))
    if held is not None:
        seq, hash_ = held
        if events < seq:
            return ChainBreak(events + 1, None, TRUNCATED,
                              f"the trail has {events} events, but it held at least {seq} when the witness beside "
                              "the audit key was last moved: events were removed (or the whole trail was wiped)")
        found = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))
        if found != hash_:
            return ChainBreak(seq, None, TRUNCATED, f"event {seq} is not the event the witness beside the audit key "
                                                    "recorded: the trail was rewritten")
    closes = session.execute(select(ClosedDay.day, ClosedDay.close_run_id)).all()
    if closes:
        logged = set(session.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == "day.close",
                                                                         AuditEvent.entity == "close_run")))
        missing = sorted(day for day, run_id in closes if str(run_id) not in logged)
        if missing:
            return ChainBreak(None, None, TRUNCATED,
                              f"{len(missing)} closed days (the first {missing[0]:%m/%d/%Y}) have no close event "
                              "in the trail: events were removed (or the whole trail was wiped)")
    return None


def after_restore(session: Session) -> None:
    """A restore sets the trail back on purpose (to the backup's end): its witness follows it back."""
    try:
        key = load_key()
    except AuditKeyError:
        return
    trail = _trail_id(session)
    entries = _entries(key)
    if trail is not None and entries.pop(str(trail), None) is not None:
        target = _path(key)
        staged = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, json.dumps({"trails": entries}).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(staged, target)
    record(session)
