"""Terminal safety: text people type is always shown as text.

Nasty strings (Rich/Textual markup, `[@click=...]` actions, links, escape sequences, bells,
backspaces, carriage returns, bidi overrides, zero-width joiners, combining marks, emoji, very
long text), a fixed list and a seeded random mix, are stored through the services and then
opened in every screen that shows them, in one console session; a few more are written
straight into the database (as an import or an older version might have left them) to prove
the display side holds on its own. On each screen: the app still runs, the text shows
literally (the markup was not read), and no control character reaches the terminal. The
same for the commands that print such text.
"""

from __future__ import annotations

import datetime as dt
import html
import random
import re
from dataclasses import dataclass

import pytest
from rich.cells import cell_len
from sqlalchemy import String, Text, select, update

from officeconsole.models import AppointmentType, Base, Patient, Provider
from officeconsole.models.enums import Role
from officeconsole.services.common.text import clean_text
from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService
from officeconsole.services.frontdesk.flow import FlowService
from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput
from officeconsole.services.frontdesk.ledger import new_request_key
from officeconsole.services.practice.rooms import RoomService
from officeconsole.services.scheduling.booking import BookingInput, BookingService
from officeconsole.services.scheduling.hours import HoursService
from officeconsole.services.scheduling.waitlist import WaitlistInput, WaitlistService
from officeconsole.services.security.auth import UserService
from officeconsole.services.staffing.credentials import CredentialInput, CredentialService
from officeconsole.services.staffing.roster import RosterService, ShiftInput
from officeconsole.services.staffing.staff import StaffInput, StaffService
from officeconsole.services.staffing.time_off import TimeOffService
from officeconsole.services.stock.inventory import InventoryService, ItemInput, ReceiveLine

from tests.cli import conftest as cli_conftest
from tests.conftest import MONDAY, NOW, WEEK
from tests.factories import PASSWORD, register
from tests.tui.conftest import login, settle

# What must never reach a terminal: C0 controls (ESC, BEL, BS, CR, NUL...), DEL, C1 controls
# (0x9b is an 8-bit CSI) and the bidirectional controls that reorder what is shown.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

FRAGMENTS = (
    "[bold red]", "[/]", "[/bold]", "[b]", "[link=file:///etc/passwd]x[/link]", "[@click=app.quit]x[/]",
    "[on red]", "$variable", "${x}", "[", "]", "\\[", "\\", "\x1b[2J", "\x1b]0;title\x07", "\x1b[?1049h",
    "\x1b]8;;http://x\x1b\\", "\x9b2J", "\x07", "\r", "\n", "\t", "\b", "\x00", "\x7f", "\u202e", "\u2066",
    "\u200f", "\u200d", "\u200b", "\u2028", "\U0001f469\u200d\u2695\ufe0f", "e\u0301", "Z\u0335\u0321a",
    "\u6f22\u5b57", "N\u00fa\u00f1ez", "O'Brien", " ", "  ", "\U0001f600",
)


def fuzz(rng: random.Random, prefix: str) -> str:
    """A prefix (so the value is findable and has a letter) and a random mix of the fragments,
    now and then with a very long run of letters."""
    parts = [prefix, *(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 6)))]
    if rng.random() < 0.2:
        parts.insert(rng.randint(1, len(parts)), "w" * rng.randint(150, 400))
    return "".join(parts)


# ----- reading what the screen shows ---------------------------------------------------
_SVG_TEXT = re.compile(r'<text [^>]*?x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', re.S)


def screen_text(app) -> str:
    """The screen as plain lines: the SVG screenshot's text runs, line by line, left to right."""
    lines: dict[float, list[tuple[float, str]]] = {}
    for x, y, body in _SVG_TEXT.findall(app.export_screenshot()):
        lines.setdefault(float(y), []).append((float(x), html.unescape(body).replace("\xa0", " ")))
    return "\n".join("".join(text for _, text in sorted(runs)) for _, runs in sorted(lines.items()))


def check(app, *visible: str) -> str:
    """The app still runs, nothing unsafe is on screen, and each of `visible` shows literally."""
    assert app.is_running
    shown = screen_text(app)
    bad = UNSAFE.findall(shown)
    assert not bad, f"control characters on {type(app.screen).__name__}: {bad!r}"
    for text in visible:
        assert text in shown, f"{text!r} is not shown literally on {type(app.screen).__name__}:\n{shown}"
    return shown


def head(text: str, cells: int) -> str:
    """The longest start of `text` that fits in `cells` terminal cells (a column cuts the rest)."""
    while cell_len(text) > cells:
        text = text[:-1]
    return text


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


# ----- the clinic, seeded with nasty text -----------------------------------------------
@dataclass
class Nasty:
    shown_name: str  # the patient's "last, first", as every list shows it
    fuzz_names: list[str]  # the random patients' last names, as stored
    fuzz_items: list[str]  # the random stock items, as stored


# Each value: what is typed, and the literal that must show (what clean_text keeps, at a
# length every column it appears in has room for).
FIRST = "[bold red]Mal\x1b[2J"  # -> "[bold red]Mal"
LAST = "[/]Ory\x07\u202e"  # -> "[/]Ory"
ADDRESS = "[link=file:///etc/passwd]x[/link]\r\n1 Elm\b"
CITY = "$variable [@click=app.quit]q[/]"
DOCTOR = "[i]Zed[/i] \x1b]0;pwned\x07Doc"  # -> "[i]Zed[/i] Doc"
JOB_TITLE = "[b]Boss[/b]\x08\x08\x08\x08"
REASON = "[@click=app.quit]Quit[/]\x1b[?1049h"
PAYER = "[/]Payer\x1b[2J\u2066"
MEMBER_ID = "[b]M-1[/b]\x07"
ROOM = "[/]Rm\x07"
CREDENTIAL = "[link=https://x]Lic[/link]"
ISSUER = "\x1b[31m[red]IL"
TIME_OFF_NOTE = "[blink]away[/]\u202e"
SHIFT_NOTE = "[b]n[/b]\r"
TEMPLATE = "[/]AM\x07"
ITEM = "[red]Gauze[/red]\x1b[5m"
LOT = "[/]lot\x07"
LOCATION = "$loc[\x1b[2J"
WAITLIST_NOTE = "[@click=app.quit]soon[/]\x07"
# Written straight into the database, as an import or an older version might have left them:
# the services never saw these, so only the display side stands between them and the terminal.
RAW_TYPE = "[/]Kind\x1b[31m\u202e\x07"
RAW_CITY = "Raw\x1b[2JCity\x9b31m\u202e"


def shows(value: str) -> str:
    """What a value stored through the services shows as."""
    return clean_text(value)


def raw_shows(value: str) -> str:
    """What a value stored around the services shows as: its control characters dropped."""
    return UNSAFE.sub("", value)


@pytest.fixture
def nasty(ctx, clinic, as_role, manager_ctx, desk_ctx) -> Nasty:
    rng = random.Random(20261123)
    users = UserService(manager_ctx)
    doctor = users.add("drzed", DOCTOR, Role.PROVIDER, PASSWORD)
    with ctx.db.write() as session:
        provider = Provider(user_id=doctor.id, npi="9876543213")
        kind = AppointmentType(name=RAW_TYPE, default_minutes=20, colour="[bold]")
        session.add_all([provider, kind])
        session.flush()
        provider_id, type_id = provider.id, kind.id
    HoursService(manager_ctx).set_week(provider_id, WEEK)

    patient = register(desk_ctx, first_name=FIRST, last_name=LAST, address_line1=ADDRESS, city=CITY,
                       middle_name="e\u0301mile \U0001f469\u200d\u2695\ufe0f", preferred_name="\u6f22\u5b57")
    fuzz_names = [register(desk_ctx, first_name=fuzz(rng, "F")[:100], last_name=fuzz(rng, "Fuzz")[:100]).last_name
                  for _ in range(8)]
    with ctx.db.write() as session:
        session.execute(update(Patient).where(Patient.id == patient.id).values(city=RAW_CITY))

    payer = InsuranceService(manager_ctx).add_payer(PAYER, "NASTY1")
    InsuranceService(desk_ctx).add_policy(patient.id, PolicyInput(payer.id, 1, MEMBER_ID, "[",
                                                                  effective_from="2025-01-01"))

    booking = BookingService(desk_ctx)
    visit = booking.book(BookingInput(patient.id, provider_id, type_id, NOW.date(), "10:20", reason=REASON))
    later = booking.book(BookingInput(patient.id, provider_id, type_id, MONDAY, "09:00", reason=fuzz(rng, "R")))
    booking.cancel(later.id, later.version, "patient_cancelled", note=fuzz(rng, "N"))
    WaitlistService(desk_ctx).add_to_waitlist(WaitlistInput(patient.id, type_id, note=WAITLIST_NOTE))
    room = RoomService(manager_ctx).add_room(ROOM)
    arrived = CheckInService(desk_ctx).check_in(CheckInInput(visit.id, visit.version))
    FlowService(desk_ctx).advance(visit.id, arrived.version, room.id)

    desk = clinic.actors["front_desk"].user_id
    staff = StaffService(manager_ctx)
    staff.update_staff(desk, staff.person(desk).version, StaffInput(job_title=JOB_TITLE))
    CredentialService(manager_ctx).add_credential(CredentialInput(
        doctor.id, "other", CREDENTIAL, "[/]9\x07", ISSUER, NOW.date() + dt.timedelta(days=20)))
    TimeOffService(manager_ctx).request(doctor.id, MONDAY + dt.timedelta(days=3), None, "vacation", TIME_OFF_NOTE)
    roster = RosterService(manager_ctx)
    template = roster.add_template(TEMPLATE, "front_desk", "08:00", "12:00")  # providers work by their hours
    roster.add_shift(ShiftInput(desk, NOW.date(), "08:00", "12:00", template_id=template.id, note=SHIFT_NOTE))

    stock = InventoryService(manager_ctx)
    gauze = stock.add_item(ItemInput(ITEM, "supply", "box", vendor="[/]V\x07", reorder_point=5, par_level=9)).id
    fuzz_items = [stock.add_item(ItemInput(fuzz(rng, "Item"), "supply")).name for _ in range(6)]
    stock.receive([ReceiveLine(gauze, 3, LOT, "2027-01-31", LOCATION)], new_request_key())
    [lot] = stock.lots(gauze)
    stock.waste(lot.id, 1, fuzz(rng, "W"), new_request_key())
    stock.use(gauze, 1, new_request_key(), reason=fuzz(rng, "U"))
    return Nasty(f"{shows(LAST)}, {shows(FIRST)}", fuzz_names, fuzz_items)


def test_services_store_typed_text_without_control_characters(nasty, ctx):
    """The input guard: every text column the services wrote above is free of control
    characters (only the two values written around them keep theirs, for the display side)."""
    with ctx.db.read() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
            for row in session.execute(select(*columns)) if columns else ():
                for column, value in zip(columns, row, strict=True):
                    if any(raw in (value or "") for raw in (RAW_TYPE, RAW_CITY)):
                        continue  # written around the services (and quoted in the audit trail)
                    assert not UNSAFE.search(value or ""), f"{table.name}.{column.name} = {value!r}"
    assert shows(LAST) == "[/]Ory" and shows(FIRST) == "[bold red]Mal"
    assert all(not UNSAFE.search(name) for name in nasty.fuzz_names + nasty.fuzz_items)


async def test_every_screen_shows_nasty_text_literally(make_app, nasty):
    from textual.widgets import Input

    from officeconsole.tui.modals.booking_form import BookingModal
    from officeconsole.tui.modals.diagnoses_form import DiagnosesModal
    from officeconsole.tui.modals.insurance_form import InsuranceFormModal
    from officeconsole.tui.modals.stock_waste import StockWasteModal
    from officeconsole.tui.modals.waitlist import WaitlistModal
    from officeconsole.tui.screens.billing_queue import BillingQueueScreen
    from officeconsole.tui.screens.check_in import CheckInScreen
    from officeconsole.tui.screens.coding import CodingScreen
    from officeconsole.tui.screens.flow_board import FlowBoardScreen
    from officeconsole.tui.screens.inventory import InventoryScreen
    from officeconsole.tui.screens.patient_record import PatientRecordScreen
    from officeconsole.tui.screens.patients import PatientsScreen
    from officeconsole.tui.screens.reports import ReportsScreen
    from officeconsole.tui.screens.roster import RosterScreen
    from officeconsole.tui.screens.schedule import ScheduleScreen
    from officeconsole.tui.screens.staff import StaffScreen

    name, doctor, kind = nasty.shown_name, shows(DOCTOR), raw_shows(RAW_TYPE)
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await login(pilot, "manager")
        assert isinstance(app.screen, PatientsScreen)
        search = app.screen.query_one(Input)
        for query in ("[/]\x1b[2J[bold red]", "\x07\u202e[@click=app.quit]", "fuzz"):  # typed as a search
            search.value = query
            await settle(pilot)
            check(app)
        check(app, *(head(stored, 20) for stored in nasty.fuzz_names))  # as far as the column has room
        search.value = "ory"
        await settle(pilot)
        check(app, name)

        await press(pilot, "enter")  # the patient's record
        assert isinstance(app.screen, PatientRecordScreen)
        check(app, name, "[link=file:///etc/passwd]x", raw_shows(RAW_CITY), shows(PAYER), shows(MEMBER_ID),
              doctor, kind, "e\u0301mile \U0001f469\u2695\ufe0f", "\u6f22\u5b57")
        await press(pilot, "enter")  # edit the policy: the payer is a choice in a list
        assert isinstance(app.screen, InsuranceFormModal)
        check(app, shows(PAYER), shows(MEMBER_ID))
        await press(pilot, "escape", "escape")

        await press(pilot, "f2")  # today's schedule: the grid, then the list
        assert isinstance(app.screen, ScheduleScreen)
        check(app, doctor, name, kind)
        await press(pilot, "l")
        check(app, doctor, name, kind, shows(REASON))
        await press(pilot, "b")  # the booking form offers providers and types by name
        assert isinstance(app.screen, BookingModal)
        check(app, kind)
        await press(pilot, "escape", "w")
        assert isinstance(app.screen, WaitlistModal)
        check(app, name, kind, shows(WAITLIST_NOTE)[:15])
        await press(pilot, "escape", "escape")

        await press(pilot, "f3")
        assert isinstance(app.screen, CheckInScreen)
        check(app, name, doctor, kind)
        await press(pilot, "escape", "f4")
        assert isinstance(app.screen, FlowBoardScreen)
        check(app, name, doctor, shows(ROOM), kind[:14])
        await press(pilot, "escape", "f5")
        assert isinstance(app.screen, BillingQueueScreen)
        check(app, name, shows(PAYER), doctor)
        await press(pilot, "enter")  # coding the visit; the diagnoses form names the patient
        assert isinstance(app.screen, CodingScreen)
        check(app, name)
        await press(pilot, "d")
        assert isinstance(app.screen, DiagnosesModal)
        check(app, name)
        await press(pilot, "escape", "escape", "escape")

        await press(pilot, "f6")
        assert isinstance(app.screen, ReportsScreen)
        await press(pilot, "down", "down", "down")  # no-shows: booked and seen per provider
        check(app, "No-shows", doctor)
        await press(pilot, "escape", "f7")
        assert isinstance(app.screen, RosterScreen)
        check(app, doctor, shows(TIME_OFF_NOTE))
        await press(pilot, "escape", "f8")
        assert isinstance(app.screen, StaffScreen)
        check(app, doctor, shows(JOB_TITLE))
        app.screen.query_one("#filter", Input).value = "zed"
        await press(pilot, "enter")  # the one match, with their credentials
        check(app, doctor, shows(CREDENTIAL), shows(ISSUER), "[/]9")
        await press(pilot, "escape", "f9")
        assert isinstance(app.screen, InventoryScreen)
        check(app, shows(ITEM), *(head(stored, 20) for stored in nasty.fuzz_items))
        app.screen.query_one("#search", Input).value = "[red]Gauze[/red]"
        await press(pilot, "enter")  # the one match, its lots beneath
        check(app, shows(ITEM), shows(LOT).upper(), shows(LOCATION))
        await press(pilot, "w")  # waste: the lot is a choice labelled with its location
        assert isinstance(app.screen, StockWasteModal)
        check(app, shows(LOT).upper())
        await press(pilot, "escape")
        assert app.is_running


cli = cli_conftest.cli  # tests/cli's runner (fixed clock, own home folder), as a fixture here too


def test_commands_print_nasty_text_literally(cli, db_url, nasty, ctx):
    """Tables, titles, messages and errors of the commands: the same literal text, nothing a
    terminal would act on (the console's filter does not run here)."""
    with ctx.db.write() as session:
        session.add(AppointmentType(name="[/]Visit [b]x", default_minutes=20))
    name, doctor, kind = nasty.shown_name, shows(DOCTOR), raw_shows(RAW_TYPE)
    runs = {
        "schedule": cli("--db", db_url, "schedule", "show", "--date", "11/23/2026", "--as", "desk"),
        "csv": cli("--db", db_url, "schedule", "show", "--date", "11/23/2026", "--format", "csv", "--as", "desk"),
        "roster": cli("--db", db_url, "roster", "show", "--as", "manager"),
        "shifts": cli("--db", db_url, "roster", "export", "--as", "manager"),
        "low": cli("--db", db_url, "inventory", "low", "--as", "manager"),
        "slots": cli("--db", db_url, "schedule", "find-slot", "--type", "[/]Visit [b]x", "--as", "desk"),
        "flow": cli("--db", db_url, "flow", "--date", "11/23/2026", "--as", "desk"),
        "room": cli("--db", db_url, "room", "add", "[/]Rm\x1b[2J 2", "--as", "manager"),
        "refused": cli("--db", db_url, "room", "add", "[/]Rm\x07", "--as", "manager"),
    }
    expected = {
        "schedule": (name, doctor, kind, shows(REASON)), "csv": (name, doctor, kind, shows(REASON)),
        "roster": (doctor,), "shifts": (doctor, shows(TEMPLATE), shows(SHIFT_NOTE)), "low": (shows(ITEM), "[/]V"),
        "slots": ("Free slots for [/]Visit [b]x (20 min)", doctor), "flow": (name, doctor),
        "room": ("Added room [/]Rm 2.",), "refused": ("[/]Rm",),
    }
    for command, result in runs.items():
        assert result.exit_code == (1 if command == "refused" else 0), (command, result.text)
        assert not UNSAFE.findall(result.text), (command, UNSAFE.findall(result.text), result.text)
        for text in expected[command]:
            assert text in result.text, (command, text, result.text)
