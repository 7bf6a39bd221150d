"""`officeconsole hours show|set|block|exception|holiday` on the two-provider schedule from conftest."""

from __future__ import annotations

import datetime as dt

from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.scheduling.hours import HoursService

from tests.conftest import MONDAY

T = dt.time


def test_set_a_week_two_ways_add_a_lunch_block_and_show_it(cli, db_url, sched, manager_ctx):
    def run(*args: str):
        return cli("--db", db_url, "hours", *args)

    week = run("set", "drlee", "--day", "mon-thu=08:00-12:00,13:00-17:00", "--weekday", "fri", "--from", "08:00",
               "--to", "12:00", "--effective", "2026-12-07", "--as", "manager")
    assert week.exit_code == 0, week.text
    hours = HoursService(manager_ctx)
    assert hours.intervals(sched["lee"], dt.date(2026, 12, 11)) == [(T(8), T(12))]  # Friday 12/11
    assert hours.intervals(sched["lee"], dt.date(2026, 12, 4)) == [(T(8), T(12)), (T(13), T(17))]  # before it
    block = run("block", "drlee", "--day", "mon-thu=11:30-12:00", "--day", "fri=11:00-11:30 Team meeting",
                "--label", "Lunch", "--effective", "2026-12-07", "--as", "manager")
    assert block.exit_code == 0, block.text
    assert hours.intervals(sched["lee"], dt.date(2026, 12, 11)) == [(T(8), T(11)), (T(11, 30), T(12))]
    shown = run("show", "drlee", "--date", "2026-12-11", "--as", "desk")
    assert shown.exit_code == 0, shown.text
    assert "from 12/07/2026" in shown.stdout and "Team meeting" in shown.stdout
    assert "Fri 12/11/2026: 08:00-11:00, 11:30-12:00 (weekly hours); blocked 11:00-11:30 Team meeting" in shown.stdout
    csv = run("show", "drlee", "--format", "csv", "--as", "desk").stdout.splitlines()
    assert csv[0] == "Template,In force,Mon,Tue,Wed,Thu,Fri,Sat,Sun"
    assert csv[1].startswith("from the start to 12/06/2026,yes,") and csv[2].startswith("from 12/07/2026,,")


def test_booked_visits_are_listed_and_saved_only_with_yes(cli, db_url, sched, manager_ctx):
    sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "15:00"))
    args = ("--db", db_url, "hours", "set", "drlee", "--day", "mon-fri=08:00-12:00", "--as", "manager")
    asked = cli(*args)
    assert asked.exit_code == 1 and asked.stderr.startswith("error: 1 visit booked would fall outside")
    assert "Mon 11/30/2026 15:00  Testperson, Ann  Follow-up  (Avery Lee)" in asked.stderr
    assert HoursService(manager_ctx).intervals(sched["lee"], MONDAY)[-1] == (T(13), T(17))  # not saved
    saved = cli(*args, "--yes")
    assert saved.exit_code == 0, saved.text
    assert HoursService(manager_ctx).intervals(sched["lee"], MONDAY) == [(T(8), T(12))]


def test_exceptions_and_holidays(cli, db_url, sched, manager_ctx):
    def run(*args: str):
        return cli("--db", db_url, "hours", *args, "--as", "manager")

    hours = HoursService(manager_ctx)
    assert run("exception", "drkim", "--date", "2026-11-30", "--hours", "09:00-13:00", "--note",
               "conference").exit_code == 0
    assert hours.intervals(sched["kim"], MONDAY) == [(T(9), T(13))]
    assert run("exception", "drkim", "--date", "2026-12-01", "--off").exit_code == 0
    assert hours.intervals(sched["kim"], MONDAY + dt.timedelta(days=1)) == []
    assert run("exception", "drkim", "--date", "2026-12-01", "--clear").exit_code == 0
    assert hours.intervals(sched["kim"], MONDAY + dt.timedelta(days=1)) == [(T(8), T(12)), (T(13), T(17))]
    sched["book"].book(BookingInput(sched["ann"], sched["kim"], sched["type"], MONDAY, "09:00"))
    closed = run("holiday", "add", "2026-11-30", "Staff retreat")
    assert closed.exit_code == 1 and "Testperson, Ann" in closed.stderr
    assert run("holiday", "add", "2026-11-30", "Staff retreat", "--yes").exit_code == 0
    listed = run("holiday", "list", "2026", "--format", "csv").stdout.splitlines()
    assert "Mon 11/30/2026,Staff retreat,yes" in listed and "Fri 12/25/2026,Christmas Day," in listed
    assert run("holiday", "remove", "2026-11-30").exit_code == 0
    assert hours.intervals(sched["kim"], MONDAY) == [(T(9), T(13))]


def test_bad_input_is_one_error_line(cli, db_url, sched, manager_ctx):
    def run(*args: str):
        return cli("--db", db_url, "hours", *args)

    cases = [
        (("set", "drlee", "--day", "mon=12:00-08:00"), "ends before it starts"),
        (("set", "drlee", "--day", "mon=08:00-12:00,11:00-13:00"), "overlap"),
        (("set", "drlee", "--day", "mon=08:02-12:00"), "5-minute steps"),
        (("set", "drlee", "--day", "funday=08:00-12:00"), "not a weekday"),
        (("set", "drlee", "--day", "mon 08:00-12:00"), "write the days, '=', then the times"),
        (("set", "drlee", "--weekday", "mon", "--from", "08:00"), "--from and --to once for every --weekday"),
        (("set", "drlee"), "Give the working days"),
        (("set", "drnobody", "--day", "mon=08:00-12:00"), "No active provider is called 'drnobody'"),
        (("block", "drlee", "--day", "sat=12:00-13:00", "--label", "Lunch"), "not inside the working hours"),
        (("exception", "drlee", "--date", "2026-11-30"), "exactly one of --off"),
        (("exception", "drlee", "--date", "someday", "--off"), "--date: 'someday' is not a date"),
        (("set", "drlee", "--day", "mon=08:00-12:00", "--effective", "2026-11-01"), None),
    ]
    sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], dt.date(2026, 11, 20), "09:00",
                                    override_reason="entered late"))
    for args, message in cases:
        result = run(*args, "--as", "manager")
        assert result.exit_code == 1, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert message is None or message in lines[0], (args, lines[0])
    assert "hours cannot change in the past once visits exist" in result.stderr
    refused = run("set", "drlee", "--day", "mon=08:00-12:00", "--as", "desk")
    assert refused.exit_code == 1 and "may not" in refused.stderr
    assert [t.effective_from for t in HoursService(manager_ctx).templates(sched["lee"])] == [dt.date(2000, 1, 1)]
