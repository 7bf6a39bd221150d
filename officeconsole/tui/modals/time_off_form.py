"""Ask for time off: first and last day, the kind, a note. Anyone asks for themselves (a manager
for anyone); the manager approves or denies it on the roster. Dismisses with the request, whose
`booked` lists a provider's appointments already booked in those days."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label

from officeconsole.models.roster import TimeOffKind
from officeconsole.services.common.errors import OfficeError
from officeconsole.services.staffing.time_off import TimeOffService, TimeOffView
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar

KIND_OPTIONS = [(kind.value.capitalize(), kind.value) for kind in TimeOffKind]


class TimeOffFormModal(ServiceModal[TimeOffView | None]):
    DEFAULT_CSS = """
    TimeOffFormModal { align: center middle; }
    TimeOffFormModal > Vertical {
        width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    TimeOffFormModal #time-off-title { text-style: bold; margin-bottom: 1; }
    TimeOffFormModal #time-off-error { color: $error; height: auto; }
    TimeOffFormModal Grid { grid-size: 2; grid-rows: auto; grid-gutter: 0 2; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#first_day"

    def __init__(self, user_id: int, name: str) -> None:
        super().__init__()
        self.user_id = user_id
        self.person = name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Ask for time off: {self.person}", id="time-off-title", markup=False)
            yield Label("", id="time-off-error", markup=False)
            with Grid():
                yield text_field("First day *", "first_day", placeholder="MM/DD/YYYY", max_length=10)
                yield text_field("Last day", "last_day", placeholder="MM/DD/YYYY (blank: one day)", max_length=10)
                yield select_field("Kind *", "kind", KIND_OPTIONS, TimeOffKind.VACATION.value)
                yield text_field("Note", "note", placeholder="for the manager", max_length=200)
            yield KeyBar()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        typed = values(self)
        self.call_service(TimeOffService(self.app.ctx).request, self.user_id, typed["first_day"], typed["last_day"],
                          typed["kind"], typed["note"], then=self._saved, on_error=self._refused, exclusive=True,
                          group="save")

    def _saved(self, view: TimeOffView) -> None:
        self.dismiss(view)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "time-off-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
