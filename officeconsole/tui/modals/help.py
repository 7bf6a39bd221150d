"""The help screen: the keys of the screen underneath, the global keys, and search tips."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

SEARCH_TIPS = [
    ("smi", "last names starting with smi, then first names starting with smi"),
    ("smith jo  ·  smith, jo", "Smith with a first name starting jo"),
    ("john smith", "first name, then last name"),
    ("03/14/1962  ·  1962-03-14", "date of birth"),
    ("4155550123 (or its start)", "phone number"),
    ("1042", "MRN 0001042"),
]

GLOBAL_KEYS = [
    ("F1", "this help"),
    ("Ctrl+P", "command palette: go anywhere, do anything by name"),
    ("F12", "lock the console (you or a colleague signs in again)"),
    ("Ctrl+L", "log out (the next person logs in)"),
    ("Ctrl+Q", "quit"),
]


def _table(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", show_header=False,
                  box=None, padding=(0, 2, 0, 0), expand=True)
    table.add_column(style="bold cyan", no_wrap=True, min_width=12)
    table.add_column(ratio=1)
    for key, text in rows:
        table.add_row(Text(key), Text(text))
    return table


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 84; max-width: 100%; height: auto; max-height: 90%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,f1,q", "close", "Close")]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        screen_keys = [
            (self.app.get_key_display(binding), binding.description)
            for binding in getattr(self.under, "BINDINGS", [])
            if isinstance(binding, Binding) and binding.description
        ]
        parts = [Text("Office Console help  (Esc closes)", style="bold"), Text("")]
        if screen_keys:
            parts += [_table("This screen", screen_keys), Text("")]
        parts += [_table("Everywhere", [*GLOBAL_KEYS[:1], *self._sections(), *GLOBAL_KEYS[1:]]), Text(""),
                  _table("Finding a patient: type", SEARCH_TIPS)]
        with VerticalScroll():
            yield Static(Group(*parts))

    def _sections(self) -> list[tuple[str, str]]:
        """The function keys of the sections this person's role may open (the app's one table)."""
        from officeconsole.services.common import permissions
        from officeconsole.tui.sections import SECTIONS

        ctx = getattr(self.app, "ctx", None)
        actor = ctx.actor if ctx is not None else None
        return [(section.key_label, f"{section.title}: {section.summary[0].lower()}{section.summary[1:]}")
                for section in SECTIONS if actor is not None and permissions.allowed(actor.role, section.permission)]

    def action_close(self) -> None:
        self.dismiss(None)
