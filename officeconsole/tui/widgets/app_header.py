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

    _shown: tuple[str, ...] = ("Office Console", "", "", "")

    def compose(self) -> ComposeResult:
        yield Label("Office Console", id="header-clinic", markup=False)
        yield Label("", id="header-date", markup=False)
        yield Label("", id="header-user", markup=False)
        yield Label("", id="header-keys", markup=False)

    def show(self, clinic: str, date: str, user: str, signed_in: bool = False) -> None:
        """Only what changed is updated: each update lays the screen out again, and a kept screen
        shows the header again on every visit."""
        texts = (clinic, date, user, "F12 Lock · ^L Log out" if signed_in else "")
        if texts == self._shown:
            return
        self._shown = texts
        for label, text in zip(("#header-clinic", "#header-date", "#header-user", "#header-keys"), texts, strict=True):
            self.query_one(label, Label).update(text)
