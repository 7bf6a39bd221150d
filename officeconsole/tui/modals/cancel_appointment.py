"""Cancel an appointment with a reason; the appointment stays on record and its time frees up."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label

from officeconsole.services.common.errors import OfficeError
from officeconsole.services.scheduling.booking import AppointmentView, BookingService, CancelReason
from officeconsole.services.scheduling.schedule import DayRow
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar


class CancelAppointmentModal(ServiceModal[AppointmentView | None]):
    DEFAULT_CSS = """
    CancelAppointmentModal { align: center middle; }
    CancelAppointmentModal > Vertical {
        width: 72; max-width: 100%; height: auto; border: thick $warning; background: $panel; padding: 0 1;
    }
    CancelAppointmentModal #cancel-title { text-style: bold; margin-bottom: 1; }
    CancelAppointmentModal #cancel-error { color: $error; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Cancel appointment", priority=True),
        Binding("escape", "back", "Keep it"),
    ]
    AUTO_FOCUS = "#reason"

    def __init__(self, row: DayRow) -> None:
        super().__init__()
        self.row = row

    def compose(self) -> ComposeResult:
        r = self.row
        with Vertical():
            yield Label(f"Cancel {r.patient_name}, {r.start:%a %m/%d/%Y %H:%M} with {r.provider_name}",
                        id="cancel-title", markup=False)
            yield Label("", id="cancel-error", markup=False)
            yield select_field("Reason *", "reason", [(reason.label, reason.value) for reason in CancelReason],
                               CancelReason.PATIENT.value)
            yield text_field("Note", "note", "", placeholder="optional", max_length=500)
            yield KeyBar()

    def action_save(self) -> None:
        typed = values(self)
        self.call_service(BookingService(self.app.ctx).cancel, self.row.id, self.row.version,
                          typed.get("reason", ""), typed.get("note", ""),
                          then=self.dismiss, on_error=self._refused, group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        self.query_one("#cancel-error", Label).update(exc.message)

    def action_back(self) -> None:
        self.dismiss(None)
