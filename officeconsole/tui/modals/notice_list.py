"""Something to act on, as a list: the appointments booked in approved time off that the desk
must move, the shifts a copied week left out and why. Read-only; Esc or Enter closes it."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable


class NoticeListModal(ModalScreen[None]):
    CSS_PATH = "notice_list.tcss"
    BINDINGS = [Binding("escape", "close", "Close")]
    AUTO_FOCUS = "#notice-rows"

    def __init__(self, title: str, message: str, columns: list[Column], rows: list[tuple[str, ...]]) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.columns = columns
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="notice-box"):
            yield Label(self.title_text, id="notice-title", markup=False)
            yield Static(self.message, id="notice-message", markup=False)
            yield ResultsTable(id="notice-rows")
            yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#notice-rows", ResultsTable)
        table.set_columns(self.columns)
        table.set_rows([(str(n), row) for n, row in enumerate(self.rows)])

    @on(ResultsTable.Selected, "#notice-rows")
    def _enter(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
