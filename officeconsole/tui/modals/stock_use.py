"""Record stock used from one item: a quantity and an optional reason. The service takes it
first-expiry-first-out across lots; a refusal (more than is in stock) stays in the form."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from officeconsole.services.errors import OfficeError
from officeconsole.services.inventory import InventoryService, ItemRow, UseResult
from officeconsole.services.ledger import new_request_key
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar


class StockUseModal(ServiceModal[UseResult | None]):
    CSS_PATH = "stock_forms.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, item: ItemRow) -> None:
        super().__init__()
        self.item = item
        self.request_key = new_request_key()  # a second save finds the first

    def compose(self) -> ComposeResult:
        with Vertical(classes="stock-box"):
            yield Label(f"Record use · {self.item.name} · {self.item.on_hand} {self.item.unit} on hand",
                        classes="stock-title", markup=False)
            yield Label("", id="use-error", classes="stock-error", markup=False)
            yield text_field("Quantity *", "quantity", placeholder=self.item.unit, max_length=6)
            yield text_field("Reason", "reason", placeholder="optional", max_length=200)
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#quantity", Input).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        typed = values(self)
        self.call_service(InventoryService(self.app.ctx).use, self.item.id, typed["quantity"], self.request_key,
                          reason=typed["reason"], then=self.dismiss, on_error=self._refused,
                          group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "use-error")  # "Only 5 dose ... Nothing was taken." under Quantity

    def action_cancel(self) -> None:
        self.dismiss(None)
