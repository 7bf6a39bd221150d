"""The fee schedule's forms (Practice setup -> Fees): add a code, change a code's description or
fee, and import a CSV file (`code,description,fee`, all rows or none). A refused save shows each
message under its field; nothing typed is lost."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label

from officeconsole.services.billing.fees import FeeImportError, FeeRow, FeeService, ImportResult
from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import show_errors, show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar

FORM_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 80; max-width: 100%; height: auto; max-height: 100%;
    border: thick $primary; background: $panel; padding: 0 1;
}}
{name} .form-title {{ text-style: bold; margin-bottom: 1; }}
{name} .form-hint {{ color: $text-muted; height: auto; }}
{name} .form-error {{ color: $error; height: auto; }}
{name} Grid {{ grid-size: 1; grid-rows: auto; height: auto; }}
"""


class FeeFormModal(ServiceModal[FeeRow | None]):
    """A new code (no `fee` given), or the description and fee of one on the schedule."""

    DEFAULT_CSS = FORM_CSS.format(name="FeeFormModal")
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, fee: FeeRow | None = None) -> None:
        super().__init__()
        self.fee = fee

    def compose(self) -> ComposeResult:
        f = self.fee
        with Vertical():
            title = f"Change {f.code} ({f.kind.upper()})" if f else "Add a code to the fee schedule"
            yield Label(title, classes="form-title", markup=False)
            yield Label("", id="fee-form-error", classes="form-error", markup=False)
            with Grid():
                if f is None:
                    yield text_field("Code *", "code", placeholder="CPT 99213 or HCPCS J1100", max_length=5)
                yield text_field("Description *", "description", f.description if f else "",
                                 placeholder="the clinic's own words", max_length=200)
                yield text_field("Fee *", "fee", f"{f.fee:.2f}" if f else "", placeholder="e.g. 125.00", max_length=14)
            if f is not None:
                yield Label("Charges already entered keep the fee they were entered with.", classes="form-hint")
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#code" if self.fee is None else "#fee", Input).focus()

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        if event.input.id == "fee":
            self.action_save()
        else:
            self.focus_next()

    def action_save(self) -> None:
        typed = values(self)
        service = FeeService(self.app.ctx)
        if self.fee is None:
            self.call_service(service.add_fee, typed["code"], typed["description"], typed["fee"], then=self._saved,
                              on_error=self._refused, exclusive=True, group="save")
        else:
            self.call_service(service.update_fee, self.fee.code, typed["description"], typed["fee"],
                              expected=self.fee, then=self._saved, on_error=self._refused, exclusive=True,
                              group="save")

    def _saved(self, row: FeeRow) -> None:
        self.dismiss(row)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "fee-form-error")

    def action_cancel(self) -> None:
        self.dismiss(None)


class FeeImportModal(ServiceModal[ImportResult | None]):
    """A CSV file by its path: new codes added, changed ones updated, all rows or none."""

    DEFAULT_CSS = FORM_CSS.format(name="FeeImportModal")
    BINDINGS = [
        Binding("ctrl+s", "save", "Import", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#path"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Import a fee schedule (CSV)", classes="form-title")
            yield Label("Columns code,description,fee (a header row is optional). Every row is checked first: "
                        "one bad row and nothing is imported. Importing the same file again changes nothing.",
                        classes="form-hint")
            yield Label("", id="fee-import-error", classes="form-error", markup=False)
            yield text_field("File", "path", placeholder="e.g. /home/clinic/fees.csv", max_length=500)
            yield KeyBar()

    @on(Input.Submitted)
    def action_save(self) -> None:
        path = values(self)["path"].strip()
        if not path:
            self._refused(ValidationError({"path": "Type the path of the CSV file."}))
            return
        self.call_service(FeeService(self.app.ctx).import_csv, Path(path).expanduser(), then=self._saved,
                          on_error=self._refused, exclusive=True, group="save")

    def _saved(self, result: ImportResult) -> None:
        self.dismiss(result)

    def _refused(self, exc: OfficeError) -> None:
        if isinstance(exc, FeeImportError):
            problems = exc.problems
            shown = "\n".join(problems[:8]) + (f"\n… and {len(problems) - 8} more" if len(problems) > 8 else "")
            self.query_one("#fee-import-error", Label).update(f"Nothing was imported:\n{shown}")
            show_errors(self, {"path": "Fix the file (or pick another) and import again."})
        else:
            show_refusal(self, exc, "fee-import-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
