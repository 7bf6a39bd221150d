"""Stock (F9): the items with what is on hand, each item's lots by expiry, and what to order.

`/` searches items by name as you type; `l` shows only items at or below their reorder point
(marked ⚠ and "low"). Under the items: the highlighted item's lots, first expiry first, with
the days left (expired, and within 30/60/90 days, said in words), and a strip counting the
lots expiring within 30 days and the low items. `u` records stock used (everyone clinical and
the desk), at one of today's visits or for the clinic; `m` moves part of a lot to another
place; `r` receives a delivery, `k` counts the highlighted item's lots, `w` wastes a lot (an
expired one with a witness) and `n` adds a new item (managers); `o` lists the purchase
suggestion by vendor, which `c` saves as CSV.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Label

from officeconsole.services.stock.inventory import CountResult, InventoryService, ItemRow, LotRow, UseResult
from officeconsole.tui.modals.purchase_order import PurchaseOrderModal
from officeconsole.tui.modals.stock_count import StockCountModal
from officeconsole.tui.modals.stock_item import StockItemModal
from officeconsole.tui.modals.stock_receive import StockReceiveModal
from officeconsole.tui.modals.stock_transfer import StockTransferModal
from officeconsole.tui.modals.stock_use import StockUseModal, taken_text
from officeconsole.tui.modals.stock_waste import StockWasteModal
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable

ITEM_COLUMNS = [Column("", 5), Column("Item", 34), Column("Category", 10), Column("On hand", 14),
                Column("Reorder", 7), Column("Par", 5), Column("Next expiry", 11), Column("Vendor", 18)]
LOT_COLUMNS = [Column("Lot", 16), Column("Expires", 10), Column("Days left", 22), Column("Location", 16),
               Column("On hand", 8)]
SOON = 30  # the strip counts lots expiring within this many days


@dataclass(frozen=True)
class StockData:
    items: list[ItemRow]
    expiring: int  # lots expiring within SOON days (expired included)
    low: int


def expiry_words(days_left: int | None) -> str:
    """Days left in words, so a warning never rests on colour alone."""
    if days_left is None:
        return "no expiry"
    if days_left < 0:
        return f"⚠ EXPIRED {-days_left}d ago"
    for limit in (30, 60, 90):
        if days_left <= limit:
            return f"{'⚠ ' if limit == 30 else ''}{days_left} (≤{limit} days)"
    return str(days_left)


def item_cells(item: ItemRow) -> tuple[str, ...]:
    return ("⚠ low" if item.low else "", item.name, item.category, f"{item.on_hand} {item.unit}",
            str(item.reorder_point), str(item.par_level),
            f"{item.next_expiry:%m/%d/%Y}" if item.next_expiry else "-", item.vendor or "-")


def lot_cells(lot: LotRow) -> tuple[str, ...]:
    return (lot.lot_number or "(no lot)", f"{lot.expires_on:%m/%d/%Y}" if lot.expires_on else "-",
            expiry_words(lot.days_left), lot.location, str(lot.on_hand))


class InventoryScreen(ServiceScreen):
    CSS_PATH = "inventory.tcss"
    AUTO_FOCUS = "#items"
    BINDINGS = [
        Binding("slash", "search", "Search"),
        Binding("l", "low_only", "Low only"),
        Binding("u", "use", "Use"),
        Binding("r", "receive", "Receive"),
        Binding("m", "move", "Move"),
        Binding("k", "count", "Count"),
        Binding("w", "waste", "Waste"),
        Binding("n", "new_item", "New item"),
        Binding("o", "order", "Order"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[ItemRow] = []
        self.lots: list[LotRow] = []
        self.low_only = False

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Label("Stock", id="stock-title", markup=False)
        yield Input(placeholder="Search items by name (/)", id="search", compact=True)
        yield ResultsTable(id="items")
        yield Label("", id="lots-title", markup=False)
        yield ResultsTable(id="lots")
        yield Label("", id="stock-strip", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#items", ResultsTable).set_columns(ITEM_COLUMNS)
        self.query_one("#lots", ResultsTable).set_columns(LOT_COLUMNS)

    def on_screen_resume(self) -> None:
        self.app.refresh_header(self)
        self.load()

    # ----- loading -------------------------------------------------------------------
    def load(self) -> None:
        search = self.query_one("#search", Input).value
        self.call_service(self._fetch, search, self.low_only, then=self._show, group="items", exclusive=True)

    def _fetch(self, search: str, low_only: bool) -> StockData:
        stock = InventoryService(self.app.ctx)
        return StockData(stock.items(search=search, low_only=low_only), *stock.alert_counts(SOON))

    def _show(self, data: StockData) -> None:
        table = self.query_one("#items", ResultsTable)
        kept = self._item()
        self.items = data.items
        cursor = next((n for n, i in enumerate(self.items) if kept and i.id == kept.id), 0)
        table.set_rows([(str(i.id), item_cells(i)) for i in self.items], cursor=cursor,
                       flagged={n for n, i in enumerate(self.items) if i.low})
        which = "low items only (l shows all)" if self.low_only else "all items (l: low only)"
        self.query_one("#stock-title", Label).update(f"Stock · {len(self.items)} {which}", layout=False)
        self.query_one("#stock-strip", Label).update(
            f"Expiring within {SOON} days: {data.expiring} lots · Low: {data.low} items", layout=False)
        self.query_one("#stock-strip", Label).set_class(bool(data.expiring or data.low), "-warn")
        if not self.items:
            self._show_lots(None, [])

    @on(ResultsTable.Highlighted, "#items")
    def _highlighted(self, event: ResultsTable.Highlighted) -> None:
        self.load_lots()

    def load_lots(self) -> None:
        item = self._item()
        if item is not None:
            self.call_service(InventoryService(self.app.ctx).lots, item.id,
                              then=lambda lots: self._show_lots(item, lots), group="lots", exclusive=True)

    def _show_lots(self, item: ItemRow | None, lots: list[LotRow]) -> None:
        current = self._item()
        if item is not None and (current is None or current.id != item.id):
            return  # an answer for an item no longer highlighted
        self.lots = lots
        self.query_one("#lots", ResultsTable).set_rows(
            [(str(lot.id), lot_cells(lot)) for lot in lots],
            flagged={n for n, lot in enumerate(lots) if lot.days_left is not None and lot.days_left <= SOON})
        title = (f"Lots of {item.name}: {len(lots)} in stock, first expiry first" if item is not None
                 else "No item to show")
        self.query_one("#lots-title", Label).update(title, layout=False)

    def _item(self) -> ItemRow | None:
        if not self.items:
            return None
        return self.items[min(self.query_one("#items", ResultsTable).cursor_row, len(self.items) - 1)]

    # ----- moving about --------------------------------------------------------------
    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    @on(Input.Changed, "#search")
    def _searched(self) -> None:
        self.load()

    @on(Input.Submitted, "#search")
    def _to_items(self) -> None:
        self.query_one("#items", ResultsTable).focus()

    def action_low_only(self) -> None:
        self.low_only = not self.low_only
        self.load()

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if self.focused is search:
            search.value = ""
            self.query_one("#items", ResultsTable).focus()
        else:
            self.dismiss()

    # ----- changing ------------------------------------------------------------------
    def _chosen(self) -> ItemRow | None:
        item = self._item()
        if item is None:
            self.app.notify("There is no item highlighted.", markup=False)
        return item

    def action_use(self) -> None:
        item = self._chosen()
        if item is not None and self.allowed("inventory.use"):
            self.app.push_screen(StockUseModal(item), self._used)

    def _used(self, result: UseResult | None) -> None:
        if result is not None:
            self._changed(taken_text(result))

    def action_receive(self) -> None:
        if not self.allowed("inventory.manage"):
            return
        self.call_service(InventoryService(self.app.ctx).items, then=self._open_receive, group="open", exclusive=True)

    def _open_receive(self, items: list[ItemRow]) -> None:
        if not items:
            self.app.notify("There are no items to receive yet.", markup=False)
            return
        current = self._item()
        self.app.push_screen(StockReceiveModal(items, current.id if current else None), self._received)

    def _received(self, units: int | None) -> None:
        if units is not None:
            self._changed(f"Received {units} units.")

    def action_count(self) -> None:
        item = self._chosen()
        if item is None or not self.allowed("inventory.manage"):
            return
        if not self.lots:
            self.app.notify(f"{item.name} has no lots in stock to count.", markup=False)
            return
        self.app.push_screen(StockCountModal(item, self.lots), self._counted)

    def _counted(self, result: CountResult | None) -> None:
        if result is not None:
            changes = "; ".join(f"{item} lot {lot or '(no lot)'} {diff:+d}" for item, lot, diff in result.adjusted)
            self._changed(f"{len(result.adjusted)} adjusted" + (f": {changes}." if changes else "."))

    def _with_lots(self, permission: str) -> ItemRow | None:
        item = self._chosen()
        if item is None or not self.allowed(permission):
            return None
        if not self.lots:
            self.app.notify(f"{item.name} has no lots in stock.", markup=False)
            return None
        return item

    def action_waste(self) -> None:
        item = self._with_lots("inventory.manage")
        if item is not None:
            self.app.push_screen(StockWasteModal(item, self.lots), self._moved)

    def action_move(self) -> None:
        item = self._with_lots("inventory.use")
        if item is not None:
            lots = self.lots
            self.call_service(InventoryService(self.app.ctx).locations, group="open", exclusive=True,
                              then=lambda places: self.app.push_screen(StockTransferModal(item, lots, places),
                                                                       self._moved))

    def _moved(self, message: str | None) -> None:
        if message:
            self._changed(message)

    def action_new_item(self) -> None:
        if self.allowed("inventory.manage"):
            self.app.push_screen(StockItemModal(), self._added)

    def _added(self, item: ItemRow | None) -> None:
        if item is not None:
            search = self.query_one("#search", Input)
            search.value = item.name  # the new item, highlighted, ready to receive
            self._changed(f"{item.name} added: r receives its first delivery.")

    def action_order(self) -> None:
        self.app.push_screen(PurchaseOrderModal())

    def _changed(self, message: str) -> None:
        self.app.notify(message, markup=False, timeout=10)
        self.load()
        self.load_lots()
