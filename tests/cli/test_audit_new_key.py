"""A lost audit key is a recorded event, not a stopped clinic: a manager starts a new key, the
trail goes on, and `audit verify` reports the boundary (and checks the part before it when the old
key is given)."""

from __future__ import annotations

import shutil


def test_a_lost_key_is_replaced_and_the_boundary_reported(cli, db_url, clinic, audit_key_file, tmp_path):
    pc_key = tmp_path / "pc" / "audit.key"
    pc_key.parent.mkdir()
    shutil.copy(audit_key_file, pc_key)
    old = shutil.copy(audit_key_file, tmp_path / "old-audit.key")
    env = {"OFFICECONSOLE_AUDIT_KEY_FILE": str(pc_key)}
    assert cli("--db", db_url, "payer", "add", "Before Mutual", "--as", "manager", env=env).exit_code == 0
    pc_key.unlink()  # the PC died with the only copy

    stopped = cli("--db", db_url, "payer", "add", "Lost Mutual", "--as", "manager", env=env)
    assert stopped.exit_code == 1 and "officeconsole audit new-key" in stopped.stderr
    not_lost = cli("--db", db_url, "audit", "new-key", "--reason", "key lost", "--as", "desk", env=env)
    assert not_lost.exit_code == 1 and "only a manager" in not_lost.stderr
    made = cli("--db", db_url, "audit", "new-key", "--reason", "PC died, key lost", "--as", "manager", env=env)
    assert made.exit_code == 0, made.text
    assert "A new audit key is at" in made.stdout and pc_key.exists()
    again = cli("--db", db_url, "audit", "new-key", "--reason", "once more", "--as", "manager", env=env)
    assert again.exit_code == 1 and "nothing is lost" in again.stderr

    assert cli("--db", db_url, "payer", "add", "After Mutual", "--as", "manager", env=env).exit_code == 0
    verified = cli("--db", db_url, "audit", "verify", "--as", "manager", env=env)
    assert verified.exit_code == 0, verified.text
    assert "key change at event" in verified.stdout and "PC died, key lost" in verified.stdout
    assert "checked for their numbering and links only" in verified.stdout and "chain intact" in verified.stdout
    full = cli("--db", db_url, "audit", "verify", "--as", "manager", "--old-key", str(old), env=env)
    assert full.exit_code == 0 and "links only" not in full.stdout and "chain intact" in full.stdout


def test_an_old_part_changed_after_the_key_change_is_still_found(cli, db_url, clinic, audit_key_file, tmp_path,
                                                                  database):
    from sqlalchemy import text

    from tests.test_audit_chain import tampering

    pc_key = tmp_path / "pc" / "audit.key"
    pc_key.parent.mkdir()
    shutil.copy(audit_key_file, pc_key)
    old = shutil.copy(audit_key_file, tmp_path / "old-audit.key")
    env = {"OFFICECONSOLE_AUDIT_KEY_FILE": str(pc_key)}
    pc_key.unlink()
    assert cli("--db", db_url, "audit", "new-key", "--reason", "PC died", "--as", "manager", env=env).exit_code == 0
    with tampering(database) as conn:  # someone edits an old event, the append-only triggers lifted
        conn.execute(text("UPDATE audit_event SET summary = 'edited' WHERE seq = 1"))
    full = cli("--db", db_url, "audit", "verify", "--as", "manager", "--old-key", str(old), env=env)
    assert full.exit_code == 1 and "event 1" in full.stdout
