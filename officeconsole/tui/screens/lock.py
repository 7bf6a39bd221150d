"""The lock screen: shown after the clinic's idle minutes without a key pressed, or at once
with F12. It covers the whole console (a full screen, not a modal: nothing behind it shows
through) and carries no patient data; the toasts are cleared when it goes up.

The person who locked it types their PIN or password and carries on where they were.
Someone else types their own username: the previous person's screens are closed first
(unsaved forms included), then the newcomer starts from their own home screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import Input, Label

from officeconsole.services.common.errors import OfficeError
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.form_field import text_field

if TYPE_CHECKING:
    from officeconsole.services.common.context import Actor


class LockScreen(ServiceScreen):
    CSS_PATH = "lock.tcss"
    AUTO_FOCUS = "#secret"

    def __init__(self, actor: Actor, reason: str, clinic_name: str, at: str) -> None:
        super().__init__()
        self.actor = actor
        self.reason = reason
        self.clinic_name = clinic_name
        self.at = at

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(id="lock-box"):
                yield Label(f"{self.clinic_name} · locked at {self.at}", id="lock-title", markup=False)
                yield Label(f"{self.actor.full_name} was signed in ({self.reason}).", id="lock-who", markup=False)
                yield text_field("Username", "username", self.actor.username, max_length=40)
                yield text_field("PIN/password", "secret", password=True, max_length=200)
                yield Label("", id="lock-error", markup=False)
                yield Label("Your PIN or password: back where you left off. Someone else: your own username "
                            "and PIN (after your first login today) or password; the screens left open here "
                            "are closed first, unsaved forms discarded.", id="lock-hint", markup=False)

    @on(Input.Submitted, "#username")
    def _next(self) -> None:
        self.query_one("#secret", Input).focus()

    @on(Input.Changed, "#username")
    def _other_person(self) -> None:
        self.query_one("#lock-error", Label).update("")

    @on(Input.Submitted, "#secret")
    def _submit(self) -> None:
        from officeconsole.services.security import sign_in

        username = self.query_one("#username", Input).value
        secret = self.query_one("#secret", Input).value
        if not username.strip() or not secret:
            self._fail("Type your username and your PIN or password.")
            return
        self.call_service(sign_in.unlock, self.app.base_ctx, self.actor, username, secret, then=self._opened,
                          on_error=self._fail_with, group="unlock", exclusive=True)

    def _opened(self, result: tuple[Actor, bool]) -> None:
        actor, same = result
        self.query_one("#secret", Input).value = ""
        if same:
            self.app.unlock()
        else:
            self.app.switch_user(actor)

    def _fail_with(self, exc: OfficeError) -> None:
        self._fail(exc.message)

    def _fail(self, message: str) -> None:
        self.query_one("#lock-error", Label).update(message)
        secret = self.query_one("#secret", Input)
        secret.value = ""
        secret.focus()
