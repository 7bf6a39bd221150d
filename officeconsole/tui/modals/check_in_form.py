"""The check-in form: confirm contact details, insurance, the privacy notice, take the copay.

Everything on it is saved in one step (Ctrl+S) by the check-in service, with the arrival:
a refused amount or a second console that got there first leaves nothing half-done. The
payment carries this form's one-time key, so a double press never takes the money twice.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, Static

from officeconsole.services.common import permissions
from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.common.money import money
from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService, CheckInView, VerifiedHow
from officeconsole.services.frontdesk.flow import FlowRow
from officeconsole.services.frontdesk.ledger import new_request_key
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.alert_line import AlertLine
from officeconsole.tui.widgets.form_field import select_field, show_errors, values
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.payment_fields import payment_fields, payment_from
from officeconsole.tui.widgets.tick_box import TickBox

CONTACT_WORDS = {"phone": "phone call", "sms": "text message", "email": "e-mail", "mail": "letter"}


class CheckInModal(ServiceModal[FlowRow | None]):
    CSS_PATH = "check_in_form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Check in", priority=True),
        Binding("ctrl+e", "edit_patient", "Edit details", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, appointment_id: int) -> None:
        super().__init__()
        self.appointment_id = appointment_id
        self.view: CheckInView | None = None
        self.request_key = new_request_key()  # one per opening of the form

    def prepare(self, appointment_id: int) -> CheckInModal:
        """Ready this (kept) form for another visit: nothing of the last patient stays on it.

        Every field goes back to what it was built with, read from the widgets themselves (not a
        list of ids to keep in step), and the payment gets a new one-time key."""
        self.appointment_id, self.view, self.request_key = appointment_id, None, new_request_key()
        if self.is_mounted:
            for widget, value in self._as_built.items():
                if type(widget) in (Label, Static):
                    widget.update(value)
                else:
                    widget.value = value
            show_errors(self, {})
        return self

    def on_mount(self) -> None:
        # What each field held when built: prepare() puts every one back (a field added later included).
        self._as_built = {w: w.value for w in self.query("Input, Select, TickBox")}
        self._as_built |= {w: str(w.render()) for w in self.query("#checkin-box Label, #checkin-body Static")
                           if w.id and type(w) in (Label, Static)}

    def on_screen_resume(self) -> None:
        """Shown (first time, or again for the next patient): read the visit."""
        if self.view is None:
            self.load()

    def compose(self) -> ComposeResult:
        with Vertical(id="checkin-box"):
            yield Label("Check in", id="checkin-title", markup=False)
            yield Label("", id="checkin-error", markup=False)
            with VerticalScroll(id="checkin-body"):
                yield AlertLine(id="checkin-alerts")
                yield Static("", id="checkin-owes", markup=False)
                yield Static("Loading…", id="checkin-contact", markup=False)
                yield Static("", id="checkin-insurance", markup=False)
                yield Static("", id="checkin-eligibility", markup=False)  # the payer's latest 271 answer
                with Horizontal(id="checkin-verify"):
                    yield TickBox("Insurance confirmed today", id="verify", compact=True)
                    yield select_field("How", "verified_how", [(h.label, h.value) for h in VerifiedHow],
                                       VerifiedHow.CARD.value)
                yield Static("", id="checkin-privacy", markup=False)
                yield TickBox("Privacy notice signed today", id="privacy", compact=True)
                yield Static("", id="checkin-money", markup=False)
                with Grid(id="checkin-payment"):
                    yield from payment_fields("Amount", "blank: no payment now", "Copay")
            yield KeyBar()

    def load(self) -> None:
        self.call_service(CheckInService(self.app.ctx).view, self.appointment_id, then=self._show,
                          on_error=self._refused, group="load", exclusive=True)

    def _show(self, view: CheckInView) -> None:
        first = self.view is None
        self.view = view
        p, v = view.patient, view.visit
        self.query_one("#checkin-alerts", AlertLine).load(self, p.id)
        today = self.app.ctx.today()
        self.query_one("#checkin-title", Label).update(
            f"Check in {p.display_name} · MRN {p.mrn} · born {p.dob:%m/%d/%Y} ({p.age_on(today)}) · "
            f"{v.start:%H:%M} {v.type_name} with {v.provider_name}")
        address = ", ".join(x for x in (p.address_line1, p.address_line2, p.city,
                                         f"{p.state} {p.postal_code}".strip()) if x)
        self.query_one("#checkin-contact", Static).update(
            f"Phone {p.phone_display or '-'} · e-mail {p.email or '-'} · prefers {CONTACT_WORDS.get(p.preferred_contact, p.preferred_contact)}\n"
            f"Address {address or '-'}   (Ctrl+E edits these details)")
        lines = []
        for check in view.policies:
            pol = check.policy
            verified = (f"verified {pol.verified_at.astimezone(self.app.ctx.timezone):%m/%d/%Y} ({pol.verified_how})"
                        if pol.verified_at else "never verified")
            flag = f"  ⚠ {check.problem}" if check.problem else "  ✓ current"
            copay = f" · copay {money(pol.copay)}" if pol.copay is not None else ""
            lines.append(f"{pol.rank_label}: {pol.payer_name} · member {pol.member_id}{copay} · {verified}{flag}")
        self.query_one("#checkin-insurance", Static).update(
            "Insurance\n" + ("\n".join(lines) if lines else "  No insurance on file: self-pay."))
        actor = self.app.ctx.actor
        if view.policies and actor is not None and permissions.allowed(actor.role, "eligibility.check"):
            from officeconsole.services.frontdesk.eligibility import EligibilityService

            self.call_service(EligibilityService(self.app.ctx).latest, p.id, group="eligibility", exclusive=True,
                              then=lambda answers: self.query_one("#checkin-eligibility", Static).update(
                                  "\n".join(f"  {a.payer_name}: {a.describe()}" for a in answers)))
        signed = p.privacy_notice_on
        self.query_one("#checkin-privacy", Static).update(
            f"Privacy notice: signed {signed:%m/%d/%Y}" if signed else "Privacy notice: not on file ⚠")
        owes = self.query_one("#checkin-owes", Static)  # first, in bold: what the patient owes and since when
        if view.owes is not None and view.balance > 0:
            age = view.owes.age_words
            owes.update(f"Owes {money(view.balance)}" + (f" · oldest unpaid {age}" if age else ""))
        else:
            owes.update(f"Account: {view.owes.describe()}" if view.owes else f"Account balance {money(view.balance)}")
        owes.set_class(view.balance > 0, "owing")
        copay = f"copay not proposed: {view.copay_held}" if view.copay_held else f"copay due {money(view.copay_due)}"
        self.query_one("#checkin-money", Static).update(
            f"Account balance {money(view.balance)} · {copay}"
            + (f" · already paid for this visit {money(view.paid_for_visit)}" if view.paid_for_visit else ""))
        self.query_one("#checkin-verify").display = bool(view.policies)
        if first:
            # Ticked only when already true today: the desk ticks what it has just done (an
            # attestation is never made for them by a default).
            zone = self.app.ctx.timezone
            active = [c.policy for c in view.policies if c.policy.active_on(today)]
            self.query_one("#verify", TickBox).value = bool(active) and all(
                pol.verified_at is not None and pol.verified_at.astimezone(zone).date() == today for pol in active)
            self.query_one("#privacy", TickBox).value = signed == today
            if view.copay_due and not view.paid_for_visit:
                self.query_one("#amount").value = f"{view.copay_due:.2f}"
            self.query_one("#amount").focus()

    def action_save(self) -> None:
        if self.view is None:
            return
        typed = values(self)
        payment = payment_from(typed, self.request_key)
        data = CheckInInput(
            self.view.visit.appointment_id, self.view.visit.version,
            verify_insurance=self.query_one("#verify", TickBox).value,
            verified_how=typed.get("verified_how", VerifiedHow.CARD.value),
            privacy_signed=self.query_one("#privacy", TickBox).value, payment=payment)
        self.call_service(CheckInService(self.app.ctx).check_in, data, then=self.dismiss, on_error=self._refused,
                          group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        if isinstance(exc, ValidationError):
            show_errors(self, exc.errors)
        self.query_one("#checkin-error", Label).update(exc.message)

    def action_edit_patient(self) -> None:
        if self.view is None or not self.allowed("patient.update"):
            return
        from officeconsole.tui.screens.patient_form import PatientFormScreen

        self.app.push_screen(PatientFormScreen(self.view.patient), lambda saved: self.load() if saved else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


