"""`officeconsole close-day` as a manager (or cron) runs it."""

from __future__ import annotations


def test_close_day_dry_run_then_close(cli, db_url, clinic, tmp_path):
    dry = cli("--db", db_url, "close-day", "--dry-run", "--as", "manager")
    assert dry.exit_code == 0, dry.text
    assert "would close" in dry.stdout and "0 would be marked no-show" in dry.stdout
    done = cli("--db", db_url, "close-day", "--cash-counted", "0", "--as", "manager")
    assert done.exit_code == 0, done.text
    assert "closed: charges $0.00" in done.stdout and "Run 1 recorded" in done.stdout
    bad = cli("--db", db_url, "close-day", "--cash-counted", "lots", "--as", "manager")
    assert bad.exit_code == 1 and "not an amount" in bad.stderr and "Traceback" not in bad.text
    future = cli("--db", db_url, "close-day", "--date", "2099-01-01", "--as", "manager")
    assert future.exit_code == 1 and "has not happened yet" in future.stderr
    desk = cli("--db", db_url, "close-day", "--as", "desk")
    assert desk.exit_code == 1 and "Permission denied" in desk.stderr
