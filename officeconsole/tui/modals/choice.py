"""Pick one of a few numbered choices (which of two shifts, say): its number or Enter on it;
dismisses with its index, or None on Esc. Choices are shown as plain text."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option


class ChoiceModal(ModalScreen[int | None]):
    CSS_PATH = "choice.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        *(Binding(str(n), f"pick({n})", f"Choice {n}", show=False) for n in range(1, 10)),
    ]
    AUTO_FOCUS = "#choices"

    def __init__(self, title: str, choices: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-box"):
            yield Label(self.title_text, id="choice-title", markup=False)
            yield OptionList(*(Option(Content(f"{n}  {text}" if n < 10 else f"   {text}"))
                               for n, text in enumerate(self.choices, 1)), id="choices")
            yield Label("Its number or Enter chooses, Esc leaves it.", id="choice-hint", markup=False)

    @on(OptionList.OptionSelected, "#choices")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)

    def action_pick(self, number: int) -> None:
        if number <= len(self.choices):
            self.dismiss(number - 1)

    def action_cancel(self) -> None:
        self.dismiss(None)
