"""Receive a delivery: one line per item (item, quantity, lot, expiry), Ctrl+N adds a line and
Ctrl+S saves them all at once, all or nothing. The first line starts on the highlighted item;
an item list takes typing to jump to a name. A refused line keeps everything as typed, with
the reason under that line."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, Select

from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.frontdesk.ledger import new_request_key
from officeconsole.services.stock.inventory import InventoryService, ItemRow, ReceiveLine
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar

LINE = re.compile(r"line[ _](\d+)")


class StockReceiveModal(ServiceModal[int | None]):
    CSS_PATH = "stock_forms.tcss"
    BINDINGS = [
        Binding("ctrl+n", "add_line", "Add line", priority=True),
        Binding("ctrl+s", "save", "Receive all", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, items: list[ItemRow], item_id: int | None) -> None:
        super().__init__()
        self.items = items
        self.first_item = item_id
        self.count = 0
        self.request_key = new_request_key()

    def compose(self) -> ComposeResult:
        with Vertical(classes="stock-box"):
            yield Label("Receive a delivery · Ctrl+N adds a line · Ctrl+S receives every line, or none",
                        classes="stock-title", markup=False)
            yield Label("", id="receive-error", classes="stock-error", markup=False)
            with VerticalScroll(id="receive-lines"):
                yield self._line(self.first_item)
            yield KeyBar()

    def _line(self, item_id: int | None) -> Vertical:
        self.count += 1
        n = self.count
        options = [(f"{i.name} ({i.category}, {i.unit})", str(i.id)) for i in self.items]
        return Vertical(
            Label(f"Line {n}", classes="stock-section"),
            select_field("Item *", f"item_{n}", options, str(item_id) if item_id is not None else None,
                         allow_blank=item_id is None),
            Horizontal(text_field("Quantity *", f"quantity_{n}", max_length=6),
                       text_field("Lot", f"lot_{n}", placeholder="lot number", max_length=40),
                       text_field("Expires", f"expires_{n}", placeholder="MM/DD/YYYY", max_length=10),
                       classes="stock-row"),
            Label("", id=f"line-error-{n}", classes="stock-error", markup=False),
            id=f"line-{n}", classes="stock-line")

    def on_mount(self) -> None:
        self.query_one("#quantity_1").focus()

    async def action_add_line(self) -> None:
        line = self._line(None)
        await self.query_one("#receive-lines", VerticalScroll).mount(line)
        line.query_one(Select).focus()
        line.scroll_visible()

    def action_save(self) -> None:
        typed = values(self)
        lines, missing = [], []
        for n in range(1, self.count + 1):
            item = typed[f"item_{n}"]
            if not item:
                missing.append(n)
                continue
            lines.append(ReceiveLine(int(item), typed[f"quantity_{n}"], typed[f"lot_{n}"], typed[f"expires_{n}"]))
        if missing:
            self._refused(ValidationError({f"line_{n}": f"Line {n}: choose the item." for n in missing}))
            return
        self.call_service(InventoryService(self.app.ctx).receive, lines, self.request_key, then=self.dismiss,
                          on_error=self._refused, group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        """Each line's problem under that line; anything else above the lines."""
        by_line: dict[int, str] = {}
        rest = []
        for key, message in (exc.errors.items() if isinstance(exc, ValidationError) else [("", exc.message)]):
            found = LINE.match(key)
            if found:
                by_line[int(found.group(1))] = message
            else:
                rest.append(message)
        for n in range(1, self.count + 1):
            label = self.query_one(f"#line-error-{n}", Label)
            label.update(by_line.get(n, ""))
            label.set_class(n in by_line, "-shown")
        summary = self.query_one("#receive-error", Label)
        summary.update(" ".join(rest) if rest else "Nothing was received: correct the lines marked below.")
        summary.set_class(True, "-shown")

    def action_cancel(self) -> None:
        self.dismiss(None)
