"""Remittances (`e` in the billing queue): the checks and EFTs posted, newest first, with their
provider-level adjustments (835 PLB: interest, take-backs, balances carried forward), and for the
highlighted one what it said about each claim: the payer's status and claim number (CLP07) and
its remark codes."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label

from officeconsole.services.billing.remittance import RemittanceClaimRow, RemittanceRow, RemittanceService
from officeconsole.services.common.money import money
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable

STATUS = {"1": "primary", "2": "secondary", "3": "tertiary", "4": "denied", "19": "primary, forwarded",
          "20": "secondary, forwarded", "21": "tertiary, forwarded", "22": "reversal", "23": "not our claim"}


class RemittancesScreen(ServiceScreen):
    CSS_PATH = "remittances.tcss"
    AUTO_FOCUS = "#remits"
    BINDINGS = [Binding("escape", "back", "Back")]

    def __init__(self) -> None:
        super().__init__()
        self.remits: list[RemittanceRow] = []

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Label("Remittances posted, newest first", id="remits-title", markup=False)
        yield ResultsTable(id="remits")
        yield Label("", id="plb", markup=False)
        yield Label("Claims on the highlighted remittance", classes="remits-section")
        yield ResultsTable(id="remit-claims")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#remits", ResultsTable).set_columns([
            Column("Paid on", 10), Column("Payer", 24), Column("Check/EFT", 16), Column("Method", 6),
            Column("From", 6), Column("Total", 12), Column("Claims", 6), Column("Provider adjustments (PLB)", 40)])
        self.query_one("#remit-claims", ResultsTable).set_columns([
            Column("Claim", 8), Column("Patient", 22), Column("Status", 12), Column("Payer claim #", 18),
            Column("Billed", 11), Column("Paid", 11), Column("Patient", 11), Column("Remarks", 20)])

    def on_screen_resume(self) -> None:
        self.app.refresh_header(self)
        self.call_service(RemittanceService(self.app.ctx).remittances, then=self._show, group="load", exclusive=True)

    def _show(self, remits: list[RemittanceRow]) -> None:
        self.remits = remits
        self.query_one("#remits", ResultsTable).set_rows([
            (str(r.id), (f"{r.paid_on:%m/%d/%Y}", r.payer_name, r.trace_number, r.method, r.source, money(r.total),
                         str(r.claims), "; ".join(f"{p.reason} {money(p.amount)}" for p in r.provider_adjustments)))
            for r in remits])
        self._detail(0)

    @on(ResultsTable.Highlighted, "#remits")
    def _highlighted(self, event: ResultsTable.Highlighted) -> None:
        self._detail(event.row)

    def _detail(self, row: int) -> None:
        plb = self.query_one("#plb", Label)
        if not self.remits:
            plb.update("No remittance has been posted yet.")
            self.query_one("#remit-claims", ResultsTable).set_rows([])
            return
        remit = self.remits[min(row, len(self.remits) - 1)]
        plb.update(f"{remit.payer_name} {remit.trace_number}: " + ("; ".join(
            f"{p.description}{' (' + p.reference + ')' if p.reference else ''} {money(p.amount)}"
            for p in remit.provider_adjustments) or "no provider-level adjustments") +
            " (+ taken off the payment, - added to it)" * bool(remit.provider_adjustments))
        self.call_service(RemittanceService(self.app.ctx).remittance_claims, remit.id, then=self._claims,
                          group="detail", exclusive=True)

    def _claims(self, claims: list[RemittanceClaimRow]) -> None:
        self.query_one("#remit-claims", ResultsTable).set_rows([
            (str(n), (f"OC{c.encounter_id}", c.patient_name, STATUS.get(c.status_code, c.status_code or "from EOB"),
                      c.payer_claim_number, money(c.billed), money(c.paid), money(c.patient_responsibility),
                      c.remark_codes))
            for n, c in enumerate(claims)])

    def action_back(self) -> None:
        self.dismiss()
