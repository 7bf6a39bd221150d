"""The billing queue (F5): encounters by claim state, counts and amounts per state at the top.

`s` cycles the state shown (all, needs coding, ready, ...), Enter opens the highlighted visit
for coding. Claim scrubbing, export and payment posting build on this screen.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label

from officeconsole.models.billing import EncounterStatus
from officeconsole.services.encounters import EncounterService, Queue
from officeconsole.services.money import money
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.screens.coding import CodingScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable

STATES: list[str | None] = [None, *(s.value for s in EncounterStatus)]


def state_label(state: str | None) -> str:
    return "All" if state is None else state.replace("_", " ").capitalize()


class BillingQueueScreen(ServiceScreen):
    CSS_PATH = "billing_queue.tcss"
    AUTO_FOCUS = "#claims"
    BINDINGS = [
        Binding("s", "next_state", "State"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.state: str | None = EncounterStatus.NEEDS_CODING.value
        self.queue: Queue | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Label("", id="queue-title", markup=False)
        yield Label("", id="queue-counts", markup=False)
        yield ResultsTable(id="claims")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#claims", ResultsTable).set_columns([
            Column("Service", 10), Column("Patient", 26), Column("MRN", 8), Column("Provider", 18),
            Column("State", 14), Column("Lines", 5), Column("Amount", 11)])

    def on_screen_resume(self) -> None:
        self.app.refresh_header(self)
        self.load()

    def load(self) -> None:
        self.call_service(EncounterService(self.app.ctx).queue, self.state, then=self._show, group="load",
                          exclusive=True)

    def _show(self, queue: Queue) -> None:
        self.queue = queue
        self.query_one("#queue-title", Label).update(
            f"Billing queue · {state_label(self.state)} · {len(queue.rows)} claims (s: next state)", layout=False)
        parts = [f"{state_label(state)} {n} ({money(total)})" for state, (n, total) in queue.counts.items()]
        self.query_one("#queue-counts", Label).update(" · ".join(parts) or "No encounters yet.", layout=False)
        self.query_one("#claims", ResultsTable).set_rows([
            (str(r.encounter_id), (f"{r.date_of_service:%m/%d/%Y}", r.patient_name, r.mrn, r.provider_name,
                                   state_label(r.status), str(r.lines), money(r.total))) for r in queue.rows])

    def on_results_table_selected(self, event: ResultsTable.Selected) -> None:
        if self.allowed("billing.code"):
            self.app.push_screen(CodingScreen(int(event.key)))

    def action_next_state(self) -> None:
        self.state = STATES[(STATES.index(self.state) + 1) % len(STATES)]
        self.load()

    def action_back(self) -> None:
        self.dismiss()
