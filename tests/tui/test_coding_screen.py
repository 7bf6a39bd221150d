"""The billing queue and coding a visit, by keyboard: diagnoses by search, a charge line, a duplicate."""

from __future__ import annotations

from textual.widgets import Label

from officeconsole.services.billing.encounters import EncounterService
from officeconsole.services.billing.fees import FeeService
from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.tui.modals.charge_form import ChargeModal
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.diagnoses_form import DiagnosesModal
from officeconsole.tui.screens.billing_queue import BillingQueueScreen
from officeconsole.tui.screens.coding import CodingScreen
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.conftest import NOW
from tests.tui.conftest import login, settle, type_text

FEES = "99213,Office visit est. low,125.00\n99214,Office visit est. moderate,185\n36415,Venipuncture,15\n"


async def test_biller_codes_a_visit_from_the_queue(make_app, sched, desk_ctx, as_role):
    FeeService(as_role("billing")).import_csv(FEES)
    visit = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], NOW.date(), "10:20"))
    CheckInService(desk_ctx).check_in(CheckInInput(visit.id, visit.version))
    app = make_app()
    async with app.run_test(size=(130, 40)) as pilot:
        await login(pilot, "biller")
        await pilot.press("f5")
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, BillingQueueScreen)
        assert str(queue.query_one("#queue-counts", Label).render()) == "Needs coding 1 ($0.00)"
        await pilot.press("enter")
        await settle(pilot)
        coding = app.screen
        assert isinstance(coding, CodingScreen)
        await pilot.press("n")  # no diagnoses yet: refused with a hint
        await settle(pilot)
        assert app.screen is coding
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DiagnosesModal)
        assert str(app.screen.query_one("#field-dx-codes .field-label", Label).render()) == "Codes"  # named
        await type_text(pilot, "e11")
        await settle(pilot)
        await pilot.press("enter")  # several matches: to the list
        await pilot.press("enter")  # the first billable code under E11
        await settle(pilot)
        await type_text(pilot, "i10")
        await settle(pilot)
        await pilot.press("enter")  # one match: added
        codes = app.screen.query_one("#dx-codes").value.split()
        assert codes[1] == "I10" and codes[0].startswith("E11.")
        app.screen.query_one("#dx-codes").value += " E11"  # a category: refused by name
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "E11 is a category" in str(app.screen.query_one("#dx-error", Label).render())
        app.screen.query_one("#dx-codes").value = "E11.9 I10"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is coding
        assert coding.query_one("#diagnoses", ResultsTable).row(1)[1] == "I10"
        for _attempt in range(2):
            await pilot.press("n")
            await settle(pilot)
            assert isinstance(app.screen, ChargeModal)
            await type_text(pilot, "venip")
            await pilot.press("tab", "tab", "tab")
            app.screen.query_one("#code").value = "36415"
            await pilot.press("ctrl+s")
            await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)  # the same charge twice asks first
        await pilot.press("n", "escape")
        await settle(pilot)
        assert app.screen is coding
        lines = coding.query_one("#lines", ResultsTable)
        assert lines.row_count == 1 and lines.row(0)[1] == "36415" and lines.row(0)[6] == "$15.00"
        assert "Total charges $15.00" in str(coding.query_one("#coding-total", Label).render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is queue and "($15.00)" in str(queue.query_one("#queue-counts", Label).render())
    assert EncounterService(as_role("billing")).queue().rows[0].lines == 1


async def test_front_desk_has_no_billing_queue(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await login(pilot, "desk")
        screen = app.screen
        await pilot.press("f5")
        await settle(pilot)
        assert app.screen is screen


async def test_the_charge_form_starts_with_the_visit_types_code(make_app, ctx, sched, desk_ctx, as_role):
    """A follow-up's usual code (the type's default code) is in the code field as the form opens,
    with its fee shown; once the visit has that line, the next form starts empty."""
    from sqlalchemy import update

    from officeconsole.models import AppointmentType

    FeeService(as_role("billing")).import_csv(FEES)
    with ctx.db.write() as session:
        session.execute(update(AppointmentType).where(AppointmentType.id == sched["type"]).values(default_code="99213"))
    visit = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], NOW.date(), "10:20"))
    CheckInService(desk_ctx).check_in(CheckInInput(visit.id, visit.version))
    coding = EncounterService(as_role("billing"))
    encounter = coding.for_visit(visit.id)
    coding.set_diagnoses(encounter.id, encounter.version, ["I10"])
    app = make_app()
    async with app.run_test(size=(130, 40)) as pilot:
        await login(pilot, "biller")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CodingScreen)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ChargeModal)
        assert form.query_one("#code").value == "99213"
        assert form.query_one("#fee-results", ResultsTable).row(0) == ("99213", "Office visit est. low", "$125.00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CodingScreen)
        assert app.screen.query_one("#lines", ResultsTable).row(0)[1] == "99213"
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ChargeModal) and app.screen.query_one("#code").value == ""
