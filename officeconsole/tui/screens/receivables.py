"""Accounts receivable (`A` in the billing queue): aging by payer and by patient, days in A/R,
and the denial work list. On a denial, `w` writes it off and `b` bills the patient; `t` writes
statements for every patient owing more than $10."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label

from officeconsole.services.billing.receivables import BUCKETS, Aging, ReceivablesService
from officeconsole.services.billing.remittance import DenialRow, RemittanceService
from officeconsole.services.billing.statements import StatementService
from officeconsole.services.common.money import money
from officeconsole.services.common.text import plural
from officeconsole.services.frontdesk.ledger import new_request_key
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.write_off import WriteOffModal
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable

STATEMENT_OVER = "10"


class ReceivablesScreen(ServiceScreen):
    CSS_PATH = "receivables.tcss"
    AUTO_FOCUS = "#denials"
    BINDINGS = [
        Binding("w", "write_off", "Write off"),
        Binding("b", "bill_patient", "Bill patient"),
        Binding("t", "statements", "Statements"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.denials: list[DenialRow] = []

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Label("Accounts receivable", id="ar-title", markup=False)
        yield Label("Insurance, by payer", classes="ar-section")
        yield ResultsTable(id="payers")
        yield Label("Patients, largest balances first", classes="ar-section")
        yield ResultsTable(id="patients")
        yield Label("Denial work list (w write off, b bill the patient)", classes="ar-section")
        yield ResultsTable(id="denials")
        yield KeyBar()

    def on_mount(self) -> None:
        buckets = [Column(b, 11) for b in BUCKETS]
        self.query_one("#payers", ResultsTable).set_columns([Column("Payer", 30), *buckets, Column("Total", 12)])
        self.query_one("#patients", ResultsTable).set_columns([Column("Patient", 30), *buckets, Column("Total", 12)])
        self.query_one("#denials", ResultsTable).set_columns([
            Column("Claim", 8), Column("Service", 10), Column("Patient", 22), Column("Payer", 20), Column("Line", 10),
            Column("Owing", 10), Column("Denial", 40), Column("Days", 5)])

    def on_screen_resume(self) -> None:
        self.app.refresh_header(self)
        self.load()

    def load(self) -> None:
        self.call_service(self._fetch, then=self._show, group="load", exclusive=True)

    def _fetch(self) -> tuple[Aging, list[DenialRow]]:
        return ReceivablesService(self.app.ctx).aging(), RemittanceService(self.app.ctx).denials()

    def _show(self, found: tuple[Aging, list[DenialRow]]) -> None:
        aging, self.denials = found
        days = "n/a" if aging.days_in_ar is None else str(aging.days_in_ar)
        self.query_one("#ar-title", Label).update(
            f"Accounts receivable as of {aging.as_of:%m/%d/%Y} · insurance {money(aging.insurer_total)} · "
            f"patients {money(aging.patient_owed)} less {money(-aging.patient_credit)} credits · "
            f"days in A/R {days}", layout=False)
        payers = [(str(r.key), (r.name, *(money(b) for b in r.buckets), money(r.total))) for r in aging.payers]
        payers.append(("total", ("Total", *(money(b) for b in aging.totals(aging.payers)),
                                 money(aging.insurer_total))))
        self.query_one("#payers", ResultsTable).set_rows(payers)
        # The totals are every patient's, not only the largest balances listed; credits are their own line.
        blank = ("",) * len(BUCKETS)
        patients = [(str(r.key), (r.name, *(money(b) for b in r.buckets), money(r.total))) for r in aging.patients]
        patients.append(("total", (f"Total owed ({plural(aging.owing_count, 'patient')})",
                                   *(money(b) for b in aging.patient_buckets), money(aging.patient_owed))))
        patients.append(("credits", (f"Credits ({plural(aging.credit_count, 'patient')})", *blank,
                                     money(aging.patient_credit))))
        self.query_one("#patients", ResultsTable).set_rows(patients)
        self.query_one("#denials", ResultsTable).set_rows([
            (str(i), (f"OC{d.encounter_id}", f"{d.date_of_service:%m/%d/%Y}", d.patient_name, d.payer_name,
                      f"{d.line_no} {d.code}", money(d.owing), d.denial, str(d.days)))
            for i, d in enumerate(self.denials)], flagged={i for i, d in enumerate(self.denials) if d.days > 30})

    def _denial(self) -> DenialRow | None:
        table = self.query_one("#denials", ResultsTable)
        if not self.denials:
            self.app.notify("The denial work list is empty.", markup=False)
            return None
        return self.denials[min(table.cursor_row, len(self.denials) - 1)]

    def action_write_off(self) -> None:
        denial = self._denial()
        if denial is not None and self.allowed("ar.adjust"):
            self.app.push_screen(WriteOffModal(denial.encounter_id, f"OC{denial.encounter_id} {denial.patient_name}",
                                               denial.owing), lambda _done: self.load())

    def action_bill_patient(self) -> None:
        denial = self._denial()
        if denial is None or not self.allowed("ar.adjust"):
            return
        key = new_request_key()

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(ReceivablesService(self.app.ctx).bill_patient, denial.encounter_id, key,
                                  then=lambda amount: self._done(f"{money(amount)} moved to {denial.patient_name}."),
                                  group="move", exclusive=True)
        self.app.push_screen(ConfirmModal("Bill the patient", f"Move what {denial.payer_name} did not pay on "
                                          f"OC{denial.encounter_id} onto {denial.patient_name}'s account?",
                                          "Bill patient", "Keep"), answered)

    def action_statements(self) -> None:
        if not self.allowed("ar.view"):
            return
        paths = getattr(self.app, "paths", None)
        folder = (paths.reports_dir if paths else Path.home()) / "statements"
        self.call_service(StatementService(self.app.ctx).write_statements, folder, STATEMENT_OVER,
                          then=lambda files: self._done(f"{len(files)} statements (text and PDF) in {folder}."),
                          group="move", exclusive=True)

    def _done(self, message: str) -> None:
        self.app.notify(message, markup=False, timeout=8)
        self.load()

    def action_back(self) -> None:
        self.dismiss()
