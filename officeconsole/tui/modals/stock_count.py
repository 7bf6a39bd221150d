"""Count one item's lots: each lot with the quantity expected and a field for what is on the
shelf. Ctrl+S posts the differences as adjustments, all in one transaction."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from officeconsole.services.common.errors import OfficeError
from officeconsole.services.frontdesk.ledger import new_request_key
from officeconsole.services.stock.inventory import CountLine, CountResult, InventoryService, ItemRow, LotRow
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar


class StockCountModal(ServiceModal[CountResult | None]):
    CSS_PATH = "stock_forms.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Post count", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, item: ItemRow, lots: list[LotRow]) -> None:
        super().__init__()
        self.item = item
        self.lots = lots
        self.request_key = new_request_key()

    def compose(self) -> ComposeResult:
        with Vertical(classes="stock-box"):
            yield Label(f"Count · {self.item.name} · type what is on the shelf, Ctrl+S posts",
                        classes="stock-title", markup=False)
            yield Label("", id="count-error", classes="stock-error", markup=False)
            for n, lot in enumerate(self.lots, start=1):
                expiry = f" exp {lot.expires_on:%m/%d/%Y}" if lot.expires_on else ""
                yield Label(f"Line {n}: lot {lot.lot_number or '(no lot)'}{expiry} · {lot.location} · "
                            f"{lot.on_hand} expected", classes="stock-section", markup=False)
                yield text_field("Counted", f"counted_{lot.id}", str(lot.on_hand), max_length=6)
            yield KeyBar()

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    @on(Input.Submitted)
    def _next(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        typed = values(self)
        lines = [CountLine(lot.id, typed[f"counted_{lot.id}"]) for lot in self.lots]
        self.call_service(InventoryService(self.app.ctx).count, lines, self.request_key, then=self.dismiss,
                          on_error=self._refused, group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "count-error")
        self.query_one("#count-error", Label).update(exc.message)  # "Line 2: ..." names the lot's line

    def action_cancel(self) -> None:
        self.dismiss(None)
