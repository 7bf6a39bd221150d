"""By keys: a 277CA posted from the billing queue (`a`) rejects a claim, which shows its reason as
its first numbered problem."""

from __future__ import annotations

from textual.widgets import Static

from officeconsole.services.billing.claims import ClaimService
from officeconsole.tui.screens.billing_queue import BillingQueueScreen

from tests.billing_setup import make_billing, rejected_by_277ca
from tests.tui.conftest import login, post_ack_from_queue, settle


async def test_a_277ca_posted_from_the_queue_rejects_the_claim(make_app, sched, as_role, clinic, tmp_path):
    billing = make_billing(sched, as_role, clinic)
    visit, ack = rejected_by_277ca(billing, tmp_path, "562", "85", "BILLING NPI INVALID")
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await login(pilot, "biller")
        await post_ack_from_queue(pilot, ack)
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
