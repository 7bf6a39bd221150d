"""Move in (Practice setup -> `m`): import another system's CSV. Type the file's path and pick what it
holds; Enter checks it (a dry run: counts, the first refused rows with their reasons, values that
match nothing); Ctrl+S then imports that same file. The work runs off the UI thread. Managers only."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from officeconsole.services.operations.importing import ImportKind, ImportReport, ImportRequest, ImportService
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar

SHOWN = 15  # refused rows listed on screen (all of them are in the reject file)
KINDS = [("Patients", ImportKind.PATIENTS.value), ("Insurance policies", ImportKind.POLICIES.value),
         ("Appointments", ImportKind.APPOINTMENTS.value), ("Opening balances", ImportKind.BALANCES.value)]


def report_text(report: ImportReport) -> Text:
    """What a dry run or an import found, as plain text (the file's cells are never markup)."""
    c = report.counts
    text = Text()
    head = "Imported" if report.committed else "Dry run (nothing written)"
    text.append(f"{head}: {report.kind.value} from {report.source}, {report.file.path.name} "
                f"({report.file.encoding_label})\n", style="bold")
    text.append(f"  new {c['new']}   updated {c['updated']}   unchanged {c['unchanged']}   "
                f"refused {c['refused']}\n")
    for line in report.unmatched_lines():
        text.append(f"  No match: {line}\n", style="yellow")
    if report.refused:
        text.append(f"\nRefused rows{' (the first ' + str(SHOWN) + ')' if c['refused'] > SHOWN else ''}:\n",
                    style="bold")
        for row in report.refused[:SHOWN]:
            text.append(f"  line {row.line}  {row.source_id}: ", style="bold")
            text.append(f"{row.reason}\n")
        text.append(f"\nEvery refused row, with its reason: {report.reject_file}\n")
    if not report.committed:
        text.append("\nCtrl+S imports this file." if c["new"] + c["updated"] else "\nNothing to import.",
                    style="bold")
    return text


class ImportScreen(ServiceScreen):
    CSS_PATH = "import_data.tcss"
    BINDINGS = [
        Binding("ctrl+s", "commit", "Import"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.checked: ImportRequest | None = None  # the dry run Ctrl+S would commit

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Label("Move in: import from another system", id="import-title")
        yield Label("Patients first, then policies, appointments and balances. Enter checks the file "
                    "(nothing is written); Ctrl+S imports it. Columns: docs/import.md.", id="import-hint")
        with Horizontal(classes="import-row"):
            yield Label("File", classes="import-label")
            yield Input(placeholder="/path/to/patients.csv", id="import-file")
        with Horizontal(classes="import-row"):
            yield Label("Holds", classes="import-label")
            yield Select(KINDS, value=ImportKind.PATIENTS.value, allow_blank=False, id="import-kind")
        with Horizontal(classes="import-row"):
            yield Label("Source", classes="import-label")
            yield Input(value="import", placeholder="the other system's name, such as oldpms", id="import-source")
        with Horizontal(classes="import-row"):
            yield Label("Map", classes="import-label")
            yield Input(placeholder='Their Column=field; payer:Their Value=Our payer (separate with ;)',
                        id="import-map")
        yield Label("", id="import-progress", markup=False)
        with VerticalScroll(id="import-result"):
            yield Static("", id="import-report", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#import-file", Input).focus()

    def request(self, commit: bool) -> ImportRequest:
        maps = tuple(m.strip() for m in self.query_one("#import-map", Input).value.split(";") if m.strip())
        return ImportRequest(str(self.query_one("#import-kind", Select).value),
                             self.query_one("#import-file", Input).value.strip(),
                             source=self.query_one("#import-source", Input).value,
                             maps=maps, commit=commit)

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.check()

    def check(self) -> None:
        if not self.allowed("data.import"):
            return
        request = self.request(commit=False)
        if not request.path:
            self.app.notify("Type the path of the CSV file to import.", severity="warning", markup=False)
            return
        self.checked = None
        self._start("Checking…")
        self.call_service(self._run, request, then=self._show_check, on_error=self._failed, group="import",
                          exclusive=True)

    def action_commit(self) -> None:
        if self.checked is None:
            self.app.notify("Check the file first (Enter): its dry run says what would be imported.",
                            severity="warning", markup=False)
            return
        if self.request(commit=False) != self.checked:
            self.app.notify("The file or its settings changed since the check: press Enter to check again.",
                            severity="warning", markup=False)
            return
        request = self.request(commit=True)
        self._start("Importing…")
        self.call_service(self._run, request, then=self._show_done, on_error=self._failed, group="import",
                          exclusive=True)

    def _run(self, request: ImportRequest) -> tuple[ImportRequest, ImportReport]:
        """In the worker thread: the import, with its counts shown as it goes."""
        def progress(report: ImportReport) -> None:
            self.app.call_from_thread(self._progress, report.summary)

        return request, ImportService(self.app.ctx).run(request, progress=progress)

    def _start(self, what: str) -> None:
        self.query_one("#import-progress", Label).update(what)
        self.query_one("#import-report", Static).update("")

    def _progress(self, summary: str) -> None:
        self.query_one("#import-progress", Label).update(summary)

    def _show_check(self, result: tuple[ImportRequest, ImportReport]) -> None:
        request, report = result
        self.checked = request if report.counts["new"] + report.counts["updated"] else None
        self._show(report)

    def _show_done(self, result: tuple[ImportRequest, ImportReport]) -> None:
        _request, report = result
        self.checked = None
        self._show(report)
        self.app.notify(f"Imported {report.kind.value}: {report.summary}.", markup=False)

    def _show(self, report: ImportReport) -> None:
        self.query_one("#import-progress", Label).update(f"{report.summary} ({report.seconds:.1f} s)")
        self.query_one("#import-report", Static).update(report_text(report))

    def _failed(self, exc) -> None:
        self.checked = None
        self.query_one("#import-progress", Label).update("")
        self.query_one("#import-report", Static).update(Text(exc.message))
        self.show_error(exc)

    def action_back(self) -> None:
        self.app.pop_screen()
