"""The migration chain gives exactly the models' schema, both ways, on both engines."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from officeconsole.db import migrate
from officeconsole.db.engine import make_engine
from officeconsole.migrations import HEAD_REVISION
from officeconsole.models import Base
from officeconsole.services.common.errors import SchemaTooNew


def _drift(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_upgrade_head_matches_models(empty_db_url):
    engine = make_engine(empty_db_url)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert _drift(engine) == []
    engine.dispose()


def test_downgrade_to_base_and_upgrade_again(empty_db_url):
    engine = make_engine(empty_db_url)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert _drift(engine) == []
    engine.dispose()


def test_audit_table_is_append_only(database, clinic):
    with pytest.raises(Exception, match="append-only"):
        with database.write() as session:
            session.execute(text("UPDATE audit_event SET action = 'x'"))
    with pytest.raises(Exception, match="append-only"):
        with database.write() as session:
            session.execute(text("DELETE FROM audit_event"))


def test_schema_newer_than_code_is_refused(empty_db_url):
    engine = make_engine(empty_db_url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(SchemaTooNew, match="newer Office Console"):
        migrate.upgrade(engine)
    engine.dispose()


def test_backup_taken_before_upgrading_a_database_with_data(tmp_path):
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine, revision="base")  # creates alembic_version only
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE legacy_notes (id INTEGER PRIMARY KEY, body TEXT)"))
        conn.execute(text("INSERT INTO legacy_notes (body) VALUES ('keep me')"))
    result = migrate.upgrade(engine, tmp_path / "backups")
    assert result.backup is not None and result.backup.exists()
    copy = sqlite3.connect(result.backup)
    assert copy.execute("SELECT body FROM legacy_notes").fetchall() == [("keep me",)]
    copy.close()
    engine.dispose()


def test_failed_migration_leaves_old_schema_whole(tmp_path, monkeypatch):
    """A revision that fails at its last step rolls back everything it did (transactional DDL)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'half.db'}")

    def disk_on_fire() -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("officeconsole.migrations.triggers.create_audit_guard", disk_on_fire)
    with pytest.raises(RuntimeError, match="disk on fire"):
        migrate.upgrade(engine)
    assert inspect(engine).get_table_names() == []
    engine.dispose()


def test_head_revision_constant_matches_the_scripts():
    assert HEAD_REVISION == migrate.head_revision()


def test_start_at_head_does_not_load_alembic(tmp_path):
    """A normal start reads alembic_version with plain SQL; Alembic is imported only to migrate."""
    path = tmp_path / "clinic.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    code = ("import sys; from officeconsole.bootstrap import open_database; "
            f"open_database({str(path)!r}); sys.exit(1 if 'alembic' in sys.modules else 0)")
    env = {**os.environ, "OFFICECONSOLE_HOME": str(tmp_path / "home")}
    assert subprocess.run([sys.executable, "-c", code], env=env, timeout=60).returncode == 0


def test_upgrade_to_0002_gives_upcoming_appointments_their_slots(empty_db_url):
    """Appointments booked before revision 0002 still block double booking after it (the
    backfill uses the real clock, hence dates far ahead and far behind)."""
    from officeconsole.db.database import Database

    database = Database.from_url(empty_db_url)
    migrate.upgrade(database.engine, revision="0001")
    seeded = _clinic_at_0001(database.engine)
    migrate.upgrade(database.engine)
    with database.read() as session:
        slots = session.execute(text("SELECT appointment_id, count(*) FROM booked_slot GROUP BY appointment_id")).all()
    assert dict(slots) == {seeded["future"]: 4}  # 20 minutes; the past and cancelled ones hold none
    database.dispose()


def _clinic_at_0001(engine) -> dict:
    """A clinic with three appointments written with plain SQL, as 0001-era code would have."""
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO app_user (id, username, full_name, role, active, password_hash, email, phone, created_at, version) "
            "VALUES (1, 'doc', 'Doc Tor', 'provider', true, 'x', '', '', '2026-01-01 00:00:00', 1)"))
        conn.execute(text("INSERT INTO provider (id, user_id, npi, credentials, specialty, default_visit_minutes, "
                          "colour, active) VALUES (1, 1, '1234567893', '', '', 20, 'blue', true)"))
        conn.execute(text("INSERT INTO patient (id, mrn, first_name, middle_name, last_name, preferred_name, first_key, "
                          "last_key, dob, sex, phone, phone_key, email, address_line1, address_line2, city, state, "
                          "postal_code, preferred_contact, status, created_at, updated_at, version) VALUES "
                          "(1, '0001001', 'A', '', 'B', '', 'a', 'b', '1980-01-01', 'F', '', '', '', '', '', '', '', "
                          "'', 'mail', 'active', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)"))
        conn.execute(text("INSERT INTO appointment_type (id, name, default_minutes, colour, new_patient, active) "
                          "VALUES (1, 'Visit', 20, 'grey', false, true)"))
        for id_, start, end, status in ((1, "2099-12-01 15:00:00", "2099-12-01 15:20:00", "scheduled"),
                                        (2, "2099-12-01 16:00:00", "2099-12-01 16:20:00", "cancelled"),
                                        (3, "2020-01-01 15:00:00", "2020-01-01 15:20:00", "checked_out")):
            conn.execute(text(
                "INSERT INTO appointment (id, patient_id, provider_id, type_id, start_at, end_at, status, reason, "
                "created_at, version) VALUES (:id, 1, 1, 1, :start, :end, :status, '', '2020-01-01 00:00:00', 1)"),
                {"id": id_, "start": start, "end": end, "status": status})
    return {"future": 1}
