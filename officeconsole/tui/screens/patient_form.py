"""Register a new patient or edit one: validated by the service, errors under each field.

Nothing typed is lost on a refusal: a duplicate asks before saving, a conflicting edit
by someone else is reported and the form stays as it was.
"""

from __future__ import annotations

from dataclasses import asdict, fields, replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.widgets import Input, Label

from officeconsole.services.common.errors import OfficeError, PossibleDuplicate, ValidationError
from officeconsole.services.frontdesk.patients import PatientInput, PatientRecord, PatientService, needs_latin_name
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.form_field import select_field, show_errors, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar

SEX_OPTIONS = [("F  Female", "F"), ("M  Male", "M"), ("X  Other", "X"), ("U  Unknown", "U")]
CONTACT_OPTIONS = [("Phone call", "phone"), ("Text message", "sms"), ("E-mail", "email"),
                   ("Letter", "mail")]


class PatientFormScreen(ServiceScreen):
    """Dismisses with the patient's id when saved, None when abandoned."""

    CSS_PATH = "patient_form.tcss"
    AUTO_FOCUS = "#first_name"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, record: PatientRecord | None) -> None:
        super().__init__()
        self.record = record
        self.start = record.as_input() if record else PatientInput()

    def compose(self) -> ComposeResult:
        v = self.start
        clinic = getattr(self.app, "clinic", None)
        if self.record is None and not v.state and clinic is not None and clinic.state:
            v = self.start = replace(v, state=clinic.state)  # the clinic's state, saved as shown
        yield AppHeader()
        title = (f"Edit {self.record.display_name} · MRN {self.record.mrn}" if self.record
                 else "Register a new patient")
        yield Label(title, id="form-title", markup=False)
        yield Label("", id="form-error", markup=False)
        with VerticalScroll():
            with Grid(id="patient-grid"):
                yield text_field("First name *", "first_name", v.first_name, max_length=100)
                yield text_field("Last name *", "last_name", v.last_name, max_length=100)
                yield text_field("Middle name", "middle_name", v.middle_name, max_length=100)
                yield text_field("Preferred", "preferred_name", v.preferred_name, max_length=100)
                yield text_field("Birth date *", "dob", str(v.dob), placeholder="MM/DD/YYYY",
                                 max_length=10)
                yield select_field("Sex *", "sex", SEX_OPTIONS, v.sex or "U")
                yield text_field("Phone", "phone", v.phone, placeholder="e.g. (217) 555-0100",
                                 max_length=25)
                yield text_field("E-mail", "email", v.email, max_length=254)
                yield text_field("Address", "address_line1", v.address_line1, max_length=200)
                yield text_field("Address 2", "address_line2", v.address_line2, max_length=200)
                yield text_field("City", "city", v.city, max_length=100)
                yield text_field("State", "state", v.state, placeholder="2 letters, e.g. IL", max_length=2)
                yield text_field("ZIP", "postal_code", v.postal_code, max_length=10)
                yield select_field("Contact by", "preferred_contact", CONTACT_OPTIONS,
                                   v.preferred_contact or "phone")
            # Asked for when the name has no Latin letters: claims carry the name as on the insurance card.
            latin = needs_latin_name(v.first_name, v.last_name) or bool(v.latin_first_name or v.latin_last_name)
            yield Label("The name has no Latin letters: type it as on the insurance card (claims need it).",
                        id="latin-help", classes="" if latin else "hidden")
            with Grid(id="latin-grid", classes="" if latin else "hidden"):
                yield text_field("First (Latin)", "latin_first_name", v.latin_first_name, max_length=100)
                yield text_field("Last (Latin)", "latin_last_name", v.latin_last_name, max_length=100)
        yield Label("Ctrl+S saves · Esc cancels · * required", id="form-help")
        yield KeyBar()

    def on_screen_resume(self) -> None:
        self.app.refresh_header(self)

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    @on(Input.Changed, "#first_name, #last_name")
    def _ask_for_latin_name(self) -> None:
        typed = values(self)
        latin = needs_latin_name(typed["first_name"], typed["last_name"]) or bool(
            typed["latin_first_name"] or typed["latin_last_name"])
        for widget in (self.query_one("#latin-help"), self.query_one("#latin-grid")):
            widget.set_class(not latin, "hidden")

    def _input(self) -> PatientInput:
        typed = values(self)
        return PatientInput(**{f.name: typed.get(f.name, "") for f in fields(PatientInput)})

    def _dirty(self) -> bool:
        start = {k: str(v) for k, v in asdict(self.start).items()}
        return {k: str(v) for k, v in asdict(self._input()).items()} != start

    def action_save(self, allow_duplicate: bool = False) -> None:
        data = self._input()
        service = PatientService(self.app.ctx)
        if self.record is None:
            self.call_service(service.register, data, allow_duplicate=allow_duplicate,
                              then=self._saved, on_error=self._refused, exclusive=True, group="save")
        else:
            self.call_service(service.update, self.record.id, self.record.version, data,
                              then=self._saved, on_error=self._refused, exclusive=True, group="save")

    def _saved(self, record: PatientRecord) -> None:
        verb = "Registered" if self.record is None else "Saved"
        self.app.notify(f"{verb} {record.display_name} · MRN {record.mrn}", markup=False)
        self.dismiss(record.id)

    def _refused(self, exc: OfficeError) -> None:
        error = self.query_one("#form-error", Label)
        if isinstance(exc, ValidationError):
            error.update("Please correct the fields marked below.")
            show_errors(self, exc.errors)
        elif isinstance(exc, PossibleDuplicate):
            matches = "\n".join(f"  MRN {m.mrn}  {m.display_name}  born {m.dob:%m/%d/%Y}"
                                for m in exc.matches)
            self.app.push_screen(
                ConfirmModal("Possible duplicate",
                             f"A patient with this name and date of birth exists already:\n"
                             f"{matches}\n\nRegister a new, separate patient anyway?",
                             yes="Register anyway", no="Go back"),
                lambda yes: self.action_save(allow_duplicate=True) if yes else None,
            )
        else:
            error.update(exc.message)
            self.show_error(exc)

    def action_cancel(self) -> None:
        if not self._dirty():
            self.dismiss(None)
            return
        self.app.push_screen(
            ConfirmModal("Discard changes?", "You have typed changes that are not saved.",
                         yes="Discard", no="Keep editing"),
            lambda yes: self.dismiss(None) if yes else None,
        )
