"""Coding one visit: its diagnoses (ICD-10-CM, in order) and its charge lines.

`d` edits the diagnoses (type codes, or search the code set by code or words and press
Enter to add one), `n` adds a charge line (search the fee schedule as you type), `x`
removes the highlighted line, `o` sets the place of service. Every rule (valid and billable codes, pointers, a charge
entered twice) is the encounter service's.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label

from officeconsole.services.billing.encounters import EncounterService, EncounterView
from officeconsole.services.common.money import money
from officeconsole.tui.modals.charge_form import ChargeModal
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.diagnoses_form import DiagnosesModal
from officeconsole.tui.modals.reason import ReasonModal
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable


class CodingScreen(ServiceScreen):
    CSS_PATH = "coding.tcss"
    AUTO_FOCUS = "#lines"
    BINDINGS = [
        Binding("d", "diagnoses", "Diagnoses"),
        Binding("n", "new_line", "Add charge"),
        Binding("x", "remove_line", "Remove line"),
        Binding("o", "place", "Place of service"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, encounter_id: int) -> None:
        super().__init__()
        self.encounter_id = encounter_id
        self.encounter: EncounterView | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Label("Loading…", id="coding-title", markup=False)
        yield Label("Diagnoses (d to edit)", classes="coding-section")
        yield ResultsTable(id="diagnoses")
        yield Label("Charges (n to add, x to remove)", classes="coding-section")
        yield ResultsTable(id="lines")
        yield Label("", id="coding-total", markup=False)
        yield Label("Given at this visit (from stock: lot and expiry)", id="given-title", classes="coding-section")
        yield ResultsTable(id="given")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#diagnoses", ResultsTable).set_columns([Column("#", 2), Column("Code", 8),
                                                                Column("Description", 90)])
        self.query_one("#lines", ResultsTable).set_columns([
            Column("Line", 4), Column("Code", 5), Column("Description", 34), Column("Mods", 11), Column("Units", 5),
            Column("Fee", 10), Column("Amount", 11), Column("Dx", 7)])
        self.query_one("#given", ResultsTable).set_columns([
            Column("Item", 34), Column("Lot", 14), Column("Expires", 10), Column("Qty", 4), Column("Given by", 20),
            Column("At", 8)])
        self.load()

    def on_screen_resume(self) -> None:
        self.app.refresh_header(self)

    def load(self) -> None:
        self.call_service(EncounterService(self.app.ctx).encounter, self.encounter_id, then=self._show,
                          group="load", exclusive=True)

    def _show(self, encounter: EncounterView) -> None:
        self.encounter = encounter
        self.query_one("#coding-title", Label).update(
            f"Code visit: {encounter.patient_name} · {encounter.date_of_service:%m/%d/%Y} · {encounter.provider_name}"
            f" · place {encounter.place_of_service} · {encounter.status.replace('_', ' ')}")
        self.query_one("#diagnoses", ResultsTable).set_rows(
            [(str(p), (str(p), code, description)) for p, code, description in encounter.diagnoses])
        self.query_one("#lines", ResultsTable).set_rows([
            (str(line.id), (str(line.line_no), line.code, line.description, line.modifiers, str(line.units),
                            money(line.fee), money(line.amount), line.pointers)) for line in encounter.lines])
        self.query_one("#coding-total", Label).update(f"Total charges {money(encounter.total)}")
        self.query_one("#given", ResultsTable).set_rows([
            (str(n), (g.item, g.lot_number or "(no lot)", f"{g.expires_on:%m/%d/%Y}" if g.expires_on else "-",
                      str(g.quantity), g.given_by, f"{g.at:%H:%M}")) for n, g in enumerate(encounter.given)])
        for widget in ("#given-title", "#given"):
            self.query_one(widget).display = bool(encounter.given)

    def action_diagnoses(self) -> None:
        if self.encounter is not None and self.allowed("billing.code"):
            self.app.push_screen(DiagnosesModal(self.encounter), self._changed)

    def action_new_line(self) -> None:
        if self.encounter is None or not self.allowed("billing.code"):
            return
        if not self.encounter.diagnoses:
            self.app.notify("Enter the diagnoses first (d): every line points at one.", markup=False)
            return
        self.app.push_screen(ChargeModal(self.encounter), self._changed)

    def action_remove_line(self) -> None:
        table = self.query_one("#lines", ResultsTable)
        if self.encounter is None or not table.row_count or not self.allowed("billing.code"):
            return
        line = self.encounter.lines[table.cursor_row]
        encounter = self.encounter

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(EncounterService(self.app.ctx).remove_charge, encounter.id, encounter.version,
                                  line.id, then=self._show, group="save", exclusive=True)
        self.app.push_screen(ConfirmModal("Remove charge line", f"Remove line {line.line_no} ({line.code})?",
                                          "Remove", "Keep"), answered)

    def action_place(self) -> None:
        if self.encounter is None or not self.allowed("billing.code"):
            return
        encounter = self.encounter

        def typed(code: str | None) -> None:
            if code:
                self.call_service(EncounterService(self.app.ctx).set_place_of_service, encounter.id,
                                  encounter.version, code, then=self._show, group="save", exclusive=True)
        self.app.push_screen(ReasonModal(f"Place of service (now {encounter.place_of_service}): 11 office, "
                                         "02/10 telehealth, 12 home", "Two digits, e.g. 11"), typed)

    def _changed(self, encounter: EncounterView | None) -> None:
        if encounter is not None:
            self._show(encounter)

    def action_back(self) -> None:
        self.dismiss()
