"""The check-in form shows the payer's latest 271 answer beside the insurance on file."""

from __future__ import annotations

from textual.widgets import Static

from officeconsole.demo.eligibility import MemberAnswerSpec, make_271
from officeconsole.services.billing.acknowledgements import sender_id
from officeconsole.services.frontdesk.eligibility import EligibilityService
from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.tui.modals.check_in_form import CheckInModal
from officeconsole.tui.screens.check_in import CheckInScreen

from tests.conftest import NOW
from tests.tui.conftest import login, settle, type_text


async def test_check_in_shows_the_latest_eligibility_answer(make_app, ctx, sched, clinic, desk_ctx):
    payer_id = next(iter(clinic.payer_ids.values()))
    InsuranceService(desk_ctx).add_policy(sched["ann"], PolicyInput(payer_id, 1, "M-100", effective_from="2025-01-01",
                                                                    copay="25"))
    sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], NOW.date(), "10:20"))
    with desk_ctx.db.read() as session:
        receiver = sender_id(session) or "1234567893"
    EligibilityService(desk_ctx).post_text(make_271([MemberAnswerSpec("M-100", name=("ANN", "A"))], receiver=receiver))
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await login(pilot, "desk", home=True)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, CheckInScreen)
        await pilot.press("slash")
        await type_text(pilot, "ann")
        await pilot.press("enter", "enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CheckInModal)
        shown = str(form.query_one("#checkin-eligibility", Static).render())
        assert "Eligibility 12/05: active, copay $25.00, deductible $300.00 of $1,000.00 left" in shown
        assert form.query_one("#checkin-verify").display  # the typed-in verification is still there
