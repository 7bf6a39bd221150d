"""`officeconsole payer add|edit|retire|reinstate|list`."""

from __future__ import annotations


def test_add_edit_retire_and_reinstate_a_payer(cli, seeded_url):
    def run(*args: str):
        return cli("--db", seeded_url, "payer", *args, "--as", "biller")

    added = run("add", "Lakeside Mutual", "--payer-id", "lkmut", "--filing", "hm", "--address", "PO Box 9",
                "--city", "Chicago", "--state", "il", "--zip", "60611")
    assert added.exit_code == 0, added.text
    assert added.stdout.strip() == "Added payer Lakeside Mutual (LKMUT)."
    edited = run("edit", "lakeside MUTUAL", "--name", "Lakeside Mutual Health", "--phone", "(312) 555-0101",
                 "--zip", "60611-1234")
    assert edited.exit_code == 0, edited.text
    listed = run("list", "--format", "csv").stdout.splitlines()
    assert listed[0] == "Name,Payer ID,Filing,Phone,Address,City,State,ZIP,Active"
    assert "Lakeside Mutual Health,LKMUT,HM,(312) 555-0101,PO Box 9,Chicago,IL,60611-1234,yes" in listed
    by_id = run("edit", "LKMUT", "--filing", "BL")
    assert by_id.exit_code == 0 and "Saved payer Lakeside Mutual Health (LKMUT)." in by_id.stdout

    assert run("retire", "Lakeside Mutual Health").exit_code == 0
    assert not any(line.startswith("Lakeside") for line in run("list", "--format", "csv").stdout.splitlines())
    everyone = run("list", "--all", "--format", "csv").stdout.splitlines()
    assert "Lakeside Mutual Health,LKMUT,BL,(312) 555-0101,PO Box 9,Chicago,IL,60611-1234,retired" in everyone
    again = run("retire", "Lakeside Mutual Health")
    assert again.exit_code == 1 and again.stderr.strip() == "error: Lakeside Mutual Health is retired already."
    assert run("reinstate", "lakeside mutual health").stdout.strip() == "Reinstated payer Lakeside Mutual Health."


def test_bad_input_is_one_error_line(cli, seeded_url):
    def run(*args: str, who: str = "biller"):
        return cli("--db", seeded_url, "payer", *args, "--as", who)

    for args, message in (
        (("add", "blue shield TEST PLAN"), "error: A payer called 'Blue Shield Test Plan' exists already."),
        (("add", "Odd Plan", "--filing", "XX"), "error: Claim filing indicator: CI (commercial)"),
        (("add", "Odd Plan", "--payer-id", "A-1"), "error: Payer ID: the electronic payer ID"),
        (("edit", "Blue Shield Test Plan", "--state", "XX"), "error: State: 'XX' is not a US state"),
        (("edit", "Blue Shield Test Plan", "--zip", "1234"), "error: ZIP: 5 digits, or 9 as ZIP+4"),
        (("edit", "Nobody Plan", "--city", "X"), "error: No payer is called 'Nobody Plan' (payers: "),
        (("retire", "Blue Shield Test Plan"), "error: Permission denied"),
    ):
        result = run(*args, who="desk" if args[0] == "retire" else "biller")
        assert result.exit_code == 1 and result.stderr.startswith(message), (args, result.text)
        assert "Traceback" not in result.text
    assert "Odd Plan" not in run("list", "--all").stdout
