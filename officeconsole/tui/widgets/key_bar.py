"""The keys line at the bottom of every screen: one line of text, not a widget per key.

Textual's Footer rebuilds a widget for every key whenever a screen's bindings change (each
push, each focus move), and styling those widgets cost 150-200 ms per screen opened on the
desk's screens (measured with the check-in benchmark). This draws the same information,
the keys and what they do, as a single line.
"""

from __future__ import annotations

from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: $footer-background;
        color: $footer-foreground;
    }
    """

    def __init__(self) -> None:
        super().__init__("", markup=False)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._draw()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen:
            self._draw()

    def _draw(self) -> None:
        line = Text(no_wrap=True, overflow="ellipsis")
        seen: set[tuple[int, str]] = set()
        for node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or (id(node), binding.action) in seen:
                continue
            seen.add((id(node), binding.action))
            line.append(f" {self.app.get_key_display(binding)} ", style="bold reverse" if enabled else "dim reverse")
            line.append(f" {binding.description}  ", style="" if enabled else "dim")
        if self.app.ENABLE_COMMAND_PALETTE:
            line.append(" ^p ", style="bold reverse")
            line.append(" Commands ")
        self.update(line, layout=False)
