"""Payers (Practice setup -> Payers): the insurers the clinic bills, with the electronic payer ID
and claim filing indicator every claim to them carries. `a` adds, Enter or `e` edits, `x`
retires one (its policies and claims keep it; it is no longer offered for new policies) or
reinstates a retired one, `v` shows the retired ones too. Managers and billing staff."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from officeconsole.services.common.text import format_phone
from officeconsole.services.frontdesk.insurance import InsuranceService, PayerRow
from officeconsole.tui.modals.payer_form import PayerFormModal
from officeconsole.tui.screens.setup_list import SetupListScreen
from officeconsole.tui.widgets.results_table import Column


class PayersSetupScreen(SetupListScreen[PayerRow]):
    HEADING = "Payers"
    NOUN = "payer"
    PERMISSION = "payer.manage"
    FLEX = "Name"
    HINT = "The payer ID and filing indicator go on every claim to the payer; x retires or reinstates."

    def columns(self) -> list[Column]:
        return [Column("Name", 20), Column("Payer ID", 8), Column("Filing", 6), Column("Phone", 14),
                Column("City, state", 12), Column("Active", 7)]

    def fetch(self, include_retired: bool) -> list[PayerRow]:
        return InsuranceService(self.app.ctx).payers(include_retired=include_retired)

    def cells(self, row: PayerRow) -> tuple[str, ...]:
        place = ", ".join(part for part in (row.city, row.state) if part)
        return (row.name, row.payer_code or "(none)", row.filing_code, format_phone(row.phone), place,
                "yes" if row.active else "retired")

    def key(self, row: PayerRow) -> str:
        return str(row.id)

    def label_of(self, row: PayerRow) -> str:
        return row.name

    def add_form(self) -> PayerFormModal:
        return PayerFormModal()

    def edit_form(self, row: PayerRow) -> PayerFormModal:
        return PayerFormModal(row)

    def retire_question(self, row: PayerRow) -> str:
        return (f"Retire {row.name}? It is no longer offered for new policies; the policies and claims that "
                "have it keep it (and can still be billed). It can be reinstated.")

    def retire_call(self, row: PayerRow) -> tuple[Callable[..., Any], tuple]:
        return InsuranceService(self.app.ctx).retire_payer, (row.id, row.version)

    def reinstate_call(self, row: PayerRow) -> tuple[Callable[..., Any], tuple]:
        return InsuranceService(self.app.ctx).reinstate_payer, (row.id, row.version)
