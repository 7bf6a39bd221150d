"""The database passphrase: shown over the login screen when the database is encrypted and
neither the OS keyring nor $OFFICECONSOLE_DB_PASSPHRASE gave its key.

The passphrase (or the recovery code) is tried in a worker thread (Argon2id takes a moment);
a wrong one is said plainly and asked again, and nothing of the database shows meanwhile.
When it opens, the screen returns the app's start state and the login screen is next.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Input, Label

from officeconsole.services.common.errors import DatabaseLocked, OfficeError
from officeconsole.tui.widgets.form_field import text_field


class UnlockDatabaseScreen(Screen[Any]):
    CSS_PATH = "unlock_database.tcss"
    AUTO_FOCUS = "#db-passphrase"

    def __init__(self, message: str, opener: Callable[[str], Any]) -> None:
        """`opener(passphrase)` opens the database (in a thread) and returns what the screen
        dismisses with; it raises DatabaseLocked for a wrong passphrase."""
        super().__init__()
        self.message = message
        self.opener = opener

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(id="unlock-box"):
                yield Label("Unlock the database", id="unlock-title")
                yield Label(self.message, id="unlock-error", markup=False)
                yield text_field("Passphrase", "db-passphrase", password=True, max_length=200)
                yield Label("The clinic's database passphrase, or the recovery code kept on paper. "
                            "Ctrl+Q quits.", id="unlock-hint", markup=False)

    @on(Input.Submitted, "#db-passphrase")
    def _submit(self) -> None:
        field = self.query_one("#db-passphrase", Input)
        passphrase = field.value
        field.value = ""
        if not passphrase:
            self._show("Type the database passphrase.")
            return
        field.disabled = True
        self._show("Opening the database…")
        self._try(passphrase)

    @work(thread=True, exclusive=True, group="unlock-database", exit_on_error=False)
    def _try(self, passphrase: str) -> None:
        try:
            state = self.opener(passphrase)
        except DatabaseLocked as exc:
            self.app.call_from_thread(self._refused, exc.message)
        except OfficeError as exc:  # it opened, but cannot be used (a newer schema...): as at any start
            self.app.call_from_thread(self._failed, exc.message)
        else:
            self.app.call_from_thread(self.dismiss, state)

    def _refused(self, message: str) -> None:
        self._show(message)
        field = self.query_one("#db-passphrase", Input)
        field.disabled = False
        field.focus()

    def _failed(self, message: str) -> None:
        self.app.start_error = message
        self.app.exit(None, 1)

    def _show(self, message: str) -> None:
        self.query_one("#unlock-error", Label).update(message)
