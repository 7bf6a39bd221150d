"""Patients: search as you type by name, DOB, phone or MRN; open or register a patient.

Results come a page at a time (keyset paging in the service), and every search runs in
an exclusive worker, so a slow answer to "sm" can never overwrite the answer to "smi".
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import Resize
from textual.widgets import DataTable, Footer, Input, Label

from officeconsole.services import permissions
from officeconsole.services.errors import PermissionDenied
from officeconsole.services.patient_search import Cursor
from officeconsole.services.patients import PAGE_SIZE, PatientRow, PatientService, SearchPage
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.screens.patient_form import PatientFormScreen
from officeconsole.tui.screens.patient_record import PatientRecordScreen
from officeconsole.tui.widgets.app_header import AppHeader

WIDE = 120


class PatientsScreen(ServiceScreen):
    CSS_PATH = "patients.tcss"
    AUTO_FOCUS = "#search"
    BINDINGS = [
        Binding("ctrl+n", "new_patient", "New patient"),
        Binding("ctrl+f", "focus_search", "Search"),
        Binding("enter", "open_patient", "Open", show=False),
        Binding("pagedown", "next_page", "Next page"),
        Binding("pageup", "previous_page", "Prev page"),
        Binding("escape", "clear_search", "Clear", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_text = ""
        self.cursors: list[Cursor | None] = [None]  # where each page shown so far started
        self.page: SearchPage | None = None
        self.rows: list[PatientRow] = []

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with Horizontal(id="search-bar"):
            yield Label("Find", id="search-label")
            yield Input(placeholder="name (smith, smith jo, smith, john), DOB, phone or MRN",
                        id="search", compact=True)
        yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        yield Label("", id="page-info", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._set_columns()
        self.search_page()

    def on_screen_resume(self) -> None:
        self.app.refresh_header(self)
        if self.page is not None:  # back from a record: show any edits made there
            self.search_page(keep_row=True)

    def on_resize(self, event: Resize) -> None:
        wide = event.size.width >= WIDE
        if wide != self.has_class("-wide"):
            self.set_class(wide, "-wide")
            self._set_columns()
            self._fill()

    # ----- searching --------------------------------------------------------------------
    @on(Input.Changed, "#search")
    def _query_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value
        self.cursors = [None]
        self.search_page()

    def search_page(self, keep_row: bool = False) -> None:
        service = PatientService(self.app.ctx)
        cursor = self.cursors[-1]
        self.call_service(service.search, self.query_text, cursor, PAGE_SIZE,
                          then=lambda page: self._show(page, keep_row),
                          group="search", exclusive=True)

    def _show(self, page: SearchPage, keep_row: bool = False) -> None:
        table = self.query_one("#results", DataTable)
        row = table.cursor_row if keep_row else 0
        self.page = page
        self.rows = page.rows
        self._fill()
        if self.rows:
            table.move_cursor(row=min(row, len(self.rows) - 1))
        self._update_page_info()

    def _set_columns(self) -> None:
        table = self.query_one("#results", DataTable)
        table.clear(columns=True)
        table.add_column("MRN", width=8)
        table.add_column("Name", width=32 if self.has_class("-wide") else 24)
        table.add_column("DOB", width=10)
        table.add_column("Age", width=4)
        table.add_column("Sex", width=3)
        table.add_column("Phone", width=15)
        if self.has_class("-wide"):
            table.add_column("City", width=20)

    def _fill(self) -> None:
        table = self.query_one("#results", DataTable)
        table.clear()
        today = self.app.ctx.today() if self.app.base_ctx._timezone else None
        for row in self.rows:
            age = ""
            if today is not None:
                age = str(today.year - row.dob.year - ((today.month, today.day) < (row.dob.month, row.dob.day)))
            cells = [row.mrn, Text(row.display_name), row.dob.strftime("%m/%d/%Y"), age, row.sex,
                     Text(row.phone)]
            if self.has_class("-wide"):
                cells.append(Text(row.city))
            table.add_row(*cells, key=str(row.id))

    def _update_page_info(self) -> None:
        page_no = len(self.cursors)
        count = len(self.rows)
        if not count:
            text = "No patients match." if self.query_text.strip() else "No patients yet: Ctrl+N registers one."
        else:
            more = "  PgDn: next page" if self.page and self.page.next_cursor else ""
            back = "  PgUp: previous" if page_no > 1 else ""
            text = f"Page {page_no} · {count} shown{more}{back}  ·  Enter opens the highlighted patient"
        self.query_one("#page-info", Label).update(text)

    # ----- actions ----------------------------------------------------------------------
    def action_next_page(self) -> None:
        if self.page is not None and self.page.next_cursor is not None:
            self.cursors.append(self.page.next_cursor)
            self.search_page()

    def action_previous_page(self) -> None:
        if len(self.cursors) > 1:
            self.cursors.pop()
            self.search_page()

    def action_focus_search(self) -> None:
        self.focus_search()

    def focus_search(self) -> None:
        search = self.query_one("#search", Input)
        search.focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.value:
            search.value = ""
        search.focus()

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        if self.rows:
            self.query_one("#results", DataTable).focus()
            if len(self.rows) == 1:
                self.action_open_patient()

    def key_down(self) -> None:
        if self.focused is self.query_one("#search", Input) and self.rows:
            self.query_one("#results", DataTable).focus()

    @on(DataTable.RowSelected, "#results")
    def _row_selected(self) -> None:
        self.action_open_patient()

    def action_open_patient(self) -> None:
        table = self.query_one("#results", DataTable)
        if not self.rows or table.cursor_row < 0:
            return
        row = self.rows[min(table.cursor_row, len(self.rows) - 1)]
        self.app.push_screen(PatientRecordScreen(row.id))

    def action_new_patient(self) -> None:
        actor = self.app.ctx.actor
        try:
            permissions.check(actor.role if actor else "front_desk", "patient.create")
        except PermissionDenied as exc:
            self.show_error(exc)
            return
        self.app.push_screen(PatientFormScreen(None), self._registered)

    def _registered(self, record_id: int | None) -> None:
        if record_id is not None:
            self.app.push_screen(PatientRecordScreen(record_id))
