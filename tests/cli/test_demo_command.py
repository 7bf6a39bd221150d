"""`officeconsole demo --no-open`, and the real entry point in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from officeconsole.db.database import Database
from officeconsole.models import Patient

from tests.conftest import PG_URL


@pytest.fixture(autouse=True)
def one_week(monkeypatch):
    """The command builds one week (nothing billed yet) and three days ahead instead of the default
    three months: what these tests check is the command (its output, where it builds, what it
    refuses), and billing the full window takes most of each of the six builds here. The full
    window is built and checked by tests/test_demo.py and by `officeconsole demo` in
    tests/e2e/test_demo_in_tmux.py."""
    import officeconsole.demo

    build = officeconsole.demo.build_demo

    def small_window(ctx, **options):
        window = {"days_back": 7, "days_ahead": 3}
        return build(ctx, **{**window, **options})

    monkeypatch.setattr(officeconsole.demo, "build_demo", small_window)


def test_demo_builds_and_prints_logins(cli, tmp_path):
    target = tmp_path / "demo.db"
    result = cli("demo", "--db", str(target), "--patients", "60", "--no-open")
    assert result.exit_code == 0, result.text
    assert "60 patients" in result.stdout
    for expected in ("manager", "desk", "billing", "Front Desk", "demo-office", str(target)):
        assert expected in result.stdout
    again = cli("demo", "--db", str(target), "--patients", "30", "--no-open")
    assert again.exit_code == 0, again.text  # a demo file is rebuilt, not added to
    database = Database.from_url(f"sqlite:///{target}")
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 30
    database.dispose()


def test_demo_default_location_is_the_data_folder(cli, tmp_path):
    result = cli("demo", "--patients", "20", "--no-open")
    assert result.exit_code == 0, result.text
    assert (tmp_path / "home" / "data" / "demo" / "demo-clinic.db").exists()


def test_demo_will_not_overwrite_a_real_clinic(cli, db_url, clinic, tmp_path):
    if PG_URL:
        result = cli("demo", "--db", db_url, "--patients", "20", "--no-open")
        assert result.exit_code == 1 and "already holds a clinic" in result.stderr
        return
    path = db_url.removeprefix("sqlite:///")
    result = cli("demo", "--db", path, "--patients", "20", "--no-open")
    assert result.exit_code == 1
    assert "is not a demo clinic" in result.stderr and "--force" in result.stderr
    forced = cli("demo", "--db", path, "--patients", "20", "--no-open", "--force")
    assert forced.exit_code == 0, forced.text


def test_demo_on_an_empty_server_database(cli, empty_db_url):
    result = cli("demo", "--db", empty_db_url, "--patients", "25", "--no-open")
    assert result.exit_code == 0, result.text
    assert "25 patients" in result.stdout


def test_entry_point_errors_have_no_traceback(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 512)
    env = {**os.environ, "OFFICECONSOLE_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-m", "officeconsole", "--db", str(junk), "db", "current"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith(f"error: {junk} is not an Office Console database (not a SQLite file, or damaged).")


def test_batch_commands_do_not_load_textual(tmp_path):
    """Services, models and the CLI stay free of the console, so batch jobs start fast."""
    code = (
        "import sys, officeconsole.cli, officeconsole.services.frontdesk.patients, officeconsole.services.frontdesk.insurance,"
        " officeconsole.services.security.audit, officeconsole.services.security.auth, officeconsole.demo, officeconsole.models;"
        " bad = sorted(m for m in sys.modules if m.split('.')[0] == 'textual');"
        " print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
