"""`officeconsole audit verify`: an intact chain exits 0 with its latest hash; a row changed in the
database exits 1 naming the event; a wrong anchor or a missing key is one clear line."""

from __future__ import annotations

from tests.test_audit_chain import tampering


def test_verify_an_intact_chain_then_one_changed_in_the_database(cli, seeded_url, database):
    intact = cli("--db", seeded_url, "audit", "verify", "--as", "manager")
    assert intact.exit_code == 0, intact.text
    line = intact.stdout.strip().splitlines()[-1]
    assert line.startswith("chain intact: ") and " events, latest hash " in line
    latest = line.rsplit(" ", 1)[-1]
    assert len(latest) == 64
    anchored = cli("--db", seeded_url, "audit", "verify", "--as", "manager", "--anchor", latest[:16])
    assert anchored.exit_code == 0 and "anchor found: event" in anchored.stdout
    with tampering(database) as conn:
        conn.exec_driver_sql("UPDATE audit_event SET username = 'someone else' WHERE seq = 2")
    broken = cli("--db", seeded_url, "audit", "verify", "--as", "manager")
    assert broken.exit_code == 1
    assert "chain broken at event 2 (" in broken.stdout and "changed: event 2's fields do not match" in broken.stdout
    assert "Traceback" not in broken.text


def test_verify_with_an_anchor_not_in_the_chain_fails(cli, seeded_url):
    result = cli("--db", seeded_url, "audit", "verify", "--as", "manager", "--anchor", "0123456789abcdef")
    assert result.exit_code == 1 and "anchor: the anchor 0123456789abcdef… is not in the chain" in result.stdout
    bad = cli("--db", seeded_url, "audit", "verify", "--as", "manager", "--anchor", "xyz")
    assert bad.exit_code == 1 and bad.stderr.startswith("error: The anchor is a chain hash")


def test_verify_without_the_key_file_is_one_clear_line(cli, seeded_url, tmp_path):
    result = cli("--db", seeded_url, "audit", "verify", "--as", "manager",
                 env={"OFFICECONSOLE_AUDIT_KEY_FILE": str(tmp_path / "gone.key")})
    assert result.exit_code == 1 and "Traceback" not in result.text
    assert result.stderr.startswith(f"error: The audit key file {tmp_path / 'gone.key'} is missing.")
    assert result.stderr.count("\n") == 1


def test_verify_needs_a_manager(cli, seeded_url):
    result = cli("--db", seeded_url, "audit", "verify", "--as", "desk")
    assert result.exit_code == 1 and result.stderr.startswith("error: Permission denied")
