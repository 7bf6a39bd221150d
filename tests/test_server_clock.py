"""Several PCs, one time: on PostgreSQL the console's clock is set to the server's, and a PC more
than a minute off is told so."""

from __future__ import annotations

import datetime as dt

import pytest

from officeconsole.services.common.clock import ServerClock, SystemClock, measure_offset, skew_note

from tests.conftest import engine_name


def test_the_offset_is_measured_on_a_server_only(database):
    offset = measure_offset(database.engine)
    if engine_name() == "sqlite":
        assert offset is None
    else:
        assert abs(offset) < dt.timedelta(seconds=5)  # the same machine here


def test_a_pc_off_by_minutes_is_told_so():
    assert skew_note(SystemClock()) is None
    assert skew_note(ServerClock(dt.timedelta(seconds=20))) is None
    note = skew_note(ServerClock(dt.timedelta(minutes=7)))
    assert note.startswith("This PC's clock is 7 minutes behind the database server's")
    ahead = ServerClock(-dt.timedelta(minutes=3))
    assert "3 minutes ahead of" in skew_note(ahead)
    assert abs(ahead.now() - (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3))) < dt.timedelta(seconds=1)


@pytest.mark.skipif(engine_name() == "sqlite", reason="a server's clock")
def test_opening_a_server_database_takes_its_clock(db_url, clinic, tmp_path, monkeypatch):
    from officeconsole.bootstrap import open_database

    monkeypatch.setenv("OFFICECONSOLE_HOME", str(tmp_path / "home"))
    opened = open_database(db_url)
    try:
        assert isinstance(opened.ctx.clock, ServerClock)
    finally:
        opened.ctx.db.dispose()
