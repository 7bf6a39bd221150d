"""Write off what an insurer will not pay on a claim: the reason code and why, both required."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from officeconsole.services.billing.receivables import ReceivablesService
from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.common.money import money
from officeconsole.services.frontdesk.ledger import new_request_key
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import show_errors, text_field
from officeconsole.tui.widgets.key_bar import KeyBar


class WriteOffModal(ServiceModal[bool]):
    DEFAULT_CSS = """
    WriteOffModal { align: center middle; }
    WriteOffModal > Vertical { width: 80; height: auto; border: thick $warning; background: $panel; padding: 0 1; }
    WriteOffModal #wo-title { text-style: bold; margin-bottom: 1; }
    WriteOffModal #wo-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("ctrl+s", "save", "Write off", priority=True), Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#reason_code"

    def __init__(self, encounter_id: int, label: str, owing) -> None:
        super().__init__()
        self.encounter_id = encounter_id
        self.label = label
        self.owing = owing
        self.request_key = new_request_key()  # a second press finds the first write-off

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Write off {money(self.owing)} on {self.label}", id="wo-title", markup=False)
            yield Label("", id="wo-error", markup=False)
            yield text_field("Reason code", "reason_code", placeholder="CARC, e.g. 29 filing limit, 50", max_length=5)
            yield text_field("Why", "memo", placeholder="e.g. appeal lost, too small to pursue", max_length=200)
            yield KeyBar()

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        if event.input.id == "memo":
            self.action_save()
        else:
            self.focus_next()

    def action_save(self) -> None:
        self.call_service(ReceivablesService(self.app.ctx).write_off, self.encounter_id,
                          self.query_one("#reason_code", Input).value, self.query_one("#memo", Input).value,
                          self.request_key, then=self._done, on_error=self._refused, exclusive=True, group="save")

    def _done(self, amount) -> None:
        self.app.notify(f"Wrote off {money(amount)}.", markup=False)
        self.dismiss(True)

    def _refused(self, exc: OfficeError) -> None:
        self.query_one("#wo-error", Label).update(exc.message)
        if isinstance(exc, ValidationError):
            show_errors(self, exc.errors)

    def action_cancel(self) -> None:
        self.dismiss(False)
