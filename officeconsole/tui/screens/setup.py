"""First start on an empty database: the clinic's name and time zone, the first manager."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Button, Input, Label, Static

from officeconsole.services.common.context import Actor
from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.practice.clinic import DEFAULT_TIMEZONE
from officeconsole.services.security import auth
from officeconsole.services.security.auth import MIN_PASSWORD_LENGTH, SetupInput
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.form_field import show_errors, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar


class SetupScreen(ServiceScreen):
    CSS_PATH = "setup.tcss"
    AUTO_FOCUS = "#clinic_name"
    BINDINGS = [Binding("ctrl+s", "save", "Create clinic", priority=True)]

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with Center():
            with Vertical(id="setup-box"):
                yield Label("Welcome to Office Console: set up your clinic", id="setup-title")
                yield Static(
                    "This database is empty. Name the clinic, give its time zone, and create the "
                    "first manager account; the manager then adds everyone else.",
                    id="setup-intro",
                )
                yield text_field("Clinic name", "clinic_name", max_length=200)
                yield text_field("Time zone", "timezone", DEFAULT_TIMEZONE, max_length=64)
                yield text_field("Your username", "username", max_length=40)
                yield text_field("Full name", "full_name", max_length=120)
                yield text_field("Password", "password", password=True,
                                 placeholder=f"at least {MIN_PASSWORD_LENGTH} characters")
                yield text_field("Again", "password_again", password=True)
                yield Button("Create clinic", id="create", variant="primary")
        yield KeyBar()

    def on_mount(self) -> None:
        self.app.refresh_header(self)

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        if event.input.id == "password_again":
            self.action_save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#create")
    def action_save(self) -> None:
        data = SetupInput(**values(self))
        self.query_one("#create", Button).disabled = True
        self.call_service(auth.setup_clinic, self.app.base_ctx, data,
                          then=self._done, on_error=self._failed, exclusive=True)

    def _done(self, actor: Actor) -> None:
        self.app.notify("Clinic created. You are logged in as its manager.", markup=False)
        self.app.start_session(actor, replace=self)

    def _failed(self, exc: OfficeError) -> None:
        self.query_one("#create", Button).disabled = False
        if isinstance(exc, ValidationError):
            show_errors(self, exc.errors)
        else:
            self.show_error(exc)
