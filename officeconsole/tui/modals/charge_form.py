"""Add a charge line: a procedure code from the fee schedule, modifiers, units, diagnosis pointers.

The code field searches the clinic's fee schedule as you type (code or description). A
code already on the visit asks before it is added twice.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label

from officeconsole.services.billing.encounters import ChargeInput, DuplicateCharge, EncounterService, EncounterView
from officeconsole.services.billing.fees import FeeRow, FeeService
from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.common.money import money
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import show_errors, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable


class ChargeModal(ServiceModal[EncounterView | None]):
    CSS_PATH = "coding_forms.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Add line", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#code"

    def __init__(self, encounter: EncounterView) -> None:
        super().__init__()
        self.encounter = encounter
        self.fees: list[FeeRow] = []

    def compose(self) -> ComposeResult:
        dx = ", ".join(f"{p} {code}" for p, code, _ in self.encounter.diagnoses)
        with Vertical(classes="coding-box"):
            yield Label(f"Add a charge for {self.encounter.patient_name} · diagnoses: {dx}",
                        classes="coding-form-title", markup=False)
            yield Label("", id="charge-error", classes="coding-form-error", markup=False)
            with Grid(id="charge-fields"):
                yield text_field("Code *", "code", self.encounter.suggested_code,  # the visit type's usual code
                                 placeholder="type to search the fee schedule", max_length=40)
                yield text_field("Modifiers", "modifiers", "", placeholder="e.g. 25", max_length=14)
                yield text_field("Units", "units", "1", max_length=3)
                yield text_field("Dx pointers", "pointers", "1", placeholder="e.g. 1,2", max_length=9)
            yield ResultsTable(id="fee-results")
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#fee-results", ResultsTable).set_columns(
            [Column("Code", 5), Column("Description", 50), Column("Fee", 10)])
        self.call_service(FeeService(self.app.ctx).fees, then=self._fees, group="fees")

    def _fees(self, fees: list[FeeRow]) -> None:
        self.fees = fees
        self._filter(self.query_one("#code", Input).value)

    @on(Input.Changed, "#code")
    def _typed(self, event: Input.Changed) -> None:
        self._filter(event.value)

    def _filter(self, text: str) -> None:
        wanted = text.strip().lower()
        rows = [f for f in self.fees if not wanted or f.code.lower().startswith(wanted) or wanted in f.description.lower()]
        self.query_one("#fee-results", ResultsTable).set_rows(
            [(f.code, (f.code, f.description, money(f.fee))) for f in rows[:50]])

    @on(ResultsTable.Selected, "#fee-results")
    def _picked(self, event: ResultsTable.Selected) -> None:
        self.query_one("#code", Input).value = event.key
        self.query_one("#modifiers", Input).focus()

    def action_save(self, allow_duplicate: bool = False) -> None:
        typed = values(self)
        data = ChargeInput(typed.get("code", ""), typed.get("modifiers", ""), typed.get("units", "1"),
                           typed.get("pointers", ""), allow_duplicate=allow_duplicate)
        self.call_service(EncounterService(self.app.ctx).add_charge, self.encounter.id, self.encounter.version, data,
                          then=self.dismiss, on_error=self._refused, group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        if isinstance(exc, DuplicateCharge):
            self.app.push_screen(ConfirmModal("The same charge twice?", exc.message, "Add again", "No"),
                                 lambda yes: self.action_save(allow_duplicate=True) if yes else None)
            return
        if isinstance(exc, ValidationError):
            show_errors(self, exc.errors)
        self.query_one("#charge-error", Label).update(exc.message)

    def action_cancel(self) -> None:
        self.dismiss(None)
