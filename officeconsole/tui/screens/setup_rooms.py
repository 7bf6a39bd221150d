"""Rooms (Practice setup -> Rooms): the exam rooms patients are roomed in on the flow board.
`a` adds, `e` renames, `x` retires a room (off the flow board; past visits keep it) or reinstates
a retired one, `v` shows the retired ones too. Managers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from officeconsole.services.frontdesk.flow import RoomRow
from officeconsole.services.practice.rooms import RoomService
from officeconsole.tui.modals.room_form import RoomFormModal
from officeconsole.tui.screens.setup_list import SetupListScreen
from officeconsole.tui.widgets.results_table import Column


class RoomsSetupScreen(SetupListScreen[RoomRow]):
    HEADING = "Rooms"
    NOUN = "room"
    PERMISSION = "clinic.manage"
    FLEX = "Room"
    HINT = "The rooms offered on the flow board, in its order; e renames, x retires or reinstates."

    def columns(self) -> list[Column]:
        return [Column("Room", 30), Column("Active", 7)]

    def fetch(self, include_retired: bool) -> list[RoomRow]:
        return RoomService(self.app.ctx).rooms(include_retired=include_retired)

    def cells(self, row: RoomRow) -> tuple[str, ...]:
        return (row.name, "yes" if row.active else "retired")

    def key(self, row: RoomRow) -> str:
        return str(row.id)

    def label_of(self, row: RoomRow) -> str:
        return row.name

    def add_form(self) -> RoomFormModal:
        return RoomFormModal()

    def edit_form(self, row: RoomRow) -> RoomFormModal:
        return RoomFormModal(row)

    def retire_question(self, row: RoomRow) -> str:
        return f"Retire {row.name}? It leaves the flow board; past visits keep it. It can be reinstated."

    def retire_call(self, row: RoomRow) -> tuple[Callable[..., Any], tuple]:
        return RoomService(self.app.ctx).retire_room, (row.id,)

    def reinstate_call(self, row: RoomRow) -> tuple[Callable[..., Any], tuple]:
        return RoomService(self.app.ctx).reinstate_room, (row.id,)
