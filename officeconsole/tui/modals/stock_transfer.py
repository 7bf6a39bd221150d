"""Move part of a lot to another place (an exam room, the vaccine fridge, the second site):
the same lot and expiry there, two movements in one transaction. Known places are offered as
you type."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label

from officeconsole.services.common.errors import OfficeError
from officeconsole.services.frontdesk.ledger import new_request_key
from officeconsole.services.stock.inventory import InventoryService, ItemRow, LotRow
from officeconsole.tui.modals.stock_waste import lot_label
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import FormField, select_field, show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar


class StockTransferModal(ServiceModal[str | None]):
    CSS_PATH = "stock_forms.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Move", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, item: ItemRow, lots: list[LotRow], locations: list[str]) -> None:
        super().__init__()
        self.item = item
        self.lots = lots
        self.locations = locations
        self.request_key = new_request_key()

    def compose(self) -> ComposeResult:
        with Vertical(classes="stock-box"):
            yield Label(f"Move stock · {self.item.name}", classes="stock-title", markup=False)
            yield Label("", id="transfer-error", classes="stock-error", markup=False)
            yield select_field("Lot", "lot", [(lot_label(lot), str(lot.id)) for lot in self.lots],
                               str(self.lots[0].id))
            yield text_field("Quantity *", "quantity", placeholder=self.item.unit, max_length=6)
            yield FormField("To *", Input(placeholder="a room, the vaccine fridge... known: " + ", ".join(self.locations[:4]),
                                          max_length=40,
                                          id="to_location", compact=True,
                                          suggester=SuggestFromList(self.locations, case_sensitive=False)),
                            field="to_location")
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#quantity", Input).focus()

    @on(Input.Submitted, "#quantity")
    def _next(self) -> None:
        self.focus_next()

    @on(Input.Submitted, "#to_location")
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        typed = values(self)
        self.call_service(InventoryService(self.app.ctx).transfer, int(typed["lot"]), typed["quantity"],
                          typed["to_location"], self.request_key, then=self.dismiss, on_error=self._refused,
                          group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "transfer-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
