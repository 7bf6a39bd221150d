"""Book an appointment: find the patient, then provider, date, time, type and reason.

The rules are the service's: a refusal that may be set aside (outside hours, in the past,
the patient booked elsewhere) shows why and asks for a reason; nothing typed is lost.
"Times" above 1 books a recurring series (weekly, or every few weeks), all or nothing:
every date's conflict is listed before anything is saved.
"""

from __future__ import annotations

import datetime as dt

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label, Select

from officeconsole.services.common.errors import NeedsOverride, OfficeError, SeriesConflicts, ValidationError
from officeconsole.services.scheduling.booking import AppointmentView, BookingInput, BookingService
from officeconsole.services.scheduling.schedule import ProviderRow, TypeRow
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.alert_line import AlertLine
from officeconsole.tui.widgets.form_field import select_field, show_errors, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.patient_picker import PatientPicker

Booked = AppointmentView | list[AppointmentView]


class BookingModal(ServiceModal[Booked | None]):
    CSS_PATH = "booking_form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Book", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#picker-search"

    def __init__(self, providers: list[ProviderRow], types: list[TypeRow], provider_id: int | None,
                 day: dt.date, start: dt.time, type_id: int | None = None, patient=None) -> None:
        """`patient` (anything with id, display_name, mrn, dob) is chosen already: a follow-up."""
        super().__init__()
        self.patient = patient
        self.providers = providers
        self.types = types
        self.provider_id = provider_id or (providers[0].id if providers else None)
        self.type_id = type_id or (types[0].id if types else None)
        self.day = day
        self.start = start

    def compose(self) -> ComposeResult:
        with Vertical(id="booking-box"):
            yield Label("Book an appointment", id="booking-title")
            yield Label("", id="booking-error", markup=False)
            yield PatientPicker(id="picker")
            yield AlertLine(id="booking-alerts")
            with Grid(id="booking-fields"):
                # The type across the whole row: "Annual physical (40 min)" is read on one line at 80 columns.
                yield select_field("Type *", "type_id", [(f"{t.name} ({t.minutes} min)", str(t.id))
                                                         for t in self.types],
                                   str(self.type_id) if self.type_id else None)
                yield select_field("Provider *", "provider_id", [(p.name, str(p.id)) for p in self.providers],
                                   str(self.provider_id) if self.provider_id else None)
                yield text_field("Date *", "day", f"{self.day:%m/%d/%Y}", placeholder="MM/DD/YYYY", max_length=10)
                yield text_field("Time *", "start", f"{self.start:%H:%M}", placeholder="HH:MM", max_length=8)
                yield text_field("Minutes", "minutes", "", placeholder="type's length", max_length=3)
                yield text_field("Times", "occurrences", "1", placeholder="1, or e.g. 6 for a series",
                                 max_length=2)
                yield text_field("Weeks apart", "every_weeks", "1", placeholder="1 = weekly", max_length=2)
                yield text_field("Reason", "reason", "", placeholder="e.g. follow-up: blood pressure",
                                 max_length=500)
            yield text_field("Override", "override_reason", "",
                             placeholder="only to book outside hours, in the past or over another visit",
                             max_length=200)
            yield KeyBar()

    def on_mount(self) -> None:
        if self.patient is not None:
            self.query_one(PatientPicker).choose(self.patient)
        self._check_day()

    @on(Input.Changed, "#day")
    def _check_day(self) -> None:
        """A day the close-out locked is said at once, not after everything is typed."""
        self.call_service(BookingService(self.app.ctx).closed_notice, self.query_one("#day", Input).value,
                          then=self._day_checked, group="day", exclusive=True)

    def _day_checked(self, notice: str) -> None:
        if notice:
            self._fail(notice)

    @on(PatientPicker.Chosen)
    def _chosen(self, event: PatientPicker.Chosen) -> None:
        self.query_one("#booking-alerts", AlertLine).load(self, event.patient.id)
        self.query_one("#type_id", Select).focus()

    def _input(self) -> tuple[BookingInput | None, dict[str, str], int, int]:
        """The booking as typed (None with the errors when a number is not one), and times/weeks apart."""
        typed = values(self)
        patient = self.query_one(PatientPicker).patient
        minutes, times, every = (typed.get(k, "").strip() for k in ("minutes", "occurrences", "every_weeks"))
        errors = {field: message for field, text, message in (
            ("minutes", minutes, "Minutes: a whole number, e.g. 20."),
            ("occurrences", times or "1", "Times: a whole number, 1 for a single visit."),
            ("every_weeks", every or "1", "Weeks apart: a whole number, 1 for weekly."),
        ) if text and not text.isdigit()}
        if errors or patient is None:
            return None, errors, 1, 1
        data = BookingInput(
            patient_id=patient.id,
            provider_id=int(typed["provider_id"]) if typed.get("provider_id") else None,
            type_id=int(typed["type_id"]) if typed.get("type_id") else None,
            day=typed.get("day", ""), start=typed.get("start", ""),
            minutes=int(minutes) if minutes else None, reason=typed.get("reason", ""),
            override_reason=typed.get("override_reason", ""),
        )
        return data, {}, int(times or 1), int(every or 1)

    def action_save(self) -> None:
        if self.query_one(PatientPicker).patient is None:
            self._fail("Find and choose the patient first (type in the search box, Enter).")
            self.query_one(PatientPicker).focus_search()
            return
        data, errors, times, every = self._input()
        if data is None:
            self._fail("Please correct the fields marked below.")
            show_errors(self, errors)
            return
        service = BookingService(self.app.ctx)
        if times > 1:
            self.call_service(service.book_series, data, times, every, then=self.dismiss,
                              on_error=self._refused, group="save", exclusive=True)
        else:
            self.call_service(service.book, data, then=self.dismiss, on_error=self._refused, group="save",
                              exclusive=True)

    @on(Input.Changed)
    @on(Select.Changed)
    def _recheck(self) -> None:
        """Once a refusal is shown, each change checks again: the message goes when its cause is fixed."""
        if not str(self.query_one("#booking-error", Label).render()):
            return
        data, errors, _times, _every = self._input()
        if data is None:
            return
        self.call_service(BookingService(self.app.ctx).check, data, then=self._rechecked, group="recheck",
                          exclusive=True)

    def _rechecked(self, problems: list[str]) -> None:
        if not problems:
            self._fail("")
            show_errors(self, {})

    def _refused(self, exc: OfficeError) -> None:
        if isinstance(exc, ValidationError):
            self._fail("Please correct the fields marked below.")
            show_errors(self, exc.errors)
        elif isinstance(exc, NeedsOverride) or isinstance(exc, SeriesConflicts) and exc.overridable:
            self._fail(exc.message)
            self.query_one("#override_reason", Input).focus()
        else:
            self._fail(exc.message)

    def _fail(self, message: str) -> None:
        self.query_one("#booking-error", Label).update(message)

    def action_cancel(self) -> None:
        self.dismiss(None)
