"""One patient's record: demographics and insurance, with keys to edit either.

Opening it is audited by the service (every look at a record is recorded). `x` saves a copy of
the record (PDF and FHIR Bundle) into the reports folder's `records/`, audited as a disclosure.
"""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.widgets import DataTable, Label, Static

from officeconsole.services.common import permissions
from officeconsole.services.common.errors import NotFound, OfficeError, PermissionDenied
from officeconsole.services.frontdesk.insurance import PolicyView
from officeconsole.services.frontdesk.patients import PatientRecord, PatientService
from officeconsole.services.operations.exports import ExportService, RecordExport
from officeconsole.services.scheduling.schedule import DayRow, ScheduleService
from officeconsole.tui.modals.insurance_form import InsuranceFormModal
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.screens.patient_form import CONTACT_OPTIONS, SEX_OPTIONS, PatientFormScreen
from officeconsole.tui.widgets.alert_line import AlertLine
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar

SEX_LABELS = {value: label.split(maxsplit=1)[1] for label, value in SEX_OPTIONS}
CONTACT_LABELS = {value: label for label, value in CONTACT_OPTIONS}
NARROW = 110


class PatientRecordScreen(ServiceScreen):
    CSS_PATH = "patient_record.tcss"
    BINDINGS = [
        # The record's own keys first and short, so all four are in the key bar at 80 columns.
        Binding("e", "edit", "Edit"),
        Binding("a", "account", "Account"),
        Binding("o", "notes", "Alerts & notes"),
        Binding("i", "add_policy", "Add policy"),
        Binding("x", "export_record", "Export record"),
        Binding("escape", "back", "Back"),
        Binding("enter", "edit_policy", "Edit policy", show=False),
        Binding("r", "reload", "Reload"),
        Binding("pagedown", "scroll_body(1)", "More", show=False, priority=True),
        Binding("pageup", "scroll_body(-1)", "Back up", show=False, priority=True),
    ]

    def __init__(self, patient_id: int) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.record: PatientRecord | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Label("Loading…", id="record-title", markup=False)
        yield AlertLine(id="record-alerts")
        with Horizontal(id="record-body"):
            yield Static("", id="demographics")
            with Vertical(id="insurance-box"):
                yield Label("Insurance", classes="section-title")
                yield DataTable(id="policies", cursor_type="row", zebra_stripes=True)
                yield Label("", id="insurance-note", markup=False)
                yield Label("Appointments", classes="section-title", id="appointments-title")
                yield Static("", id="appointments")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#policies", DataTable)
        for name, width in (("Rank", 9), ("Payer", 22), ("Member ID", 12), ("Group", 8),
                            ("From", 10), ("To", 10), ("Copay", 7), ("Status", 8)):
            table.add_column(name, width=width)
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.app.refresh_header(self)

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")

    def action_reload(self) -> None:
        self.call_service(PatientService(self.app.ctx).get, self.patient_id,
                          then=self._show, on_error=self._failed, group="load", exclusive=True)
        self.call_service(ScheduleService(self.app.ctx).for_patient, self.patient_id,
                          then=self._show_appointments, group="appointments", exclusive=True)
        self.query_one("#record-alerts", AlertLine).load(self, self.patient_id)

    def action_notes(self) -> None:
        """The patient's alerts and dated notes (`o`), where they are added and ended."""
        if self.record is not None:
            from officeconsole.tui.modals.patient_notes import PatientNotesModal

            self.app.push_screen(PatientNotesModal(self.record.id, self.record.display_name),
                                 lambda changed: self.action_reload() if changed else None)

    def _show_appointments(self, found: tuple[list[DayRow], list[DayRow]]) -> None:
        """Upcoming visits, then the last few with their outcome; status in words, not colour."""
        upcoming, recent = found
        grid = Table.grid(padding=(0, 2))
        for _ in range(5):
            grid.add_column(no_wrap=True)
        if not upcoming and not recent:
            self.query_one("#appointments", Static).update(Text("No appointments yet.", style="dim"))
            return
        for title, rows in (("Upcoming", upcoming), ("Recent", recent)):
            grid.add_row(Text(title, style="bold"), "", "", "", "")
            if not rows:
                grid.add_row(Text("none", style="dim"), "", "", "", "")
            for row in rows:
                grid.add_row(f"{row.start:%a %m/%d/%Y}", f"{row.start:%H:%M}", Text(row.provider_name),
                             Text(row.type_name), row.status.replace("_", " "))
        self.query_one("#appointments", Static).update(grid)

    def _failed(self, exc: OfficeError) -> None:
        self.show_error(exc)
        if isinstance(exc, (NotFound, PermissionDenied)):
            self.dismiss()

    def _show(self, record: PatientRecord) -> None:
        self.record = record
        today = self.app.ctx.today()
        self.query_one("#record-title", Label).update(
            f"{record.display_name}   MRN {record.mrn}   born {record.dob:%m/%d/%Y} "
            f"(age {record.age_on(today)})"
        )
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        address = ", ".join(p for p in (record.address_line1, record.address_line2) if p)
        place = " ".join(p for p in (record.city + ("," if record.city else ""), record.state,
                                     record.postal_code) if p)
        for label, value in (
            ("Name", " ".join(p for p in (record.first_name, record.middle_name, record.last_name) if p)),
            ("Preferred", record.preferred_name or "—"),
            ("Sex", SEX_LABELS.get(record.sex, record.sex)),
            ("Phone", record.phone_display or "—"),
            ("E-mail", record.email or "—"),
            ("Address", address or "—"),
            ("", place),
            ("Contact by", CONTACT_LABELS.get(record.preferred_contact, record.preferred_contact)),
            ("Status", record.status),
            ("Registered", f"{record.created_at.astimezone(self.app.ctx.timezone):%m/%d/%Y}"),
        ):
            grid.add_row(label, Text(value))
        self.query_one("#demographics", Static).update(grid)
        table = self.query_one("#policies", DataTable)
        table.clear()
        for policy in record.policies:
            table.add_row(
                policy.rank_label, Text(policy.payer_name), Text(policy.member_id),
                Text(policy.group_number), f"{policy.effective_from:%m/%d/%Y}",
                f"{policy.effective_to:%m/%d/%Y}" if policy.effective_to else "",
                f"${policy.copay}" if policy.copay is not None else "",
                Text("active", style="green") if policy.active_on(today) else Text("expired", style="red"),
                key=str(policy.id),
            )
        note = "No insurance on file: press i to add a policy." if not record.policies else \
            "Enter edits the highlighted policy · i adds one"
        self.query_one("#insurance-note", Label).update(note)

    def action_scroll_body(self, direction: int) -> None:
        """On a small terminal the record scrolls: PgDn shows the appointments below."""
        body = self.query_one("#record-body")
        body.scroll_to(y=body.scroll_y + direction * max(1, body.size.height - 2), animate=False)

    def action_back(self) -> None:
        self.dismiss()

    def action_edit(self) -> None:
        if self.record is not None and self.allowed("patient.update"):
            self.app.push_screen(PatientFormScreen(self.record), self._after_edit)

    def _after_edit(self, saved: int | None) -> None:
        if saved is not None:
            self.action_reload()

    def action_account(self) -> None:
        """Balance, payments and voids (payments on account, receipts)."""
        if self.record is not None and self.allowed("account.view"):
            from officeconsole.tui.modals.account import AccountModal

            self.app.push_screen(AccountModal(self.record.id, self.record.display_name))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The export key is offered only to those who may release a copy of a record."""
        if action == "export_record":
            actor = self.app.ctx.actor
            return actor is not None and permissions.allowed(actor.role, "export.patient")
        return True

    def action_export_record(self) -> None:
        """A copy of the record for the patient (or whoever they name): PDF and FHIR Bundle."""
        if self.record is not None and self.allowed("export.patient"):
            paths = getattr(self.app, "paths", None)
            folder = (paths.reports_dir if paths is not None else Path.home()) / "records"
            self.call_service(ExportService(self.app.ctx).export_record, self.record.mrn, folder,
                              then=self._exported, group="export", exclusive=True)

    def _exported(self, result: RecordExport) -> None:
        self.app.notify(f"Record of {result.name} saved: {result.pdf} and {result.bundle}", markup=False,
                        timeout=12)

    def action_add_policy(self) -> None:
        if self.record is not None and self.allowed("insurance.edit"):
            self.app.push_screen(InsuranceFormModal(self.record, None), self._after_policy)

    def action_edit_policy(self) -> None:
        table = self.query_one("#policies", DataTable)
        if self.record is None or not self.record.policies or not self.allowed("insurance.edit"):
            return
        policy: PolicyView = self.record.policies[min(table.cursor_row, len(self.record.policies) - 1)]
        self.app.push_screen(InsuranceFormModal(self.record, policy), self._after_policy)

    @on(DataTable.RowSelected, "#policies")
    def _policy_selected(self) -> None:
        self.action_edit_policy()

    def _after_policy(self, saved: PolicyView | None) -> None:
        if saved is not None:
            self.action_reload()
