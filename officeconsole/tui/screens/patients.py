"""Patients: search as you type by name, DOB, phone or MRN; open or register a patient.

Results come a page at a time (keyset paging in the service), and every search runs in
an exclusive worker, so a slow answer to "sm" can never overwrite the answer to "smi".
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import Key, Resize
from textual.widgets import Input, Label

from officeconsole.services.frontdesk.patient_search import Cursor
from officeconsole.services.frontdesk.patients import PAGE_SIZE, PatientRow, PatientService, SearchPage
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.screens.patient_form import PatientFormScreen
from officeconsole.tui.screens.patient_record import PatientRecordScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable

WIDE = 120


class SearchBox(Input):
    """The search box; `keep_typed()` makes its next focus keep the text instead of selecting it."""

    def keep_typed(self) -> None:
        self.select_on_focus = False

    def _on_focus(self, event) -> None:  # runs before Input's own handler for the same event
        if not self.select_on_focus:
            self.call_later(setattr, self, "select_on_focus", True)  # once Input's handler has run


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
            yield SearchBox(placeholder="name (smith, smith jo, smith, john), DOB, phone or MRN",
                            id="search", compact=True)
        yield ResultsTable(id="results")
        yield Label("", id="page-info", markup=False)
        yield KeyBar()

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
            self._fill(self.query_one("#results", ResultsTable).cursor_row)

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
        table = self.query_one("#results", ResultsTable)
        row = table.cursor_row if keep_row else 0
        self.page = page
        self.rows = page.rows
        self._fill(row)
        self._update_page_info()

    def _set_columns(self) -> None:
        wide = self.has_class("-wide")
        columns = [Column("MRN", 8), Column("Name", 32 if wide else 24), Column("DOB", 10),
                   Column("Age", 4), Column("Sex", 3), Column("Phone", 15)]
        if wide:
            columns.append(Column("City", 20))
        self.query_one("#results", ResultsTable).set_columns(columns)

    def _fill(self, cursor: int = 0) -> None:
        table = self.query_one("#results", ResultsTable)
        today = self.app.ctx.today() if self.app.ctx.zone.known else None
        wide = self.has_class("-wide")
        rows = []
        for row in self.rows:
            age = ""
            if today is not None:
                age = str(today.year - row.dob.year - ((today.month, today.day) < (row.dob.month, row.dob.day)))
            cells = (row.mrn, row.display_name, row.dob.strftime("%m/%d/%Y"), age, row.sex, row.phone)
            rows.append((str(row.id), cells + (row.city,) if wide else cells))
        table.set_rows(rows, cursor)

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
            self.query_one("#results", ResultsTable).focus()
            if len(self.rows) == 1:
                self.action_open_patient()

    def key_down(self, event: Key) -> None:
        """Down from the search box moves into the results, onto the first row."""
        if self.focused is self.query_one("#search", Input) and self.rows:
            event.stop()
            event.prevent_default()
            self.query_one("#results", ResultsTable).focus()

    def on_key(self, event: Key) -> None:
        """Typing while the results have the focus (back from a record, say) starts a new search."""
        results = self.query_one("#results", ResultsTable)
        if self.focused is results and event.is_printable and event.character and event.character != " ":
            event.stop()
            event.prevent_default()
            search = self.query_one("#search", SearchBox)
            search.keep_typed()
            search.focus()
            search.value = event.character
            search.cursor_position = 1

    @on(ResultsTable.Selected, "#results")
    def _row_selected(self) -> None:
        self.action_open_patient()

    def action_open_patient(self) -> None:
        table = self.query_one("#results", ResultsTable)
        if not self.rows or table.cursor_row < 0:
            return
        row = self.rows[min(table.cursor_row, len(self.rows) - 1)]
        self.app.push_screen(PatientRecordScreen(row.id))

    def action_new_patient(self) -> None:
        if not self.allowed("patient.create"):
            return
        self.app.push_screen(PatientFormScreen(None), self._registered)

    def _registered(self, record_id: int | None) -> None:
        if record_id is not None:
            self.app.push_screen(PatientRecordScreen(record_id))
