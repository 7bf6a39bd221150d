"""Layout snapshots: one per screen, time frozen by the fixed clock, cursor blink off.

Review `snapshot_report.html` before running with --snapshot-update.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.factories import register
from tests.tui.conftest import login, open_record, settle, type_text


@pytest.fixture
def people(desk_ctx, clinic):
    from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput

    rows = [("Abbott", "Grace", "1948-02-29", "(217) 555-0140"),
            ("Baker", "Luis", "1985-07-04", "(217) 555-0141"),
            ("Chen", "[red]Mei[/]", "2019-10-31", "(217) 555-0142"),
            ("O'Neil", "Siobhan", "1972-12-25", "")]
    made = [register(desk_ctx, last_name=last, first_name=first, dob=dob, phone=phone,
                     preferred_contact="phone" if phone else "mail")
            for last, first, dob, phone in rows]
    payer = clinic.payer_ids["Blue Shield Test Plan"]
    InsuranceService(desk_ctx).add_policy(made[0].id, PolicyInput(payer, 1, "BS-1001", "GRP9",
                                                                  effective_from="2020-01-01", copay="20"))
    InsuranceService(desk_ctx).add_policy(made[0].id, PolicyInput(
        clinic.payer_ids["Medicare Part B (test)"], 2, "1EG4-TE5-MK72", effective_from="2013-02-01",
        effective_to="2025-12-31"))
    return made


def _steady(app) -> None:
    for widget in app.screen.query(Input):
        widget.cursor_blink = False


async def _logged_in(pilot) -> None:
    await login(pilot, "desk")
    _steady(pilot.app)


def test_login_screen(snap_compare, make_app, clinic):
    async def before(pilot):
        await settle(pilot)
        _steady(pilot.app)

    assert snap_compare(make_app(notice="Demo logins: desk / correct horse (front desk)"),
                        terminal_size=(100, 30), run_before=before)


def test_patients_screen_wide(snap_compare, make_app, people):
    async def before(pilot):
        await _logged_in(pilot)

    assert snap_compare(make_app(), terminal_size=(140, 30), run_before=before)


def test_patients_screen_80x24_search(snap_compare, make_app, people):
    async def before(pilot):
        await _logged_in(pilot)
        await type_text(pilot, "b")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=before)


def test_patient_record(snap_compare, make_app, people):
    async def before(pilot):
        await _logged_in(pilot)
        await open_record(pilot, "abbott")

    assert snap_compare(make_app(), terminal_size=(130, 30), run_before=before)


def test_registration_form_with_errors(snap_compare, make_app, people):
    async def before(pilot):
        await _logged_in(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        _steady(pilot.app)
        await type_text(pilot, "Zed")
        await pilot.press("tab", "tab", "tab", "tab")
        await type_text(pilot, "13/45/1999")
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=before)


def test_insurance_form(snap_compare, make_app, people):
    async def before(pilot):
        await _logged_in(pilot)
        await open_record(pilot, "abbott")
        await pilot.press("enter")  # edit the highlighted (primary) policy
        await settle(pilot)
        _steady(pilot.app)

    assert snap_compare(make_app(), terminal_size=(110, 30), run_before=before)


def test_schedule_day_80x24(snap_compare, make_app, sched, desk_ctx):
    from officeconsole.services.scheduling.booking import BookingInput

    from tests.conftest import MONDAY
    from tests.factories import register

    book = sched["book"]
    book.book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "08:15", minutes=40))
    book.book(BookingInput(sched["bob"], sched["kim"], sched["type"], MONDAY, "08:05"))
    cara = register(desk_ctx, first_name="Cara").id  # :35 starts, one for each provider: each on its own row
    book.book(BookingInput(cara, sched["kim"], sched["type"], MONDAY, "08:35", minutes=5))
    book.book(BookingInput(sched["bob"], sched["lee"], sched["type"], MONDAY, "09:35", minutes=15))

    async def before(pilot):
        await _logged_in(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("g")
        await type_text(pilot, "11/30/2026")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*["up"] * 30)  # the cursor kept today's 10:00: up to the day's first hour

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=before)


def _flow_day(sched, clinic, desk_ctx, manager_ctx, clock):
    """Ann waiting 18 minutes, Bob roomed, a policy that lapsed, two rooms."""
    import datetime as dt

    from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService
    from officeconsole.services.frontdesk.flow import FlowService
    from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput
    from officeconsole.services.practice.rooms import RoomService
    from officeconsole.services.scheduling.booking import BookingInput

    from tests.conftest import NOW

    payer = clinic.payer_ids["Blue Shield Test Plan"]
    InsuranceService(desk_ctx).add_policy(sched["ann"], PolicyInput(payer, 1, "BS-1001", effective_from="2020-01-01",
                                                                    copay="20"))
    InsuranceService(desk_ctx).add_policy(sched["ann"], PolicyInput(
        clinic.payer_ids["Medicare Part B (test)"], 2, "1EG4-TE5-MK72", effective_from="2013-02-01",
        effective_to="2025-12-31"))
    rooms = [RoomService(manager_ctx).add_room(name) for name in ("Exam 1", "Exam 2")]
    book = sched["book"]
    ann = book.book(BookingInput(sched["ann"], sched["lee"], sched["type"], NOW.date(), "10:20"))
    bob = book.book(BookingInput(sched["bob"], sched["kim"], sched["type"], NOW.date(), "10:40"))
    arrived = CheckInService(desk_ctx).check_in(CheckInInput(bob.id, bob.version))
    clock.advance(dt.timedelta(minutes=5))
    FlowService(desk_ctx).advance(arrived.appointment_id, arrived.version, rooms[1].id)
    return ann, rooms


def test_check_in_form(snap_compare, make_app, sched, clinic, desk_ctx, manager_ctx, clock):
    _flow_day(sched, clinic, desk_ctx, manager_ctx, clock)

    async def before(pilot):
        await _logged_in(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("enter")  # Ann, the first row
        await settle(pilot)
        _steady(pilot.app)

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=before)


def test_flow_board(snap_compare, make_app, sched, clinic, desk_ctx, manager_ctx, clock):
    import datetime as dt

    from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService

    ann, _ = _flow_day(sched, clinic, desk_ctx, manager_ctx, clock)
    CheckInService(desk_ctx).check_in(CheckInInput(ann.id, ann.version))
    clock.advance(dt.timedelta(minutes=18))

    async def before(pilot):
        await _logged_in(pilot)
        await pilot.press("f4")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(120, 30), run_before=before)


def test_billing_queue_with_scrubber_findings(snap_compare, make_app, ctx, sched, as_role, clinic):
    """The queue's counts line, the claims and the numbered problems under them."""
    from sqlalchemy import update

    from officeconsole.models import Encounter

    from tests.billing_setup import make_billing

    billing = make_billing(sched, as_role, clinic)
    billing.coded()
    broken = billing.coded(diagnoses=("E11.9",), lines=(("99214", "25", 1, "1"),))
    with ctx.db.write() as session:
        session.execute(update(Encounter).where(Encounter.id == broken.id).values(place_of_service="00"))

    async def before(pilot):
        await login(pilot, "biller")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(150, 30), run_before=before)
