"""A damaged SQLite file never gets backed up over the good backups, and the lock never writes into
damaged close-out tables: the close checks its own tables before it locks the day, and the whole
file in the backup copy it makes (each page is copied as it is); both say what to do."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from officeconsole.db import maintenance
from officeconsole.services.operations.backups import BackupError, BackupService, DamagedDatabase
from officeconsole.services.operations.closeout import CloseOutError, CloseOutService
from officeconsole.services.operations.day_lock import DayLockService

from tests.conftest import engine_name

DAY = dt.date(2026, 11, 22)
sqlite_only = pytest.mark.skipif(engine_name() != "sqlite", reason="SQLite's file checks (a server checks its own pages)")


def _flip_page_header(path, index: str) -> None:
    """Bytes flipped in the header of `index`'s root page: what a bad sector or a torn write leaves."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the main file
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (index,)).fetchone()[0]
        page = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    with open(path, "r+b") as raw:
        raw.seek((root - 1) * page)
        chunk = raw.read(64)
        raw.seek((root - 1) * page)
        raw.write(bytes(b ^ 0xFF for b in chunk))


def _damage(ctx, index: str) -> None:
    ctx.db.engine.dispose()  # no connection keeps the sound pages cached
    _flip_page_header(make_url(str(ctx.db.engine.url)).database, index)


def test_quick_check_finds_a_damaged_index_in_the_file_and_in_its_table(tmp_path):
    path = tmp_path / "damaged.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE booked (slot INTEGER)")
        db.execute("CREATE UNIQUE INDEX ix_booked_slot ON booked (slot)")
        db.execute("CREATE TABLE other (n INTEGER)")
        db.executemany("INSERT INTO booked VALUES (?)", [(n,) for n in range(5000)])
    db.close()
    engine = create_engine(f"sqlite:///{path}")
    assert maintenance.damage(engine) is None and maintenance.damage(engine, ("booked", "other")) is None
    engine.dispose()
    _flip_page_header(path, "ix_booked_slot")  # the index that prevents double booking
    engine = create_engine(f"sqlite:///{path}")
    try:
        assert maintenance.damage(engine) is not None
        assert maintenance.damage(engine, ("other", "booked")) is not None
        assert maintenance.damage(engine, ("other",)) is None  # a table check reads only that table's pages
    finally:
        engine.dispose()


@sqlite_only
def test_damage_elsewhere_is_found_by_the_backup_the_close_makes(manager_ctx, clinic, tmp_path):
    backups = tmp_path / "backups"
    earlier = BackupService(manager_ctx).backup(backups).path
    _damage(manager_ctx, "ix_patient_phone_key_reversed")  # an index the close never reads
    result = CloseOutService(manager_ctx).close_day(DAY, reports_dir=tmp_path, backup_dir=backups)
    backup = next(s for s in result.steps if s.name == "Backup")
    assert result.failed and backup.failed
    assert backup.lines[0].startswith("FAILED: The live database is damaged (")
    assert "restore the latest good backup" in backup.lines[0] and "close the day again" in backup.lines[1]
    assert sorted(p.name for p in backups.iterdir() if not p.name.endswith(".auditkey")) == [earlier.name]
    assert DayLockService(manager_ctx).closure(DAY).backed_up_at is None  # a rerun backs it up once restored
    with pytest.raises(DamagedDatabase, match="The live database is damaged .*earlier backups are kept"):
        BackupService(manager_ctx).backup(backups)
    assert sorted(p.name for p in backups.iterdir() if not p.name.endswith(".auditkey")) == [earlier.name]


@sqlite_only
def test_damaged_close_out_tables_stop_the_close_before_the_lock(manager_ctx, clinic, tmp_path):
    _damage(manager_ctx, "uq_closed_day_active")  # the index that keeps one lock a day
    with pytest.raises(CloseOutError, match="The live database is damaged .*nothing was closed or backed up"):
        CloseOutService(manager_ctx).close_day(DAY, reports_dir=tmp_path, backup_dir=tmp_path / "backups")
    assert not (tmp_path / "backups").exists()


@sqlite_only
def test_a_copy_that_fails_its_check_over_a_sound_database_blames_the_backup_disk(manager_ctx, clinic, tmp_path,
                                                                                   monkeypatch):
    import officeconsole.services.operations.backups as backups

    copy = backups._sqlite_copy

    def copy_to_a_bad_disk(source, target, key=None):
        copy(source, target, key)
        _flip_page_header(target, "ix_patient_phone_key_reversed")

    monkeypatch.setattr(backups, "_sqlite_copy", copy_to_a_bad_disk)
    with pytest.raises(BackupError, match="failed SQLite's integrity check.* The database itself is sound") as raised:
        BackupService(manager_ctx).backup(tmp_path / "backups")
    assert not isinstance(raised.value, DamagedDatabase)
    assert not list((tmp_path / "backups").iterdir())


def test_no_backup_folder_says_the_database_was_not_checked(manager_ctx, clinic, tmp_path):
    result = CloseOutService(manager_ctx).close_day(DAY, reports_dir=tmp_path)
    backup = next(s for s in result.steps if s.name == "Backup")
    assert backup.lines == ["no backup folder given: skipped, so the database was not checked for damage "
                            "(a backup checks it)"]
    assert not result.failed
