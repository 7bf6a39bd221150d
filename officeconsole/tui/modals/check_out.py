"""Check-out: book the follow-up, take a balance, give a receipt, mark Checked out.

`f` opens the schedule's booking form for the follow-up (same provider); Ctrl+S takes the
payment (if an amount is typed) and checks out in one step; the receipt then opens.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Label, Static

from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.common.money import money
from officeconsole.services.frontdesk.checkin import CheckInService, CheckInView
from officeconsole.services.frontdesk.flow import FlowRow
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key
from officeconsole.services.frontdesk.patients import PatientService
from officeconsole.services.scheduling.schedule import ScheduleService
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import show_errors, values
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.payment_fields import payment_fields, payment_from


class CheckOutModal(ServiceModal[bool]):
    CSS_PATH = "check_out.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Check out", priority=True),
        Binding("ctrl+f", "follow_up", "Book follow-up", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#amount"

    def __init__(self, row: FlowRow) -> None:
        super().__init__()
        self.row = row
        self.view: CheckInView | None = None
        self.request_key = new_request_key()
        self.follow_up = ""

    def compose(self) -> ComposeResult:
        r = self.row
        with Vertical(id="checkout-box"):
            yield Label(f"Check out {r.patient_name} · {r.start:%H:%M} {r.type_name} with {r.provider_name}",
                        id="checkout-title", markup=False)
            yield Label("", id="checkout-error", markup=False)
            yield Static("Loading the account…", id="checkout-account", markup=False)
            yield Static("Follow-up: none booked yet (Ctrl+F books one)", id="checkout-follow-up", markup=False)
            with Grid(id="checkout-payment"):
                yield from payment_fields("Amount", "blank: nothing to pay", "Payment on account")
            yield KeyBar()

    def on_mount(self) -> None:
        self.call_service(CheckInService(self.app.ctx).view, self.row.appointment_id, then=self._show,
                          on_error=self._refused, group="load")

    def _show(self, view: CheckInView) -> None:
        self.view = view
        self.row = view.visit
        owed = view.balance
        said = (view.owes.describe() if view.owes else money(owed)) if owed else money(owed)
        self.query_one("#checkout-account", Static).update(
            f"Account balance {said} · paid for this visit {money(view.paid_for_visit)}")
        if owed > 0:
            self.query_one("#amount").value = f"{owed:.2f}"

    def action_follow_up(self) -> None:
        if not self.allowed("appointment.book"):
            return
        service, patients = ScheduleService(self.app.ctx), PatientService(self.app.ctx)
        patient_id = self.row.patient_id
        self.call_service(lambda: (service.providers(), service.types(), patients.get(patient_id)),
                          then=self._open_booking, group="lists")

    def _open_booking(self, lists) -> None:
        import datetime as dt

        from officeconsole.tui.modals.booking_form import BookingModal

        providers, types, patient = lists
        day = self.app.ctx.today() + dt.timedelta(weeks=2)
        kind = next((t.id for t in types if t.name == self.row.type_name), None)  # the same kind of visit
        self.app.push_screen(BookingModal(providers, types, self.row.provider_id, day, dt.time(9), kind, patient),
                             self._booked)

    def _booked(self, booked) -> None:
        if booked:
            first = booked[0] if isinstance(booked, list) else booked
            local = first.start_at.astimezone(self.app.ctx.timezone)
            self.follow_up = f"{local:%a %m/%d/%Y %H:%M}"
            self.query_one("#checkout-follow-up", Static).update(f"Follow-up booked: {self.follow_up}")

    def action_save(self) -> None:
        typed = values(self)
        payment = payment_from(typed, self.request_key)
        self.call_service(self._check_out, payment, then=self._done, on_error=self._refused, group="save",
                          exclusive=True)

    def _check_out(self, payment: PaymentInput | None):
        """In the worker: check out, then find the receipt this form's key posted (if any)."""
        row = CheckInService(self.app.ctx).check_out(self.row.appointment_id, self.row.version, payment)
        entry = None
        if payment is not None:
            account = LedgerService(self.app.ctx).account(row.patient_id, limit=5)
            entry = next((e for e in account.entries if e.appointment_id == row.appointment_id
                          and e.kind == "payment"), None)
        return row, entry

    def _done(self, result) -> None:
        row, entry = result
        self.app.notify(f"{row.patient_name} checked out.", markup=False)
        if entry is not None:
            from officeconsole.tui.modals.receipt import ReceiptModal

            self.app.push_screen(ReceiptModal(entry.id), lambda _: self.dismiss(True))
        else:
            self.dismiss(True)

    def _refused(self, exc: OfficeError) -> None:
        if isinstance(exc, ValidationError):
            show_errors(self, exc.errors)
        self.query_one("#checkout-error", Label).update(exc.message)

    def action_cancel(self) -> None:
        self.dismiss(False)
