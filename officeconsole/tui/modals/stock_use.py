"""Record stock used from one item: a quantity, the visit it was given at (today's checked-in
visits; none for clinic use) and an optional reason. The service takes it first-expiry-first-out
across lots and, for a visit, records the patient, lots and expiry and adds the item's billing
code to the visit's charges; a refusal (more than is in stock) stays in the form."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Select

from officeconsole.services.common.errors import OfficeError
from officeconsole.services.frontdesk.ledger import new_request_key
from officeconsole.services.stock.inventory import InventoryService, ItemRow, UseResult, VisitChoice
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar

NO_VISIT = "none"


def taken_text(result: UseResult) -> str:
    """"Influenza vaccine: 1 taken: lot A x1. 90686 x1 added to the visit's charges." """
    total = sum(t.quantity for t in result.taken)
    lots = ", ".join(f"lot {t.lot_number or '(no lot)'} x{t.quantity}" for t in result.taken)
    return f"{result.item}: {total} taken: {lots}." + (f" {result.charge}" if result.charge else "")


class StockUseModal(ServiceModal[UseResult | None]):
    CSS_PATH = "stock_forms.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, item: ItemRow, appointment_id: int | None = None) -> None:
        super().__init__()
        self.item = item
        self.appointment_id = appointment_id  # the visit chosen before the form opened (the flow board's)
        self.visits: list[VisitChoice] = []
        self.request_key = new_request_key()  # a second save finds the first

    def compose(self) -> ComposeResult:
        tracked = self.item.category in ("vaccine", "medication")
        with Vertical(classes="stock-box"):
            yield Label(f"Record use · {self.item.name} · {self.item.on_hand} {self.item.unit} on hand"
                        + (f" · bills {self.item.billing_code}" if self.item.billing_code else ""),
                        classes="stock-title", markup=False)
            yield Label("", id="use-error", classes="stock-error", markup=False)
            yield text_field("Quantity *", "quantity", placeholder=self.item.unit, max_length=6)
            yield select_field("Given at", "visit", [("No patient (clinic use)", NO_VISIT)], NO_VISIT)
            yield Label(("A dose is given at a visit: choose it. " if tracked else "")
                        + "Today's checked-in visits; the patient, lots and expiry are recorded"
                        + (f" and {self.item.billing_code} is added to the visit's charges." if self.item.billing_code
                           else "."), classes="stock-section", markup=False)
            yield text_field("Reason", "reason", placeholder="optional", max_length=200)
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#quantity", Input).focus()
        self.call_service(InventoryService(self.app.ctx).visits_today, then=self._show_visits, group="visits")

    def _show_visits(self, visits: list[VisitChoice]) -> None:
        self.visits = visits
        select = self.query_one("#visit", Select)
        select.set_options([("No patient (clinic use)", NO_VISIT),
                            *((v.label, str(v.encounter_id)) for v in visits)])
        chosen = next((v for v in visits if v.appointment_id == self.appointment_id), None)
        select.value = str(chosen.encounter_id) if chosen else NO_VISIT

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if (event.input.id == "quantity" and self.item.category in ("vaccine", "medication")
                and values(self)["visit"] == NO_VISIT):
            self.focus_next()  # a dose is given to someone: choose the visit, then Ctrl+S
            return
        self.action_save()

    def action_save(self) -> None:
        typed = values(self)
        visit = next((v for v in self.visits if str(v.encounter_id) == typed["visit"]), None)
        self.call_service(InventoryService(self.app.ctx).use, self.item.id, typed["quantity"], self.request_key,
                          patient_id=visit.patient_id if visit else None,
                          encounter_id=visit.encounter_id if visit else None,
                          reason=typed["reason"], then=self.dismiss, on_error=self._refused,
                          group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "use-error")  # "Only 5 dose ... Nothing was taken." under Quantity

    def action_cancel(self) -> None:
        self.dismiss(None)
