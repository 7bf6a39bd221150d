"""Set or change your own PIN: your password first (it proves you are at the keyboard), then the
PIN twice. The PIN unlocks the console and switches to you after your first password login of
the day; its rules (length, no 1111 or 1234) are the sign-in service's."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from officeconsole.services.common.errors import OfficeError
from officeconsole.services.security.sign_in import SignInService
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar


class PinModal(ServiceModal[bool | None]):
    CSS_PATH = "pin_form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="pin-box"):
            yield Label("Set my PIN", id="pin-title", markup=False)
            yield Label("", id="pin-error", markup=False)
            yield text_field("Password", "password", password=True, max_length=200)
            yield text_field("New PIN", "pin", password=True, max_length=12)
            yield text_field("PIN again", "pin_again", password=True, max_length=12)
            yield Label("Digits only. It unlocks the console and switches to you after your first login of "
                        "the day with your password.", id="pin-hint", markup=False)
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        if event.input.id == "pin_again":
            self.action_save()
        else:
            self.focus_next()

    def action_save(self) -> None:
        typed = values(self)
        self.call_service(SignInService(self.app.ctx).set_pin, typed["password"], typed["pin"], typed["pin_again"],
                          then=self._saved, on_error=self._refused, group="save", exclusive=True)

    def _saved(self, _: None) -> None:
        self.app.notify("PIN set: it unlocks the console after your first login of the day.", markup=False)
        self.dismiss(True)

    def _refused(self, exc: OfficeError) -> None:
        for field in ("password", "pin", "pin_again"):
            self.query_one(f"#{field}", Input).value = ""
        show_refusal(self, exc, "pin-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
