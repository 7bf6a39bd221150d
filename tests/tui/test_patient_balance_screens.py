"""One patient balance at the keyboard: the account screen (`a` on the record), the check-in
form (first, in bold, with the oldest debt's age), check-out and the A/R screen show what the
patient owes, including what their insurer moved to them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from textual.widgets import Label, Static

from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.billing.remittance import (
    Adjustment,
    ClaimPayment,
    LinePayment,
    RemitInput,
    RemittanceService,
)
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key
from officeconsole.services.practice.rooms import RoomService
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.tui.modals.account import AccountModal
from officeconsole.tui.modals.check_in_form import CheckInModal
from officeconsole.tui.modals.check_out import CheckOutModal
from officeconsole.tui.modals.room_picker import RoomPickerModal
from officeconsole.tui.screens.receivables import ReceivablesScreen
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.billing_setup import make_billing
from tests.tui.conftest import login, open_record, settle, type_text


def _said(screen, selector: str) -> str:
    return str(screen.query_one(selector, Label | Static).render())


def _owes_225(billing, clock, tmp_path, sched) -> int:
    """The issue's case: the insurer moved $365 of three visits to Carla, who paid $140 at the desk;
    95 days on, she is booked again. Ann has a $40 credit."""
    visits = [billing.coded() for _ in range(3)]
    ClaimService(billing.biller).mark_all_ready()
    ClaimService(billing.biller).export_837(tmp_path)
    shares = [D("125.00"), D("125.00"), D("115.00")]
    RemittanceService(billing.biller).post(RemitInput(billing.payer_id, "PR1", clock.now().date(), "check", [
        ClaimPayment(e.id, [LinePayment(e.lines[0].id, "0", None, [Adjustment("PR", "1", share)]
                                        + ([Adjustment("CO", "45", D(125) - share)] if share < 125 else []))])
        for e, share in zip(visits, shares, strict=True)]))
    LedgerService(billing.desk).post_payment(PaymentInput(billing.patient_id, "140", "card",
                                                          request_key=new_request_key()))
    LedgerService(billing.desk).post_payment(PaymentInput(sched["ann"], "40", "cash", request_key=new_request_key()))
    clock.advance(dt.timedelta(days=95))  # a Friday, 10:00
    return sched["book"].book(BookingInput(billing.patient_id, sched["lee"], sched["type"],
                                           billing.desk.today(), "13:00")).id


async def test_account_check_in_check_out_and_aging_show_one_balance(make_app, ctx, clock, sched, as_role, clinic,
                                                                     tmp_path):
    billing = make_billing(sched, as_role, clinic)
    RoomService(billing.manager).add_room("Exam 1")
    _owes_225(billing, clock, tmp_path, sched)
    app = make_app()
    async with app.run_test(size=(150, 44)) as pilot:
        await login(pilot, "desk")
        await open_record(pilot, "claimant, carla")
        await pilot.press("a")
        await settle(pilot)
        account = app.screen
        assert isinstance(account, AccountModal)
        assert ("balance $225.00 owed, oldest unpaid 95 days · billed to the patient $365.00, paid $140.00"
                in _said(account, "#account-title"))  # not a $140 credit
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "claimant")
        await pilot.press("enter", "enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CheckInModal)
        owes = form.query_one("#checkin-owes", Static)
        assert str(owes.render()) == "Owes $225.00 · oldest unpaid 95 days" and owes.has_class("owing")
        assert "Account balance $225.00" in _said(form, "#checkin-money")
        form.query_one("#amount").value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("home", "a")  # room
        await settle(pilot)
        assert isinstance(app.screen, RoomPickerModal)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("a")  # with the provider
        await settle(pilot)
        await pilot.press("a")  # check out
        await settle(pilot)
        out = app.screen
        assert isinstance(out, CheckOutModal)
        assert _said(out, "#checkout-account").startswith(
            "Account balance $225.00 owed, oldest unpaid 95 days · paid for this visit $0.00")
        assert out.query_one("#amount").value == "225.00"
    async with make_app().run_test(size=(150, 44)) as pilot:
        app = pilot.app
        await login(pilot, "biller")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, ReceivablesScreen)
        table = app.screen.query_one("#patients", ResultsTable)
        rows = [table.row(i) for i in range(table.row_count)]
        assert rows == [
            ("Claimant, Carla", "$0.00", "$0.00", "$0.00", "$225.00", "$0.00", "$225.00"),
            ("Total owed (1 patient)", "$0.00", "$0.00", "$0.00", "$225.00", "$0.00", "$225.00"),
            ("Credits (1 patient)", "", "", "", "", "", "-$40.00"),
        ]
        assert "patients $225.00 less $40.00 credits" in _said(app.screen, "#ar-title")
