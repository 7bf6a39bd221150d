"""Edit one staff member's details (managers): job title, contact, employment dates, and for a
provider the NPI (check digit validated by the service), credentials and specialty."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label

from officeconsole.models.enums import Role
from officeconsole.services.common.errors import OfficeError
from officeconsole.services.staffing.staff import StaffInput, StaffRow, StaffService
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar


def _date(value) -> str:
    return value.strftime("%m/%d/%Y") if value else ""


class StaffFormModal(ServiceModal[StaffRow | None]):
    DEFAULT_CSS = """
    StaffFormModal { align: center middle; }
    StaffFormModal > Vertical {
        width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    StaffFormModal #staff-form-title { text-style: bold; margin-bottom: 1; }
    StaffFormModal #staff-form-error { color: $error; height: auto; }
    StaffFormModal Grid { grid-size: 2; grid-rows: auto; grid-gutter: 0 2; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#job_title"

    def __init__(self, person: StaffRow) -> None:
        super().__init__()
        self.person = person

    def compose(self) -> ComposeResult:
        p = self.person
        with Vertical():
            yield Label(f"Edit {p.name} ({p.role_label}, {p.username})", id="staff-form-title", markup=False)
            yield Label("", id="staff-form-error", markup=False)
            with Grid():
                yield text_field("Job title", "job_title", p.job_title, max_length=60)
                yield text_field("Phone", "phone", p.phone, placeholder="e.g. (217) 555-0101", max_length=30)
                yield text_field("E-mail", "email", p.email, max_length=120)
                yield text_field("Hired", "hired_on", _date(p.hired_on), placeholder="MM/DD/YYYY", max_length=10)
                yield text_field("Left", "left_on", _date(p.left_on), placeholder="MM/DD/YYYY (blank: still here)",
                                 max_length=10)
                if p.role == Role.PROVIDER:
                    yield text_field("NPI *", "npi", p.npi, placeholder="10 digits", max_length=12)
                    yield text_field("Credentials", "provider_credentials", p.provider_credentials,
                                     placeholder="e.g. MD, DO, NP, PA", max_length=20)
                    yield text_field("Specialty", "specialty", p.specialty, placeholder="e.g. Family medicine",
                                     max_length=100)
            yield KeyBar()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        data = StaffInput(**values(self))
        self.call_service(StaffService(self.app.ctx).update_staff, self.person.user_id, self.person.version, data,
                          then=self._saved, on_error=self._refused, exclusive=True, group="save")

    def _saved(self, row: StaffRow) -> None:
        self.dismiss(row)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "staff-form-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
