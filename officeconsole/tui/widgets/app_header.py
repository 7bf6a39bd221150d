"""One header line: the clinic, the date, who is signed in with which role, and the keys that lock
the console or log out (always in view here; the key bar's end can be cut off at 80 columns)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label


class AppHeader(Horizontal):
    DEFAULT_CSS = """
    AppHeader {
        dock: top;
        height: 1;
        background: $primary;
        color: $text;
    }
    AppHeader > Label { width: 1fr; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    AppHeader > #header-date { content-align: center middle; width: auto; }
    AppHeader > #header-user { text-align: right; }
    AppHeader > #header-keys { width: auto; text-style: bold; }
    """

    def compose(self) -> ComposeResult:
        yield Label("Office Console", id="header-clinic", markup=False)
        yield Label("", id="header-date", markup=False)
        yield Label("", id="header-user", markup=False)
        yield Label("", id="header-keys", markup=False)

    def show(self, clinic: str, date: str, user: str, signed_in: bool = False) -> None:
        self.query_one("#header-clinic", Label).update(clinic)
        self.query_one("#header-date", Label).update(date)
        self.query_one("#header-user", Label).update(user)
        self.query_one("#header-keys", Label).update("F12 Lock · ^L Log out" if signed_in else "")
