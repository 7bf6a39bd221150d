"""The clinic form (Practice setup, `c`): name, address, contacts, time zone, everything a claim
needs to name the billing provider, and the opening hours. A refused save shows each message
under its field and keeps what was typed. (The billing queue's narrower billing identities form
edits some of the same settings; this one has them all.)"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.widgets import Input, Label

from officeconsole.services.billing.scrubber import PLACES_OF_SERVICE
from officeconsole.services.common.errors import OfficeError
from officeconsole.services.common.text import format_phone
from officeconsole.services.practice.clinic_settings import WEEKDAYS, ClinicInput, ClinicSettingsService, ClinicView
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar

DAY_NAMES = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
                     strict=True))


USAGE_OPTIONS = [("Production (P)", "P"), ("Test (T)", "T")]


def _span(value: list[str] | None) -> str:
    return f"{value[0]}-{value[1]}" if value else "closed"


class ClinicFormModal(ServiceModal[ClinicView | None]):
    DEFAULT_CSS = """
    ClinicFormModal { align: center middle; }
    ClinicFormModal > Vertical {
        width: 100; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    ClinicFormModal #clinic-form-title { text-style: bold; }
    ClinicFormModal #clinic-form-error { color: $error; height: auto; }
    ClinicFormModal VerticalScroll { height: auto; max-height: 1fr; }
    ClinicFormModal .clinic-section { color: $text-muted; text-style: bold; margin-top: 1; }
    ClinicFormModal Grid { grid-size: 2; grid-rows: auto; grid-gutter: 0 2; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#name"

    def __init__(self, current: ClinicView) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        c = self.current
        places = [(f"{code} {label}", code) for code, label in sorted(PLACES_OF_SERVICE.items())]
        with Vertical():
            yield Label("Clinic settings (Ctrl+S saves)", id="clinic-form-title")
            yield Label("", id="clinic-form-error", markup=False)
            with VerticalScroll():
                yield Label("The clinic", classes="clinic-section")
                with Grid():
                    yield text_field("Legal name *", "name", c.name, max_length=200)
                    yield text_field("Time zone *", "timezone", c.timezone, placeholder="e.g. America/Chicago",
                                     max_length=64)
                    yield text_field("Street", "address_line1", c.address_line1, max_length=255)
                    yield text_field("Street (2)", "address_line2", c.address_line2, placeholder="suite, floor",
                                     max_length=255)
                    yield text_field("City", "city", c.city, max_length=100)
                    yield text_field("State", "state", c.state, placeholder="2 letters, e.g. IL", max_length=2)
                    yield text_field("ZIP+4", "postal_code", c.postal_code, placeholder="e.g. 62704-1234", max_length=10)
                    yield text_field("Phone", "phone", format_phone(c.phone), placeholder="e.g. (217) 555-0100",
                                     max_length=30)
                    yield text_field("Fax", "fax", format_phone(c.fax), max_length=30)
                    yield text_field("E-mail", "email", c.email, max_length=254)
                yield Label("Billing: what every claim carries", classes="clinic-section")
                with Grid():
                    yield text_field("NPI", "npi", c.npi, placeholder="type 2, 10 digits", max_length=12)
                    yield text_field("Tax ID", "tax_id", c.tax_id, placeholder="EIN NN-NNNNNNN or SSN",
                                     max_length=11)
                    yield text_field("Taxonomy", "taxonomy", c.taxonomy, placeholder="e.g. 261QP2300X", max_length=10)
                    yield select_field("Place of svc", "place_of_service", places, c.place_of_service
                                       if c.place_of_service in PLACES_OF_SERVICE else None)
                    yield text_field("Clearinghouse", "clearinghouse_id", c.clearinghouse_id,
                                     placeholder="its interchange ID", max_length=15)
                    yield text_field("C/house name", "clearinghouse_name", c.clearinghouse_name, max_length=60)
                    yield text_field("Submitter ID", "submitter_id", c.submitter_id,
                                     placeholder="from the clearinghouse (blank: NPI)", max_length=15)
                    yield select_field("Claim files", "x12_usage", USAGE_OPTIONS, c.x12_usage)
                yield Label("Opening hours (08:00-17:00, or closed)", classes="clinic-section")
                with Grid():
                    for day in WEEKDAYS:
                        yield text_field(DAY_NAMES[day], f"hours_{day}", _span(c.opening_hours.get(day)),
                                         placeholder="empty: closed", max_length=13)
            yield KeyBar()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def typed(self) -> ClinicInput:
        typed = values(self)
        hours = {day: typed.pop(f"hours_{day}") for day in WEEKDAYS}
        return ClinicInput(**typed, opening_hours=hours)

    def action_save(self) -> None:
        self.call_service(ClinicSettingsService(self.app.ctx).update, self.current.version, self.typed(),
                          then=self._saved, on_error=self._refused, exclusive=True, group="save")

    def _saved(self, view: ClinicView) -> None:
        self.app.notify("Clinic settings saved.", markup=False)
        self.dismiss(view)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "clinic-form-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
