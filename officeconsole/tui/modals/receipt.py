"""A payment's receipt on screen; `p` saves it as a PDF in the reports folder to print or e-mail."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from officeconsole.services.frontdesk.receipts import Receipt, ReceiptService
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.key_bar import KeyBar


class ReceiptModal(ServiceModal[None]):
    CSS_PATH = "receipt.tcss"
    BINDINGS = [
        Binding("p", "save_pdf", "Save PDF"),
        Binding("escape,enter", "close", "Close"),
    ]

    def __init__(self, entry_id: int) -> None:
        super().__init__()
        self.entry_id = entry_id
        self.receipt: Receipt | None = None
        self.saved: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="receipt-box"):
            yield Static("Loading…", id="receipt-text", markup=False)
            yield Static("", id="receipt-saved", markup=False)
            yield KeyBar()

    def on_mount(self) -> None:
        self.call_service(ReceiptService(self.app.ctx).receipt, self.entry_id, then=self._show, group="load")

    def _show(self, receipt: Receipt) -> None:
        self.receipt = receipt
        self.query_one("#receipt-text", Static).update(receipt.text())

    def action_save_pdf(self) -> None:
        if self.receipt is None:
            return
        from officeconsole.config import Paths

        paths = getattr(self.app, "paths", None) or Paths.discover()
        paths.ensure()
        folder = paths.reports_dir / "receipts"  # owner-only: a receipt names the patient
        target = folder / f"{self.receipt.number}.pdf"

        def write() -> Path:
            data = ReceiptService(self.app.ctx).receipt_pdf(self.entry_id)
            folder.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            partial.write_bytes(data)
            partial.replace(target)  # a crash never leaves half a PDF under the real name
            return target

        self.call_service(write, then=self._saved, group="pdf", exclusive=True)

    def _saved(self, path: Path) -> None:
        self.saved = path
        self.query_one("#receipt-saved", Static).update(f"Saved: {path}")
        self.app.notify(f"Receipt saved as {path}", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
