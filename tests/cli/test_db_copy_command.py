"""`officeconsole db copy --to URL`: the whole clinic into an empty database, counted and verified."""

from __future__ import annotations

import json

import pytest

from officeconsole.demo.clinic import DEMO_PASSWORD

from tests.conftest import SMALL_DEMO


@pytest.fixture
def demo_url(small_demo) -> str:
    return small_demo.copy("cli_copy")


def test_db_copy_prints_the_counts_and_the_chain_and_the_copy_opens(cli, demo_url, tmp_path, monkeypatch):
    monkeypatch.setenv("OFFICECONSOLE_PASSWORD", DEMO_PASSWORD)
    target = tmp_path / "several-pcs" / "clinic.db"
    result = cli("db", "copy", "--to", str(target), "--db", demo_url, "--as", "manager", "--yes")
    assert result.exit_code == 0, result.text
    assert "patient " in result.stdout and f"{SMALL_DEMO['patients']}" in result.stdout
    assert "every count matches." in result.stdout
    assert "Audit chain of the copy: intact" in result.stdout
    assert f"to sqlite:///{target}" in result.stdout and "Next: point every console at it" in result.stdout
    verify = cli("audit", "verify", "--db", str(target), "--as", "manager")
    assert verify.exit_code == 0 and "chain intact" in verify.stdout
    listed = cli("audit", "list", "--db", str(target), "--as", "manager", "--format", "json", "--limit", "100000")
    assert any(event["action"] == "database.copy" for event in json.loads(listed.stdout))


def test_db_copy_as_json_for_scripts(cli, demo_url, tmp_path, monkeypatch):
    monkeypatch.setenv("OFFICECONSOLE_PASSWORD", DEMO_PASSWORD)
    result = cli("db", "copy", "--to", str(tmp_path / "c.db"), "--db", demo_url, "--as", "manager", "--yes",
                 "--format", "json")
    assert result.exit_code == 0, result.text
    rows = json.loads(result.stdout[:result.stdout.index("]") + 1])
    assert all(row["source"] == row["copy"] and row["same"] == "yes" for row in rows) and len(rows) > 50


def test_db_copy_refuses_a_target_with_clinic_data(cli, demo_url, small_demo, monkeypatch):
    monkeypatch.setenv("OFFICECONSOLE_PASSWORD", DEMO_PASSWORD)
    result = cli("db", "copy", "--to", small_demo.copy("cli_full"), "--db", demo_url, "--as", "manager", "--yes")
    assert result.exit_code == 1
    assert "already holds clinic data" in result.stderr and "nothing was copied" in result.stderr


def test_db_copy_is_for_managers(cli, demo_url, tmp_path, monkeypatch):
    monkeypatch.setenv("OFFICECONSOLE_PASSWORD", DEMO_PASSWORD)
    target = tmp_path / "c.db"
    result = cli("db", "copy", "--to", str(target), "--db", demo_url, "--as", "desk", "--yes")
    assert result.exit_code == 1 and "may not export the whole clinic's data" in result.stderr


def test_db_copy_asks_first(cli, demo_url, tmp_path, monkeypatch):
    monkeypatch.setenv("OFFICECONSOLE_PASSWORD", DEMO_PASSWORD)
    target = tmp_path / "c.db"
    result = cli("db", "copy", "--to", str(target), "--db", demo_url, "--as", "manager", input="n\n")
    assert result.exit_code == 1 and "Close every console first" in result.text
    assert not target.exists()
