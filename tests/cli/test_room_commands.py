"""`officeconsole room rename|retire|reinstate|list --all`."""

from __future__ import annotations


def test_rename_retire_and_reinstate_a_room(cli, db_url, clinic):
    def run(*args: str, who: str = "manager"):
        return cli("--db", db_url, "room", *args, "--as", who)

    assert run("add", "Exam 1").exit_code == 0 and run("add", "Exam 2").exit_code == 0
    assert run("rename", "exam 1", "Exam 1A").stdout.strip() == "Renamed room exam 1 to Exam 1A."
    taken = run("rename", "Exam 1A", "EXAM 2")
    assert taken.exit_code == 1 and taken.stderr.strip() == "error: There is a room called Exam 2 already."
    assert run("retire", "Exam 2").stdout.strip() == "Retired room Exam 2."
    assert run("list", "--format", "csv").stdout.splitlines() == ["Room", "Exam 1A"]
    assert run("list", "--all", "--format", "csv").stdout.splitlines() == ["Room,Active", "Exam 1A,yes",
                                                                          "Exam 2,retired"]
    assert run("reinstate", "exam 2").stdout.strip() == "Reinstated room Exam 2."
    missing = run("retire", "Lab")
    assert missing.exit_code == 1
    assert missing.stderr.strip() == "error: No room is called 'Lab' (rooms: Exam 1A, Exam 2)."
    denied = run("rename", "Exam 2", "X", who="desk")
    assert denied.exit_code == 1 and "Permission denied" in denied.stderr
