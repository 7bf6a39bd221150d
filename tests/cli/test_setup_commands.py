"""`setup init`, `setup check` and `clinic show|set`, as a script would run them."""

from __future__ import annotations

import json

from tests.factories import PASSWORD


def test_setup_init_on_an_empty_database_then_refused(cli, empty_db_url):
    args = ("setup", "init", "--clinic", "Lakeside Clinic", "--timezone", "America/Chicago",
            "--manager", "Boss", "--manager-name", "Robin Boss", "--db", empty_db_url)
    result = cli(*args, env={"OFFICECONSOLE_NEW_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.text
    assert "boss is its manager" in result.stdout
    shown = cli("clinic", "show", "--as", "boss", "--db", empty_db_url, "--format", "json")
    rows = {row["setting"]: row["value"] for row in json.loads(shown.stdout)}
    assert rows["Name"] == "Lakeside Clinic" and rows["Time zone"] == "America/Chicago"

    again = cli(*args, env={"OFFICECONSOLE_NEW_PASSWORD": PASSWORD})
    assert again.exit_code == 1
    assert again.stderr.startswith("error: This database is set up already")
    assert len(again.stderr.strip().splitlines()) == 1


def test_setup_init_asks_the_password_twice(cli, empty_db_url, monkeypatch):
    monkeypatch.delenv("OFFICECONSOLE_NEW_PASSWORD", raising=False)
    args = ("setup", "init", "--clinic", "Lakeside Clinic", "--timezone", "America/Chicago",
            "--manager", "boss", "--manager-name", "Robin Boss", "--db", empty_db_url)
    result = cli(*args, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.text
    assert PASSWORD not in result.stdout  # hidden
    assert cli("setup", "check", "--as", "boss", "--db", empty_db_url).exit_code == 1  # the password works


def test_setup_init_refuses_bad_input_in_one_line(cli, empty_db_url):
    result = cli("setup", "init", "--clinic", "X", "--timezone", "Mars/Olympus", "--manager", "boss",
                 "--manager-name", "Robin Boss", "--db", empty_db_url, env={"OFFICECONSOLE_NEW_PASSWORD": PASSWORD})
    assert result.exit_code == 1 and result.stderr.startswith("error:") and "time zone" in result.stderr


def test_setup_check_lists_what_is_missing_and_exits_1(cli, seeded_url):
    result = cli("setup", "check", "--as", "manager", "--db", seeded_url)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "Before you can book"
    assert any(line.startswith("  ✓ A provider: 1 active: Avery Lee") for line in lines)
    assert any(line.startswith("  ✗ An appointment type:") and "(fix: F10 then t, or" in line
               and "officeconsole appointment-type add" in line for line in lines)
    assert "Before you can bill" in lines
    assert lines[-1] == "8 thing(s) still to set up."

    as_json = json.loads(cli("setup", "check", "--as", "manager", "--db", seeded_url, "--format", "json").stdout)
    assert as_json["ready_to_book"] is False and as_json["ready_to_bill"] is False
    assert [i["key"] for i in as_json["before_booking"]] == ["p", "t", "h"]

    desk = cli("setup", "check", "--as", "desk", "--db", seeded_url)
    assert desk.exit_code == 1 and desk.stderr.startswith("error: Permission denied")


def test_setup_check_exits_0_when_everything_is_set_up(cli, seeded_url, ctx, clinic, manager_ctx):
    from officeconsole.models import AppointmentType
    from officeconsole.services.billing.fees import FeeService
    from officeconsole.services.scheduling.hours import HoursService

    with ctx.db.write() as session:
        session.add(AppointmentType(name="Follow-up", default_minutes=20))
    HoursService(manager_ctx).set_week(clinic.provider_id, {0: [("08:00", "17:00")]})
    FeeService(manager_ctx).add_fee("99213", "Office visit", "125.00")
    result = cli("clinic", "set", "--as", "manager", "--db", seeded_url, "--address", "12 Maple Street",
                 "--city", "Springfield", "--state", "IL", "--zip", "62704-1234", "--phone", "(217) 555-0100",
                 "--npi", "1234567893", "--tax-id", "37-1234567", "--taxonomy", "261QP2300X",
                 "--clearinghouse-id", "CLEAR01")
    assert result.exit_code == 0, result.text
    assert result.stdout.startswith("Saved the clinic's settings: Street, City, State, ZIP, Phone, NPI")
    check = cli("setup", "check", "--as", "manager", "--db", seeded_url)
    assert check.exit_code == 0, check.text
    assert "✗" not in check.stdout and check.stdout.strip().endswith("Everything is set up.")


def test_clinic_set_changes_only_what_is_given(cli, seeded_url):
    ok = cli("clinic", "set", "--as", "manager", "--db", seeded_url, "--phone", "217 555 0100",
             "--hours", "mon-fri=08:00-17:00", "--hours", "sat=09:00-12:00", "--pos", "11")
    assert ok.exit_code == 0, ok.text
    again = cli("clinic", "set", "--as", "manager", "--db", seeded_url, "--hours", "fri=closed")
    assert again.exit_code == 0, again.text
    rows = {row["setting"]: row["value"] for row in json.loads(
        cli("clinic", "show", "--as", "manager", "--db", seeded_url, "--format", "json").stdout)}
    assert rows["Name"] == "Maple Street Family Practice" and rows["Phone"] == "(217) 555-0100"
    assert rows["Opening hours"] == ("mon 08:00-17:00, tue 08:00-17:00, wed 08:00-17:00, thu 08:00-17:00, "
                                     "fri closed, sat 09:00-12:00, sun closed")
    same = cli("clinic", "set", "--as", "manager", "--db", seeded_url, "--phone", "(217) 555-0100")
    assert same.stdout.strip() == "Nothing changed."


def test_clinic_set_bad_input_is_one_error_line(cli, seeded_url):
    for args, words in ((("--npi", "1234567890"), "NPI 1234567890 is not a valid NPI"),
                        (("--tax-id", "12-345"), "Tax ID"),
                        (("--taxonomy", "207Q0000X"), "not a taxonomy code"),
                        (("--state", "XX"), "not a US state"),
                        (("--hours", "mon=17:00-08:00"), "not after opening"),
                        (("--hours", "mon 08:00-17:00"), "DAYS=HH:MM-HH:MM"),
                        (("--hours", "funday=08:00-17:00"), "not a weekday")):
        result = cli("clinic", "set", "--as", "manager", "--db", seeded_url, *args)
        assert result.exit_code == 1, args
        assert result.stderr.startswith("error:") and words in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
    desk = cli("clinic", "show", "--as", "desk", "--db", seeded_url)
    assert desk.exit_code == 1 and desk.stderr.startswith("error: Permission denied")
