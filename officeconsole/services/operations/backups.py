"""Backups that can be trusted, and restoring one.

SQLite is copied with its online backup API (a consistent snapshot, safe while consoles are
open); PostgreSQL with pg_dump. Every copy is verified before it gets its final name (SQLite:
integrity check and row counts; a dump: pg_restore can list it), is written under a
temporary name first (a full disk or a crash leaves no half file that looks like a backup),
can be encrypted with a passphrase, and the folder is rotated (newest of each of the last 14
days, 8 weeks, 12 months). Restoring sets the current database aside first.

The SQLite copy's integrity check is also the live database's check for damage: the backup API
copies each page as it is, and checking the copy keeps the live file free for the consoles (at
a million patients the check takes minutes). A copy that fails it is thrown away, the live file
is then checked to say which of the two is damaged, and no earlier backup is rotated out.

A SQLite database encrypted at rest (SQLCipher, services/security/db_keys.py) is copied page by page
under its own key, so its backups are encrypted too; restoring brings the copy to the current
key (a plain backup is encrypted on the way in, an older key's backup is re-keyed).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from officeconsole.db import cipher
from officeconsole.db.engine import cipher_key
from officeconsole.db.maintenance import damage
from officeconsole.models.enums import Role
from officeconsole.services.common.context import Actor, ServiceContext
from officeconsole.services.common.errors import OfficeError, PermissionDenied
from officeconsole.services.common.folders import writable_folder
from officeconsole.services.common.permissions import requires
from officeconsole.services.operations.backup_files import (
    BackupFileError,
    Rotation,
    backup_name,
    decrypt_file,
    encrypt_file,
    is_encrypted,
    taken_at,
    to_keep,
)
from officeconsole.services.security import audit, audit_key_travel, audit_witness

REQUIRED_TABLES = {"alembic_version", "app_user", "patient", "appointment", "clinic_settings"}


class BackupError(OfficeError):
    pass


class DamagedDatabase(BackupError):
    """The live database failed SQLite's check: no copy was kept, and no earlier one removed."""


class CopyDamaged(BackupError):
    """A copy failed SQLite's integrity check."""


class BackupKeyMismatch(BackupError):
    """The backup does not open with the database's current key (made before a `db rekey`?)."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int  # bytes
    seconds: float
    encrypted: bool
    rows: dict[str, int]  # table -> rows in the copy (SQLite); table -> 1 when its data is in a dump
    removed: list[Path] = field(default_factory=list)  # rotated out
    key_carried_by: tuple[str, ...] = ()  # what unwraps the audit key carried beside it (services/security/audit_key_travel.py)
    key_problem: str = ""  # why the audit key is not carried

    @property
    def megabytes_per_second(self) -> float:
        return self.size / 1e6 / self.seconds if self.seconds else 0.0


class BackupService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("backup.run")
    def backup(self, to_dir: Path | str, passphrase: str | None = None, rotation: Rotation | None = None) -> BackupResult:
        folder = writable_folder(to_dir, BackupError, "backups")
        _remove_stale_partials(folder)
        url = self.ctx.db.engine.url
        sqlite = url.get_backend_name() == "sqlite"
        name = backup_name(self.ctx.now().astimezone(self.ctx.timezone), "db" if sqlite else "dump", bool(passphrase))
        final = folder / name
        plain = folder / f".{name}.partial"
        sealed = folder / f".{name}.sealed"
        started = time.perf_counter()
        try:
            if sqlite:
                rows = self._checked_copy(Path(url.database), plain, cipher_key(self.ctx.db.engine))
            else:
                _pg_dump(url, plain)
                rows = verify_dump(plain)
            if passphrase:
                encrypt_file(plain, sealed, passphrase)
                plain.unlink()
                os.replace(sealed, final)
            else:
                _fsync(plain)
                os.replace(plain, final)
        except OSError as exc:
            raise BackupError(f"The backup could not be written to {folder}: {exc.strerror or exc} "
                              "(is the disk full?). The partial file was removed; nothing else changed.") from None
        finally:
            for leftover in (plain, sealed):
                leftover.unlink(missing_ok=True)
        seconds = time.perf_counter() - started
        carried = audit_key_travel.carry(final, passphrase)
        keep = to_keep([p for p in folder.iterdir() if taken_at(p)], rotation or Rotation())
        removed = [p for p in folder.iterdir() if taken_at(p) and p not in keep and p != final]
        for path in removed:
            path.unlink(missing_ok=True)
            audit_key_travel.sidecar(path).unlink(missing_ok=True)
        result = BackupResult(final, final.stat().st_size, seconds, bool(passphrase), rows, removed,
                              carried.by, carried.problem)
        with self.ctx.db.write() as session:
            audit.record(session, self.ctx.now(), self.ctx.actor, "backup.made", entity="clinic", entity_id=1,
                         summary=f"{final} ({result.size:,} bytes{', encrypted' if passphrase else ''}); "
                                 f"audit key carried: {' and '.join(carried.by) or 'no'}; rotated out {len(removed)}")
            session.flush()
            audit_witness.record(session)
        return result

    def _checked_copy(self, source: Path, target: Path, key: bytes | None) -> dict[str, int]:
        """The online copy, checked whole: the live database's check too, since the backup API copies
        each page as it is (and a check of the copy locks nobody out of the live file). When the copy
        fails, the live file is checked to say which of the two is damaged."""
        try:
            _sqlite_copy(source, target, key)
            return verify_sqlite(target, key=key)
        except (CopyDamaged, *cipher.errors()) as exc:
            if isinstance(exc, CopyDamaged) or _corrupt(exc):
                problem = damage(self.ctx.db.engine)
                if problem is not None:
                    raise DamagedDatabase(
                        f"The live database is damaged ({problem}): a copy of it would be damaged too, so none was "
                        "kept and the earlier backups are kept. Stop work and restore the latest good backup "
                        "(`officeconsole restore FILE`).") from None
            if isinstance(exc, CopyDamaged):
                raise BackupError(f"{exc} The database itself is sound: the backup folder's disk may be failing "
                                  "(try another folder or drive). The earlier backups are kept.") from None
            raise BackupError(f"The backup could not be written to {target.parent}: "
                              f"{str(exc).splitlines()[0]} (is the disk full?). Nothing else changed.") from None


def _corrupt(exc: Exception) -> bool:
    """A database error that says a file is damaged (not a full disk or a lock)."""
    text = str(exc).lower()
    return "malformed" in text or "corrupt" in text


STALE_SECONDS = 3600


def _remove_stale_partials(folder: Path) -> None:
    """A backup killed mid-copy (power cut, kill -9) leaves its hidden temporary file: remove
    those untouched for an hour (a running backup writes to its file all the time)."""
    for leftover in [*folder.glob(".*.partial"), *folder.glob(".*.sealed")]:
        with contextlib.suppress(OSError):
            if time.time() - leftover.stat().st_mtime > STALE_SECONDS:
                leftover.unlink()


def restore(db_url: str, backup: Path, passphrase: str | None, actor: Actor | None, *,
            key: bytes | None = None, backup_key: bytes | None = None,
            before_replace: Callable[[Path, bytes | None], None] | None = None) -> Path | None:
    """Put `backup` in place of the database at `db_url`; returns where the old one was set aside.

    `actor` is the manager who confirmed it; None is accepted only when the current database
    cannot be opened at all (a corrupt file cannot check anyone's password).
    `key`: the encrypted database's current key (the restored file is brought to it);
    `backup_key`: the key the backup was made under, when not the current one.
    `before_replace(staged, key)`: called with the verified SQLite copy before anything is replaced;
    what it raises stops the restore with nothing changed (the audit key is checked there).
    """
    if actor is not None and actor.role not in (Role.MANAGER, Role.ADMIN):
        raise PermissionDenied("Permission denied: only a manager restores a backup.")
    if actor is None and not nothing_to_protect(db_url, key):
        raise PermissionDenied("Sign in as a manager with --as to restore over a working database.")
    if not backup.is_file():
        raise BackupError(f"{backup} does not exist.")
    url = make_url(db_url)
    with tempfile.TemporaryDirectory(prefix="oc-restore-") as work:
        plain = Path(work) / "restore"
        try:
            if is_encrypted(backup):
                if not passphrase:
                    raise BackupError("This backup is encrypted: give its passphrase.")
                decrypt_file(backup, plain, passphrase)
            else:
                shutil.copyfile(backup, plain)
        except BackupFileError as exc:
            raise BackupError(str(exc)) from None
        if url.get_backend_name() == "sqlite":
            staged = _to_current_key(plain, backup.name, key, backup_key)
            verify_sqlite(staged, backup.name, key=key)
            if before_replace is not None:
                before_replace(staged, key)
            return _restore_sqlite(Path(url.database), staged)
        verify_dump(plain, backup.name)
        return _restore_pg(url, plain)


def nothing_to_protect(db_url: str, key: bytes | None = None) -> bool:
    """Whether the database a restore would replace holds nothing a sign-in should protect: it is
    missing, empty, or provably not a readable database (checked here, never assumed from a
    failure to open it: a locked file or an unreachable server is not "nothing")."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if not url.database or not path.exists() or path.stat().st_size == 0:
            return True
        try:
            connection = cipher.connect(path, key, readonly=True)
        except cipher.errors():
            return True
        try:
            connection.execute("PRAGMA schema_version").fetchone()
            return connection.execute("SELECT count(*) FROM sqlite_master WHERE name = 'app_user'").fetchone()[0] == 0
        except cipher.errors() as exc:
            text = str(exc).lower()
            if "not a database" in text or "malformed" in text or "file is encrypted" in text:
                return True
            raise BackupError(f"The current database cannot be checked ({exc}): close every console and try "
                              "again; nothing was restored.") from None
        finally:
            connection.close()
    from sqlalchemy import create_engine
    from sqlalchemy import inspect as inspect_db
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(url, hide_parameters=True)
    try:
        return not inspect_db(engine).has_table("app_user")
    except SQLAlchemyError as exc:
        raise BackupError(f"The database server cannot be reached to check what a restore would replace "
                          f"({str(getattr(exc, 'orig', exc)).splitlines()[0]}); nothing was restored.") from None
    finally:
        engine.dispose()


def record_restore(ctx: ServiceContext, actor: Actor | None, backup: Path, aside: Path | None) -> None:
    """The restore, written into the restored trail (who, from which file, where the old database
    went); the trail's witness follows the trail back to the backup's end."""
    with ctx.db.write() as session:
        audit.record(session, ctx.now(), actor, "backup.restore", entity="clinic", entity_id=1,
                     summary=f"restored {backup.name}" + (f"; the previous database set aside as {aside}" if aside else "")
                             + ("" if actor else "; without sign-in (the previous database could not be opened)"))
        session.flush()
        audit_witness.after_restore(session)


def verify_sqlite(path: Path, name: str = "", *, key: bytes | None = None) -> dict[str, int]:
    """Row counts of a sound Office Console SQLite copy (encrypted under `key`), or BackupError."""
    name = name or path.name
    db_errors = cipher.errors() if key else (sqlite3.DatabaseError,)
    try:
        with contextlib.closing(cipher.connect(path, key, readonly=True)) as con:
            if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise CopyDamaged(f"{name} failed SQLite's integrity check.")
            tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            if not REQUIRED_TABLES <= set(tables):
                raise BackupError(f"{name} is not an Office Console backup.")
            return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in sorted(tables)}
    except db_errors as exc:
        if _corrupt(exc):
            raise CopyDamaged(f"{name} failed SQLite's integrity check ({str(exc).splitlines()[0]}).") from None
        raise BackupError(f"{name} is not an Office Console backup (not a SQLite database"
                          + (", or not under this database's key)." if key else ").")) from None


def verify_dump(path: Path, name: str = "") -> dict[str, int]:
    """The tables whose data a pg_dump archive holds (pg_restore must be able to read it)."""
    name = name or path.name
    run = subprocess.run(["pg_restore", "--list", str(path)], capture_output=True, text=True)
    if run.returncode != 0:
        raise BackupError(f"{name} is not an Office Console backup (pg_restore cannot read it: "
                          f"{run.stderr.strip()[:160]}).")
    tables = {line.split()[-2] for line in run.stdout.splitlines() if " TABLE DATA " in line}
    if not {"app_user", "patient", "alembic_version"} <= tables:
        raise BackupError(f"{name} is not an Office Console backup.")
    return {t: 1 for t in sorted(tables)}


def _sqlite_copy(source: Path, target: Path, key: bytes | None = None) -> None:
    """SQLite's online backup; with `key`, both ends are keyed alike and the pages stay encrypted."""
    with contextlib.closing(cipher.connect(source, key, readonly=True)) as src, \
            contextlib.closing(cipher.connect(target, key)) as dst:
        src.backup(dst, pages=8192)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file


def _pg_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore connection arguments: a libpq URL, and the schema when one is selected."""
    options = url.query.get("options", "")
    schema = options.split("search_path=")[-1] if "search_path=" in options else ""
    plain = url.set(drivername="postgresql", query={}, password=None)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # never on the command line, where `ps` would show it
    args = ["--dbname", plain.render_as_string(hide_password=False)]
    return args + (["--schema", schema] if schema else []), env


def _pg_dump(url: URL, target: Path) -> None:
    args, env = _pg_args(url)
    run = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *args],
                         capture_output=True, text=True, env=env)
    if run.returncode != 0:
        raise BackupError(f"pg_dump failed: {run.stderr.strip()[:300]}")


def _to_current_key(staged: Path, name: str, key: bytes | None, backup_key: bytes | None) -> Path:
    """The backup as a file under the database's current key (plain when the database is plain).

    A plain backup restored into an encrypted database is encrypted first: the database never
    goes back to plain by a restore. A backup made under an earlier key is re-keyed.
    """
    if key is None:
        return staged  # a plain database; an encrypted backup then fails verification, clearly
    target = staged.with_name(staged.name + ".keyed")
    if cipher.looks_plain(staged):
        source_key = None
    else:
        source_key = backup_key or key
        if not cipher.key_opens(staged, source_key):
            if backup_key is not None:
                raise BackupError(f"That recovery code does not open {name}.")
            raise BackupKeyMismatch(f"{name} does not open with the database's current key: it was made before "
                                    "a `db rekey` (give the recovery code of that time), or it is not an "
                                    "Office Console backup.")
        if source_key == key:
            return staged
    with contextlib.closing(cipher.sqlcipher_connect(staged, source_key)) as con:
        cipher.export(con, target, key)
    return target


def _restore_sqlite(db_path: Path, plain: Path) -> Path | None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = db_path.with_name(f"{db_path.name}.before-restore-{stamp}") if db_path.exists() else None
    staged = db_path.with_name(f".{db_path.name}.restoring")
    db_path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)  # a new PC: the folder may not exist yet
    shutil.copyfile(plain, staged)
    if aside is not None:
        os.replace(db_path, aside)
        for suffix in ("-wal", "-shm"):
            side = db_path.with_name(db_path.name + suffix)
            if side.exists():
                os.replace(side, aside.with_name(aside.name + suffix))
    os.replace(staged, db_path)
    return aside


def _restore_pg(url: URL, plain: Path) -> Path | None:
    from officeconsole.config import Paths

    paths = Paths.discover()
    paths.ensure()  # the copy holds every patient's data: the owner-only backups folder, never a shared temp
    aside = paths.backups_dir / f"officeconsole-before-restore-{time.strftime('%Y%m%d-%H%M%S')}.dump"
    _pg_dump(url, aside)
    args, env = _pg_args(url)
    run = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                          *args, str(plain)],
                         capture_output=True, text=True, env=env)
    if run.returncode != 0:
        raise BackupError(f"pg_restore failed (the database is as it was; a copy is in {aside}): "
                          f"{run.stderr.strip()[:300]}")
    return aside


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
