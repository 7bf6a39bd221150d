"""Move (reschedule) an appointment to another time or provider; the old time frees up."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label

from officeconsole.services.common.errors import NeedsOverride, OfficeError, ValidationError
from officeconsole.services.scheduling.booking import AppointmentView, BookingService
from officeconsole.services.scheduling.schedule import DayRow, ProviderRow
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, show_errors, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar


class MoveAppointmentModal(ServiceModal[AppointmentView | None]):
    DEFAULT_CSS = """
    MoveAppointmentModal { align: center middle; }
    MoveAppointmentModal > Vertical {
        width: 90; max-width: 100%; height: auto; border: thick $primary; background: $panel; padding: 0 1;
    }
    MoveAppointmentModal #move-title { text-style: bold; margin-bottom: 1; }
    MoveAppointmentModal #move-error { color: $error; height: auto; }
    MoveAppointmentModal Grid { grid-size: 2; grid-rows: auto; grid-gutter: 0 2; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Move", priority=True),
        Binding("escape", "back", "Keep it"),
    ]
    AUTO_FOCUS = "#day"

    def __init__(self, row: DayRow, providers: list[ProviderRow]) -> None:
        super().__init__()
        self.row = row
        self.providers = providers

    def compose(self) -> ComposeResult:
        r = self.row
        with Vertical():
            yield Label(f"Move {r.patient_name} ({r.type_name}), now {r.start:%a %m/%d/%Y %H:%M} "
                        f"with {r.provider_name}", id="move-title", markup=False)
            yield Label("", id="move-error", markup=False)
            with Grid():
                yield text_field("New date *", "day", f"{r.start:%m/%d/%Y}", placeholder="MM/DD/YYYY", max_length=10)
                yield text_field("New time *", "start", f"{r.start:%H:%M}", placeholder="HH:MM", max_length=8)
                yield select_field("Provider *", "provider_id", [(p.name, str(p.id)) for p in self.providers],
                                   str(r.provider_id))
                yield text_field("Override", "override_reason", "", placeholder="only if a rule must be set aside",
                                 max_length=200)
            yield KeyBar()

    def action_save(self) -> None:
        typed = values(self)
        provider = typed.get("provider_id")
        self.call_service(BookingService(self.app.ctx).move, self.row.id, self.row.version,
                          typed.get("day", ""), typed.get("start", ""),
                          provider_id=int(provider) if provider else None,
                          override_reason=typed.get("override_reason", ""),
                          then=self.dismiss, on_error=self._refused, group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        self.query_one("#move-error", Label).update(exc.message)
        if isinstance(exc, ValidationError):
            show_errors(self, exc.errors)
        elif isinstance(exc, NeedsOverride):
            self.query_one("#override_reason", Input).focus()

    def action_back(self) -> None:
        self.dismiss(None)
