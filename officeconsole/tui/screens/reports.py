"""Reports (F6, managers and billing): the practice reports over a range of days, as a table and
as charts where a trend reads better than figures (visits, the no-show rate, collections).

The list on the left picks the report; the range is typed in From / To (Enter applies it) or
stepped: `[` / `]` a week back or on, `{` / `}` the previous or next calendar month, `t` the
last 30 days. `c` and `p` save the report shown as CSV or PDF in the reports folder.
"""

from __future__ import annotations

import calendar
import datetime as dt
from math import ceil
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual_plotext import PlotextPlot

from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.text import parse_date
from officeconsole.services.reporting.report_model import DATE, MONEY, PERCENT, TEXT, Report, Section, Series
from officeconsole.services.reporting.reports import REPORTS, ReportService, default_range
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable

NAME_WIDTH = 24  # provider, payer and patient names: longer ones end in …
CHARTS = 3
TABLES = 2


def step_week(start: dt.date, end: dt.date, weeks: int, today: dt.date) -> tuple[dt.date, dt.date]:
    """The same length of range, a week earlier or later (never past today)."""
    shift = dt.timedelta(weeks=weeks)
    start, end = start + shift, end + shift
    if end > today:
        start, end = today - (end - start), today
    return start, end


def step_month(start: dt.date, end: dt.date, months: int, today: dt.date) -> tuple[dt.date, dt.date]:
    """The whole calendar month before the one `end` is in, or after the one `start` is in
    (this month so far when that is the current one)."""
    base = (end if months < 0 else start).replace(day=1)
    year, month = divmod(base.month - 1 + months, 12)
    first = dt.date(base.year + year, month + 1, 1)
    if first > today:
        return start, end
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return first, min(last, today)


class ReportsScreen(ServiceScreen):
    CSS_PATH = "reports.tcss"
    AUTO_FOCUS = "#report-list"
    BINDINGS = [
        Binding("left_square_bracket", "week(-1)", "Week back"),
        Binding("right_square_bracket", "week(1)", "Week on"),
        Binding("left_curly_bracket", "month(-1)", "Month back"),
        Binding("right_curly_bracket", "month(1)", "Month on"),
        Binding("t", "last_30", "Last 30 days"),
        Binding("c", "export('csv')", "Save CSV"),
        Binding("p", "export('pdf')", "Save PDF"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.name_shown = "day-sheet"
        self.start = self.end = dt.date.min  # the clinic's last 30 days, set on mount
        self.report: Report | None = None  # the one shown

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with Horizontal(id="reports-body"):
            with Vertical(id="reports-left"):
                yield Label("Reports", classes="reports-heading")
                yield OptionList(*(Option(title, id=name) for name, (title, _) in REPORTS.items()), id="report-list")
                yield Static("", id="report-about", markup=False)
            with Vertical(id="reports-main"):
                with Horizontal(id="reports-range"):
                    yield Label("From", classes="range-label")
                    yield Input(placeholder="MM/DD/YYYY", id="from", select_on_focus=True)
                    yield Label("To", classes="range-label")
                    yield Input(placeholder="MM/DD/YYYY", id="to", select_on_focus=True)
                    yield Label("[ ] a week · { } a month · t last 30 days", id="range-keys", markup=False)
                yield Label("", id="report-title", markup=False)
                for n in range(TABLES):
                    yield Label("", id=f"section-{n}", classes="section-title", markup=False)
                    yield ResultsTable(id=f"table-{n}")
                yield Static("", id="report-notes", markup=False)
                with Horizontal(id="charts"):
                    for n in range(CHARTS):
                        yield PlotextPlot(id=f"chart-{n}")
        yield KeyBar()

    def on_mount(self) -> None:
        self.start, self.end = default_range(self.app.ctx.today())
        self._show_range()

    def on_screen_resume(self) -> None:
        self.app.refresh_header(self)
        self.load()

    # ----- loading -------------------------------------------------------------------
    def load(self) -> None:
        self.query_one("#report-title", Label).update(f"{REPORTS[self.name_shown][0]}: loading…", layout=False)
        self.call_service(ReportService(self.app.ctx).run, self.name_shown, self.start, self.end, then=self._show,
                          on_error=self._refused, group="report", exclusive=True)

    def _refused(self, exc) -> None:
        """A range the service refuses: say why and show the last report's range again."""
        self.show_error(exc)
        if self.report is not None:
            self.start, self.end = self.report.start, self.report.end
            self.query_one("#report-title", Label).update(f"{self.report.title}, {self.report.period}", layout=False)
            self._show_range()

    def _show(self, report: Report) -> None:
        self.report = report
        self.query_one("#report-title", Label).update(f"{report.title}, {report.period}", layout=False)
        for n in range(TABLES):
            section = report.sections[n] if n < len(report.sections) else None
            self._fill(n, section)
        self.query_one("#report-notes", Static).update(" ".join(report.notes))
        for n in range(CHARTS):
            plot = self.query_one(f"#chart-{n}", PlotextPlot)
            plot.display = n < len(report.series)
            if plot.display:
                _draw(plot, report.series[n])

    def _fill(self, n: int, section: Section | None) -> None:
        title = self.query_one(f"#section-{n}", Label)
        table = self.query_one(f"#table-{n}", ResultsTable)
        title.display = table.display = section is not None
        if section is None:
            return
        title.update(section.title + ("" if section.rows else " · nothing in this range"), layout=False)
        cells = section.text_rows()
        if self.report is not None and self.report.start.year == self.report.end.year:
            cells = [_short_dates(section, row) for row in cells]  # the title gives the year
        widths = [max([len(c.heading), *(len(row[k]) for row in cells)]) for k, c in enumerate(section.columns)]
        widths = [min(w, NAME_WIDTH) if c.kind == TEXT else w for c, w in zip(section.columns, widths, strict=True)]
        table.set_columns([Column(c.heading, w) for c, w in zip(section.columns, widths, strict=True)])
        table.set_rows([(str(n), tuple(text.rjust(w) if c.numeric else text
                                       for c, w, text in zip(section.columns, widths, row, strict=True)))
                        for n, row in enumerate(cells)])

    # ----- the report and its range --------------------------------------------------
    @on(OptionList.OptionHighlighted, "#report-list")
    def _picked(self, event: OptionList.OptionHighlighted) -> None:
        name = event.option.id or "day-sheet"
        self.query_one("#report-about", Static).update(REPORTS[name][1])
        if name != self.name_shown:  # the first report loads when the screen shows
            self.name_shown = name
            self.load()

    @on(Input.Submitted, "#from, #to")
    def _typed(self, _event: Input.Submitted) -> None:
        try:
            start = parse_date(self.query_one("#from", Input).value)
            end = parse_date(self.query_one("#to", Input).value)
        except ValueError as exc:
            self.show_error(ValidationError({"date": f"{exc}."}))
            return
        default_start, default_end = default_range(end or self.app.ctx.today())
        self._set_range(start or default_start, end or default_end)

    def action_week(self, weeks: int) -> None:
        self._set_range(*step_week(self.start, self.end, weeks, self.app.ctx.today()))

    def action_month(self, months: int) -> None:
        self._set_range(*step_month(self.start, self.end, months, self.app.ctx.today()))

    def action_last_30(self) -> None:
        self._set_range(*default_range(self.app.ctx.today()))

    def _set_range(self, start: dt.date, end: dt.date) -> None:
        self.start, self.end = start, end
        self._show_range()
        self.load()

    def _show_range(self) -> None:
        self.query_one("#from", Input).value = f"{self.start:%m/%d/%Y}"
        self.query_one("#to", Input).value = f"{self.end:%m/%d/%Y}"

    # ----- saving --------------------------------------------------------------------
    def action_export(self, fmt: str) -> None:
        if self.report is None or not self.allowed("report.view"):
            return
        self.call_service(ReportService(self.app.ctx).export, self.report, fmt, self._reports_folder(),
                          then=lambda path: self.app.notify(f"Saved {path}", markup=False, timeout=8),
                          group="export", exclusive=True)

    def _reports_folder(self) -> Path:
        paths = getattr(self.app, "paths", None)
        return paths.reports_dir if paths is not None else Path.home() / "reports"

    def action_back(self) -> None:
        self.dismiss()


def _short_dates(section: Section, row: tuple[str, ...]) -> tuple[str, ...]:
    """`Mon 11/23/2026` as `Mon 11/23`."""
    return tuple(text[:-5] if c.kind == DATE and text[-5:-4] == "/" else text
                 for c, text in zip(section.columns, row, strict=True))


def _draw(plot: PlotextPlot, series: Series) -> None:
    """A bar chart (or a line for a trend) with a few of its labels under it; the y axis starts
    at zero (or below, for a day whose voids outweigh its payments)."""
    plt = plot.plt
    plt.clear_figure()  # data, ticks and limits: the widget sets its theme again when it draws
    scale = 100 if series.kind == PERCENT else 1
    xs = list(range(1, len(series.values) + 1))
    ys = [v * scale for v in series.values]
    unit = {PERCENT: " (%)", MONEY: " ($)"}.get(series.kind, "")
    plt.title(series.title + unit + ("" if xs else ": nothing in this range"))
    if xs:
        if series.style == "line":
            plt.plot(xs, ys, marker="braille")
        else:
            plt.bar(xs, ys)
        plt.ylim(min(0, *ys), max(1, *ys))
        step = max(1, ceil(len(xs) / 5))
        plt.xticks(xs[::step], list(series.labels[::step]))
    plot.refresh()
