"""Find and choose a patient inside a form: the Patients screen's search, a few rows of it.

Type, Enter (one match is chosen at once; several move to the list), Enter on a row. The
search runs in a worker like every service call; the form hears `PatientPicker.Chosen`.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label

from officeconsole.services.frontdesk.patients import PatientRow, PatientService, SearchPage
from officeconsole.tui.widgets.results_table import Column, ResultsTable

ROWS = 6


class PatientPicker(Vertical):
    DEFAULT_CSS = """
    PatientPicker { height: auto; }
    PatientPicker #picker-results { height: 7; }
    PatientPicker #picker-chosen { height: 1; text-style: bold; }
    """

    class Chosen(Message):
        def __init__(self, patient: PatientRow) -> None:
            super().__init__()
            self.patient = patient

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.found: list[PatientRow] = []
        self.patient: PatientRow | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Find the patient: name, DOB, phone or MRN, then Enter",
                    id="picker-search", compact=True)
        yield ResultsTable(id="picker-results")
        yield Label("No patient chosen yet", id="picker-chosen", markup=False)

    def on_mount(self) -> None:
        self.query_one("#picker-results", ResultsTable).set_columns(
            [Column("MRN", 8), Column("Name", 30), Column("DOB", 10), Column("Phone", 15)])

    def focus_search(self) -> None:
        self.query_one("#picker-search", Input).focus()

    @on(Input.Changed, "#picker-search")
    def _search(self, event: Input.Changed) -> None:
        event.stop()
        if not event.value.strip():
            self._found(SearchPage([], None))
            return
        self.screen.call_service(PatientService(self.app.ctx).search, event.value, None, ROWS,
                                 then=self._found, group="patient-search", exclusive=True)

    def _found(self, page: SearchPage) -> None:
        self.found = page.rows
        self.query_one("#picker-results", ResultsTable).set_rows(
            [(str(r.id), (r.mrn, r.display_name, f"{r.dob:%m/%d/%Y}", r.phone)) for r in page.rows])

    def key_down(self, event) -> None:
        """Down from the search box moves into the results."""
        if self.app.focused is self.query_one("#picker-search", Input) and self.found:
            event.stop()
            event.prevent_default()
            self.query_one("#picker-results", ResultsTable).focus()

    @on(Input.Submitted, "#picker-search")
    def _to_results(self, event: Input.Submitted) -> None:
        event.stop()
        if len(self.found) == 1:
            self.choose(self.found[0])
        elif self.found:
            self.query_one("#picker-results", ResultsTable).focus()

    @on(ResultsTable.Selected, "#picker-results")
    def _picked(self, event: ResultsTable.Selected) -> None:
        event.stop()
        self.choose(self.found[event.row])

    def choose(self, patient: PatientRow) -> None:
        """Take this patient (from the list, or just registered: anything with id, name, MRN, DOB)."""
        self.patient = patient
        self.query_one("#picker-chosen", Label).update(
            f"Patient: {patient.display_name} · MRN {patient.mrn} · born {patient.dob:%m/%d/%Y}")
        self.post_message(self.Chosen(patient))
