"""Edit a visit's diagnoses: codes in order (primary first), with a search of the code set.

Type codes separated by spaces or commas, or search by code or words below and press Enter
on a result to add it. Ctrl+S saves: invalid or non-billable codes are named one by one.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from officeconsole.services.billing.codes import search_icd10, warm_icd10
from officeconsole.services.billing.encounters import EncounterService, EncounterView
from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import text_field
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable


class DiagnosesModal(ServiceModal[EncounterView | None]):
    CSS_PATH = "coding_forms.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save diagnoses", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#dx-search"

    def __init__(self, encounter: EncounterView) -> None:
        super().__init__()
        self.encounter = encounter
        self.found: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="coding-box"):
            yield Label(f"Diagnoses for {self.encounter.patient_name}, primary first", classes="coding-form-title",
                        markup=False)
            yield Label("", id="dx-error", classes="coding-form-error", markup=False)
            yield text_field("Codes", "dx-codes", " ".join(code for _, code, _ in self.encounter.diagnoses),
                             placeholder="primary first, e.g. E11.9 I10")
            yield Input(placeholder="Search ICD-10-CM: a code (e11) or words (type 2 diabetes), Enter adds",
                        id="dx-search", compact=True)
            yield ResultsTable(id="dx-results")
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#dx-results", ResultsTable).set_columns([Column("Code", 8), Column("Description", 80)])
        self.call_service(warm_icd10, group="warm")  # the code set loads while the biller reads

    @on(Input.Changed, "#dx-search")
    def _search(self, event: Input.Changed) -> None:
        self.call_service(search_icd10, event.value, 30, then=self._found, group="search", exclusive=True)

    def _found(self, found: list[tuple[str, str]]) -> None:
        self.found = found
        self.query_one("#dx-results", ResultsTable).set_rows([(code, (code, text)) for code, text in found])

    @on(Input.Submitted, "#dx-search")
    def _to_results(self) -> None:
        if len(self.found) == 1:
            self._add(self.found[0][0])
        elif self.found:
            self.query_one("#dx-results", ResultsTable).focus()

    @on(ResultsTable.Selected, "#dx-results")
    def _picked(self, event: ResultsTable.Selected) -> None:
        self._add(event.key)

    def _add(self, code: str) -> None:
        codes = self.query_one("#dx-codes", Input)
        present = codes.value.replace(",", " ").split()
        if code not in present:
            codes.value = " ".join([*present, code])
        search = self.query_one("#dx-search", Input)
        search.value = ""
        search.focus()

    def action_save(self) -> None:
        codes = self.query_one("#dx-codes", Input).value.replace(",", " ").split()
        self.call_service(EncounterService(self.app.ctx).set_diagnoses, self.encounter.id, self.encounter.version,
                          codes, then=self.dismiss, on_error=self._refused, group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        message = "; ".join(exc.errors.values()) if isinstance(exc, ValidationError) else exc.message
        self.query_one("#dx-error", Label).update(message)

    def action_cancel(self) -> None:
        self.dismiss(None)
