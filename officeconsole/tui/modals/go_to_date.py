"""Ask for a date (the schedule's "go to date"); dismisses with the date or None."""

from __future__ import annotations

import datetime as dt

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from officeconsole.services.common.text import parse_date


class GoToDateModal(ModalScreen[dt.date | None]):
    DEFAULT_CSS = """
    GoToDateModal { align: center middle; }
    GoToDateModal > Vertical { width: 44; height: auto; border: round $primary; padding: 1 2; background: $surface; }
    GoToDateModal #date-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Go to date (MM/DD/YYYY or YYYY-MM-DD)")
            yield Input(placeholder="MM/DD/YYYY", id="date", max_length=10)
            yield Label("", id="date-error", markup=False)

    @on(Input.Submitted, "#date")
    def _submit(self, event: Input.Submitted) -> None:
        try:
            day = parse_date(event.value)
        except ValueError as exc:
            self.query_one("#date-error", Label).update(f"{exc}.")
            return
        if day is None:
            self.query_one("#date-error", Label).update("Type a date, or press Esc.")
            return
        self.dismiss(day)

    def action_cancel(self) -> None:
        self.dismiss(None)
