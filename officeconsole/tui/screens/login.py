"""The login screen: every start after setup, and after each log-out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import Button, Input, Label, Static

from officeconsole.services.common.errors import OfficeError
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.form_field import text_field
from officeconsole.tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from officeconsole.services.common.context import Actor


class LoginScreen(ServiceScreen):
    CSS_PATH = "login.tcss"
    AUTO_FOCUS = "#username"

    def __init__(self, notice: str | None = None) -> None:
        super().__init__()
        self.notice = notice

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with Center():
            with Vertical(id="login-box"):
                yield Label("Log in", id="login-title")
                yield text_field("Username", "username", max_length=40)
                yield text_field("Password/PIN", "password", password=True, max_length=200)
                yield Label("", id="login-error", markup=False)
                yield Button("Log in", id="login", variant="primary")
        if self.notice:
            yield Static(self.notice, id="login-notice", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.app.refresh_header(self)

    @on(Input.Submitted, "#username")
    def _next(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#login")
    def _submit(self) -> None:
        username = self.query_one("#username", Input).value
        password = self.query_one("#password", Input).value
        if not username.strip():
            self._fail("Type your username.")
            self.query_one("#username", Input).focus()
            return
        if not self.app.ready:
            self._fail("Still opening the database: press Enter again in a moment.")
            return
        from officeconsole.services.security import auth

        self.query_one("#login", Button).disabled = True
        self.call_service(auth.login, self.app.base_ctx, username, password,
                          then=self._logged_in, on_error=self._rejected, exclusive=True)

    def _logged_in(self, actor: Actor) -> None:
        self.reset()
        self.app.start_session(actor)

    def _rejected(self, exc: OfficeError) -> None:
        self.query_one("#login", Button).disabled = False
        self._fail(exc.message)
        password = self.query_one("#password", Input)
        password.value = ""
        password.focus()

    def _fail(self, message: str) -> None:
        self.query_one("#login-error", Label).update(message)

    def reset(self) -> None:
        """Leave nothing of the last person behind: no password, no error."""
        self.query_one("#username", Input).value = ""
        self.query_one("#password", Input).value = ""
        self.query_one("#login-error", Label).update("")
        self.query_one("#login", Button).disabled = False
        self.query_one("#username", Input).focus()
