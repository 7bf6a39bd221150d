"""The audit trail as a keyed hash chain: how it is written, how it is checked, what it proves.

Writing. When a database's write session flushes new `AuditEvent` rows (`audit.record` adds
them, inside the caller's transaction), a `before_flush` hook (`chain_new_events`, attached to
each database the services use) takes the chain's lock (PostgreSQL: a
transaction-level advisory lock; SQLite: writers already hold the database's write lock
from BEGIN IMMEDIATE), reads the chain head and gives each event, in the order they were
added, the next number `seq` (1, 2, 3 ... no gaps; a unique index refuses a number taken
twice), the previous event's hash `prev_hash` and

    hash = HMAC-SHA-256(key, JSON ["oc-audit-v1", seq, at (UTC, microseconds), user_id,
                                   username, action, entity, entity_id, patient_id, summary,
                                   prev_hash])

The first event's `prev_hash` is 64 zeros. The lock is held from the flush that writes an
event to the end of its transaction, so audited transactions finish one after the other
from that point. The one-row `audit_chain_head` table is moved on in the same transaction:
the latest `seq` and `hash`, the key's id (a keyed digest, not the key) and a seal,
HMAC(key, head fields). A PC whose key file is missing or differs from
the one the chain was written with refuses to write (a clear message) rather than fork the
chain; the key file is created, 32 random bytes with 0600 permissions, only while the chain
is still empty. The key lives outside the database: `audit.key` in the config folder, or
the file named by $OFFICECONSOLE_AUDIT_KEY_FILE.

Checking (`AuditChainService.verify`, `officeconsole audit verify [--anchor HASH]`) walks
the chain in `seq` order in batches, in one snapshot, and names the first broken link:

- a row edited in the database: its fields no longer match its hash ("changed");
- a row whose hash was recomputed with plain SHA-256 ("unkeyed") or another key ("changed");
- a row deleted from the middle or the start: a gap in the numbers ("missing");
- rows swapped: a row's `prev_hash` is the hash of the row after it ("reordered");
- the tail cut off: the head says there were more events ("truncated");
- the head edited, deleted or set back to a link it never sealed ("head");
- a key file that is not the chain's key ("wrong key").

What it cannot see, honestly:

- Someone who has the key file (anyone who can read the clinic PC's config folder as the
  clinic's user) can rewrite the chain and reseal it: all of it, or, once anchors are kept
  off the PC, everything after the last one. The key protects against people who can reach
  the database but not that file (a database login, a copied backup).
- Without an anchor, an attacker with database access can cut the tail back to an earlier
  head they saw (read from the database, or from a backup made then) and put that sealed
  head back: it verifies. An anchor kept off the database closes this: the close-out
  prints the chain's event number and hash ("Audit chain: event N, hash ..."; the full
  hash is in the day-sheet files), and `verify --anchor HASH` fails unless that event is
  still in an intact chain. Events written after the last anchor are as safe as the head.
- Events are checked, not what they describe: a change made without an audit row, or a
  row that never said enough, is not caught here.
- Rows are ordered by `seq`, not by their storage id: swapping whole rows, numbers and
  hashes included, changes nothing anyone can read and is not reported.
- Restoring a backup rolls the trail back with everything else: it verifies, and an anchor
  written down after that backup was made is (rightly) not found.

Checking costs one HMAC per event and reads `BATCH` events at a time: about 20-30 seconds
and under 100 MB for a million events on SQLite.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm import attributes as orm_attributes

from officeconsole.config import Paths
from officeconsole.models.audit import AuditChainHead, AuditEvent
from officeconsole.models.closeout import ClosedDay
from officeconsole.services.common.errors import OfficeError, ValidationError

ENV_KEY_FILE = "OFFICECONSOLE_AUDIT_KEY_FILE"
KEY_FILE_NAME = "audit.key"
KEY_BYTES = 32
FORMAT = "oc-audit-v1"
GENESIS = "0" * 64
BATCH = 5_000
PG_LOCK_ID = 0x6F63_6175_6469_7431  # "ocaudit1": the chain's transaction-level advisory lock

# Kinds of break, as `verify` names them.
CHANGED = "changed"
UNKEYED = "unkeyed"
MISSING = "missing"
REORDERED = "reordered"
RELINKED = "relinked"
DUPLICATE = "duplicate"
TRUNCATED = "truncated"
HEAD = "head"
WRONG_KEY = "wrong key"
ANCHOR = "anchor"
NEW_KEY = "audit.new_key"  # the action of the event that starts a new key (a lost key's boundary)


class AuditKeyError(OfficeError):
    """The audit key file is missing, unreadable, or not the key this audit trail was written with."""


# ----- the key -------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditKey:
    path: Path
    secret: bytes = field(repr=False)

    @property
    def id(self) -> str:
        """Names the key without revealing it (stored in the chain head)."""
        return hmac.new(self.secret, b"oc-audit-key-id-v1", hashlib.sha256).hexdigest()[:16]


def key_path(environ: dict[str, str] | None = None) -> Path:
    """$OFFICECONSOLE_AUDIT_KEY_FILE, else audit.key in the config folder."""
    env = os.environ if environ is None else environ
    if env.get(ENV_KEY_FILE):
        return Path(env[ENV_KEY_FILE]).expanduser()
    return Paths.discover(env).config_dir / KEY_FILE_NAME


def load_key(path: Path | None = None, *, create: bool = False) -> AuditKey:
    """The key in `path` (default `key_path()`); made first when missing and `create` is set.

    Read from the file at each use (one small read per audited transaction), so no process keeps a
    key that was replaced or belongs to another database's PC folder."""
    path = path or key_path()
    try:
        secret = path.read_bytes()
    except FileNotFoundError:
        if not create:
            raise AuditKeyError(
                f"The audit key file {path} is missing. The audit trail cannot be written or checked "
                f"without the key it was started with: copy the clinic's audit.key there (or point "
                f"${ENV_KEY_FILE} at it). If it is lost for good, a manager starts a new key: "
                f"`officeconsole audit new-key --reason ...` (the trail records the change).") from None
        _create_key(path)
        return load_key(path)
    except OSError as exc:
        raise AuditKeyError(f"Cannot read the audit key file {path}: {exc.strerror}.") from None
    if len(secret) != KEY_BYTES:
        raise AuditKeyError(f"{path} is not an audit key ({KEY_BYTES} bytes expected, {len(secret)} found).")
    return AuditKey(path, secret)


def _create_key(path: Path) -> None:
    """32 random bytes, owner-only, published under the final name only once written: two
    processes starting at once end up with one key (the first to link it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secrets.token_bytes(KEY_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.chmod(staged, 0o600)
        os.link(staged, path)  # never replaces a key that is already there
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links
        if not path.exists():
            os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)


# ----- the links -----------------------------------------------------------------------------
_encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


def _utc(at: dt.datetime) -> str:
    """2026-11-23T15:00:00.000000Z: UTC, always with microseconds (what both engines store)."""
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds") + "Z"


def canonical(fields: Any, seq: int, prev_hash: str) -> bytes:
    """The bytes an event's hash covers. `fields` has the event's columns as attributes."""
    return _encode([FORMAT, seq, _utc(fields.at), fields.user_id, fields.username, fields.action, fields.entity,
                    fields.entity_id, fields.patient_id, fields.summary, prev_hash]).encode("ascii")


def _mac(key: AuditKey, message: bytes) -> str:
    return hmac.digest(key.secret, message, "sha256").hex()


def link_hash(key: AuditKey, fields: Any, seq: int, prev_hash: str) -> str:
    return _mac(key, canonical(fields, seq, prev_hash))


def head_seal(key: AuditKey, seq: int, hash_: str, key_id: str, rebuilt_at: int | None) -> str:
    return _mac(key, _encode(["oc-audit-head-v1", seq, hash_, key_id, rebuilt_at]).encode("ascii"))


# ----- writing -------------------------------------------------------------------------------
def chain_new_events(session: Session, _flush_context: object, _instances: object) -> None:
    """The `before_flush` hook that numbers and hashes the audit rows a write session adds. The
    services attach it to each database they use (`ServiceContext`, `Database.on_write_flush`):
    sessions made any other way are not touched."""
    pending = [obj for obj in session.new if isinstance(obj, AuditEvent)]  # numbers set by hand are replaced
    if pending:
        pending.sort(key=lambda obj: orm_attributes.instance_state(obj).insert_order)
        append(session, pending)


def append(session: Session, events: Sequence[Any]) -> None:
    """Give `events` their numbers and hashes and move the head on (inside the flush)."""
    if session.get_bind().dialect.name == "postgresql":
        # Held to the end of the transaction: the next writer reads this one's head.
        session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": PG_LOCK_ID})
    head = session.get(AuditChainHead, 1, populate_existing=True)
    last = session.execute(select(AuditEvent.seq, AuditEvent.hash)
                           .order_by(AuditEvent.seq.desc()).limit(1)).first()
    boundary = len(events) == 1 and events[0].action == NEW_KEY  # written with the new key it starts
    key = load_key(create=(head is None and last is None) or boundary)
    if head is not None and not boundary and not hmac.compare_digest(head.key_id, key.id):
        raise AuditKeyError(
            f"The audit key file {key.path} is not the key this clinic's audit trail is written with "
            f"(key {key.id}, the trail's is {head.key_id}). Copy the clinic's audit.key there (or point "
            f"${ENV_KEY_FILE} at it); nothing was saved.")
    if head is not None and (last is None or head.seq >= last.seq):
        seq, prev, rebuilt = head.seq, head.hash, head.rebuilt_at
    else:
        # No head (or one behind the events): carry on from the last event, and say so for good.
        seq, prev = (last.seq, last.hash) if last is not None else (0, GENESIS)
        rebuilt = head.rebuilt_at if head is not None and head.rebuilt_at is not None else (
            last.seq if last is not None else None)
    if boundary:  # what the old key covered, sealed into the first event of the new key
        events[0].summary = _encode({"old_key": head.key_id if head is not None else None, "new_key": key.id,
                                     "last_seq": seq, "last_hash": prev, "reason": events[0].summary or ""})
    for item in events:
        # What the row will hold: column defaults are not applied to the object until the INSERT.
        item.entity, item.entity_id, item.summary = item.entity or "", item.entity_id or "", item.summary or ""
        seq += 1
        item.seq, item.prev_hash = seq, prev
        item.hash = prev = link_hash(key, item, seq, prev)
    if head is None:
        head = AuditChainHead(id=1)
        session.add(head)
    head.seq, head.hash, head.key_id, head.rebuilt_at = seq, prev, key.id, rebuilt
    head.seal = head_seal(key, seq, prev, key.id, rebuilt)


# ----- reading -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainPoint:
    """One link: an event's number and hash (what a close-out prints as its anchor)."""

    seq: int
    hash: str
    at: dt.datetime | None = None

    @property
    def line(self) -> str:
        return f"Audit chain: event {self.seq}, hash {self.hash[:16]}…"


@dataclass(frozen=True)
class ChainBreak:
    seq: int | None  # the first event number that is wrong (None: the anchor, not an event)
    at: dt.datetime | None  # when that event (or the last one before a gap) was written
    kind: str  # CHANGED, UNKEYED, MISSING, ...
    detail: str


@dataclass(frozen=True)
class ChainReport:
    events: int  # intact events walked (all of them when nothing is broken)
    latest: ChainPoint | None
    problem: ChainBreak | None
    anchor: ChainPoint | None  # the event the anchor names, when one was given and found
    key_file: Path
    key_changes: tuple[Any, ...] = ()  # KeyChange: where a new key took over from a lost one
    unchecked: int = 0  # events before a key change whose key was not given: numbering and links only

    @property
    def intact(self) -> bool:
        return self.problem is None


Progress = Callable[[int, int], None]  # events checked, events the head says there are


def event_point(session: Session, *, at: dt.datetime, action: str, entity: str,
                entity_id: object) -> ChainPoint | None:
    """The link of one known event (found by its time, so the `at` index does the work)."""
    row = session.execute(select(AuditEvent.seq, AuditEvent.hash, AuditEvent.at).where(
        AuditEvent.at == at, AuditEvent.action == action, AuditEvent.entity == entity,
        AuditEvent.entity_id == str(entity_id)).order_by(AuditEvent.seq).limit(1)).first()
    return ChainPoint(row.seq, row.hash, row.at) if row else None


def close_point(session: Session, day: dt.date) -> ChainPoint | None:
    """The chain as it stood when `day` was locked: the link of the close's own audit event
    (None while the day is not closed). The same answer every time, so a rerun of the close
    writes the same day sheet."""
    closed = session.execute(select(ClosedDay.closed_at, ClosedDay.close_run_id).where(
        ClosedDay.day == day, ClosedDay.reopened_at.is_(None))).first()
    if closed is None:
        return None
    return event_point(session, at=closed.closed_at, action="day.close", entity="close_run",
                       entity_id=closed.close_run_id)


def parse_anchor(value: str) -> str:
    anchor = value.strip().lower().rstrip("…").rstrip(".")
    if not re.fullmatch(r"[0-9a-f]{16,64}", anchor):
        raise ValidationError({"anchor": "The anchor is a chain hash from a close-out report: at least its "
                                         "first 16 hexadecimal digits."})
    return anchor


_CHECKING = ("AuditChainService", "KeyChange", "verify_chain")


def __getattr__(name: str) -> Any:
    """The checking half lives in services/security/audit_verify.py; its names are still found here (loaded
    on first use, since that module builds on this one)."""
    if name in _CHECKING:
        from officeconsole.services.security import audit_verify

        return getattr(audit_verify, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
