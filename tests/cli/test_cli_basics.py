"""A command line the CLI cannot read gets one `error:` line naming the fix, like every other failure."""

from __future__ import annotations


def test_a_missing_as_is_one_error_line_with_exit_2(cli, db_url, clinic, monkeypatch):
    monkeypatch.delenv("OFFICECONSOLE_USER", raising=False)
    result = cli("--db", db_url, "user", "list")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: Missing option '--as' (env var: 'OFFICECONSOLE_USER'). (see `officeconsole user list --help`)"]
    assert result.stdout == ""


def test_an_unknown_option_is_one_error_line(cli, db_url, clinic):
    result = cli("--db", db_url, "user", "list", "--as", "manager", "--colour", "red")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: No such option: --colour (see `officeconsole user list --help`)"


def test_a_group_named_alone_still_shows_its_help(cli):
    result = cli("user")
    assert "Usage:" in result.text and "list" in result.text


def test_tables_at_80_columns_wrap_between_words_not_inside_them(cli, db_url, sched, monkeypatch):
    from officeconsole.services.scheduling.booking import BookingInput

    from tests.conftest import MONDAY

    sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00",
                                    reason="Appointment reconsideration questionnaire"))
    monkeypatch.setenv("COLUMNS", "80")  # an 80-column terminal
    shown = cli("--db", db_url, "schedule", "show", "--as", "desk", "--date", "2026-11-30")
    assert shown.exit_code == 0, shown.text
    words = {w for line in shown.stdout.splitlines() for w in line.replace("│", " ").split()}
    assert {"Testperson,", "Follow-up", "scheduled"} <= words
    assert max(len(line) for line in shown.stdout.splitlines()) <= 80
