"""The fee schedule (Practice setup -> Fees): procedure codes with the clinic's own descriptions
and fees. `a` adds a code, Enter or `e` changes its description or fee, `x` retires a code (no
longer offered for new charges; charges already entered keep it) or reinstates a retired one,
`v` shows the retired ones too, `i` imports a CSV file. Managers and billing staff."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.binding import Binding

from officeconsole.services.billing.fees import FeeRow, FeeService, ImportResult
from officeconsole.tui.modals.fee_form import FeeFormModal, FeeImportModal
from officeconsole.tui.screens.setup_list import SetupListScreen
from officeconsole.tui.widgets.results_table import Column


class FeesSetupScreen(SetupListScreen[FeeRow]):
    BINDINGS = [Binding("i", "import_csv", "Import CSV")]
    HEADING = "Fee schedule"
    NOUN = "code"
    PERMISSION = "fees.manage"
    FLEX = "Description"
    HINT = "CPT and HCPCS codes with the clinic's own descriptions; i imports a CSV (code,description,fee)."

    def columns(self) -> list[Column]:
        return [Column("Code", 5), Column("Kind", 5), Column("Description", 30), Column("Fee", 10),
                Column("Active", 7)]

    def fetch(self, include_retired: bool) -> list[FeeRow]:
        return FeeService(self.app.ctx).fees(include_retired=include_retired)

    def cells(self, row: FeeRow) -> tuple[str, ...]:
        return (row.code, row.kind.upper(), row.description, f"{row.fee:>10,.2f}",
                "yes" if row.active else "retired")

    def key(self, row: FeeRow) -> str:
        return row.code

    def label_of(self, row: FeeRow) -> str:
        return f"{row.code} {row.description}"

    def add_form(self) -> FeeFormModal:
        return FeeFormModal()

    def edit_form(self, row: FeeRow) -> FeeFormModal:
        return FeeFormModal(row)

    def retire_question(self, row: FeeRow) -> str:
        return (f"Retire {row.code} {row.description}? It is no longer offered for new charges; charges already "
                "entered keep it. It can be reinstated.")

    def retire_call(self, row: FeeRow) -> tuple[Callable[..., Any], tuple]:
        return FeeService(self.app.ctx).retire_fee, (row.code,)

    def reinstate_call(self, row: FeeRow) -> tuple[Callable[..., Any], tuple]:
        return FeeService(self.app.ctx).reinstate_fee, (row.code,)

    def action_import_csv(self) -> None:
        if self.allowed(self.PERMISSION):
            self.app.push_screen(FeeImportModal(), self._imported)

    def _imported(self, result: ImportResult | None) -> None:
        if result is not None:
            self.app.notify(f"Fee schedule: {result.added} added, {result.updated} updated, "
                            f"{result.unchanged} unchanged.", markup=False)
            self.load()
