"""What the Practice setup lists share (payers, fees, rooms): a table of records, `a` adds,
Enter or `e` edits the highlighted one, `x` retires it (or reinstates a retired one, after
asking), `v` shows the retired ones too, Esc goes back. Each subclass names its columns, how a
record is fetched and shown, and which forms and service calls add, edit and retire it; every
rule is the services'."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import Label

from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable

RowT = TypeVar("RowT")


class _AbstractScreenType(ABCMeta, type(ServiceScreen)):  # type: ignore[misc]
    """Textual's screen type with abstract methods: a list that leaves one out cannot be built."""


class SetupListScreen(ServiceScreen, Generic[RowT], metaclass=_AbstractScreenType):
    CSS_PATH = "setup_list.tcss"
    AUTO_FOCUS = "#setup-table"
    BINDINGS = [
        Binding("a", "add", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("x", "retire", "Retire/reinstate"),
        Binding("v", "toggle_retired", "Show retired"),
        Binding("escape", "back", "Back"),
    ]
    HEADING: ClassVar[str] = ""
    NOUN: ClassVar[str] = "record"  # "payer": in messages
    PERMISSION: ClassVar[str] = ""  # what adding, editing and retiring need
    FLEX: ClassVar[str] = ""  # the column that takes the width left over
    HINT: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RowT] = []
        self.include_retired = False
        self.keep: str | None = None  # the row to put the cursor on at the next refill (one just saved)

    # ----- what each list says -----------------------------------------------------------
    @abstractmethod
    def columns(self) -> list[Column]:
        """The table's columns, in order."""

    @abstractmethod
    def fetch(self, include_retired: bool) -> list[RowT]:
        """The rows, read from the services (in a worker thread)."""

    @abstractmethod
    def cells(self, row: RowT) -> tuple[str, ...]:
        """One row's cells, in the columns' order."""

    @abstractmethod
    def key(self, row: RowT) -> str:
        """The row's stable key (its id), to keep the cursor on it across refills."""

    @abstractmethod
    def label_of(self, row: RowT) -> str:
        """The row as messages name it."""

    def active(self, row: RowT) -> bool:
        return bool(getattr(row, "active", True))

    def add_form(self) -> Any | None:
        """The form that adds a row; None where the list adds another way (its own `action_add`)."""
        return None

    @abstractmethod
    def edit_form(self, row: RowT) -> Any:
        """The form that edits `row`."""

    @abstractmethod
    def retire_call(self, row: RowT) -> tuple[Callable[..., Any], tuple]:
        """The service call (and its arguments) that retires `row`."""

    @abstractmethod
    def reinstate_call(self, row: RowT) -> tuple[Callable[..., Any], tuple]:
        """The service call (and its arguments) that puts `row` back in use."""

    def retire_question(self, row: RowT) -> str:
        return f"Retire {self.label_of(row)}? It stays on the records that have it and can be reinstated."

    # ----- the screen --------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Label(self.HEADING, id="setup-title", markup=False)
        yield Label(self.HINT, id="setup-hint", markup=False)
        yield ResultsTable(id="setup-table")
        yield KeyBar()

    def on_mount(self) -> None:
        self._set_columns(self.size.width)

    def on_resize(self, event: Resize) -> None:
        self._set_columns(event.size.width)

    def _set_columns(self, width: int) -> None:
        """The flexible column takes what the others leave (each column has 2 cells of padding)."""
        columns = self.columns()
        fixed = sum(c.width + 2 for c in columns if c.label != self.FLEX)
        flex_width = max(12, min(60, width - 4 - fixed))
        table = self.query_one("#setup-table", ResultsTable)
        table.set_columns([Column(c.label, flex_width) if c.label == self.FLEX else c for c in columns])

    def on_screen_resume(self) -> None:
        self.app.refresh_header(self)
        self.load()

    def load(self, keep: str | None = None) -> None:
        """Refill the table; the cursor stays on its record, or goes to `keep` (a load started
        meanwhile, say by the screen resuming, replaces this one but keeps `keep`)."""
        if keep is not None:
            self.keep = keep
        self.call_service(self.fetch, self.include_retired, then=self._show, group="load", exclusive=True)

    def _show(self, rows: list[RowT]) -> None:
        table = self.query_one("#setup-table", ResultsTable)
        wanted = self.keep if self.keep is not None else (
            self.key(self.current) if self.current is not None else None)
        self.keep = None
        self.rows = rows
        index = next((n for n, r in enumerate(rows) if self.key(r) == wanted), min(table.cursor_row,
                                                                                     max(0, len(rows) - 1)))
        table.set_rows([(self.key(r), self.cells(r)) for r in rows], cursor=index)
        retired = sum(1 for r in rows if not self.active(r))
        shown = f" · {retired} retired shown" if self.include_retired else ""
        empty = " · none yet: a adds one" if not rows else ""
        self.query_one("#setup-title", Label).update(f"{self.HEADING} · {len(rows)}{shown}{empty}", layout=False)

    @property
    def current(self) -> RowT | None:
        if not self.rows:
            return None
        table = self.query_one("#setup-table", ResultsTable)
        return self.rows[min(table.cursor_row, len(self.rows) - 1)]

    # ----- actions -----------------------------------------------------------------------
    def action_add(self) -> None:
        if self.allowed(self.PERMISSION):
            form = self.add_form()
            if form is not None:
                self.app.push_screen(form, self._saved)

    def action_edit(self) -> None:
        row = self.current
        if row is None:
            self.app.notify(f"There is no {self.NOUN} yet: a adds one.", markup=False)
            return
        if self.allowed(self.PERMISSION):
            self.app.push_screen(self.edit_form(row), self._saved)

    @on(ResultsTable.Selected, "#setup-table")
    def _selected(self) -> None:
        self.action_edit()

    def _saved(self, row: RowT | None) -> None:
        if row is not None:
            self.app.notify(f"Saved {self.NOUN} {self.label_of(row)}.", markup=False)
            self.load(keep=self.key(row))

    def action_retire(self) -> None:
        row = self.current
        if row is None or not self.allowed(self.PERMISSION):
            return
        if self.active(row):
            title, question, verb = f"Retire {self.NOUN}", self.retire_question(row), "Retire"
            fn, args = self.retire_call(row)
        else:
            title, question, verb = f"Reinstate {self.NOUN}", f"Reinstate {self.label_of(row)}?", "Reinstate"
            fn, args = self.reinstate_call(row)

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(fn, *args, then=lambda _result: self._changed(row, verb), group="save",
                                  exclusive=True)
        self.app.push_screen(ConfirmModal(title, question, verb, "Keep"), answered)

    def _changed(self, row: RowT, verb: str) -> None:
        done = "Retired" if verb == "Retire" else "Reinstated"
        self.app.notify(f"{done} {self.label_of(row)}.", markup=False)
        if verb == "Retire" and not self.include_retired:
            self.load()
        else:
            self.load(keep=self.key(row))

    def action_toggle_retired(self) -> None:
        self.include_retired = not self.include_retired
        self.load()

    def action_back(self) -> None:
        self.dismiss()
