"""A damaged SQLite file is found before work is locked or copied: close-day and backup stop with
what to do, instead of using a damaged database without a word."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from sqlalchemy import create_engine

from officeconsole.db import maintenance
from officeconsole.services.backups import BackupError, BackupService
from officeconsole.services.closeout import CloseOutError, CloseOutService


def test_quick_check_finds_a_damaged_index(tmp_path):
    path = tmp_path / "damaged.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE booked (slot INTEGER)")
        db.execute("CREATE UNIQUE INDEX ix_booked_slot ON booked (slot)")
        db.executemany("INSERT INTO booked VALUES (?)", [(n,) for n in range(5000)])
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'ix_booked_slot'").fetchone()[0]
        page = db.execute("PRAGMA page_size").fetchone()[0]
    engine = create_engine(f"sqlite:///{path}")
    assert maintenance.damage(engine) is None
    engine.dispose()
    with path.open("r+b") as raw:  # bytes flipped in the index that prevents double booking (its page header)
        raw.seek((root - 1) * page)
        chunk = raw.read(64)
        raw.seek((root - 1) * page)
        raw.write(bytes(b ^ 0xFF for b in chunk))
    engine = create_engine(f"sqlite:///{path}")
    try:
        assert maintenance.damage(engine) is not None
    finally:
        engine.dispose()


def test_close_day_and_backup_stop_on_a_damaged_database(manager_ctx, clinic, tmp_path, monkeypatch):
    import officeconsole.services.backups as backups
    import officeconsole.services.closeout as closeout

    monkeypatch.setattr(closeout, "damage", lambda engine: "Tree 7 page 12: btreeInitPage() returns error code 11")
    monkeypatch.setattr(backups, "damage", lambda engine: "Tree 7 page 12: btreeInitPage() returns error code 11")
    with pytest.raises(CloseOutError, match="The live database is damaged .*nothing was closed"):
        CloseOutService(manager_ctx).close_day(dt.date(2026, 11, 22), backup_dir=tmp_path)
    with pytest.raises(BackupError, match="The live database is damaged .*earlier backups are kept"):
        BackupService(manager_ctx).backup(tmp_path)
    assert not list(tmp_path.glob("officeconsole-*"))
