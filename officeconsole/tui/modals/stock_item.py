"""A new stock item: what it is, how it is counted and stored, who sells it, when to reorder
and up to what level, and the billing code a vaccine or drug adds to a visit. Every rule (par
at least the reorder point, a real-looking CPT/HCPCS code) is the inventory service's."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label

from officeconsole.models.inventory import ItemCategory
from officeconsole.services.common.errors import OfficeError
from officeconsole.services.stock.inventory import InventoryService, ItemInput, ItemRow
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar


class StockItemModal(ServiceModal[ItemRow | None]):
    CSS_PATH = "stock_forms.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="stock-box"):
            yield Label("New stock item · Ctrl+S saves", classes="stock-title", markup=False)
            yield Label("", id="item-error", classes="stock-error", markup=False)
            yield text_field("Name *", "name", max_length=120)
            with Horizontal(classes="stock-row"):
                yield select_field("Category *", "category", [(c.value, c.value) for c in ItemCategory], "supply")
                yield text_field("Unit", "unit", "each", placeholder="e.g. box, vial, dose", max_length=20)
            with Horizontal(classes="stock-row"):
                yield text_field("NDC or SKU", "code", max_length=20)
                yield text_field("Vendor", "vendor", max_length=80)
            with Horizontal(classes="stock-row"):
                yield text_field("Unit cost", "unit_cost", "0.00", max_length=12)
                yield text_field("Storage", "storage", placeholder="e.g. refrigerated 2-8 °C", max_length=40)
            with Horizontal(classes="stock-row"):
                yield text_field("Reorder at", "reorder_point", "0", max_length=6)
                yield text_field("Order up to", "par_level", "0", max_length=6)
            yield text_field("Billing code", "billing_code", placeholder="CPT/HCPCS for vaccines and drugs, e.g. 90686",
                             max_length=5)
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    @on(Input.Submitted)
    def _next(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        typed = values(self)
        self.call_service(InventoryService(self.app.ctx).add_item, ItemInput(**typed), then=self.dismiss,
                          on_error=self._refused, group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "item-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
