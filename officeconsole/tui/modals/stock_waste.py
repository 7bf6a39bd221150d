"""Take stock out as waste: which lot, how many, why, and for an expired lot a witness (another
member of staff), since an expired lot may leave the shelf only this way. The service refuses a
waste of an expired lot without a witness; the refusal stays in the form."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Select

from officeconsole.services.common.errors import OfficeError
from officeconsole.services.frontdesk.ledger import new_request_key
from officeconsole.services.stock.inventory import InventoryService, ItemRow, LotRow
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar

NO_WITNESS = "none"


def lot_label(lot: LotRow) -> str:
    expiry = f"exp {lot.expires_on:%m/%d/%Y}" if lot.expires_on else "no expiry"
    expired = " EXPIRED" if lot.days_left is not None and lot.days_left < 0 else ""
    return f"{lot.lot_number or '(no lot)'} · {expiry}{expired} · {lot.location} · {lot.on_hand} on hand"


class StockWasteModal(ServiceModal[str | None]):
    CSS_PATH = "stock_forms.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, item: ItemRow, lots: list[LotRow]) -> None:
        super().__init__()
        self.item = item
        self.lots = lots
        self.request_key = new_request_key()

    def compose(self) -> ComposeResult:
        first = next((lot for lot in self.lots if lot.days_left is not None and lot.days_left < 0), self.lots[0])
        with Vertical(classes="stock-box"):
            yield Label(f"Waste · {self.item.name} · expired, broken or contaminated stock leaves here",
                        classes="stock-title", markup=False)
            yield Label("", id="waste-error", classes="stock-error", markup=False)
            yield select_field("Lot", "lot", [(lot_label(lot), str(lot.id)) for lot in self.lots], str(first.id))
            yield text_field("Quantity *", "quantity", str(first.on_hand), placeholder=self.item.unit, max_length=6)
            yield text_field("Reason *", "reason", "expired" if first.days_left is not None and first.days_left < 0
                             else "", placeholder="expired, broken, contaminated...", max_length=200)
            yield select_field("Witness", "witness", [("(nobody)", NO_WITNESS)], NO_WITNESS)
            yield Label("An expired lot needs a witness: another member of staff who saw it go.",
                        classes="stock-section", markup=False)
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#quantity", Input).focus()
        self.call_service(InventoryService(self.app.ctx).witnesses, then=self._show_witnesses, group="witnesses")

    def _show_witnesses(self, people: list[tuple[int, str]]) -> None:
        self.query_one("#witness", Select).set_options([("(nobody)", NO_WITNESS),
                                                        *((name, str(uid)) for uid, name in people)])
        self.query_one("#witness", Select).value = NO_WITNESS

    @on(Select.Changed, "#lot")
    def _lot_chosen(self, event: Select.Changed) -> None:
        lot = next((lot for lot in self.lots if str(lot.id) == str(event.value)), None)
        if lot is not None:
            self.query_one("#quantity", Input).value = str(lot.on_hand)

    @on(Input.Submitted)
    def _next(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        typed = values(self)
        witness = int(typed["witness"]) if typed["witness"] not in ("", NO_WITNESS) else None
        self.call_service(InventoryService(self.app.ctx).waste, int(typed["lot"]), typed["quantity"], typed["reason"],
                          self.request_key, witness_id=witness, then=self._done, on_error=self._refused,
                          group="save", exclusive=True)

    def _done(self, quantity: int) -> None:
        lot = next(lot for lot in self.lots if str(lot.id) == values(self)["lot"])
        self.dismiss(f"{self.item.name} lot {lot.lot_number or '(no lot)'}: {quantity} {self.item.unit} wasted.")

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "waste-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
