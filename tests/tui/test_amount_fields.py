"""Amounts typed at the desk are read by the shared reader: `20,00` is refused with how to type
it, and nothing is posted, until the amount is typed as dollars and cents."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from textual.widgets import Label

from officeconsole.models import LedgerEntry
from officeconsole.tui.modals.account import PaymentModal
from officeconsole.tui.modals.receipt import ReceiptModal

from tests.tui.conftest import login, open_record, settle, type_text

COMMA = "Amount 20,00: write cents after a point (20.00); a comma only separates thousands (1,250.00)."


def _posted(ctx) -> list[Decimal]:
    with ctx.db.read() as session:
        return list(session.scalars(select(LedgerEntry.amount)))


async def test_a_desk_payment_typed_with_a_decimal_comma_is_refused_and_nothing_posted(make_app, ctx, sched,
                                                                                       desk_ctx):
    app = make_app()
    async with app.run_test(size=(130, 40)) as pilot:
        await login(pilot, "desk")
        await open_record(pilot, "testperson, ann")
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        payment = app.screen
        assert isinstance(payment, PaymentModal)
        await type_text(pilot, "20,00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is payment  # still open, with the typed figure and why it is refused
        assert str(payment.query_one("#payment-error", Label).render()) == COMMA
        assert str(payment.query_one("#field-amount .field-error", Label).render()) == COMMA
        assert payment.query_one("#amount").value == "20,00"
        assert _posted(ctx) == []  # not $2,000.00, not anything
        await pilot.press("ctrl+a", "ctrl+k")  # clear the field as a person would
        await type_text(pilot, "20.00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReceiptModal)
        assert _posted(ctx) == [Decimal("-20.00")]  # a payment lowers what is owed
