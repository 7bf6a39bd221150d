"""By keys: a 277CA posted from the billing queue (`a`) rejects a claim; its rejection is the claim's
problem 1, whose number opens the policy; the member ID fixed, `R` (all ready) still leaves it
to the biller, `r` marks it ready again (the resend), the rejection is shown as history, and `x`
sends it."""

from __future__ import annotations

from textual.widgets import Input, Static

from officeconsole.services.billing.claims import ClaimService
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.insurance_form import InsuranceFormModal
from officeconsole.tui.screens.billing_queue import BillingQueueScreen
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.billing_setup import make_billing, rejected_by_277ca
from tests.tui.conftest import login, post_ack_from_queue, settle

PROBLEM = (" 1  277CA: A7:33:IL subscriber and subscriber ID not found (subscriber); MEMBER ID NOT ON FILE"
           "  → insurance")


def panel(app) -> str:
    return str(app.screen.query_one("#problems", Static).render())


async def to_state(pilot, label: str) -> None:
    """Press s until the queue shows the claims in that state."""
    for _ in range(12):
        if f"· {label} (s) ·" in str(pilot.app.screen.query_one("#queue-title").render()):
            return
        await pilot.press("s")
        await settle(pilot)
    raise AssertionError(f"the queue never showed {label}")


async def test_a_rejection_is_problem_one_fixed_and_sent_again(make_app, sched, as_role, clinic, tmp_path,
                                                              monkeypatch):
    billing = make_billing(sched, as_role, clinic)
    monkeypatch.setattr(BillingQueueScreen, "_claims_folder", lambda self: tmp_path)
    visit, ack = rejected_by_277ca(billing, tmp_path, "33", "IL", "MEMBER ID NOT ON FILE")
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await login(pilot, "biller")
        await post_ack_from_queue(pilot, ack)
        await to_state(pilot, "Rejected")
        shown = panel(app)
        assert "Rejected: fix what it says, then r sends it again. Press the number to fix:" in shown
        assert PROBLEM in shown
        assert "Rejected: 277CA" not in shown  # the reason is the numbered problem, not said twice

        await pilot.press("1")  # the payer did not find the member: the policy the claim bills opens
        await settle(pilot)
        assert isinstance(app.screen, InsuranceFormModal)
        app.screen.query_one("#member_id", Input).value = "XYZ654321"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BillingQueueScreen)
        assert PROBLEM in panel(app)  # fixed, but not sent yet: still the open problem

        await pilot.press("R")  # all ready: a rejection is never sent again in bulk
        await settle(pilot)
        assert app.screen.query_one("#claims", ResultsTable).row_count == 1
        assert PROBLEM in panel(app)
        assert "0 claims marked ready; 1 still need fixing." in [n.message for n in app._notifications]

        await pilot.press("r")  # ready again: the resend
        await settle(pilot)
        assert app.screen.query_one("#claims", ResultsTable).row_count == 0  # gone from "rejected"
        await to_state(pilot, "Ready")
        shown = panel(app)
        assert "✓ Clean and ready" in shown and " 1  " not in shown
        assert ("Rejected before: 277CA 11/23/2026: A7:33:IL subscriber and subscriber ID not found (subscriber); "
                "MEMBER ID NOT ON FILE (fixed and sent again since)") in shown

        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
    result = ClaimService(billing.biller).scrub(visit.id)
    assert result.status == "submitted" and result.problems == []
    assert [r.open for r in result.rejections] == [False]
    [_first, second] = ClaimService(billing.biller).batches()[::-1]
    assert second.claims == 1


async def test_a_biller_is_told_who_fixes_a_rejected_npi(make_app, sched, as_role, clinic, tmp_path):
    """The rendering provider's NPI is set up by a manager: the biller's key says so, not only
    "permission denied", and nothing opens."""
    billing = make_billing(sched, as_role, clinic)
    visit, ack = rejected_by_277ca(billing, tmp_path, "562", "82", "RENDERING PROVIDER NPI INVALID")
    from officeconsole.services.billing.acknowledgements import AcknowledgementService

    AcknowledgementService(billing.biller).post_file(ack)
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await login(pilot, "biller")
        await pilot.press("f5")
        await settle(pilot)
        await to_state(pilot, "Rejected")
        assert "→ billing identities" in panel(app)
        await pilot.press("1")
        await settle(pilot)
        assert isinstance(app.screen, BillingQueueScreen)
        said = [n.message for n in app._notifications]
        assert ("A manager fixes the billing identities and NPIs (F10, Practice setup); "
                "then r sends the claim again.") in said
        assert not any("Permission denied" in m for m in said)
