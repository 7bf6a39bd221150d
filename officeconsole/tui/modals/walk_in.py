"""A walk-in: find (or register first) the patient, pick provider and type; the service books
the provider's first free time today, and the check-in form opens on it."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Label, Select

from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.frontdesk.checkin import CheckInService
from officeconsole.services.frontdesk.patients import PatientService
from officeconsole.services.scheduling.booking import AppointmentView
from officeconsole.services.scheduling.schedule import ProviderRow, ScheduleService, TypeRow
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, show_errors, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.patient_picker import PatientPicker


class WalkInModal(ServiceModal[AppointmentView | None]):
    CSS_PATH = "walk_in.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Book now", priority=True),
        Binding("ctrl+n", "register", "Register new", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#picker-search"

    def compose(self) -> ComposeResult:
        with Vertical(id="walkin-box"):
            yield Label("Walk-in: the first free time today", id="walkin-title")
            yield Label("", id="walkin-error", markup=False)
            yield PatientPicker(id="picker")
            yield Label("Not registered yet? Ctrl+N registers the patient first.", id="walkin-hint")
            with Grid(id="walkin-fields"):
                yield select_field("Provider *", "provider_id", [], allow_blank=True)
                yield select_field("Type *", "type_id", [], allow_blank=True)
            yield text_field("Reason", "reason", "", placeholder="e.g. sore throat", max_length=500)
            yield KeyBar()

    def on_mount(self) -> None:
        service = ScheduleService(self.app.ctx)
        self.call_service(service.providers, then=self._providers, group="providers")
        self.call_service(service.types, then=self._types, group="types")

    def _providers(self, rows: list[ProviderRow]) -> None:
        select = self.query_one("#provider_id", Select)
        select.set_options([(p.name, str(p.id)) for p in rows])
        if rows:
            select.value = str(rows[0].id)

    def _types(self, rows: list[TypeRow]) -> None:
        select = self.query_one("#type_id", Select)
        select.set_options([(f"{t.name} ({t.minutes} min)", str(t.id)) for t in rows])
        sick = next((t for t in rows if "sick" in t.name.lower()), rows[0] if rows else None)
        if sick:
            select.value = str(sick.id)

    @on(PatientPicker.Chosen)
    def _chosen(self) -> None:
        self.query_one("#provider_id", Select).focus()

    def action_register(self) -> None:
        if not self.allowed("patient.create"):
            return
        from officeconsole.tui.screens.patient_form import PatientFormScreen

        self.app.push_screen(PatientFormScreen(None), self._registered)

    def _registered(self, patient_id: int | None) -> None:
        if patient_id is not None:
            self.call_service(PatientService(self.app.ctx).get, patient_id,
                              then=self.query_one(PatientPicker).choose, group="registered")

    def action_save(self) -> None:
        patient = self.query_one(PatientPicker).patient
        if patient is None:
            self.query_one("#walkin-error", Label).update("Find and choose the patient first.")
            self.query_one(PatientPicker).focus_search()
            return
        typed = values(self)
        if not typed.get("provider_id") or not typed.get("type_id"):
            show_errors(self, {k: "Choose one." for k in ("provider_id", "type_id") if not typed.get(k)})
            return
        self.call_service(CheckInService(self.app.ctx).walk_in, patient.id, int(typed["provider_id"]),
                          int(typed["type_id"]), typed.get("reason", ""), then=self.dismiss, on_error=self._refused,
                          group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        if isinstance(exc, ValidationError):
            show_errors(self, exc.errors)
        self.query_one("#walkin-error", Label).update(exc.message)

    def action_cancel(self) -> None:
        self.dismiss(None)
