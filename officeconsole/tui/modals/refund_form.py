"""Refund a patient's credit (`f` on the account): amount (the credit, to start with), method,
reference and reason.

A manager's refund is approved as it is made: Ctrl+S posts it at once. Anyone else who takes
payments asks for it: the form says first that a manager must approve it, and Ctrl+S records the
request, which posts nothing until a manager approves it on the account (`p`). A refund larger
than the credit is refused with the service's words under the amount, and nothing is kept.
The form's one-time key makes a second press find the first refund.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label

from officeconsole.models.refunds import RefundMethod
from officeconsole.services.common import permissions
from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.common.money import money
from officeconsole.services.frontdesk.ledger import new_request_key
from officeconsole.services.frontdesk.refunds import Refundable, RefundInput, RefundService, RefundView
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, show_errors, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar

PATIENT_METHODS = (RefundMethod.CHECK, RefundMethod.CARD, RefundMethod.CASH)  # EFT goes to insurers only


def may_approve(app) -> bool:
    """Whether the signed-in role approves refunds (a manager): its refunds are posted at once."""
    actor = app.ctx.actor if app.ctx is not None else None
    return actor is not None and permissions.allowed(actor.role, "refund.approve")


class RefundFormModal(ServiceModal[RefundView | None]):
    CSS_PATH = "refund_form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "post", "Refund and post", priority=True),
        Binding("ctrl+s", "ask", "Ask a manager to approve", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#amount"

    def __init__(self, patient_id: int, patient_name: str, refundable: Refundable) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.patient_name = patient_name
        self.refundable = refundable
        self.request_key = new_request_key()

    def compose(self) -> ComposeResult:
        found = self.refundable
        credit = f"Credit that can be refunded: {money(found.patient_available)}"
        if found.waiting:
            credit += f" ({money(found.waiting)} more is waiting for a manager's approval)"
        with Vertical(id="refund-box"):
            yield Label(f"Refund to {self.patient_name}", id="refund-title", markup=False)
            yield Label(credit, id="refund-credit", markup=False)
            yield Label(self._approval_words(), id="refund-approval", markup=False,
                        classes="" if may_approve(self.app) else "needs-manager")
            yield Label("", id="refund-error", markup=False)
            with Grid(id="refund-fields"):
                yield text_field("Amount *", "amount", f"{found.patient_available:.2f}", placeholder="e.g. 40.00",
                                 max_length=12)
                yield select_field("Method *", "method", [(m.label, m.value) for m in PATIENT_METHODS],
                                   RefundMethod.CHECK.value)
                yield text_field("Reference", "reference", placeholder="check no. / card last 4", max_length=60)
                yield text_field("Reason *", "reason", placeholder="e.g. paid twice, moved away", max_length=200)
            yield KeyBar()

    def _approval_words(self) -> str:
        if may_approve(self.app):
            return "You approve refunds: Ctrl+S posts this one to the account at once."
        return ("A manager must approve a refund. Ctrl+S asks for it; nothing is posted or paid out until a "
                "manager approves it on this account.")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Ctrl+S posts for a manager and asks for approval for anyone else: one of the two is offered."""
        if action == "post":
            return may_approve(self.app)
        if action == "ask":
            return not may_approve(self.app)
        return True

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        if event.input.id != "reason":
            self.focus_next()
        elif may_approve(self.app):
            self.action_post()
        else:
            self.action_ask()

    def _data(self) -> RefundInput:
        typed = values(self)
        return RefundInput(self.patient_id, typed.get("amount", ""), typed.get("method", ""), typed.get("reason", ""),
                           self.request_key, typed.get("reference", ""))

    def action_post(self) -> None:
        self.call_service(RefundService(self.app.ctx).refund, self._data(), then=self.dismiss,
                          on_error=self._refused, group="save", exclusive=True)

    def action_ask(self) -> None:
        self.call_service(RefundService(self.app.ctx).request, self._data(), then=self.dismiss,
                          on_error=self._refused, group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        """What was typed stays; each field's message under it and, first, in the form's own line."""
        if isinstance(exc, ValidationError):
            show_errors(self, exc.errors)
            message = " ".join(exc.errors.values())
        else:
            message = exc.message
        line = self.query_one("#refund-error", Label)
        line.update(f"Nothing was refunded: {message}")
        line.add_class("-shown")

    def action_cancel(self) -> None:
        self.dismiss(None)
