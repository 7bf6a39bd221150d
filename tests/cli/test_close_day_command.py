"""`officeconsole close-day`, `reopen-day` and `close-settings` as a manager (or cron) runs them."""

from __future__ import annotations


def test_close_day_dry_run_then_close(cli, db_url, clinic, tmp_path):
    dry = cli("--db", db_url, "close-day", "--dry-run", "--as", "manager")
    assert dry.exit_code == 0, dry.text
    assert "would close" in dry.stdout and "0 would be marked no-show" in dry.stdout
    assert "[ok] Payments reconciled" in dry.stdout
    short = cli("--db", db_url, "close-day", "--dry-run", "--cash-counted", "5", "--as", "manager")
    assert short.exit_code == 0, short.text  # a warning, not a block
    assert "[WARN] Payments reconciled" in short.stdout and "[ok] Payments reconciled" not in short.stdout
    assert "counted $5.00, variance $5.00 (over)" in short.stdout and "cash variance $5.00" in short.stdout
    done = cli("--db", db_url, "close-day", "--cash-counted", "0", "--no-backup", "--as", "manager")
    assert done.exit_code == 0, done.text
    assert "closed: charges $0.00" in done.stdout and "Run 1 recorded" in done.stdout
    assert "[ok] Lock the day" in done.stdout and "no backup folder given: skipped" in done.stdout
    again = cli("--db", db_url, "close-day", "--no-backup", "--as", "manager")
    assert again.exit_code == 0, again.text
    assert "[ok] Already closed" in again.stdout and "reopen-day" in again.stdout and "is closed" in again.stdout
    bad = cli("--db", db_url, "close-day", "--cash-counted", "lots", "--as", "manager")
    assert bad.exit_code == 1 and "not an amount" in bad.stderr and "Traceback" not in bad.text
    future = cli("--db", db_url, "close-day", "--date", "2099-01-01", "--as", "manager")
    assert future.exit_code == 1 and "has not happened yet" in future.stderr
    garbled = cli("--db", db_url, "close-day", "--date", "someday", "--as", "manager")
    assert garbled.exit_code == 1 and "--date" in garbled.stderr and "Traceback" not in garbled.text
    desk = cli("--db", db_url, "close-day", "--as", "desk")
    assert desk.exit_code == 1 and "Permission denied" in desk.stderr


def test_reopen_day_and_close_settings(cli, db_url, clinic, tmp_path):
    closed = cli("--db", db_url, "close-day", "--no-backup", "--as", "manager")
    assert closed.exit_code == 0, closed.text
    today = closed.stdout.split(" closed:")[0].split()[-1]  # mm/dd/yyyy
    no_reason = cli("--db", db_url, "reopen-day", today, "--reason", "", "--as", "manager")
    assert no_reason.exit_code == 1 and "Say why" in no_reason.stderr
    desk = cli("--db", db_url, "reopen-day", today, "--reason", "fix it", "--as", "desk")
    assert desk.exit_code == 1 and "Permission denied" in desk.stderr
    opened = cli("--db", db_url, "reopen-day", today, "--reason", "late charge", "--as", "manager")
    assert opened.exit_code == 0, opened.text
    assert "reopened" in opened.stdout and "close-day --date" in opened.stdout
    twice = cli("--db", db_url, "reopen-day", today, "--reason", "late charge", "--as", "manager")
    assert twice.exit_code == 1 and "not closed" in twice.stderr
    history = cli("--db", db_url, "close-history", "--format", "csv", "--as", "manager")
    assert history.exit_code == 0, history.text
    lines = history.stdout.splitlines()
    assert lines[0].startswith("Run,Day,Run at,By,Status,Locked") and len(lines) == 2
    assert ",Morgan Manager,closed,,$0.00," in lines[1]  # reopened: its lock no longer stands
    shown = cli("--db", db_url, "close-settings", "--as", "manager")
    assert "No-show grace: 30 minutes. Missing charges: warn the close." in shown.stdout
    changed = cli("--db", db_url, "close-settings", "--grace", "20", "--missing-charges", "block", "--as", "manager")
    assert changed.exit_code == 0 and "20 minutes" in changed.stdout and "block" in changed.stdout
    bad = cli("--db", db_url, "close-settings", "--missing-charges", "maybe", "--as", "manager")
    assert bad.exit_code == 1 and "warn or block" in bad.stderr


def test_the_scheduled_close_signs_in_with_a_managers_key_file(cli, db_url, clinic, tmp_path, monkeypatch):
    monkeypatch.delenv("OFFICECONSOLE_PASSWORD")  # cron has no password
    key = tmp_path / "close.key"
    made = cli("--db", db_url, "user", "job-key", "--out", str(key), "--as", "manager",
               env={"OFFICECONSOLE_PASSWORD": "correct horse"})
    assert made.exit_code == 0, made.text
    assert oct(key.stat().st_mode & 0o777) == "0o600" and key.read_text().startswith("officeconsole-job-key:1:")
    nobody = cli("--db", db_url, "close-day", "--no-backup")
    assert nobody.exit_code == 1 and "--key-file FILE" in nobody.stderr
    closed = cli("--db", db_url, "close-day", "--no-backup", "--key-file", str(key))
    assert closed.exit_code == 0, closed.text
    assert "closed: charges $0.00" in closed.stdout
    key.chmod(0o644)
    shared = cli("--db", db_url, "close-day", "--no-backup", "--key-file", str(key))
    assert shared.exit_code == 1 and "can be read by others: `chmod 600" in shared.stderr
    key.chmod(0o600)
    assert cli("--db", db_url, "user", "job-key", "--revoke", "--as", "manager",
               env={"OFFICECONSOLE_PASSWORD": "correct horse"}).exit_code == 0
    revoked = cli("--db", db_url, "close-day", "--no-backup", "--key-file", str(key))
    assert revoked.exit_code == 1 and "does not sign anyone in" in revoked.stderr
    forged = tmp_path / "forged.key"
    forged.write_text("officeconsole-job-key:1:guess")
    forged.chmod(0o600)
    assert "does not sign anyone in" in cli("--db", db_url, "close-day", "--key-file", str(forged)).stderr
    desk_key = cli("--db", db_url, "user", "job-key", "--out", str(tmp_path / "desk.key"), "--as", "desk",
                   env={"OFFICECONSOLE_PASSWORD": "correct horse"})
    assert desk_key.exit_code == 1 and "Permission denied" in desk_key.stderr
