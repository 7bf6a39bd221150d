"""Book an appointment: find the patient, then provider, date, time, type and reason.

The rules are the service's: a refusal that may be set aside (outside hours, in the past,
the patient booked elsewhere) shows why and asks for a reason; nothing typed is lost.
"""

from __future__ import annotations

import datetime as dt

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Footer, Input, Label, Select

from officeconsole.services.booking import AppointmentView, BookingInput, BookingService
from officeconsole.services.errors import NeedsOverride, OfficeError, ValidationError
from officeconsole.services.patients import PatientRow, PatientService, SearchPage
from officeconsole.services.schedule import ProviderRow, TypeRow
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, show_errors, text_field, values
from officeconsole.tui.widgets.results_table import Column, ResultsTable

PATIENT_ROWS = 6


class BookingModal(ServiceModal[AppointmentView | None]):
    DEFAULT_CSS = """
    BookingModal { align: center middle; }
    BookingModal > Vertical {
        width: 100; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    BookingModal #booking-title { text-style: bold; }
    BookingModal #booking-error { color: $error; height: auto; }
    BookingModal #patient-search { margin-top: 1; }
    BookingModal #patient-results { height: 7; }
    BookingModal #patient-chosen { height: 1; text-style: bold; margin-bottom: 1; }
    BookingModal Grid { grid-size: 2; grid-rows: auto; grid-gutter: 0 2; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Book", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#patient-search"

    def __init__(self, providers: list[ProviderRow], types: list[TypeRow], provider_id: int | None,
                 day: dt.date, start: dt.time) -> None:
        super().__init__()
        self.providers = providers
        self.types = types
        self.provider_id = provider_id or (providers[0].id if providers else None)
        self.day = day
        self.start = start
        self.patient: PatientRow | None = None
        self.found: list[PatientRow] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Book an appointment", id="booking-title")
            yield Label("", id="booking-error", markup=False)
            yield Input(placeholder="Find the patient: name, DOB, phone or MRN, then Enter",
                        id="patient-search", compact=True)
            yield ResultsTable(id="patient-results")
            yield Label("No patient chosen yet", id="patient-chosen", markup=False)
            with Grid():
                yield select_field("Provider *", "provider_id", [(p.name, str(p.id)) for p in self.providers],
                                   str(self.provider_id) if self.provider_id else None)
                yield select_field("Type *", "type_id", [(f"{t.name} ({t.minutes} min)", str(t.id))
                                                         for t in self.types],
                                   str(self.types[0].id) if self.types else None)
                yield text_field("Date *", "day", f"{self.day:%m/%d/%Y}", placeholder="MM/DD/YYYY", max_length=10)
                yield text_field("Time *", "start", f"{self.start:%H:%M}", placeholder="HH:MM", max_length=8)
                yield text_field("Minutes", "minutes", "", placeholder="type's length", max_length=3)
                yield text_field("Reason", "reason", "", placeholder="e.g. follow-up: blood pressure",
                                 max_length=500)
            yield text_field("Override", "override_reason", "",
                             placeholder="only to book outside hours, in the past or over another visit",
                             max_length=200)
            yield Footer()

    def on_mount(self) -> None:
        self.query_one("#patient-results", ResultsTable).set_columns(
            [Column("MRN", 8), Column("Name", 30), Column("DOB", 10), Column("Phone", 15)])

    # ----- patient ---------------------------------------------------------------------
    @on(Input.Changed, "#patient-search")
    def _search(self, event: Input.Changed) -> None:
        if not event.value.strip():
            self._found(SearchPage([], None))
            return
        self.call_service(PatientService(self.app.ctx).search, event.value, None, PATIENT_ROWS,
                          then=self._found, group="patient-search", exclusive=True)

    def _found(self, page: SearchPage) -> None:
        self.found = page.rows
        self.query_one("#patient-results", ResultsTable).set_rows(
            [(str(r.id), (r.mrn, r.display_name, f"{r.dob:%m/%d/%Y}", r.phone)) for r in page.rows])

    @on(Input.Submitted, "#patient-search")
    def _to_results(self) -> None:
        if len(self.found) == 1:
            self._choose(self.found[0])
        elif self.found:
            self.query_one("#patient-results", ResultsTable).focus()

    @on(ResultsTable.Selected, "#patient-results")
    def _picked(self, event: ResultsTable.Selected) -> None:
        self._choose(self.found[event.row])

    def _choose(self, patient: PatientRow) -> None:
        self.patient = patient
        self.query_one("#patient-chosen", Label).update(
            f"Patient: {patient.display_name} · MRN {patient.mrn} · born {patient.dob:%m/%d/%Y}")
        self.query_one("#type_id", Select).focus()

    # ----- saving ----------------------------------------------------------------------
    def action_save(self) -> None:
        typed = values(self)
        minutes = typed.get("minutes", "").strip()
        data = BookingInput(
            patient_id=self.patient.id if self.patient else None,
            provider_id=int(typed["provider_id"]) if typed.get("provider_id") else None,
            type_id=int(typed["type_id"]) if typed.get("type_id") else None,
            day=typed.get("day", ""), start=typed.get("start", ""),
            minutes=minutes or None, reason=typed.get("reason", ""),
            override_reason=typed.get("override_reason", ""),
        )
        if data.patient_id is None:
            self._fail("Find and choose the patient first (type in the search box, Enter).")
            self.query_one("#patient-search", Input).focus()
            return
        if minutes and not minutes.isdigit():
            show_errors(self, {"minutes": "Minutes: a whole number, e.g. 20."})
            return
        data.minutes = int(minutes) if minutes else None
        self.call_service(BookingService(self.app.ctx).book, data, then=self.dismiss, on_error=self._refused,
                          group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        if isinstance(exc, ValidationError):
            self._fail("Please correct the fields marked below.")
            show_errors(self, exc.errors)
        elif isinstance(exc, NeedsOverride):
            self._fail(exc.message)
            self.query_one("#override_reason", Input).focus()
        else:
            self._fail(exc.message)

    def _fail(self, message: str) -> None:
        self.query_one("#booking-error", Label).update(message)

    def action_cancel(self) -> None:
        self.dismiss(None)
