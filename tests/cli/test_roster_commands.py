"""`officeconsole roster show|export|alerts|copy` as the manager (or anyone reading) runs them."""

from __future__ import annotations

import datetime as dt

from officeconsole.services.staffing.credentials import CredentialInput, CredentialService
from officeconsole.services.staffing.roster import RosterService, ShiftInput

from tests.conftest import MONDAY


def test_roster_show_export_alerts_and_copy(cli, db_url, clinic, manager_ctx):
    roster, desk = RosterService(manager_ctx), clinic.actors["front_desk"].user_id
    roster.set_rule("front_desk", 1, "08:00", "17:00")
    roster.add_shift(ShiftInput(desk, MONDAY, "07:30", "12:30"))
    CredentialService(manager_ctx).add_credential(CredentialInput(
        clinic.actors["provider"].user_id, "cpr_bls", "BLS", "B-1", "AHA", "2026-12-01"))
    shown = cli("--db", db_url, "roster", "show", "--week", "11/30/2026", "--as", "desk")
    assert shown.exit_code == 0, shown.text
    assert "07:30-12:30" in shown.stdout and "Dana Desk" in shown.stdout
    assert "Mon 11/30 12:30-17:00: Front Desk 0 of 1" in shown.stdout
    exported = cli("--db", db_url, "roster", "export", "--week", "2026-12-02", "--as", "manager")
    assert exported.stdout.splitlines() == ["Day,Person,Role,Start,End,Hours,Template,Note",
                                            "2026-11-30,Dana Desk,Front Desk,07:30,12:30,5,,"]
    alerts = cli("--db", db_url, "roster", "alerts", "--format", "csv", "--as", "manager")
    assert "Avery Lee,BLS,B-1,AHA,12/01/2026,in 8 days" in alerts.stdout
    copied = cli("--db", db_url, "roster", "copy", "--from", "2026-11-30", "--to", "2026-12-07", "--as", "manager")
    assert copied.exit_code == 0 and "1 shifts copied, 0 skipped." in copied.stdout
    again = cli("--db", db_url, "roster", "copy", "--from", "2026-11-30", "--to", "2026-12-07", "--as", "manager")
    assert "0 shifts copied, 1 skipped." in again.stdout and "cannot overlap" in again.stdout
    assert len(roster.week(MONDAY + dt.timedelta(days=7)).shifts) == 1
    desk_copy = cli("--db", db_url, "roster", "copy", "--from", "2026-11-30", "--to", "2026-12-14", "--as", "desk")
    assert desk_copy.exit_code == 1 and "Permission denied" in desk_copy.stderr
    bad = cli("--db", db_url, "roster", "show", "--week", "someday", "--as", "desk")
    assert bad.exit_code == 1 and "--week: 'someday' is not a date" in bad.stderr and "Traceback" not in bad.text


def test_templates_and_staffing_rules_from_the_command_line(cli, db_url, clinic):
    added = cli("--db", db_url, "roster", "add-template", "Front AM", "--role", "front_desk", "--start", "7:30",
                "--end", "12:30", "--as", "manager")
    assert added.exit_code == 0 and "Template Front AM: Front Desk 07:30-12:30." in added.stdout
    backwards = cli("--db", db_url, "roster", "add-template", "Late", "--role", "front_desk", "--start", "17:00",
                    "--end", "09:00", "--as", "manager")
    assert backwards.exit_code == 1 and "ends (09:00) before it starts (17:00)" in backwards.stderr
    rule = cli("--db", db_url, "roster", "add-rule", "front_desk", "--min", "2", "--from", "08:00", "--to", "17:00",
               "--weekday", "Wednesday", "--as", "manager")
    assert rule.exit_code == 0 and "at least 2 Front Desk 08:00-17:00 on Wednesdays" in rule.stdout
    bad_day = cli("--db", db_url, "roster", "add-rule", "front_desk", "--min", "2", "--from", "08:00", "--to", "17:00",
                  "--weekday", "someday", "--as", "manager")
    assert bad_day.exit_code == 1 and "--weekday" in bad_day.stderr
    listed = cli("--db", db_url, "roster", "templates", "--format", "csv", "--as", "desk")
    assert "Front AM,Front Desk,07:30,12:30" in listed.stdout and "at least 2 Front Desk,Wednesdays" in listed.stdout
    removed = cli("--db", db_url, "roster", "remove-rule", "1", "--as", "manager")
    assert removed.exit_code == 0 and "Rule 1 removed." in removed.stdout
    gone = cli("--db", db_url, "roster", "remove-rule", "1", "--as", "manager")
    assert gone.exit_code == 1 and "No staffing rule has id 1" in gone.stderr
