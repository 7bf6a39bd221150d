"""A real clinic from an empty database in a real terminal (tmux), only by keys: `officeconsole --db NEW.db`,
the first-start wizard, the clinic, a payer, three fees, two appointment types, the manager made the
provider with a week of hours and a lunch block; a patient registered with insurance, seen today as a
walk-in (checked in and out), the visit coded, the claim readied and exported: pyx12 accepts the 837P.

"Today" is the real day here. The clinic's time zone is chosen so that its local time is mid-morning
whenever the test runs, and the provider works every day of the week, so a walk-in always finds time.
Every typed value is seen on the screen before the next key, so a busy machine only makes it slower.
"""

from __future__ import annotations

import datetime as dt
import shlex
import time
from collections.abc import Callable

import pytest

from officeconsole.services.common.identifiers import npi_with_check_digit
from officeconsole.services.formats.x12_check import x12_errors

from tests.e2e.test_demo_in_tmux import Terminal, terminal_env  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.e2e

CLINIC_NPI = npi_with_check_digit("145678901")
DOCTOR_NPI = npi_with_check_digit("176543210")
PASSWORD = "birch lane 2026"
LABEL = 14  # form labels are this wide: "Credentials   MD"


def mid_morning_zone(now: dt.datetime) -> str:
    """An `Etc/GMT` zone where the time `now` (UTC) is between 10:00 and 10:59 (Etc/GMT signs are inverted:
    Etc/GMT+3 is three hours behind UTC)."""
    ahead = (10 - now.hour + 12) % 24 - 12  # -12..+11 hours from UTC
    return "Etc/GMT" if ahead == 0 else f"Etc/GMT{-ahead:+d}"


def test_mid_morning_zone_is_mid_morning_at_every_hour():
    from zoneinfo import ZoneInfo

    for hour in range(24):
        now = dt.datetime(2026, 12, 5, hour, 59, tzinfo=dt.UTC)
        assert now.astimezone(ZoneInfo(mid_morning_zone(now))).hour == 10, hour


class Keys:
    """A person at the keyboard who looks at the screen before pressing on."""

    def __init__(self, terminal: Terminal) -> None:
        self.t = terminal

    def press(self, *keys: str) -> None:
        self.t._tmux("send-keys", *keys)
        time.sleep(0.05)

    def until(self, seen: Callable[[str], bool], what: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.t.screen()
            if seen(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} never appeared; the screen shows:\n{screen}")
            time.sleep(0.1)

    def see(self, text: str, timeout: float = 30) -> str:
        return self.until(lambda screen: text in screen, repr(text), timeout)

    def key(self, key: str, then: str) -> str:
        """Press a key and wait for what it opens."""
        self.press(key)
        return self.see(then)

    def type(self, text: str, *, label: str | None = None, shown: str | None = None, times: int = 1) -> None:
        """Type into the focused field (a field selects its text when tabbed into, so typing replaces it),
        then wait until the screen shows it: beside its label, or `shown`, `times` times."""
        self.t._tmux("send-keys", "-l", text)
        expected = f"{label:<{LABEL}}{text}" if label is not None else shown or text
        self.until(lambda screen: screen.count(expected) >= times, repr(expected))

    def tab(self, times: int = 1) -> None:
        self.press(*["Tab"] * times)


def test_a_clinic_set_up_from_empty_books_codes_and_bills_in_a_real_terminal(terminal_env, tmp_path):  # noqa: F811 - the fixture, by name
    officeconsole, env = terminal_env
    zone = mid_morning_zone(dt.datetime.now(dt.UTC))
    database = f"sqlite:///{tmp_path / 'new.db'}"
    terminal = Terminal(f"{officeconsole} --db {shlex.quote(database)}", env, width=160, height=48)
    k = Keys(terminal)
    claims_folder = tmp_path / "home" / "reports" / "claims"
    try:
        k.see("set up your clinic")
        k.type("Birch Lane Family Medicine", label="Clinic name")
        k.tab()
        k.type(zone, label="Time zone")
        k.tab()
        k.type("rboss", label="Your username")
        k.tab()
        k.type("Robin Boss", label="Full name")
        k.tab()
        k.type(PASSWORD, shown="•" * len(PASSWORD))
        k.tab()
        k.type(PASSWORD, shown="•" * len(PASSWORD), times=2)
        k.key("C-s", "Before you can book")  # the manager lands on Practice setup

        k.key("c", "Clinic settings")
        k.tab(2)
        k.type("12 Birch Lane", label="Street")
        k.tab(2)
        k.type("Evanston", label="City")
        k.tab()
        k.type("IL", label="State")
        k.tab()
        k.type("60201-1234", label="ZIP+4")
        k.tab()
        k.type("8475550100", label="Phone")
        k.tab(3)
        k.type(CLINIC_NPI, label="NPI")
        k.tab()
        k.type("36-4567890", label="Tax ID")
        k.tab()
        k.type("207Q00000X", label="Taxonomy")
        k.tab(2)
        k.type("BIRCH01", label="Clearinghouse")
        k.key("C-s", f"Clinic NPI: {CLINIC_NPI}")

        k.key("y", "Payers · 0")
        k.key("a", "Add a payer")
        k.type("Prairie Health", label="Name *")
        k.tab()
        k.type("PRH01", label="Payer ID")
        k.key("C-s", "Payers · 1")
        k.key("Escape", "Before you can book")

        k.key("f", "Fee schedule · 0")
        for count, (code, description, fee) in enumerate((("99213", "Office visit, established", "120.00"),
                                                          ("99203", "Office visit, new patient", "165.00"),
                                                          ("36415", "Venipuncture", "15.00")), 1):
            k.key("a", "Add a code to the fee schedule")
            k.type(code, label="Code *")
            k.tab()
            k.type(description, label="Description *")
            k.tab()
            k.type(fee, label="Fee *")
            k.key("C-s", f"Fee schedule · {count}")
        k.key("Escape", "Before you can book")

        k.key("t", "Appointment types · 0")
        for count, (name, minutes, code) in enumerate((("Follow-up", "20", "99213"),
                                                       ("New patient", "40", "99203")), 1):
            k.key("a", "Add an appointment type")
            k.type(name, label="Name *")
            k.tab()
            k.type(minutes, label="Minutes *")
            k.tab(2)
            k.type(code, label="Default code")
            k.key("C-s", f"Appointment types · {count}")
        k.key("Escape", "Before you can book")

        k.key("p", "Providers · 0")
        k.key("a", "Make which staff member a provider?")
        k.key("1", "Make Robin Boss a provider")
        k.type(DOCTOR_NPI, label="NPI *")
        k.tab()
        k.type("207Q00000X", label="Taxonomy")
        k.tab()
        k.type("MD", label="Credentials")
        k.key("C-s", "Providers · 1")
        k.key("Escape", "Before you can book")

        k.key("h", "Provider hours · Robin Boss")
        k.key("w", "Weekly hours of Robin Boss")
        for n, day in enumerate(("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), 1):
            k.type("07:00-19:00", label=day)
            k.tab()
            k.type("12:00-13:00 Lunch", label="Blocks", times=n)
            k.tab()
        k.key("C-s", "Sun 07:00-19:00 (blocked 12:00-13:00 Lunch)")
        k.key("Escape", "Everything is set up: the practice can book and bill.")
        k.key("Escape", "No patients yet")

        k.key("C-n", "Register a new patient")
        k.type("Zoë", label="First name *")
        k.tab()
        k.type("Testwell", label="Last name *")
        k.tab(3)
        k.type("04/17/1961", label="Birth date *")
        k.tab(2)
        k.type("8475550123", label="Phone")
        k.tab(2)
        k.type("40 Oak Street", label="Address")
        k.tab(2)
        k.type("Evanston", label="City")
        k.tab()
        k.type("IL", label="State")
        k.tab()
        k.type("60202", label="ZIP")
        k.key("C-s", "born 04/17/1961")
        k.key("i", "Add insurance for Testwell, Zoë")
        k.key("Enter", "Dismiss menu")  # the payer list opens
        k.press("Down")
        k.key("Enter", f"{'Payer *':<{LABEL}}Prairie Health")
        k.tab(2)
        k.type("PRH123456", label="Member ID *")
        k.tab(8)  # past the group, the subscriber (the patient) and the suffix
        k.type("25", label="Copay")
        k.tab()
        k.type("01/01/2020", label="Effective *")
        k.key("C-s", "Enter edits the highlighted policy")

        k.key("F3", "0 still to arrive")
        k.key("k", "Walk-in: the first free time today")
        k.type("testwell")
        k.see("04/17/1961")  # found
        k.key("Enter", "Patient: Testwell, Zoë")
        k.key("C-s", "Check in Testwell, Zoë")  # booked at the first free time; the check-in form opens
        k.key("C-s", "● Arrived")  # the copay taken by card
        k.key("o", "Check out Testwell, Zoë")
        k.key("C-s", "✓ Checked out")

        k.key("F5", "Needs coding 1")
        k.key("Enter", "Code visit: Testwell, Zoë")
        k.key("d", "Diagnoses for Testwell, Zoë")
        k.press("BTab")  # from the code search to the codes themselves
        k.type("I10", label="Codes")
        k.key("C-s", "Essential (primary) hypertension")
        k.key("n", "Add a charge for Testwell, Zoë")
        k.type("99213", label="Code *")
        k.key("C-s", "Total charges $120.00")
        k.key("Escape", "Clean: r marks it ready to bill")
        k.key("r", "is ready to bill")
        k.key("x", "Export claims")
        k.key("y", "Batch 1")
        claims = list(claims_folder.glob("837P-*.x12"))
        terminal.press("C-q")
    finally:
        terminal.close()
    [claim] = claims
    text = claim.read_text()
    assert x12_errors(text) == []
    assert f"NM1*85*2*BIRCH LANE FAMILY MEDICINE*****XX*{CLINIC_NPI}" in text
    assert "NM1*IL*1*TESTWELL*ZOE****MI*PRH123456" in text
    assert "SV1*HC:99213*120*UN*1***1" in text
