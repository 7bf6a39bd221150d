"""A checkbox that shows its state as a mark (✓ or blank), not by colour alone."""

from __future__ import annotations

from textual.widgets import Checkbox


class TickBox(Checkbox):
    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # read by ToggleButton on each render
        return "✓" if self.value else " "
