"""Practice setup (F10, managers): what the practice still needs before it can book and before it
can bill, each line with the key that opens its fix, and every subject a manager sets up.

The checklist is read again whenever the screen comes back to the top, so a fix made on a
subject's screen shows at once. One table (SUBJECTS) gives the keys, the list on screen and what
each key opens.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, Static

from officeconsole.services.practice.clinic_settings import ClinicSettingsService, ClinicView
from officeconsole.services.practice.setup_check import CheckItem, SetupCheckService, SetupStatus
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar


@dataclass(frozen=True)
class Subject:
    key: str
    label: str
    opens: str  # "module:Class" (a screen or modal taking no arguments), or "app:action"


SUBJECTS = (
    Subject("c", "Clinic", "self:clinic"),
    Subject("p", "Providers", "officeconsole.tui.screens.setup_providers:ProvidersSetupScreen"),
    Subject("t", "Appointment types", "officeconsole.tui.screens.setup_types:AppointmentTypesScreen"),
    Subject("h", "Hours", "officeconsole.tui.screens.setup_hours:HoursSetupScreen"),
    Subject("y", "Payers", "officeconsole.tui.screens.setup_payers:PayersSetupScreen"),
    Subject("f", "Fees", "officeconsole.tui.screens.setup_fees:FeesSetupScreen"),
    Subject("r", "Rooms", "officeconsole.tui.screens.setup_rooms:RoomsSetupScreen"),
    Subject("e", "Recall rules", "officeconsole.tui.screens.setup_recalls:RecallRulesScreen"),
    Subject("s", "Sign-in rules", "officeconsole.tui.modals.sign_in_rules_form:SignInRulesModal"),
    Subject("i", "Inventory (F9)", "app:inventory"),
    Subject("m", "Move in (import)", "officeconsole.tui.screens.import_data:ImportScreen"),
)


def item_parts(item: CheckItem) -> tuple[Text, Text]:
    """("✗  c ", "Tax ID: Not set...") or ("✓  p ", "A provider: 1 active: Avery Lee"): the mark (in
    words' place as well as colour) and the key that opens the fix, then what is there or missing.
    Two widgets, so a long line wraps under its label."""
    mark = Text()
    mark.append("✓ " if item.done else "✗ ", style="bold green" if item.done else "bold red")
    mark.append(f" {item.key} ", style="dim reverse" if item.done else "bold reverse")
    words = Text()
    words.append(item.label, style="bold")
    words.append(f": {item.detail}")
    return mark, words


def item_widget(item: CheckItem) -> Horizontal:
    mark, words = item_parts(item)
    return Horizontal(Static(mark, classes="item-mark"), Static(words, classes="item-words"),
                      classes="item -done" if item.done else "item -missing")


class PracticeSetupScreen(ServiceScreen):
    CSS_PATH = "practice_setup.tcss"
    BINDINGS = [
        *(Binding(s.key, f"open('{s.key}')", s.label, show=False) for s in SUBJECTS),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.status: SetupStatus | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Label("Practice setup", id="setup-title")
        yield Label("", id="setup-summary", markup=False)
        with Horizontal(id="setup-body"):
            with VerticalScroll(id="checklist"):
                yield Label("Before you can book", classes="part-title", id="book-title")
                yield Vertical(id="book-items", classes="part")
                yield Label("Before you can bill", classes="part-title", id="bill-title")
                yield Vertical(id="bill-items", classes="part")
            with Vertical(id="subjects"):
                yield Label("Set up", classes="part-title")
                for subject in SUBJECTS:
                    line = Text()
                    line.append(f" {subject.key} ", style="bold reverse")
                    line.append(f" {subject.label}")
                    yield Static(line, classes="subject", id=f"subject-{subject.key}")
        yield KeyBar()

    def on_mount(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        self.app.refresh_header(self)
        self.load()

    def load(self) -> None:
        self.call_service(SetupCheckService(self.app.ctx).check, then=self._show, group="check", exclusive=True)

    def _show(self, status: SetupStatus) -> None:
        self.status = status
        for part, items, ready, title in (("book", status.before_booking, status.ready_to_book,
                                           "Before you can book"),
                                          ("bill", status.before_billing, status.ready_to_bill,
                                           "Before you can bill")):
            self.query_one(f"#{part}-title", Label).update(f"{title}: ready ✓" if ready else title)
            box = self.query_one(f"#{part}-items", Vertical)
            box.remove_children()
            box.mount_all([item_widget(item) for item in items])
        missing = len(status.missing)
        self.query_one("#setup-summary", Label).update(
            "Everything is set up: the practice can book and bill." if not missing else
            f"{missing} thing(s) still to set up: press the key beside a line to fix it.")

    def action_open(self, key: str) -> None:
        subject = next(s for s in SUBJECTS if s.key == key)
        where, _, name = subject.opens.partition(":")
        if where == "self":
            self.open_clinic()
            return
        if where == "app":
            getattr(self.app, f"action_{name}")()
            return
        try:
            kind = getattr(importlib.import_module(where), name)
        except (ImportError, AttributeError):
            self.app.notify(f"{subject.label} cannot be set up from this console version yet.",
                            severity="warning", markup=False)
            return
        self.app.push_screen(kind())

    def open_clinic(self) -> None:
        self.call_service(ClinicSettingsService(self.app.ctx).settings, then=self._open_clinic_form,
                          group="clinic", exclusive=True)

    def _open_clinic_form(self, view: ClinicView) -> None:
        from officeconsole.tui.modals.clinic_form import ClinicFormModal

        self.app.push_screen(ClinicFormModal(view), self._clinic_saved)

    def _clinic_saved(self, saved: ClinicView | None) -> None:
        if saved is not None:
            self.app.reload_clinic()  # the header's name, a new patient's state

    def action_back(self) -> None:
        self.app.pop_screen()
