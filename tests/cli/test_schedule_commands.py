"""`officeconsole schedule show|export|find-slot` on the two-provider schedule from conftest."""

from __future__ import annotations

import json

from officeconsole.services.scheduling.booking import BookingInput

from tests.conftest import MONDAY


def test_show_and_export_a_day(cli, db_url, sched):
    booked = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    sched["book"].book(BookingInput(sched["bob"], sched["kim"], sched["type"], MONDAY, "10:00"))
    other = sched["book"].book(BookingInput(sched["bob"], sched["lee"], sched["type"], MONDAY, "11:00"))
    sched["book"].cancel(other.id, other.version, "patient_cancelled")
    shown = cli("--db", db_url, "schedule", "show", "--as", "desk", "--date", "2026-11-30", "--format", "json")
    assert shown.exit_code == 0, shown.text
    rows = json.loads(shown.stdout)
    assert [(r["start"], r["end"], r["provider"], r["status"]) for r in rows] == [
        ("2026-11-30T09:00:00-05:00", "2026-11-30T09:20:00-05:00", "Avery Lee", "scheduled"),
        ("2026-11-30T10:00:00-05:00", "2026-11-30T10:20:00-05:00", "Jo Kim", "scheduled"),
        ("2026-11-30T11:00:00-05:00", "2026-11-30T11:20:00-05:00", "Avery Lee", "cancelled")]
    assert rows[0]["mrn"] and booked.id
    only = cli("--db", db_url, "schedule", "show", "--as", "desk", "--date", "11/30/2026", "--provider", "drkim",
               "--format", "csv").stdout.splitlines()
    assert len(only) == 2 and "Jo Kim" in only[1]
    export = cli("--db", db_url, "schedule", "export", "--as", "desk", "--date", "2026-11-30").stdout.splitlines()
    assert export[0] == "Name,Phone,E-mail,Preferred contact,Time,Provider,Type,Confirmation,Reachable"
    assert len(export) == 3  # the cancelled visit gets no reminder
    assert ('"Testperson, Ann",(415) 555-2671,jane@example.org,phone,2026-11-30 09:00,Avery Lee,Follow-up,,yes'
            in export)


def test_find_slot(cli, db_url, sched):
    sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "08:00"))
    result = cli("--db", db_url, "schedule", "find-slot", "--as", "desk", "--type", "follow-up",
                 "--provider", "drlee", "--after", "2026-11-30", "--count", "2", "--format", "csv")
    assert result.exit_code == 0, result.text
    assert result.stdout.splitlines()[1:] == ["Mon 11/30/2026,08:20,08:40,Avery Lee,20,",
                                              "Mon 11/30/2026,08:40,09:00,Avery Lee,20,"]
    afternoon = cli("--db", db_url, "schedule", "find-slot", "--as", "desk", "--type", "Follow-up",
                    "--weekday", "wed", "--part", "afternoon", "--count", "1", "--format", "csv")
    assert afternoon.stdout.splitlines()[1].startswith("Wed 11/25/2026,13:00,13:20")


def test_schedule_bad_input(cli, db_url, sched):
    for args, message in (
        (["show", "--date", "31/02/2026"], "is not a date"),
        (["show", "--provider", "drnobody"], "No active provider is called 'drnobody'"),
        (["find-slot", "--type", "massage"], "No appointment type is called 'massage'"),
        (["find-slot", "--type", "follow-up", "--weekday", "funday"], "use mon, tue"),
        (["find-slot", "--type", "follow-up", "--part", "evening"], "morning or afternoon"),
    ):
        result = cli("--db", db_url, "schedule", *args, "--as", "desk")
        assert result.exit_code == 1, (args, result.text)
        assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr


def test_holiday_suggestions_and_closing_a_day(cli, db_url, sched):
    listed = cli("--db", db_url, "schedule", "holidays", "--as", "desk", "--year", "2027", "--state", "IL",
                 "--format", "csv")
    assert listed.exit_code == 0, listed.text
    assert "Thu 11/25/2027,Thanksgiving Day," in listed.stdout.splitlines()
    assert "Casimir Pulaski Day" in listed.stdout  # an Illinois holiday
    denied = cli("--db", db_url, "schedule", "close", "2027-11-25", "Thanksgiving Day", "--as", "desk")
    assert denied.exit_code == 1 and "Permission denied" in denied.stderr
    closed = cli("--db", db_url, "schedule", "close", "11/25/2027", "Thanksgiving Day", "--as", "manager")
    assert closed.exit_code == 0, closed.text
    again = cli("--db", db_url, "schedule", "holidays", "--as", "desk", "--year", "2027", "--format", "csv")
    assert "Thu 11/25/2027,Thanksgiving Day,yes" in again.stdout.splitlines()
    bad = cli("--db", db_url, "schedule", "holidays", "--as", "desk", "--year", "2027", "--state", "ZZ")
    assert bad.exit_code == 1 and bad.stderr.startswith("error: ")


def test_dates_as_people_type_them(cli, db_url, sched):
    """Today is Monday 11/23/2026 in the clinic: `mon` is the next Monday, +7 a week on."""
    sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    for word in ("mon", "monday", "+7", "2026-11-30", "11/30/2026"):
        shown = cli("--db", db_url, "schedule", "show", "--as", "desk", "--date", word, "--format", "csv")
        assert shown.exit_code == 0, shown.text
        assert shown.stdout.splitlines()[1:] == ['09:00,09:20,Avery Lee,"Testperson, Ann",0001001,Follow-up,scheduled,'], word
    tomorrow = cli("--db", db_url, "schedule", "show", "--as", "desk", "--date", "tomorrow")
    assert tomorrow.stdout.startswith("Tuesday 11/24/2026"), tomorrow.stdout
    slots = cli("--db", db_url, "schedule", "find-slot", "--as", "desk", "--type", "follow-up", "--after", "tomorrow",
                "--until", "tomorrow", "--count", "1", "--format", "csv")
    assert slots.stdout.splitlines()[1].startswith("Tue 11/24/2026"), slots.text
    bad = cli("--db", db_url, "schedule", "show", "--as", "desk", "--date", "someday")
    assert bad.exit_code == 1 and "tomorrow" in bad.stderr and "+N" in bad.stderr


def test_a_missing_type_lists_the_types(cli, db_url, sched):
    result = cli("--db", db_url, "schedule", "find-slot", "--as", "desk")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --type: which appointment type? One of: ") and "Follow-up" in result.stderr
