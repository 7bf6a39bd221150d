"""Choose the room a patient is taken to; rooms in use say who is in them."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from officeconsole.services.frontdesk.flow import RoomRow
from officeconsole.tui.widgets.results_table import Column, ResultsTable


class RoomPickerModal(ModalScreen[int | None]):
    DEFAULT_CSS = """
    RoomPickerModal { align: center middle; }
    RoomPickerModal > Vertical { width: 60; height: auto; border: thick $primary; background: $panel; padding: 0 1; }
    RoomPickerModal #rooms { height: 10; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#rooms"

    def __init__(self, patient: str, rooms: list[RoomRow], occupied: dict[str, str]) -> None:
        super().__init__()
        self.patient = patient
        self.rooms = rooms
        self.occupied = occupied  # room name -> patient in it

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Room {self.patient}: choose a room, Enter", markup=False)
            yield ResultsTable(id="rooms")

    def on_mount(self) -> None:
        table = self.query_one("#rooms", ResultsTable)
        table.set_columns([Column("Room", 14), Column("In use by", 36)])
        free_first = sorted(self.rooms, key=lambda r: r.name in self.occupied)
        self.rooms = free_first
        table.set_rows([(str(r.id), (r.name, self.occupied.get(r.name, "free"))) for r in free_first])

    @on(ResultsTable.Selected, "#rooms")
    def _chosen(self, event: ResultsTable.Selected) -> None:
        self.dismiss(int(event.key))

    def action_cancel(self) -> None:
        self.dismiss(None)
