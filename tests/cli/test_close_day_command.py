"""`officeconsole close-day`, `reopen-day` and `close-settings` as a manager (or cron) runs them."""

from __future__ import annotations


def test_close_day_dry_run_then_close(cli, db_url, clinic, tmp_path):
    dry = cli("--db", db_url, "close-day", "--dry-run", "--as", "manager")
    assert dry.exit_code == 0, dry.text
    assert "would close" in dry.stdout and "0 would be marked no-show" in dry.stdout
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
