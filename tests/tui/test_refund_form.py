"""By keys: a patient's credit refunded from the account (`a` on the record, then `f`).

A manager's refund is posted at once; a refund larger than the credit is refused and posts
nothing; the front desk may only ask, is told that a manager must approve, and the manager then
approves it on the same account (`p`, offered only to a manager and only while a refund waits)."""

from __future__ import annotations

from decimal import Decimal as D

from sqlalchemy import func, select
from textual.widgets import Input, Label

from officeconsole.models import LedgerEntry, Refund
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key
from officeconsole.services.frontdesk.refunds import RefundService
from officeconsole.tui.modals.account import AccountModal
from officeconsole.tui.modals.choice import ChoiceModal
from officeconsole.tui.modals.reason import ReasonModal
from officeconsole.tui.modals.refund_form import RefundFormModal
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.billing_setup import make_billing
from tests.tui.conftest import login, open_record, settle, type_text


def _said(screen, selector: str) -> str:
    return str(screen.query_one(selector, Label).render())


def _keys(app) -> str:
    return str(app.screen.query_one(KeyBar).render())


def _refunds_posted(ctx) -> tuple[int, int]:
    """(refunds asked for, refund entries on a ledger)"""
    with ctx.db.read() as session:
        return (session.scalar(select(func.count()).select_from(Refund)),
                session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "refund")))


def _messages(app) -> list[str]:
    return [n.message for n in app._notifications]


async def _open_account(pilot, username: str) -> AccountModal:
    await login(pilot, username)
    await open_record(pilot, "claimant, carla")
    await pilot.press("a")
    await settle(pilot)
    account = pilot.app.screen
    assert isinstance(account, AccountModal)
    return account


async def _fill(pilot, reference: str, reason: str) -> None:
    """From the amount: past the method (a check), the check's number, then why."""
    await pilot.press("tab", "tab")
    await type_text(pilot, reference)
    await pilot.press("tab")
    await type_text(pilot, reason)


def _credit(billing, amount: str = "60") -> None:
    LedgerService(billing.desk).post_payment(PaymentInput(billing.patient_id, amount, "cash",
                                                          request_key=new_request_key()))


async def test_a_manager_refunds_the_credit_and_the_account_shows_it(make_app, sched, as_role, clinic):
    billing = make_billing(sched, as_role, clinic)
    _credit(billing)  # paid $60 on account, owes nothing: a $60 credit
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        account = await _open_account(pilot, "manager")
        assert "balance $60.00 credit" in _said(account, "#account-title")
        assert _said(account, "#account-refunds") == "Credit that can be refunded: $60.00"
        assert "f  Refund" in _keys(app) and "Approve refund" not in _keys(app)  # nothing waits
        await pilot.press("f")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RefundFormModal)
        assert form.query_one("#amount", Input).value == "60.00"  # the credit, to start with
        assert _said(form, "#refund-approval").startswith("You approve refunds")
        assert "Refund and post" in _keys(app) and "Ask a manager" not in _keys(app)

        form.query_one("#amount", Input).value = "60.01"
        await _fill(pilot, "4021", "Moved away")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # refused: the form stays with what was typed
        assert _said(form, "#refund-error") == ("Nothing was refunded: $60.01 is more than the patient's credit, "
                                                "$60.00 (less refunds waiting for approval).")
        assert _refunds_posted(billing.desk) == (0, 0)  # nothing kept, nothing posted

        form.query_one("#amount", Input).value = "45"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is account
        assert "Refund of $45.00 (check) to Claimant, Carla posted." in _messages(app)
        assert "balance $15.00 credit" in _said(account, "#account-title")
        assert _said(account, "#account-refunds") == "Credit that can be refunded: $15.00"
        newest = account.query_one("#entries", ResultsTable).row(0)
        assert newest[1:3] == ("Refund (Check 4021): Moved away", "$45.00")
    assert _refunds_posted(billing.desk) == (1, 1)
    assert LedgerService(billing.desk).account(billing.patient_id).balance == D("-15.00")
    [refund] = RefundService(billing.desk).refunds(billing.patient_id)
    assert (refund.status, refund.decided_by, refund.reference) == ("approved", "manager", "4021")


async def test_the_desk_asks_and_a_manager_approves_on_the_account(make_app, sched, as_role, clinic):
    billing = make_billing(sched, as_role, clinic)
    _credit(billing, "40")
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        account = await _open_account(pilot, "desk")
        await pilot.press("f")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RefundFormModal)
        assert _said(form, "#refund-approval").startswith("A manager must approve a refund.")
        assert "Ask a manager to approve" in _keys(app) and "Refund and post" not in _keys(app)
        await _fill(pilot, "4022", "Paid twice")
        await pilot.press("enter")  # Enter on the reason asks, as Ctrl+S does
        await settle(pilot)
        assert app.screen is account
        assert ("Refund of $40.00 asked for: a manager must approve it on this account before it is posted or "
                "paid out.") in _messages(app)
        assert _said(account, "#account-refunds").startswith(
            "Refund waiting for a manager's approval: $40.00 by check 4022, asked by desk ")
        assert "balance $40.00 credit" in _said(account, "#account-title")  # nothing posted
        assert "Approve refund" not in _keys(app)
        await pilot.press("p")  # not offered to the desk: does nothing
        await settle(pilot)
        assert app.screen is account
        await pilot.press("f")  # the whole credit already waits: no form, and why
        await settle(pilot)
        assert app.screen is account
        assert _messages(app)[-1].startswith("Nothing to refund: Claimant, Carla has no credit left to give back "
                                             "($40.00 already waits for a manager's approval)")
    assert _refunds_posted(billing.desk) == (1, 0)

    async with make_app().run_test(size=(150, 45)) as pilot:
        app = pilot.app
        account = await _open_account(pilot, "manager")
        assert "Approve refund" in _keys(app)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceModal)
        await pilot.press("1")  # approve and post
        await settle(pilot)
        assert app.screen is account
        assert "balance $0.00" in _said(account, "#account-title")
        assert not account.query_one("#account-refunds", Label).display
        assert "Approve refund" not in _keys(app)
    [refund] = RefundService(billing.desk).refunds(billing.patient_id)
    assert (refund.status, refund.requested_by, refund.decided_by) == ("approved", "desk", "manager")
    assert _refunds_posted(billing.desk) == (1, 1)


async def test_a_manager_declines_a_waiting_refund_with_a_reason(make_app, sched, as_role, clinic):
    billing = make_billing(sched, as_role, clinic)
    _credit(billing, "25")
    from officeconsole.services.frontdesk.refunds import RefundInput

    RefundService(billing.biller).request(RefundInput(billing.patient_id, "25", "cash", "Asked at the desk",
                                                      new_request_key()))
    async with make_app().run_test(size=(150, 45)) as pilot:
        app = pilot.app
        account = await _open_account(pilot, "manager")
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("2")  # decline
        await settle(pilot)
        assert isinstance(app.screen, ReasonModal)
        await type_text(pilot, "Keep it for the next visit")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is account
        assert "Refund of $25.00 declined: nothing was posted." in _messages(app)
        assert _said(account, "#account-refunds") == "Credit that can be refunded: $25.00"
    [refund] = RefundService(billing.desk).refunds(billing.patient_id)
    assert (refund.status, refund.decision_note) == ("declined", "Keep it for the next visit")
    assert _refunds_posted(billing.desk) == (1, 0)
