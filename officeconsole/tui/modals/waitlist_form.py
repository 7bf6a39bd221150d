"""Put a patient on the waitlist: for an earlier slot than their booking, or for any slot.

Opened from the schedule with `e` on an appointment (bring it forward: patient, provider and
type filled in) or from the waitlist with `n` (find the patient first).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Label, Select

from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.scheduling.schedule import DayRow, ProviderRow, TypeRow
from officeconsole.services.scheduling.waitlist import WaitlistInput, WaitlistRow, WaitlistService
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, show_errors, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.patient_picker import PatientPicker


class WaitlistFormModal(ServiceModal[WaitlistRow | None]):
    CSS_PATH = "waitlist_form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Add to waitlist", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, providers: list[ProviderRow], types: list[TypeRow], booking: DayRow | None = None) -> None:
        super().__init__()
        self.providers = providers
        self.types = types
        self.booking = booking

    def compose(self) -> ComposeResult:
        b = self.booking
        type_id = next((t.id for t in self.types if b and t.name == b.type_name), None)
        with Vertical(id="waitlist-box"):
            yield Label("Add to the waitlist", id="waitlist-title")
            yield Label("", id="waitlist-error", markup=False)
            if b is None:
                yield PatientPicker(id="picker")
            else:
                yield Label(f"{b.patient_name} would like an earlier slot than {b.start:%a %m/%d/%Y %H:%M} "
                            f"with {b.provider_name}.", id="waitlist-booking", markup=False)
            with Grid(id="waitlist-fields"):
                yield select_field("Type *", "type_id", [(f"{t.name} ({t.minutes} min)", str(t.id))
                                                         for t in self.types],
                                   str(type_id or (self.types[0].id if self.types else "")) or None)
                yield select_field("Provider", "provider_id",
                                   [("Any provider", "any")] + [(p.name, str(p.id)) for p in self.providers],
                                   str(b.provider_id) if b else "any")
                yield text_field("Weekdays", "weekdays", "", placeholder="any, or e.g. mon wed fri", max_length=40)
                yield select_field("Part of day", "part", [("Any time", "any"), ("Morning", "morning"),
                                                           ("Afternoon", "afternoon")], "any")
                yield text_field("From", "earliest", "", placeholder="MM/DD/YYYY (optional)", max_length=10)
                yield text_field("Until", "latest", "", placeholder="MM/DD/YYYY (optional)", max_length=10)
            yield text_field("Note", "note", "", placeholder="e.g. can come at short notice", max_length=200)
            yield KeyBar()

    def on_mount(self) -> None:
        if self.booking is None:
            self.query_one(PatientPicker).focus_search()
        else:
            self.query_one("#weekdays").focus()

    @on(PatientPicker.Chosen)
    def _chosen(self) -> None:
        self.query_one("#type_id", Select).focus()

    def action_save(self) -> None:
        typed = values(self)
        if self.booking is not None:
            patient_id, appointment_id = self.booking.patient_id, self.booking.id
        else:
            chosen = self.query_one(PatientPicker).patient
            if chosen is None:
                self.query_one("#waitlist-error", Label).update("Find and choose the patient first.")
                self.query_one(PatientPicker).focus_search()
                return
            patient_id, appointment_id = chosen.id, None
        provider = typed.get("provider_id", "any")
        data = WaitlistInput(
            patient_id=patient_id, type_id=int(typed["type_id"]) if typed.get("type_id") else None,
            provider_id=None if provider == "any" else int(provider), appointment_id=appointment_id,
            weekdays=typed.get("weekdays", ""), part=typed.get("part", "any"),
            earliest=typed.get("earliest") or None, latest=typed.get("latest") or None, note=typed.get("note", ""))
        self.call_service(WaitlistService(self.app.ctx).add_to_waitlist, data, then=self.dismiss,
                          on_error=self._refused, group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        if isinstance(exc, ValidationError):
            show_errors(self, exc.errors)
        self.query_one("#waitlist-error", Label).update(exc.message)

    def action_cancel(self) -> None:
        self.dismiss(None)
