"""Providers (Practice setup -> Providers): the staff members who see patients. `a` makes a staff
member a provider (pick them, then the form), Enter or `e` edits, `x` retires one (refused while
visits are booked with them; past visits and claims keep them) or reinstates a retired one, `v`
shows the retired ones too, Esc goes back. Managers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from officeconsole.services.practice.providers import CandidateRow, ProviderRow, ProviderService
from officeconsole.tui.modals.choice import ChoiceModal
from officeconsole.tui.modals.provider_form import ProviderFormModal
from officeconsole.tui.screens.setup_list import SetupListScreen
from officeconsole.tui.widgets.results_table import Column


class ProvidersSetupScreen(SetupListScreen[ProviderRow]):
    HEADING = "Providers"
    NOUN = "provider"
    PERMISSION = "clinic.manage"
    FLEX = "Name"
    HINT = "a makes a staff member a provider (then give them hours); x retires or reinstates."

    def columns(self) -> list[Column]:
        return [Column("Name", 18), Column("NPI", 10), Column("Cred.", 7), Column("Specialty", 12),
                Column("Min", 4), Column("Types", 10), Column("Active", 7)]

    def fetch(self, include_retired: bool) -> list[ProviderRow]:
        return ProviderService(self.app.ctx).providers(include_retired=include_retired)

    def cells(self, row: ProviderRow) -> tuple[str, ...]:
        return (row.name, row.npi, row.credentials, row.specialty, str(row.default_visit_minutes),
                row.types_label, "yes" if row.active else "retired")

    def key(self, row: ProviderRow) -> str:
        return str(row.id)

    def label_of(self, row: ProviderRow) -> str:
        return row.label

    def action_add(self) -> None:
        """Whom to make a provider first (any active staff member who is not one), then the form."""
        if self.allowed(self.PERMISSION):
            self.call_service(ProviderService(self.app.ctx).candidates, then=self._pick, group="candidates",
                              exclusive=True)

    def _pick(self, people: list[CandidateRow]) -> None:
        if not people:
            self.app.notify("Every active staff member is a provider already: add the person as staff first "
                            "(`officeconsole user add`).", markup=False, timeout=8)
            return

        def chosen(index: int | None) -> None:
            if index is not None:
                self.app.push_screen(ProviderFormModal(candidate=people[index]), self._saved)
        self.app.push_screen(ChoiceModal("Make which staff member a provider?", [p.label for p in people]), chosen)

    def edit_form(self, row: ProviderRow) -> ProviderFormModal:
        return ProviderFormModal(row)

    def retire_question(self, row: ProviderRow) -> str:
        return (f"Retire {row.label} as a provider? They leave the schedule and the booking lists; past visits "
                "and claims keep them, and so does their login. Refused while visits are booked with them. "
                "They can be reinstated.")

    def retire_call(self, row: ProviderRow) -> tuple[Callable[..., Any], tuple]:
        return ProviderService(self.app.ctx).retire, (row.id, row.version)

    def reinstate_call(self, row: ProviderRow) -> tuple[Callable[..., Any], tuple]:
        return ProviderService(self.app.ctx).reinstate, (row.id, row.version)
