"""Add or edit a payer (Practice setup -> Payers): its name, the electronic payer ID and claim
filing indicator claims carry, and the phone and address for calls, paper claims and appeals.
A refused save shows each message under its field; nothing typed is lost."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label

from officeconsole.services.common.errors import OfficeError
from officeconsole.services.common.text import format_phone
from officeconsole.services.frontdesk.insurance import FILING_CODES, InsuranceService, PayerInput, PayerRow
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar

FILING_OPTIONS = [(f"{code} {label}", code) for code, label in FILING_CODES.items()]
CROSSOVER_OPTIONS = [("no: we send it secondary claims", "no"), ("yes: the primary forwards them", "yes")]


class PayerFormModal(ServiceModal[PayerRow | None]):
    DEFAULT_CSS = """
    PayerFormModal { align: center middle; }
    PayerFormModal > Vertical {
        width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    PayerFormModal #payer-form-title { text-style: bold; margin-bottom: 1; }
    PayerFormModal #payer-form-error { color: $error; height: auto; }
    PayerFormModal Grid { grid-size: 2; grid-rows: auto; grid-gutter: 0 2; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#name"

    def __init__(self, payer: PayerRow | None = None) -> None:
        super().__init__()
        self.payer = payer

    def compose(self) -> ComposeResult:
        p = self.payer
        with Vertical():
            yield Label(f"Edit payer {p.name}" if p else "Add a payer", id="payer-form-title", markup=False)
            yield Label("", id="payer-form-error", markup=False)
            with Grid():
                yield text_field("Name *", "name", p.name if p else "", max_length=120)
                yield text_field("Payer ID", "payer_code", p.payer_code if p else "",
                                 placeholder="electronic, e.g. 60054", max_length=20)
                yield select_field("Filing", "filing_code", FILING_OPTIONS, p.filing_code if p else "CI")
                yield text_field("Phone", "phone", format_phone(p.phone) if p else "",
                                 placeholder="e.g. (800) 555-0100", max_length=30)
                yield text_field("Address", "address_line1", p.address_line1 if p else "",
                                 placeholder="street (paper claims)", max_length=255)
                yield text_field("City", "city", p.city if p else "", max_length=100)
                yield text_field("State", "state", p.state if p else "", placeholder="2 letters, e.g. IL", max_length=2)
                yield text_field("ZIP", "postal_code", p.postal_code if p else "", placeholder="62704 or 62704-1234",
                                 max_length=10)
                yield select_field("Crossover", "crossover", CROSSOVER_OPTIONS, "yes" if p and p.crossover else "no")
            yield KeyBar()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        typed = values(self)
        data = PayerInput(**{**typed, "crossover": typed.get("crossover") == "yes"})
        service = InsuranceService(self.app.ctx)
        if self.payer is None:
            self.call_service(service.add_payer, data.name, data.payer_code, data.phone, data.filing_code,
                              address_line1=data.address_line1, city=data.city, state=data.state,
                              postal_code=data.postal_code, crossover=data.crossover, then=self._saved,
                              on_error=self._refused,
                              exclusive=True, group="save")
        else:
            self.call_service(service.update_payer, self.payer.id, self.payer.version, data, then=self._saved,
                              on_error=self._refused, exclusive=True, group="save")

    def _saved(self, row: PayerRow) -> None:
        self.dismiss(row)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "payer-form-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
