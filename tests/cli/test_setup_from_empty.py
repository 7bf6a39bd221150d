"""A practice set up from an empty database with commands only, as a script would do it:
the wizard's job, the clinic, a provider with hours and a lunch block, two appointment types,
a payer and three fees; then the checklist is clear and the slot finder offers real times."""

from __future__ import annotations

import json

from tests.factories import PASSWORD


def test_a_clinic_set_up_with_commands_only(cli, empty_db_url):
    db = ("--db", empty_db_url)
    as_boss = ("--as", "boss")

    def ok(*args: str) -> str:
        result = cli(*args, *db, env={"OFFICECONSOLE_NEW_PASSWORD": PASSWORD})
        assert result.exit_code == 0, result.text
        return result.stdout

    result = cli("setup", "init", "--clinic", "Lakeside Family Clinic", "--timezone", "America/Chicago",
                 "--manager", "boss", "--manager-name", "Robin Boss", *db,
                 env={"OFFICECONSOLE_NEW_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.text
    again = cli("setup", "init", "--clinic", "Other", "--timezone", "America/Chicago", "--manager", "x",
                "--manager-name", "X Y", *db, env={"OFFICECONSOLE_NEW_PASSWORD": PASSWORD})
    assert again.exit_code == 1 and again.stderr.startswith("error:")

    before = cli("setup", "check", *as_boss, *db)
    assert before.exit_code == 1 and "provider" in before.stdout.lower()

    ok("clinic", "set", *as_boss, "--address", "400 Lake Shore Drive", "--city", "Chicago", "--state", "IL",
       "--zip", "60611-1234", "--phone", "(312) 555-0188", "--npi", "1234567893", "--tax-id", "36-1234567",
       "--taxonomy", "261QP2300X", "--clearinghouse-id", "CLEARHOUSE1", "--clearinghouse-name", "Clear House")
    bad = cli("clinic", "set", *as_boss, "--npi", "1234567890", *db)
    assert bad.exit_code == 1 and bad.stderr.startswith("error:") and "NPI" in bad.stderr

    ok("user", "add", "drsoto", "--name", "Elena Soto", "--role", "provider", *as_boss)
    ok("appointment-type", "add", "Follow-up", "--minutes", "20", *as_boss)
    ok("appointment-type", "add", "New patient", "--minutes", "40", "--new-patient", *as_boss)
    ok("provider", "add", "drsoto", "--npi", "1245319599", "--taxonomy", "207Q00000X", "--credentials", "MD",
       "--specialty", "Family medicine", *as_boss)
    ok("hours", "set", "drsoto", "--day", "mon-fri=08:00-17:00", "--effective", "2026-11-23", *as_boss)
    ok("hours", "block", "drsoto", "--day", "mon-fri=12:00-13:00", "--label", "Lunch",
       "--effective", "2026-11-23", *as_boss)
    ok("payer", "add", "Lakeside Mutual", "--payer-id", "LKMUT", "--filing", "CI", *as_boss)
    for code, description, fee in (("99213", "Office visit, low complexity", "125.00"),
                                   ("99214", "Office visit, moderate complexity", "185.00"),
                                   ("36415", "Blood draw", "15.00")):
        ok("fees", "add", code, description, fee, *as_boss)

    after = cli("setup", "check", *as_boss, *db)
    assert after.exit_code == 0, after.text

    slots = json.loads(ok("schedule", "find-slot", "--type", "Follow-up", "--as", "boss", "--count", "40",
                          "--format", "json"))
    assert slots, "the slot finder offers times once a provider has hours"
    starts = [row["start"][11:16] for row in slots]  # ISO 8601 with the clinic's offset
    assert "08:00" in starts or "10:20" in starts
    assert not any("12:00" <= start < "13:00" for start in starts)  # the lunch block is not offered
