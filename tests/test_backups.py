"""Backups: verified copies on both engines, encryption, rotation, a full disk, restoring."""

from __future__ import annotations

import datetime as dt
import errno

import pytest
from sqlalchemy import func, select

from officeconsole.models import AuditEvent, Patient
from officeconsole.services.common.errors import PermissionDenied
from officeconsole.services.operations.backup_files import Rotation, backup_name, decrypt_file, encrypt_file, to_keep
from officeconsole.services.operations.backups import BackupError, BackupService, restore

from tests.conftest import engine_name
from tests.factories import register


def test_a_verified_backup_of_the_database(ctx, clinic, as_role, tmp_path):
    register(as_role("front_desk"), first_name="Bea", last_name="Backedup")
    result = BackupService(as_role("manager")).backup(tmp_path)
    assert result.path.exists() and result.path.parent == tmp_path and not result.encrypted
    if engine_name() == "sqlite":  # row counts of the copy; a dump lists the tables whose data it holds
        assert result.rows["patient"] == 1 and result.rows["app_user"] == 5
    else:
        assert {"patient", "app_user", "ledger_entry"} <= set(result.rows)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial file left
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "backup.made")) == 1
    with pytest.raises(PermissionDenied):
        BackupService(as_role("front_desk")).backup(tmp_path)


def test_an_encrypted_backup_needs_its_passphrase(ctx, clinic, as_role, tmp_path, db_url):
    register(as_role("front_desk"), first_name="Enc", last_name="Rypted")
    result = BackupService(as_role("manager")).backup(tmp_path, passphrase="correct horse battery")
    assert result.encrypted and result.path.name.endswith(".enc")
    assert b"Rypted" not in result.path.read_bytes()
    with pytest.raises(BackupError, match="Wrong passphrase"):
        restore(db_url, result.path, "wrong passphrase", clinic.actors["manager"])
    with pytest.raises(BackupError, match="encrypted: give its passphrase"):
        restore(db_url, result.path, None, clinic.actors["manager"])


def test_unwritable_folder_and_a_full_disk_leave_nothing_behind(ctx, clinic, as_role, tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    with pytest.raises(BackupError, match="Cannot write backups"):
        BackupService(as_role("manager")).backup(blocked)

    def disk_full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("officeconsole.services.operations.backups.encrypt_file", disk_full)
    with pytest.raises(BackupError, match="No space left on device .*partial file was removed"):
        BackupService(as_role("manager")).backup(tmp_path / "out", passphrase="long enough passphrase")
    assert list((tmp_path / "out").iterdir()) == []


def test_rotation_keeps_the_newest_of_each_day_week_and_month(tmp_path):
    start = dt.datetime(2026, 1, 1, 22, 0)
    paths = [tmp_path / backup_name(start + dt.timedelta(days=n, hours=h), "db", False)
             for n in range(330) for h in (0, 1)]
    keep = to_keep(paths, Rotation(daily=14, weekly=8, monthly=12))
    newest = sorted(paths)[-1]
    assert newest in keep and len({p.name[14:22] for p in keep}) == len(keep)  # one per day at most
    days = sorted({p.name[14:22] for p in keep})
    assert len(keep) <= 14 + 8 + 12 and days[-14:] == sorted({p.name[14:22] for p in paths})[-14:]
    assert len({(p.name[14:18], p.name[18:20]) for p in keep}) == 11  # Jan-Nov 2026 (under 12 months of files)


def test_encryption_round_trip_and_a_damaged_file(tmp_path):
    plain = tmp_path / "plain"
    plain.write_bytes(b"patient data " * 100_000)
    sealed, back = tmp_path / "sealed", tmp_path / "back"
    encrypt_file(plain, sealed, "a passphrase")
    decrypt_file(sealed, back, "a passphrase")
    assert back.read_bytes() == plain.read_bytes()
    damaged = bytearray(sealed.read_bytes())
    damaged[500] ^= 1
    sealed.write_bytes(bytes(damaged))
    with pytest.raises(ValueError, match="damaged"):
        decrypt_file(sealed, tmp_path / "never", "a passphrase")
    assert not (tmp_path / "never").exists() or (tmp_path / "never").stat().st_size == 0


@pytest.mark.skipif(engine_name() != "sqlite", reason="file restore is SQLite's; PostgreSQL's is below")
def test_restore_sets_the_current_database_aside(ctx, clinic, as_role, tmp_path, db_url):
    register(as_role("front_desk"), first_name="Before", last_name="Backup")
    made = BackupService(as_role("manager")).backup(tmp_path / "b", passphrase="long enough passphrase")
    register(as_role("front_desk"), first_name="After", last_name="Backup")
    ctx.db.dispose()
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    with pytest.raises(BackupError, match="not an Office Console backup"):
        restore(db_url, not_a_backup, None, clinic.actors["manager"])
    with pytest.raises(PermissionDenied):
        restore(db_url, made.path, "long enough passphrase", clinic.actors["front_desk"])
    aside = restore(db_url, made.path, "long enough passphrase", clinic.actors["manager"])
    assert aside is not None and aside.exists()
    with ctx.db.read() as session:
        assert session.scalars(select(Patient.first_name)).all() == ["Before"]


@pytest.mark.skipif(engine_name() != "postgresql", reason="pg_dump and pg_restore")
def test_postgresql_backup_with_pg_dump_and_restore(ctx, clinic, as_role, tmp_path, db_url):
    register(as_role("front_desk"), first_name="Before", last_name="Dump")
    made = BackupService(as_role("manager")).backup(tmp_path)
    assert made.path.name.endswith(".dump") and "patient" in made.rows
    register(as_role("front_desk"), first_name="After", last_name="Dump")
    ctx.db.dispose()
    restore(db_url, made.path, None, clinic.actors["manager"])
    with ctx.db.read() as session:
        assert session.scalars(select(Patient.first_name)).all() == ["Before"]


def test_only_a_missing_or_unreadable_database_is_restored_over_without_sign_in(db_url, clinic, tmp_path):
    from officeconsole.services.operations.backups import nothing_to_protect

    assert nothing_to_protect(db_url) is False  # a working clinic: a manager must sign in
    if db_url.startswith("sqlite"):
        assert nothing_to_protect(f"sqlite:///{tmp_path / 'missing.db'}") is True
        garbage = tmp_path / "garbage.db"
        garbage.write_bytes(b"garbage" * 1000)
        assert nothing_to_protect(f"sqlite:///{garbage}") is True
