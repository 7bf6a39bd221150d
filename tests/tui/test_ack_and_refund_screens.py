"""By keys: a 277CA posted from the billing queue (`a`) rejects a claim, which shows its reason as
its first numbered problem."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import Static

from officeconsole.demo.acks import ClaimAnswerSpec, make_277ca
from officeconsole.services.claims import ClaimService
from officeconsole.tui.modals.reason import ReasonModal
from officeconsole.tui.screens.billing_queue import BillingQueueScreen

from tests.billing_setup import make_billing
from tests.tui.conftest import login, settle, type_text


async def test_a_277ca_posted_from_the_queue_rejects_the_claim(make_app, sched, as_role, clinic, tmp_path):
    billing = make_billing(sched, as_role, clinic)
    visit = billing.coded()
    ClaimService(billing.biller).mark_all_ready()
    ClaimService(billing.biller).export_837(tmp_path)
    ack = tmp_path / "ack.277"
    ack.write_text(make_277ca([ClaimAnswerSpec(f"OC{visit.id}", Decimal(125), "A7", "562", "85",
                                               "BILLING NPI INVALID")]))
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await login(pilot, "biller")
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, BillingQueueScreen)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ReasonModal)
        await type_text(pilot, str(ack))
        await pilot.press("enter")
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert isinstance(app.screen, BillingQueueScreen)
        assert ClaimService(billing.biller).scrub(visit.id).status == "rejected"
        for _ in range(8):  # the state filter round to "rejected"
            if " 1  277CA: A7:562:85" in str(app.screen.query_one("#problems", Static).render()):
                break
            await pilot.press("s")
            await settle(pilot)
        assert "BILLING NPI INVALID" in str(app.screen.query_one("#problems", Static).render())
