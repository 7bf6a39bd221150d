"""Batch commands: accounts, payers, the audit trail and the schema, with their bad cases."""

from __future__ import annotations

import json
import os

from officeconsole.db import migrate
from officeconsole.db.database import Database

from tests.factories import register


def test_user_commands_for_a_manager(cli, seeded_url):
    added = cli("--db", seeded_url, "user", "add", "Jsmith", "--as", "manager", "--name", "Jo Smith",
                "--role", "front_desk", env={"OFFICECONSOLE_NEW_PASSWORD": "long enough"})
    assert added.exit_code == 0, added.text
    assert "Added jsmith (Jo Smith, Front Desk)." in added.stdout
    listed = cli("user", "list", "--as", "manager", "--db", seeded_url, "--format", "json")
    rows = {row["username"]: row for row in json.loads(listed.stdout)}
    assert rows["jsmith"] == {"username": "jsmith", "name": "Jo Smith", "role": "Front Desk", "active": "yes"}
    assert cli("--db", seeded_url, "user", "reset-password", "jsmith", "--as", "manager",
               env={"OFFICECONSOLE_NEW_PASSWORD": "another one"}).exit_code == 0
    assert cli("--db", seeded_url, "user", "list", "--as", "jsmith",
               env={"OFFICECONSOLE_PASSWORD": "another one"}).exit_code == 1  # front desk: denied
    assert cli("--db", seeded_url, "user", "disable", "jsmith", "--as", "manager").exit_code == 0
    csv_rows = cli("--db", seeded_url, "user", "list", "--as", "manager", "--format", "csv").stdout
    assert "jsmith,Jo Smith,Front Desk,no" in csv_rows.splitlines()


def test_user_add_bad_input_is_one_message(cli, seeded_url):
    result = cli("--db", seeded_url, "user", "add", "desk", "--as", "manager", "--name", "Again",
                 "--role", "front_desk", env={"OFFICECONSOLE_NEW_PASSWORD": "long enough"})
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: The username 'desk' is taken."
    short = cli("--db", seeded_url, "user", "add", "newbie", "--as", "manager", "--name", "New",
                "--role", "billing", env={"OFFICECONSOLE_NEW_PASSWORD": "short"})
    assert short.exit_code == 1 and "at least 8 characters" in short.stderr


def test_front_desk_may_not_manage_users(cli, seeded_url):
    result = cli("--db", seeded_url, "user", "list", "--as", "desk")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: Permission denied")


def test_wrong_password_and_unknown_user(cli, seeded_url):
    for user, password in (("manager", "wrong password"), ("nobody", "whatever1")):
        result = cli("--db", seeded_url, "user", "list", "--as", user, env={"OFFICECONSOLE_PASSWORD": password})
        assert result.exit_code == 1
        assert result.stderr.strip() == "error: Unknown username or wrong password."


def test_a_locked_out_account_is_unlocked_and_the_sign_in_rules_changed(cli, seeded_url):
    for _ in range(5):
        cli("--db", seeded_url, "payer", "list", "--as", "biller", env={"OFFICECONSOLE_PASSWORD": "guess"})
    locked = cli("--db", seeded_url, "payer", "list", "--as", "biller")
    assert locked.exit_code == 1 and "biller is locked until" in locked.stderr
    unlocked = cli("--db", seeded_url, "user", "unlock", "biller", "--as", "manager")
    assert unlocked.stdout.strip() == "Billie Biller can sign in again."
    assert cli("--db", seeded_url, "payer", "list", "--as", "biller").exit_code == 0
    rules = cli("--db", seeded_url, "user", "sign-in-rules", "--as", "manager", "--idle-minutes", "10",
                "--pin-length", "6")
    assert rules.exit_code == 0, rules.text
    assert "Idle lock (minutes): 10" in rules.stdout and "Shortest PIN: 6" in rules.stdout
    bad = cli("--db", seeded_url, "user", "sign-in-rules", "--as", "manager", "--idle-minutes", "0")
    assert bad.exit_code == 1 and "Idle lock (minutes): a whole number from 1 to 60." in bad.stderr


def test_password_is_prompted_when_not_in_the_environment(cli, seeded_url, monkeypatch):
    monkeypatch.delenv("OFFICECONSOLE_PASSWORD")
    result = cli("--db", seeded_url, "payer", "list", "--as", "biller", input="correct horse\n")
    assert result.exit_code == 0, result.text
    assert "Blue Shield Test Plan" in result.stdout
    assert "correct horse" not in result.stdout


def test_payer_add_and_list(cli, seeded_url):
    added = cli("--db", seeded_url, "payer", "add", "Acme [bold]Health[/]", "--payer-id", "acme1",
                "--phone", "(217) 555-0142", "--as", "biller")
    assert added.exit_code == 0, added.text
    listed = cli("--db", seeded_url, "payer", "list", "--as", "desk", "--format", "csv").stdout
    assert "Acme [bold]Health[/],ACME1,CI,(217) 555-0142,,,,,yes" in listed.splitlines()
    table = cli("--db", seeded_url, "payer", "list", "--as", "desk").stdout
    assert "Acme [bold]Health[/]" in table  # shown literally, not as markup
    bad = cli("--db", seeded_url, "payer", "add", "Odd", "--phone", "12", "--as", "biller")
    assert bad.exit_code == 1 and bad.stderr.startswith("error: Phone:")
    denied = cli("--db", seeded_url, "payer", "add", "Other", "--as", "desk")
    assert denied.exit_code == 1 and "Permission denied" in denied.stderr


def test_audit_list_shows_who_did_what_to_a_patient(cli, seeded_url, desk_ctx):
    from officeconsole.services.frontdesk.patients import PatientService

    record = register(desk_ctx)
    PatientService(desk_ctx).get(record.id)
    result = cli("--db", seeded_url, "audit", "list", "--as", "manager", "--patient", record.mrn,
                 "--format", "json")
    assert result.exit_code == 0, result.text
    events = json.loads(result.stdout)
    assert [(e["user"], e["action"], e["mrn"]) for e in events] == [
        ("desk", "patient.view", record.mrn), ("desk", "patient.create", record.mrn)]
    recent = cli("--db", seeded_url, "audit", "list", "--as", "manager", "--since", "2026-11-23",
                 "--limit", "3")
    assert recent.exit_code == 0 and "patient.view" in recent.stdout
    assert cli("--db", seeded_url, "audit", "list", "--as", "manager", "--since", "2026-11-40").stderr \
        .startswith("error: --since:")
    missing = cli("--db", seeded_url, "audit", "list", "--as", "manager", "--patient", "9999999")
    assert missing.exit_code == 1 and missing.stderr.strip() == "error: No patient has MRN 9999999."
    denied = cli("--db", seeded_url, "audit", "list", "--as", "desk")
    assert denied.exit_code == 1 and "Permission denied" in denied.stderr


def test_db_upgrade_current_history(cli, empty_db_url):
    head = migrate.head_revision()
    assert cli("--db", empty_db_url, "db", "current").stdout.startswith("empty database")
    first = cli("db", "upgrade", "--db", empty_db_url)
    assert first.exit_code == 0 and f"to {head}" in first.stdout
    assert cli("db", "upgrade", "--db", empty_db_url).stdout.strip() == f"Already at {head}."
    assert cli("db", "current", "--db", empty_db_url).stdout.strip() == f"{head} (head)"
    assert cli("db", "history").stdout.startswith(head)


def test_info_reports_locations_and_schema(cli, tmp_path, db_url):
    fresh = cli("--db", str(tmp_path / "none.db"), "info")
    assert fresh.exit_code == 0
    assert "created and migrated on first start" in fresh.stdout
    assert not (tmp_path / "none.db").exists()  # info never creates anything
    for label in ("Database", "Config file", "Reports", "Backups"):
        assert label in fresh.stdout
    assert str(tmp_path / "home" / "backups") in fresh.stdout
    migrated = cli("info", "--db", db_url)
    assert f"{migrate.head_revision()} (up to date)" in migrated.stdout
    key_line = next(line for line in migrated.stdout.splitlines() if line.startswith("Audit key"))
    assert os.environ["OFFICECONSOLE_AUDIT_KEY_FILE"] in key_line  # kept apart from the database


def test_bad_databases_give_one_line_and_exit_1(cli, tmp_path):
    not_sqlite = tmp_path / "notes.db"
    not_sqlite.write_text("shopping list\n" * 100)
    newer = tmp_path / "newer.db"
    database = Database.from_url(f"sqlite:///{newer}")
    migrate.upgrade(database.engine)
    with database.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00dfeed'")
    database.dispose()
    cases = {
        "postgresql://:::bad": "Not a valid database URL",
        "mysql://root@localhost/x": "Unsupported database 'mysql'",
        "postgresql://postgres@127.0.0.1:1/test": "Cannot reach the PostgreSQL server at 127.0.0.1:1",
        str(not_sqlite): "is not an Office Console database (not a SQLite file, or damaged)",
        str(newer): "upgraded by a newer Office Console",
    }
    for url, message in cases.items():
        for command in (["db", "current"], ["user", "list", "--as", "manager"], ["open"]):
            result = cli("--db", url, *command)
            assert result.exit_code == 1, (url, command, result.text)
            assert result.stdout == ""
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines


def test_bad_config_file_is_one_line(cli, tmp_path):
    config = tmp_path / "home" / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[database\nurl = 'x'\n")
    result = cli("info")
    assert result.exit_code == 1 and result.stderr.startswith("error: The config file")
