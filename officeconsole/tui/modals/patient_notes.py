"""A patient's alerts and notes: `a` adds an alert (with the day it expires, if it does), `d` ends
one, `n` adds a note, Esc closes.

Alerts are shown wherever the patient appears at the desk; notes are dated, with who wrote them,
newest first. What was typed is shown literally (no markup), as everywhere a patient's words are.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from officeconsole.services.common.errors import OfficeError
from officeconsole.services.common.text import parse_date
from officeconsole.services.frontdesk.patient_alerts import SUGGESTED_ALERTS, AlertRow, NoteRow, PatientAlertService
from officeconsole.tui.modals.choice import ChoiceModal
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import show_errors, show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar


class TextPrompt(ModalScreen[str | None]):
    """One line of text (an alert, a note): Enter gives it, Esc leaves it."""

    DEFAULT_CSS = """
    TextPrompt { align: center middle; }
    TextPrompt > Vertical { width: 76; max-width: 100%; height: auto; border: thick $primary; background: $panel;
                            padding: 0 1; }
    TextPrompt #prompt-title { text-style: bold; margin-bottom: 1; }
    TextPrompt #prompt-hint { color: $text-muted; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#prompt"

    def __init__(self, title: str, placeholder: str, max_length: int, value: str = "") -> None:
        super().__init__()
        self.title_text, self.placeholder, self.max_length, self.value = title, placeholder, max_length, value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="prompt-title", markup=False)
            yield Input(self.value, placeholder=self.placeholder, id="prompt", max_length=self.max_length)
            yield Label("Enter saves it, Esc leaves it.", id="prompt-hint", markup=False)

    @on(Input.Submitted, "#prompt")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class AlertFormModal(ServiceModal[AlertRow | None]):
    """A new alert and, if it should not last, the day it expires (the last day it is shown).
    Ctrl+S saves it, Esc leaves it; dismisses with the alert saved."""

    DEFAULT_CSS = """
    AlertFormModal { align: center middle; }
    AlertFormModal > Vertical { width: 76; max-width: 100%; height: auto; max-height: 100%;
                                border: thick $primary; background: $panel; padding: 0 1; }
    AlertFormModal #alert-title { text-style: bold; margin-bottom: 1; }
    AlertFormModal #alert-error { color: $error; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#text"

    def __init__(self, patient_id: int) -> None:
        super().__init__()
        self.patient_id = patient_id

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("New alert (shown wherever the patient appears at the desk)", id="alert-title",
                        markup=False)
            yield Label("", id="alert-error", markup=False)
            yield text_field("Alert *", "text", placeholder="e.g. " + "; ".join(SUGGESTED_ALERTS[:2]),
                             max_length=120)
            yield text_field("Expires", "expires_on", placeholder="MM/DD/YYYY (blank: never)", max_length=10)
            yield KeyBar()

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        if event.input.id == "expires_on":
            self.action_save()
        else:
            self.focus_next()

    def action_save(self) -> None:
        typed = values(self)
        try:  # a day that is no date is said at once, under its field (the service checks again)
            expires = parse_date(typed["expires_on"])
        except ValueError as exc:
            self.query_one("#alert-error", Label).update("Please correct the fields marked below.")
            show_errors(self, {"expires_on": f"Expires: {exc}."})
            return
        self.call_service(PatientAlertService(self.app.ctx).add_alert, self.patient_id, typed["text"], expires,
                          then=self.dismiss, on_error=self._refused, group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "alert-error")

    def action_cancel(self) -> None:
        self.dismiss(None)


class PatientNotesModal(ServiceModal[bool]):
    """Dismisses with True when something was changed (the record then reads its alerts again)."""

    DEFAULT_CSS = """
    PatientNotesModal { align: center middle; }
    PatientNotesModal > Vertical { width: 100; max-width: 100%; height: 90%; border: thick $primary;
                                   background: $panel; padding: 0 1; }
    PatientNotesModal #notes-title { text-style: bold; }
    PatientNotesModal .notes-heading { text-style: bold; margin-top: 1; }
    PatientNotesModal #notes-alerts { height: auto; color: $warning; }
    PatientNotesModal #notes-body { height: 1fr; }
    """
    BINDINGS = [
        Binding("a", "add_alert", "Add alert"),
        Binding("d", "end_alert", "End alert"),
        Binding("n", "add_note", "Add note"),
        Binding("escape", "close", "Close"),
    ]

    def __init__(self, patient_id: int, name: str) -> None:
        super().__init__()
        self.patient_id, self.patient_name = patient_id, name
        self.alerts: list[AlertRow] = []
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Alerts and notes: {self.patient_name}", id="notes-title", markup=False)
            yield Label("Alerts", classes="notes-heading")
            yield Static("Loading…", id="notes-alerts", markup=False)
            yield Label("Notes (newest first)", classes="notes-heading")
            with VerticalScroll(id="notes-body"):
                yield Static("", id="notes-list", markup=False)
            yield KeyBar()

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        service = PatientAlertService(self.app.ctx)
        self.call_service(service.alerts_for, self.patient_id, then=self._alerts, group="alerts", exclusive=True)
        self.call_service(service.notes_for, self.patient_id, then=self._notes, group="notes", exclusive=True)

    def _alerts(self, alerts: list[AlertRow]) -> None:
        self.alerts = alerts
        self.query_one("#notes-alerts", Static).update("\n".join(
            f"⚠ {a.text}" + (f" (until {a.expires_on:%m/%d/%Y})" if a.expires_on else "")
            + f" · {a.created_by}, {a.created_at:%m/%d/%Y}" for a in alerts) or "None.")

    def _notes(self, notes: list[NoteRow]) -> None:
        self.query_one("#notes-list", Static).update("\n".join(
            f"{n.written_at:%m/%d/%Y %H:%M} · {n.written_by} · {n.kind}: {n.text}" for n in notes) or "None yet.")

    def action_add_alert(self) -> None:
        if self.allowed("patient.note"):
            self.app.push_screen(AlertFormModal(self.patient_id), self._alert_saved)

    def _alert_saved(self, alert: AlertRow | None) -> None:
        if alert is not None:
            self._saved(alert)

    def action_end_alert(self) -> None:
        if not self.alerts:
            self.app.notify("This patient has no alert to end.", markup=False)
        elif self.allowed("patient.note"):
            self.app.push_screen(ChoiceModal("End which alert?", [a.text for a in self.alerts]), self._end_chosen)

    def _end_chosen(self, index: int | None) -> None:
        if index is not None:
            alert = self.alerts[index]
            self.call_service(PatientAlertService(self.app.ctx).end_alert, alert.id, alert.version,
                              then=self._saved, group="save", exclusive=True)

    def action_add_note(self) -> None:
        if self.allowed("patient.note"):
            self.app.push_screen(TextPrompt("New note (dated, with your name)", "e.g. Called about the bill", 2000),
                                 self._note_typed)

    def _note_typed(self, text: str | None) -> None:
        if text is not None:
            self.call_service(PatientAlertService(self.app.ctx).add_note, self.patient_id, text,
                              then=self._saved, group="save", exclusive=True)

    def _saved(self, _result: object) -> None:
        self.changed = True
        self.load()

    def action_close(self) -> None:
        self.dismiss(self.changed)
