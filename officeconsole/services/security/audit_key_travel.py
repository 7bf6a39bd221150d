"""The audit key travels with the backups, wrapped, so a restored clinic can go on writing its trail.

The audit key (`audit.key`, services/security/audit_chain.py) lives on the PC, outside the database. A
backup alone must not reveal it, yet a clinic whose PC died must get it back. So each backup is
followed by a small file beside it, `<backup>.auditkey`, holding the key wrapped (AES-256-GCM):
- under the backup's passphrase, when the backup is encrypted (scrypt, as the backup itself);
- under the clinic's audit recovery code, when the manager has made one
  (`officeconsole audit recovery-code`): the code is shown once, for paper, and only the key
  wrapped under it is kept on the PC (`audit.key.recovery` beside the key), so nightly backups can
  carry it without anyone typing the code.
`restore` on a new PC unwraps it with the passphrase or the code, checks it is the key the restored
trail was written with, and puts it in place (owner-only).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from officeconsole.errors import OfficeError
from officeconsole.services.common.permissions import requires
from officeconsole.services.security import audit
from officeconsole.services.security.audit_chain import (
    KEY_BYTES,
    AuditKey,
    AuditKeyError,
    key_path,
    load_key,
)
from officeconsole.services.security.db_keys import parse_recovery_code, recovery_code

if TYPE_CHECKING:
    from officeconsole.db.database import Database
    from officeconsole.services.common.context import ServiceContext

FORMAT = "officeconsole-audit-key-1"
SIDECAR_SUFFIX = ".auditkey"
BY_PASSPHRASE = "passphrase"
BY_RECOVERY_CODE = "recovery code"


class AuditKeyTravelError(OfficeError):
    """The key cannot be carried or put back: the message says what the manager can do."""


def sidecar(backup: Path) -> Path:
    return backup.with_name(backup.name + SIDECAR_SUFFIX)


def recovery_wrap_path(key_file: Path | None = None) -> Path:
    key_file = key_file or key_path()
    return key_file.with_name(key_file.name + ".recovery")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _kek(by: str, secret: bytes, salt: bytes) -> bytes:
    if by == BY_PASSPHRASE:  # a person's words: slow to guess
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(secret)
    return hashlib.sha256(b"officeconsole audit key recovery\x00" + salt + secret).digest()  # 256 random bits


def _wrap(by: str, secret: bytes, key: AuditKey) -> dict[str, str]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = os.urandom(16), os.urandom(12)
    wrapped = AESGCM(_kek(by, secret, salt)).encrypt(nonce, key.secret, f"{FORMAT}|{key.id}".encode())
    return {"by": by, "salt": _b64(salt), "nonce": _b64(nonce), "wrapped": _b64(wrapped)}


def _unwrap(wrap: dict[str, str], secret: bytes, key_id: str) -> bytes | None:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        kek = _kek(wrap["by"], secret, base64.b64decode(wrap["salt"]))
        return AESGCM(kek).decrypt(base64.b64decode(wrap["nonce"]), base64.b64decode(wrap["wrapped"]),
                                   f"{FORMAT}|{key_id}".encode())
    except (InvalidTag, KeyError, ValueError):
        return None


def _write_private(path: Path, data: bytes) -> None:
    staged = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(staged, path)


def new_recovery_code(key_file: Path | None = None) -> str:
    """Make the clinic's audit recovery code: returned once (for paper), never stored; what is kept
    is the audit key wrapped under it, which every later backup carries."""
    key = load_key(key_file)
    code = secrets.token_bytes(KEY_BYTES)
    record = {"format": FORMAT, "key_id": key.id, "made": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "wraps": [_wrap(BY_RECOVERY_CODE, code, key)]}
    _write_private(recovery_wrap_path(key.path), json.dumps(record, indent=1).encode())
    return recovery_code(code)


@dataclass(frozen=True)
class Carried:
    path: Path | None  # the file beside the backup; None when nothing could be carried
    by: tuple[str, ...]  # what unwraps it: "passphrase", "recovery code"
    problem: str = ""  # why the key is not carried, in words


def carry(backup: Path, passphrase: str | None) -> Carried:
    """Write `<backup>.auditkey` with what the clinic has to unwrap it later."""
    try:
        key = load_key()
    except AuditKeyError as exc:
        return Carried(None, (), exc.message)
    wraps = [_wrap(BY_PASSPHRASE, passphrase.encode(), key)] if passphrase else []
    escrow = recovery_wrap_path(key.path)
    if escrow.is_file():
        try:
            record = json.loads(escrow.read_text())
        except (OSError, ValueError):
            record = {}
        if record.get("key_id") == key.id:
            wraps += [w for w in record.get("wraps", []) if w.get("by") == BY_RECOVERY_CODE]
    if not wraps:
        return Carried(None, (), "The backup does not carry the audit key: encrypt backups (--encrypt) or make an "
                                 "audit recovery code (`officeconsole audit recovery-code`), or keep a copy of "
                                 f"{key.path} somewhere safe.")
    target = sidecar(backup)
    _write_private(target, json.dumps({"format": FORMAT, "key_id": key.id, "wraps": wraps}, indent=1).encode())
    return Carried(target, tuple(dict.fromkeys(w["by"] for w in wraps)))


def needs_key(trail_key_id: str | None, key_file: Path | None = None) -> bool:
    """Whether this PC lacks the key the (restored) trail is written with."""
    if trail_key_id is None:
        return False
    try:
        return load_key(key_file).id != trail_key_id
    except AuditKeyError:
        return True


def wraps_in(backup: Path) -> tuple[str, ...]:
    """What unwraps the key carried beside `backup` (empty when none is)."""
    try:
        record = json.loads(sidecar(backup).read_text())
    except (OSError, ValueError):
        return ()
    return tuple(dict.fromkeys(w.get("by", "") for w in record.get("wraps", [])))


def unwrap(backup: Path, trail_key_id: str, *, passphrase: str | None = None, code: str | None = None) -> bytes:
    """The audit key carried beside `backup`, unwrapped with the passphrase or the recovery code
    (AuditKeyTravelError, with what to do, when neither fits or nothing is carried)."""
    try:
        record = json.loads(sidecar(backup).read_text())
    except FileNotFoundError:
        raise AuditKeyTravelError(
            f"This PC does not have the audit key the backup's trail is written with, and {backup.name} carries "
            "none: copy the clinic's audit.key from the old PC (or another copy) into place, then restore again. "
            "Nothing was restored.") from None
    except (OSError, ValueError) as exc:
        raise AuditKeyTravelError(f"{sidecar(backup).name} cannot be read: {exc}. Nothing was restored.") from None
    if record.get("key_id") != trail_key_id:
        raise AuditKeyTravelError(f"{sidecar(backup).name} carries key {record.get('key_id')}, but the backup's "
                                  f"trail is written with key {trail_key_id}. Nothing was restored.")
    secrets_to_try: list[tuple[str, bytes]] = []
    if passphrase:
        secrets_to_try.append((BY_PASSPHRASE, passphrase.encode()))
    if code:
        parsed = parse_recovery_code(code)
        if parsed is None:
            raise AuditKeyTravelError("That is not an audit recovery code (14 groups of 4 letters and digits). "
                                      "Nothing was restored.")
        secrets_to_try.append((BY_RECOVERY_CODE, parsed))
    for wrap in record.get("wraps", []):
        for by, secret in secrets_to_try:
            if wrap.get("by") == by and (raw := _unwrap(wrap, secret, trail_key_id)) is not None:
                return raw
    raise AuditKeyTravelError("Neither the passphrase nor the recovery code given unwraps the audit key: "
                              "nothing was restored. Type the backup's passphrase or the audit recovery code.")


def install(secret: bytes, key_id: str, key_file: Path | None = None) -> Path:
    """Put the unwrapped key where this PC looks for it. A key already there that is not the
    trail's is set aside (renamed), never overwritten."""
    return _install(secret, key_id, key_file or key_path())


def _install(secret: bytes, key_id: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        try:
            present = load_key(path).id
        except AuditKeyError:
            present = None
        if present == key_id:
            return path
        path.rename(path.with_name(f"{path.name}.replaced-{dt.datetime.now():%Y%m%d-%H%M%S}"))
    _write_private(path, secret)
    if load_key(path).id != key_id:  # cannot happen with an authenticated unwrap; checked all the same
        raise AuditKeyTravelError("The unwrapped key is not the trail's key: nothing was installed.")
    return path


class AuditKeyService:
    """The manager's side: make the recovery code that lets plain backups carry the key."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("backup.run")
    def new_recovery_code(self) -> str:
        code = new_recovery_code()
        with self.ctx.db.write() as session:
            audit.record(session, self.ctx.now(), self.ctx.actor, "audit.recovery_code", entity="clinic", entity_id=1,
                         summary="a new audit recovery code; backups from now on carry the key wrapped under it")
        return code


def trail_key_id_in_file(path: Path, db_key: bytes | None = None) -> str | None:
    """The trail's key id inside a SQLite copy (a backup staged for restore)."""
    from officeconsole.db.database import Database

    database = Database.from_url(f"sqlite:///{path}", key=db_key)
    try:
        return trail_key_id(database)
    finally:
        database.dispose()


def trail_key_id(database: Database) -> str | None:
    """The key the database's audit trail is written with (None for an empty trail)."""
    from sqlalchemy import select

    from officeconsole.models.audit import AuditChainHead

    with database.read() as session:
        return session.scalar(select(AuditChainHead.key_id).where(AuditChainHead.id == 1))


@dataclass(frozen=True)
class NewKey:
    path: Path
    key_id: str
    old_key_id: str
    after_event: int  # the last event the old key covered


def start_new_key(ctx: ServiceContext, username: str, password: str, reason: str) -> NewKey:
    """A lost audit key becomes a recorded event, not a stopped clinic: a manager (proving it with
    their password, which cannot be audited as a login without a key) starts a new key; its first
    event records the last event and hash the old key covered, who started it and why. A key file
    that is not the trail's is set aside, never deleted."""
    from sqlalchemy import select

    from officeconsole.errors import AuthError, PermissionDenied, ValidationError
    from officeconsole.models import User
    from officeconsole.models.audit import AuditChainHead
    from officeconsole.models.enums import Role
    from officeconsole.services.common.context import Actor
    from officeconsole.services.security.audit_chain import NEW_KEY
    from officeconsole.services.security.passwords import verify

    reason = " ".join(reason.split())
    if len(reason) < 5:
        raise ValidationError({"reason": "Say why the key is replaced (it is recorded), e.g. 'PC died, key lost'."})
    path = key_path()
    with ctx.db.write() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active or not verify(user.password_hash, password):
            raise AuthError("Wrong username or password.")
        if user.role not in (Role.MANAGER, Role.ADMIN):
            raise PermissionDenied("Permission denied: only a manager starts a new audit key.")
        head = session.get(AuditChainHead, 1)
        if head is None:
            raise ValidationError({"key": "The audit trail is empty: the first event makes its key."})
        try:
            present = load_key(path)
        except AuditKeyError:
            present = None
        if present is not None and present.id == head.key_id:
            raise ValidationError({"key": f"{path} is the trail's own key: nothing is lost, nothing was changed."})
        if present is not None or path.exists():
            path.rename(path.with_name(f"{path.name}.replaced-{dt.datetime.now():%Y%m%d-%H%M%S}"))
        old_key_id, after = head.key_id, head.seq
        actor = Actor(user.id, user.username, user.full_name, Role(user.role))
        audit.record(session, ctx.now(), actor, NEW_KEY, entity="clinic", entity_id=1, summary=reason)
    return NewKey(path, load_key(path).id, old_key_id, after)
