"""A patient's account: balance and ledger entries, newest first.

`n` takes a payment on account, `r` shows a payment's receipt, and `v` voids a payment
(managers only: the service says so to anyone else) with a reason; the void is a new,
reversing entry and the original stays, marked voided.

`f` refunds the patient's credit (the refund form): a manager's refund is posted at once, anyone
else's waits for a manager, as the line under the title says. `p`, offered to a manager while a
refund waits, approves it (posting it) or declines it with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Label

from officeconsole.models.refunds import RefundStatus
from officeconsole.services.common import permissions
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.common.money import money
from officeconsole.services.frontdesk.ledger import Account, EntryView, LedgerService, new_request_key
from officeconsole.services.frontdesk.refunds import Refundable, RefundService, RefundView
from officeconsole.tui.modals.choice import ChoiceModal
from officeconsole.tui.modals.reason import ReasonModal
from officeconsole.tui.modals.receipt import ReceiptModal
from officeconsole.tui.modals.refund_form import RefundFormModal
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import show_errors, values
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.payment_fields import payment_fields, payment_from
from officeconsole.tui.widgets.results_table import Column, ResultsTable


@dataclass(frozen=True)
class AccountAndRefunds:
    account: Account
    refundable: Refundable
    waiting: list[RefundView]  # the patient's refunds asked for and not decided yet, newest first


def account_and_refunds(ctx: ServiceContext, patient_id: int) -> AccountAndRefunds:
    """What the account shows, read in the screen's one worker."""
    refunds = RefundService(ctx)
    return AccountAndRefunds(LedgerService(ctx).account(patient_id), refunds.refundable(patient_id),
                             refunds.refunds(patient_id, status="requested"))


class AccountModal(ServiceModal[None]):
    CSS_PATH = "account.tcss"
    BINDINGS = [
        # Short words: every key, "Approve refund" too, fits the key bar at 80 columns.
        Binding("n", "new_payment", "Payment"),
        Binding("r", "receipt", "Receipt"),
        Binding("v", "void", "Void"),
        Binding("f", "refund", "Refund"),
        Binding("p", "decide_refund", "Approve refund"),
        Binding("escape", "close", "Close"),
    ]
    AUTO_FOCUS = "#entries"
    # Keys not offered to a role that may not use them (and `p` only while a refund waits).
    ACTION_PERMISSIONS = {"refund": "refund.request", "decide_refund": "refund.approve"}

    def __init__(self, patient_id: int, patient_name: str) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.patient_name = patient_name
        self.account: Account | None = None
        self.refundable: Refundable | None = None
        self.waiting: list[RefundView] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="account-box"):
            yield Label(f"Account: {self.patient_name}", id="account-title", markup=False)
            yield Label("", id="account-refunds", markup=False)
            yield ResultsTable(id="entries")
            yield KeyBar()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        needed = self.ACTION_PERMISSIONS.get(action)
        if needed is None:
            return True
        actor = self.app.ctx.actor if self.app.ctx is not None else None
        if actor is None or not permissions.allowed(actor.role, needed):
            return False
        return bool(self.waiting) if action == "decide_refund" else True

    def on_mount(self) -> None:
        self.query_one("#entries", ResultsTable).set_columns([
            Column("Posted", 16), Column("Entry", 40), Column("Amount", 10), Column("Receipt", 9), Column("By", 10),
            Column("", 7)])
        self.load()

    def load(self) -> None:
        self.call_service(account_and_refunds, self.app.ctx, self.patient_id, then=self._show, group="load",
                          exclusive=True)

    def _show(self, found: AccountAndRefunds) -> None:
        account = found.account
        self.account, self.refundable, self.waiting = account, found.refundable, found.waiting
        self._show_refunds()
        self.refresh_bindings()
        owes = account.owes
        parts = (f" · billed to the patient {money(owes.share)}, paid {money(owes.paid)}"
                 if owes and (owes.share or owes.paid) else "")
        self.query_one("#account-title", Label).update(
            f"Account: {self.patient_name} · {balance_words(account.balance, owes)}{parts}")
        self.query_one("#entries", ResultsTable).set_rows([
            (str(e.id), (f"{e.posted_at:%m/%d/%Y %H:%M}", e.description, money(e.amount), e.receipt_number or "",
                         e.posted_by, "VOIDED" if e.voided else "")) for e in account.entries])

    def _show_refunds(self) -> None:
        """The credit that can be refunded, and each refund waiting for a manager, under the title."""
        lines = []
        if self.refundable is not None and self.refundable.patient_available > 0:
            lines.append(f"Credit that can be refunded: {money(self.refundable.patient_available)}")
        for r in self.waiting:
            lines.append(f"Refund waiting for a manager's approval: {refund_words(r)}")
        label = self.query_one("#account-refunds", Label)
        label.update("\n".join(lines))
        label.display = bool(lines)

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

    def action_refund(self) -> None:
        """The refund form, with the credit there is; with none, say so and open nothing."""
        found = self.refundable
        if found is None or not self.allowed("refund.request"):
            return
        if found.patient_available <= 0:
            why = [f"{money(found.waiting)} already waits for a manager's approval"] if found.waiting else []
            held = -self.account.balance - found.patient_credit if self.account and self.account.balance < 0 else 0
            if held > 0:
                why.append(f"{money(held)} is copays taken for visits not billed yet, kept for them")
            balance = balance_words(self.account.balance, self.account.owes) if self.account else ""
            self.app.notify(f"Nothing to refund: {self.patient_name} has no credit left to give back"
                            + (f" ({'; '.join(why)})" if why else "") + f"; {balance}.",
                            severity="warning", markup=False, timeout=8)
            return
        self.app.push_screen(RefundFormModal(self.patient_id, self.patient_name, found), self._refunded)

    def _refunded(self, refund: RefundView | None) -> None:
        if refund is None:
            return
        if refund.status == RefundStatus.APPROVED:
            self.app.notify(f"Refund of {money(refund.amount)} ({refund.method}) to {self.patient_name} posted.",
                            markup=False)
        else:
            self.app.notify(f"Refund of {money(refund.amount)} asked for: a manager must approve it on this account "
                            "before it is posted or paid out.", severity="warning", markup=False, timeout=10)
        self.load()

    def action_decide_refund(self) -> None:
        """A manager approves (and so posts) a waiting refund, or declines it with a reason."""
        if not self.waiting or not self.allowed("refund.approve"):
            return
        waiting = list(self.waiting)
        choices = []
        for r in waiting:
            choices += [f"Approve and post: {refund_words(r)}", f"Decline: {refund_words(r)}"]

        def chosen(index: int | None) -> None:
            if index is None:
                return
            refund = waiting[index // 2]
            if index % 2 == 0:
                self.call_service(RefundService(self.app.ctx).approve, refund.id, refund.version,
                                  then=self._decided, group="save", exclusive=True)
                return

            def reasoned(note: str | None) -> None:
                if note:
                    self.call_service(RefundService(self.app.ctx).decline, refund.id, refund.version, note,
                                      then=self._decided, group="save", exclusive=True)
            self.app.push_screen(ReasonModal(f"Decline the refund of {money(refund.amount)}",
                                             "Why? e.g. keep it for the next visit"), reasoned)
        self.app.push_screen(ChoiceModal("Refunds waiting for your approval", choices), chosen)

    def _decided(self, refund: RefundView) -> None:
        if refund.status == RefundStatus.APPROVED:
            self.app.notify(f"Refund of {money(refund.amount)} ({refund.method}) approved and posted.", markup=False)
        else:
            self.app.notify(f"Refund of {money(refund.amount)} declined: nothing was posted.", markup=False)
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)


def refund_words(r: RefundView) -> str:
    """'$25.00 by card 4417, asked by desk 11/23 10:02: moved away'."""
    how = f"{r.method}{' ' + r.reference if r.reference else ''}"
    return f"{money(r.amount)} by {how}, asked by {r.requested_by} {r.requested_at:%m/%d %H:%M}: {r.reason}"


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
