"""A patient's account: balance and ledger entries, newest first.

`n` takes a payment on account, `r` shows a payment's receipt, and `v` voids a payment
(managers only: the service says so to anyone else) with a reason; the void is a new,
reversing entry and the original stays, marked voided.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Label

from officeconsole.services.errors import OfficeError, ValidationError
from officeconsole.services.ledger import Account, EntryView, LedgerService, new_request_key
from officeconsole.services.money import money
from officeconsole.tui.modals.reason import ReasonModal
from officeconsole.tui.modals.receipt import ReceiptModal
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import show_errors, values
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.payment_fields import payment_fields, payment_from
from officeconsole.tui.widgets.results_table import Column, ResultsTable


class AccountModal(ServiceModal[None]):
    CSS_PATH = "account.tcss"
    BINDINGS = [
        Binding("n", "new_payment", "Take payment"),
        Binding("r", "receipt", "Receipt"),
        Binding("v", "void", "Void payment"),
        Binding("escape", "close", "Close"),
    ]
    AUTO_FOCUS = "#entries"

    def __init__(self, patient_id: int, patient_name: str) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.patient_name = patient_name
        self.account: Account | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="account-box"):
            yield Label(f"Account: {self.patient_name}", id="account-title", markup=False)
            yield ResultsTable(id="entries")
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#entries", ResultsTable).set_columns([
            Column("Posted", 16), Column("Entry", 40), Column("Amount", 10), Column("Receipt", 9), Column("By", 10),
            Column("", 7)])
        self.load()

    def load(self) -> None:
        self.call_service(LedgerService(self.app.ctx).account, self.patient_id, then=self._show, group="load",
                          exclusive=True)

    def _show(self, account: Account) -> None:
        self.account = account
        owes = account.owes
        parts = (f" · billed to the patient {money(owes.share)}, paid {money(owes.paid)}"
                 if owes and (owes.share or owes.paid) else "")
        self.query_one("#account-title", Label).update(
            f"Account: {self.patient_name} · {balance_words(account.balance, owes)}{parts}")
        self.query_one("#entries", ResultsTable).set_rows([
            (str(e.id), (f"{e.posted_at:%m/%d/%Y %H:%M}", e.description, money(e.amount), e.receipt_number or "",
                         e.posted_by, "VOIDED" if e.voided else "")) for e in account.entries])

    def _current(self) -> EntryView | None:
        table = self.query_one("#entries", ResultsTable)
        if self.account is None or not table.row_count:
            return None
        return self.account.entries[table.cursor_row]

    def action_receipt(self) -> None:
        entry = self._current()
        if entry is not None and entry.receipt_number:
            self.app.push_screen(ReceiptModal(entry.id))

    def action_void(self) -> None:
        entry = self._current()
        if entry is None or not self.allowed("payment.void"):
            return
        if entry.kind != "payment" or entry.voided:
            self.app.notify("Choose a payment that is not voided yet.", markup=False)
            return
        key = new_request_key()

        def reasoned(reason: str | None) -> None:
            if reason:
                self.call_service(LedgerService(self.app.ctx).void_payment, entry.id, reason, key,
                                  then=lambda _: self._voided(entry), group="save", exclusive=True)
        self.app.push_screen(ReasonModal(f"Void receipt {entry.receipt_number} ({money(entry.received)})",
                                         "Why? e.g. charged twice, wrong patient"), reasoned)

    def _voided(self, entry: EntryView) -> None:
        self.app.notify(f"Receipt {entry.receipt_number} voided.", markup=False)
        self.load()

    def action_new_payment(self) -> None:
        if self.allowed("payment.post"):
            self.app.push_screen(PaymentModal(self.patient_id, self.patient_name),
                                 lambda entry: self._paid(entry))

    def _paid(self, entry: EntryView | None) -> None:
        if entry is not None:
            self.load()
            self.app.push_screen(ReceiptModal(entry.id))

    def action_close(self) -> None:
        self.dismiss(None)


def balance_words(balance, owes) -> str:
    """"balance $225.00 owed, oldest unpaid 95 days", "balance $40.00 credit", "balance $0.00"."""
    if owes is not None and balance:
        return f"balance {owes.describe()}"
    return f"balance {money(balance)}"


class PaymentModal(ServiceModal[EntryView | None]):
    """A payment on account (not tied to a visit); its one-time key makes a double press harmless."""

    CSS_PATH = "account.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Post payment", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#amount"

    def __init__(self, patient_id: int, patient_name: str) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.patient_name = patient_name
        self.request_key = new_request_key()

    def compose(self) -> ComposeResult:
        with Vertical(id="payment-box"):
            yield Label(f"Payment from {self.patient_name}", id="payment-title", markup=False)
            yield Label("", id="payment-error", markup=False)
            with Grid(id="payment-fields"):
                yield from payment_fields("Amount *", "e.g. 40.00", "Payment on account")
            yield KeyBar()

    def action_save(self) -> None:
        typed = values(self)
        data = payment_from(typed, self.request_key, patient_id=self.patient_id, required=True)
        self.call_service(LedgerService(self.app.ctx).post_payment, data, then=self.dismiss, on_error=self._refused,
                          group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        if isinstance(exc, ValidationError):
            show_errors(self, exc.errors)
        self.query_one("#payment-error", Label).update(exc.message)

    def action_cancel(self) -> None:
        self.dismiss(None)
