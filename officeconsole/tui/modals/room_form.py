"""Add or rename a room (Practice setup -> Rooms): one name, refused under the field if another
room has it; what was typed stays."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from officeconsole.services.common.errors import OfficeError
from officeconsole.services.frontdesk.flow import RoomRow
from officeconsole.services.practice.rooms import RoomService
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar


class RoomFormModal(ServiceModal[RoomRow | None]):
    DEFAULT_CSS = """
    RoomFormModal { align: center middle; }
    RoomFormModal > Vertical {
        width: 60; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    RoomFormModal #room-form-title { text-style: bold; margin-bottom: 1; }
    RoomFormModal #room-form-error { color: $error; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#name"

    def __init__(self, room: RoomRow | None = None) -> None:
        super().__init__()
        self.room = room

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Rename {self.room.name}" if self.room else "Add a room", id="room-form-title",
                        markup=False)
            yield Label("", id="room-form-error", markup=False)
            yield text_field("Name *", "name", self.room.name if self.room else "", placeholder="e.g. Exam 1",
                             max_length=40)
            yield KeyBar()

    @on(Input.Submitted)
    def action_save(self) -> None:
        name = values(self)["name"]
        service = RoomService(self.app.ctx)
        if self.room is None:
            self.call_service(service.add_room, name, then=self._saved, on_error=self._refused, exclusive=True,
                              group="save")
        else:
            self.call_service(service.rename_room, self.room.id, name, then=self._saved, on_error=self._refused,
                              exclusive=True, group="save")

    def _saved(self, row: RoomRow) -> None:
        self.dismiss(row)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "room-form-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
