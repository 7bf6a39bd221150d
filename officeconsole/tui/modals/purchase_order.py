"""What to order: every item at or below its reorder point, ordered up to par, grouped by
vendor with each vendor's total. `c` saves it as CSV into the reports folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label

from officeconsole.services.formats import csv_safe
from officeconsole.services.stock.inventory import InventoryService, Suggestion
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable

COLUMNS = [Column("Vendor", 16), Column("Item", 30), Column("Code", 14), Column("On hand", 7),
           Column("Order", 5), Column("Unit cost", 9), Column("Cost", 9)]


def order_rows(suggestions: list[Suggestion]) -> list[tuple[str, ...]]:
    """The lines, each vendor's followed by its total."""
    rows: list[tuple[str, ...]] = []
    for n, s in enumerate(suggestions):
        rows.append((s.vendor, s.item, s.code or "-", str(s.on_hand), str(s.order), f"{s.unit_cost:.2f}",
                     f"{s.cost:.2f}"))
        if n + 1 == len(suggestions) or suggestions[n + 1].vendor != s.vendor:
            total = sum((x.cost for x in suggestions if x.vendor == s.vendor), start=0)
            rows.append(("", f"Total for {s.vendor}", "", "", "", "", f"{total:.2f}"))
    return rows


def write_csv(suggestions: list[Suggestion], folder: Path, today: dt.date) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"purchase-suggestion-{today:%Y-%m-%d}.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv_safe.writer(out)
        writer.writerow(["vendor", "item", "code", "on_hand", "reorder_point", "par_level", "order",
                         "unit_cost", "cost"])
        for s in suggestions:
            writer.writerow([s.vendor, s.item, s.code, s.on_hand, s.reorder_point, s.par_level, s.order,
                             f"{s.unit_cost:.2f}", f"{s.cost:.2f}"])
    return path


class PurchaseOrderModal(ServiceModal[None]):
    CSS_PATH = "stock_forms.tcss"
    AUTO_FOCUS = "#order-rows"
    BINDINGS = [
        Binding("c", "save_csv", "Save CSV"),
        Binding("escape", "close", "Close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.suggestions: list[Suggestion] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="stock-box", id="order-box"):
            yield Label("Purchase suggestion · low items ordered up to par, by vendor", classes="stock-title",
                        markup=False)
            yield Label("Loading…", id="order-summary", markup=False)
            yield ResultsTable(id="order-rows")
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#order-rows", ResultsTable).set_columns(COLUMNS)
        self.call_service(InventoryService(self.app.ctx).suggestions, then=self._show, group="load", exclusive=True)

    def _show(self, suggestions: list[Suggestion]) -> None:
        self.suggestions = suggestions
        rows = order_rows(suggestions)
        self.query_one("#order-rows", ResultsTable).set_rows(
            [(str(n), row) for n, row in enumerate(rows)], flagged={n for n, row in enumerate(rows) if not row[0]})
        total = sum((s.cost for s in suggestions), start=0)
        vendors = len({s.vendor for s in suggestions})
        self.query_one("#order-summary", Label).update(
            f"{len(suggestions)} items from {vendors} vendors, {total:.2f} in all · c saves it as CSV"
            if suggestions else "Nothing to order: every item is above its reorder point.", layout=False)

    def action_save_csv(self) -> None:
        if not self.suggestions:
            self.app.notify("Nothing to order, so nothing to save.", markup=False)
            return
        paths = getattr(self.app, "paths", None)
        folder = paths.reports_dir if paths is not None else Path.home() / "reports"  # reports/ itself
        self.call_service(write_csv, self.suggestions, folder, self.app.ctx.today(),
                          then=lambda path: self.app.notify(f"Saved {path}", markup=False, timeout=8),
                          group="export", exclusive=True)

    def action_close(self) -> None:
        self.dismiss(None)
