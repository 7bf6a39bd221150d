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

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        keys: list[tuple[str, str, bool]] = []
        help_key: tuple[str, str, bool] | None = None
        seen: set[tuple[int, str]] = set()
        for node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or (id(node), binding.action) in seen:
                continue
            seen.add((id(node), binding.action))
            keys.append((self.app.get_key_display(binding), binding.description, enabled))
            if binding.action == "help":
                help_key = keys[-1]
        if self.app.ENABLE_COMMAND_PALETTE:
            keys.append(("^p", "Commands", True))
        width = self.size.width
        if help_key is not None and width and sum(_width(k) for k in keys) > width:
            # Too many for the line: the screen's own keys first, then Help, which lists every key.
            keys.remove(help_key)
            shown_help = (help_key[0], "Help: all keys", True)
            room = width - _width(shown_help)
            kept = []
            for key in keys:
                room -= _width(key)
                if room < 0:
                    break
                kept.append(key)
            keys = [*kept, shown_help]
        line = Text(no_wrap=True, overflow="ellipsis")
        for key, description, enabled in keys:
            line.append(f" {key} ", style="bold reverse" if enabled else "dim reverse")
            line.append(f" {description} " + ("" if key == "^p" else " "), style="" if enabled else "dim")
        self.update(line, layout=False)


def _width(key: tuple[str, str, bool]) -> int:
    return len(key[0]) + len(key[1]) + 5
