"""The clinic's sign-in rules (Practice setup -> Sign-in rules, managers): how long the console
may sit idle before it locks, the shortest password and PIN, and how many failed attempts lock an
account for how long: what `officeconsole user sign-in-rules` sets. Each stays within safe limits
(shown beside it); a refused value is shown under its field and nothing typed is lost."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from officeconsole.services.common.errors import OfficeError
from officeconsole.services.security.sign_in import LIMITS, SecuritySettings, SignInService
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar

FIELDS = (  # the setting, its short label, the unit, what it means
    ("idle_lock_minutes", "Idle lock", "minutes", "minutes without a key press before the console locks"),
    ("min_password_length", "Password", "characters", "the shortest password, in characters"),
    ("min_pin_length", "PIN", "digits", "the shortest PIN, in digits"),
    ("lockout_attempts", "Attempts", "failed sign-ins", "failed sign-ins that lock an account"),
    ("lockout_minutes", "Lockout", "minutes", "minutes an account stays locked"),
)


class SignInRulesModal(ServiceModal[SecuritySettings | None]):
    DEFAULT_CSS = """
    SignInRulesModal { align: center middle; }
    SignInRulesModal > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    SignInRulesModal #rules-title { text-style: bold; }
    SignInRulesModal .form-hint { color: $text-muted; height: auto; width: 1fr; }
    SignInRulesModal #rules-error { color: $error; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#idle_lock_minutes"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Sign-in rules", id="rules-title")
            yield Label("Apply to everyone: a new shortest password or PIN is asked for at the next change; "
                        "the idle lock at once on this console, at the next sign-in elsewhere.",
                        classes="form-hint")
            yield Label("", id="rules-error", markup=False)
            for key, label, unit, _meaning in FIELDS:
                low, high = LIMITS[key]
                yield text_field(label, key, placeholder=f"{low} to {high} {unit}", max_length=3)
            yield Label("\n".join(f"{label}: {meaning} ({LIMITS[key][0]} to {LIMITS[key][1]})"
                                  for key, label, _unit, meaning in FIELDS), classes="form-hint")
            yield KeyBar()

    def on_mount(self) -> None:
        self.call_service(SignInService(self.app.ctx).rules, then=self._show, group="load")

    def _show(self, rules: SecuritySettings) -> None:
        for key, *_rest in FIELDS:
            field = self.query_one(f"#{key}", Input)
            if not field.value:  # anything already typed stays
                field.value = str(getattr(rules, key))

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        if event.input.id == FIELDS[-1][0]:
            self.action_save()
        else:
            self.focus_next()

    def action_save(self) -> None:
        self.call_service(SignInService(self.app.ctx).set_rules, **values(self), then=self._saved,
                          on_error=self._refused, exclusive=True, group="save")

    def _saved(self, rules: SecuritySettings) -> None:
        self.app.idle_lock_minutes = rules.idle_lock_minutes  # this console at once; others at their next login
        self.app.notify("Sign-in rules saved.", markup=False)
        self.dismiss(rules)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "rules-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
