"""A real clinic from an empty database in a real terminal (tmux), only by keys: the first-start wizard,
the clinic, a payer, three fees, two appointment types, the manager made the provider with a week of
hours and a lunch block; a patient registered with insurance, booked today, checked in and out,
the visit coded, the claim readied and exported: pyx12 accepts the 837P.

The clinic's time zone is chosen so that its local time is mid-morning whenever the test runs, and
its hours cover every day of the week, so "today" always has free time to book.
"""

from __future__ import annotations

import datetime as dt
import shlex
import time

import pytest

from officeconsole.services.identifiers import npi_with_check_digit
from officeconsole.services.x12_check import x12_errors

from tests.e2e.test_demo_in_tmux import Terminal, terminal_env  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.e2e

CLINIC_NPI = npi_with_check_digit("145678901")
DOCTOR_NPI = npi_with_check_digit("176543210")


def mid_morning_zone(now: dt.datetime) -> str:
    """An Etc/GMT zone in which it is between 09:00 and 10:59 now (Etc/GMT signs are inverted)."""
    offset = (10 - now.hour + 12) % 24 - 12  # -12..+11
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


class Keys:
    """Typing into the console as a person would, waiting to see each value land before moving on."""

    def __init__(self, terminal: Terminal) -> None:
        self.t = terminal

    def tab(self, times: int = 1) -> None:
        for _ in range(times):
            self.t.press("Tab")

    def field(self, text: str, *, shown: str | None = None) -> None:
        """Type into the focused field (it selects its text when tabbed into, so typing replaces it)."""
        self.t.type(text)
        if shown != "":
            self.t.wait_for(shown or text, timeout=20)

    def key(self, key: str, then: str | None = None, timeout: float = 30) -> str:
        self.t.press(key)
        return self.t.wait_for(then, timeout) if then else self.t.screen()

    def choose_first(self, shown: str | None = None) -> None:
        """Open the focused drop-down and take its first choice (`shown` once it is taken)."""
        for key in ("Enter", "Down", "Enter"):
            time.sleep(0.5)
            self.t.press(key)
        if shown:
            self.t.wait_for(shown, timeout=20)


def test_a_clinic_set_up_from_empty_in_a_real_terminal(terminal_env, tmp_path):
    officeconsole, env = terminal_env
    zone = mid_morning_zone(dt.datetime.now(dt.UTC))
    database = f"sqlite:///{tmp_path / 'new.db'}"
    terminal = Terminal(f"{officeconsole} --db {shlex.quote(database)}", env, width=160, height=48)
    k = Keys(terminal)
    try:
        terminal.wait_for("set up your clinic")
        k.field("Birch Lane Family Medicine")
        k.tab()
        k.field(zone)
        k.tab()
        k.field("rboss")
        k.tab()
        k.field("Robin Boss")
        k.tab()
        k.field("birch lane 2026", shown="")
        k.tab()
        k.field("birch lane 2026", shown="")
        time.sleep(0.5)
        k.key("C-s", "Before you can book")

        k.key("c", "Clinic settings")
        k.tab(2)
        k.field("12 Birch Lane")
        k.tab(2)
        k.field("Evanston")
        k.tab()
        k.field("IL")
        k.tab()
        k.field("60201-1234")
        k.tab()
        k.field("8475550100", shown="847")
        k.tab(3)
        k.field(CLINIC_NPI)
        k.tab()
        k.field("36-4567890")
        k.tab()
        k.field("207Q00000X")
        k.tab(2)
        k.field("BIRCH01")
        k.key("C-s", "Before you can bill")

        k.key("y")
        time.sleep(1)  # the list screen reads its rows
        k.key("a", "Payer ID")
        k.field("Prairie Health")
        k.tab()
        k.field("PRH01")
        k.key("C-s", "PRH01")
        k.key("Escape", "Before you can book")

        k.key("f")
        time.sleep(1)  # the list screen reads its rows
        for code, description, fee in (("99213", "Office visit, established", "120.00"),
                                       ("99203", "Office visit, new patient", "165.00"),
                                       ("36415", "Venipuncture", "15.00")):
            k.key("a", "Description")
            k.field(code)
            k.tab()
            k.field(description)
            k.tab()
            k.field(fee)
            k.key("C-s", description)
        k.key("Escape", "Before you can book")

        k.key("t")
        time.sleep(1)  # the list screen reads its rows
        for name, minutes in (("Follow-up", "20"), ("New patient", "40")):
            k.key("a", "Minutes")
            k.field(name)
            k.tab()
            k.field(minutes)
            k.key("C-s", name)
        k.key("Escape", "Before you can book")

        k.key("p")
        time.sleep(1)  # the list screen reads its rows
        k.key("a", "Robin Boss")
        k.key("1", "NPI")
        k.field(DOCTOR_NPI)
        k.tab()
        k.field("207Q00000X")
        k.tab()
        k.field("MD")
        k.key("C-s", DOCTOR_NPI)
        k.key("Escape", "Before you can book")

        k.key("h", "No working hours yet")  # the provider's hours have loaded
        k.key("w", "Starts on")
        for day in range(7):
            k.field("07:00-19:00")
            k.tab()
            k.field("12:00-13:00 Lunch", shown="" if day else None)
            k.tab()
        k.key("C-s", "In force from")
        k.key("Escape")
        screen = k.key("Escape", "Find")  # Patients: nothing is missing any more
        assert "Practice setup" not in screen or "✗" not in screen

        k.key("C-n", "Register a new patient")
        k.field("Zoe")
        k.tab()
        k.field("Testwell")
        k.tab(3)
        k.field("04/17/1961")
        k.tab(2)
        k.field("8475550123", shown="847")
        k.tab(2)
        k.field("40 Oak Street")
        k.tab(2)
        k.field("Evanston")
        k.tab()
        k.field("IL")
        k.tab()
        k.field("60202")
        k.key("C-s", "born 04/17/1961")
        k.key("i", "Member ID")
        k.choose_first()  # the clinic's one payer
        k.tab(2)
        k.field("PRH123456")
        k.tab(5)
        k.field("25")
        k.tab()
        k.field("01/01/2026")
        k.key("C-s", "PRH123456")

        k.key("F2", "free 15-min slots")  # today's schedule, the cursor at the current time
        for _ in range(6):  # half an hour on: a time still to come
            k.key("Down")
        k.key("b", "Find the patient")
        k.field("testwell")
        time.sleep(1)
        k.key("Enter", "Patient: Testwell, Zoe")
        k.key("C-s", "Booked")
        k.key("F3", "1 still to arrive")  # today's visits have loaded
        time.sleep(0.5)
        k.key("Enter", "Check in Testwell, Zoe")
        k.key("C-s", "Arrived")
        k.key("o", "Check out")
        k.key("C-s")
        terminal.wait_for("Checked out")

        k.key("F5", "Testwell, Zoe")  # the queue has loaded its one claim
        time.sleep(0.5)
        k.key("Enter", "Diagnoses")
        k.key("d", "Search ICD-10-CM")
        k.field("I10")
        terminal.wait_for("Essential (primary) hypertension")  # found in the code set
        k.key("Enter")  # into the results (or added, when it is the only match)
        time.sleep(0.5)
        k.key("Enter")  # the highlighted code added (or nothing, in an emptied search)
        time.sleep(0.5)
        k.key("C-s", "Essential (primary) hypertension")
        k.key("n", "Dx pointers")
        k.field("99213")
        time.sleep(1)
        k.key("C-s", "99213")
        k.key("Escape", "Clean")
        k.key("r")
        time.sleep(1)
        k.key("x", "Export claims")
        k.key("y", "837P")
        claims = list((tmp_path / "home" / "reports" / "claims").glob("837P-*.x12"))
        deadline = time.monotonic() + 30
        while not claims and time.monotonic() < deadline:
            time.sleep(0.5)
            claims = list((tmp_path / "home" / "reports" / "claims").glob("837P-*.x12"))
        terminal.press("C-q")
    finally:
        terminal.close()
    [file] = claims
    text = file.read_text()
    assert x12_errors(text) == []
    assert f"XX*{CLINIC_NPI}" in text and "TESTWELL*ZOE" in text and "SV1*HC:99213*120" in text
