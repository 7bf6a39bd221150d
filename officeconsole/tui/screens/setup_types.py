"""Appointment types (Practice setup -> Appointment types): the kinds of visit the desk books. `a`
adds one, Enter or `e` edits, `x` retires one (its appointments keep it; it is no longer booked)
or reinstates a retired one, `v` shows the retired ones too, Esc goes back. Managers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from officeconsole.services.practice.appointment_types import AppointmentTypeService, TypeRow
from officeconsole.tui.modals.appointment_type_form import AppointmentTypeFormModal
from officeconsole.tui.screens.setup_list import SetupListScreen
from officeconsole.tui.widgets.results_table import Column


class AppointmentTypesScreen(SetupListScreen[TypeRow]):
    HEADING = "Appointment types"
    NOUN = "appointment type"
    PERMISSION = "clinic.manage"
    FLEX = "Name"
    HINT = "What the desk books, each with its default length; x retires or reinstates."

    def columns(self) -> list[Column]:
        return [Column("Name", 18), Column("Min", 4), Column("Colour", 12), Column("New pt", 6),
                Column("Code", 5), Column("Providers", 12), Column("Active", 7)]

    def fetch(self, include_retired: bool) -> list[TypeRow]:
        return AppointmentTypeService(self.app.ctx).types(include_retired=include_retired)

    def cells(self, row: TypeRow) -> tuple[str, ...]:
        return (row.name, str(row.minutes), row.colour, "yes" if row.new_patient else "", row.default_code,
                row.providers, "yes" if row.active else "retired")

    def key(self, row: TypeRow) -> str:
        return str(row.id)

    def label_of(self, row: TypeRow) -> str:
        return row.name

    def add_form(self) -> AppointmentTypeFormModal:
        return AppointmentTypeFormModal()

    def edit_form(self, row: TypeRow) -> AppointmentTypeFormModal:
        return AppointmentTypeFormModal(row)

    def retire_question(self, row: TypeRow) -> str:
        return (f"Retire {row.name}? It is no longer booked; the appointments that have it keep it (and can "
                "still be moved). It can be reinstated.")

    def retire_call(self, row: TypeRow) -> tuple[Callable[..., Any], tuple]:
        return AppointmentTypeService(self.app.ctx).retire, (row.id, row.version)

    def reinstate_call(self, row: TypeRow) -> tuple[Callable[..., Any], tuple]:
        return AppointmentTypeService(self.app.ctx).reinstate, (row.id, row.version)
