"""Add or edit an appointment type (Practice setup -> Appointment types): its name, length, schedule
colour, new-patient flag and the procedure code it usually bills. A refused save shows each
message under its field; nothing typed is lost."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label

from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.practice.appointment_types import AppointmentTypeService, TypeInput, TypeRow
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import FormField, show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.tick_box import TickBox


class AppointmentTypeFormModal(ServiceModal[TypeRow | None]):
    DEFAULT_CSS = """
    AppointmentTypeFormModal { align: center middle; }
    AppointmentTypeFormModal > Vertical {
        width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    AppointmentTypeFormModal #type-form-title { text-style: bold; margin-bottom: 1; }
    AppointmentTypeFormModal #type-form-error { color: $error; height: auto; }
    AppointmentTypeFormModal Grid { grid-size: 2; grid-rows: auto; grid-gutter: 0 2; height: auto; }
    AppointmentTypeFormModal #new_patient { margin: 0 0 0 14; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#name"

    def __init__(self, kind: TypeRow | None = None) -> None:
        super().__init__()
        self.kind = kind

    def compose(self) -> ComposeResult:
        k = self.kind
        with Vertical():
            yield Label(f"Edit appointment type {k.name}" if k else "Add an appointment type", id="type-form-title",
                        markup=False)
            yield Label("", id="type-form-error", markup=False)
            with Grid():
                yield text_field("Name *", "name", k.name if k else "", placeholder="e.g. Follow-up", max_length=60)
                yield text_field("Minutes *", "minutes", str(k.minutes) if k else "", placeholder="e.g. 20",
                                 max_length=4)
                yield text_field("Colour", "colour", k.colour if k else "steelblue",
                                 placeholder="e.g. seagreen or #2e8b57", max_length=40)
                yield text_field("Default code", "default_code", k.default_code if k else "",
                                 placeholder="CPT/HCPCS, e.g. 99213", max_length=5)
            yield TickBox("For new patients", k.new_patient if k else False, id="new_patient", compact=True)
            yield KeyBar()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        typed = values(self)
        data = TypeInput(typed["name"], typed["minutes"], typed["colour"],
                         self.query_one("#new_patient", TickBox).value, typed["default_code"])
        service = AppointmentTypeService(self.app.ctx)
        if self.kind is None:
            self.call_service(service.add, data, then=self._saved, on_error=self._refused, exclusive=True,
                              group="save")
        else:
            self.call_service(service.update, self.kind.id, self.kind.version, data, then=self._saved,
                              on_error=self._refused, exclusive=True, group="save")

    def _saved(self, row: TypeRow) -> None:
        self.dismiss(row)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "type-form-error")
        if isinstance(exc, ValidationError):
            fields = {f.field for f in self.query(FormField)}
            other = [message for field, message in exc.errors.items() if field not in fields]
            if other:
                self.query_one("#type-form-error", Label).update(" ".join(other))

    def action_cancel(self) -> None:
        self.dismiss(None)
