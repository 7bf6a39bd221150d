"""An unexpected error reaches the person as one line with an error id; the detail goes to an
owner-only log that holds no patient data (the engines hide statement parameters)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from officeconsole import error_log
from officeconsole.config import Paths


def test_database_errors_never_carry_the_values(database, tmp_path):
    typed = {"name": "Zoe " + "Testwell"}  # as a form would pass it: not in the source lines of the stack
    with pytest.raises(SQLAlchemyError) as caught:
        with database.write() as session:
            session.execute(text("INSERT INTO no_such_table (name) VALUES (:name)"), typed)
    assert "Zoe Testwell" not in str(caught.value)
    paths = Paths(tmp_path / "data", tmp_path / "config", tmp_path / "r", tmp_path / "b")
    error_id = error_log.record(caught.value, paths)
    logged = error_log.log_path(paths).read_text()
    assert f"error {error_id}:" in logged and "Zoe Testwell" not in logged
    assert error_log.log_path(paths).stat().st_mode & 0o077 == 0


def test_a_driver_detail_line_is_left_out():
    class DriverError(Exception):
        pass

    error = DriverError('duplicate key value violates unique constraint "uq_policy"\n'
                        "DETAIL:  Key (member_id)=(ABC123) already exists.")
    assert error_log.first_line(error) == 'duplicate key value violates unique constraint "uq_policy"'


def test_a_full_disk_and_a_read_only_file_are_said_in_words():
    from sqlalchemy.exc import OperationalError

    full = OperationalError("INSERT ...", {}, Exception("database or disk is full"))
    assert error_log.known_cause(full).startswith("The disk is full: nothing was saved.")
    read_only = OperationalError("INSERT ...", {}, Exception("attempt to write a readonly database"))
    assert "read-only" in error_log.known_cause(read_only)
    assert error_log.known_cause(OperationalError("SELECT 1", {}, Exception("no such table: x"))) is None
