"""Ask for a short reason (a void, an override); dismisses with the text or None."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class ReasonModal(ModalScreen[str | None]):
    DEFAULT_CSS = """
    ReasonModal { align: center middle; }
    ReasonModal > Vertical { width: 70; height: auto; border: thick $warning; background: $panel; padding: 0 1; }
    ReasonModal #reason-title { text-style: bold; margin-bottom: 1; }
    ReasonModal #reason-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#reason"

    def __init__(self, title: str, placeholder: str = "Reason (required)") -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="reason-title", markup=False)
            yield Input(placeholder=self.placeholder, id="reason", max_length=200)
            yield Label("Enter to confirm, Esc to leave it.", id="reason-error", markup=False)

    @on(Input.Submitted, "#reason")
    def _submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.query_one("#reason-error", Label).update("A reason is required.")
            return
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
