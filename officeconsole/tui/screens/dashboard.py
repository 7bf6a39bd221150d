"""The manager's dashboard (the manager's home after login; F11): today at a glance, the
period's figures against the previous period and the same period last year, each with its
arrow, the figures per provider, desk user and biller, and twelve months of trend.

Keys: `w` `m` `q` the week, month or quarter to date; `[` `]` the period before or after;
`t` back to the current period; From / To and Enter for a custom range; `v` switches the
people table (providers, desk, billers); `p` saves the same figures as a PDF report.

A period key draws the new period at once, every figure "…"; the figures read from the
appointments come first (services/kpi `with_ar=False`); collections, the rates read from the
A/R entries, days in A/R and the trend follow in a second read. Both reads run off the UI
thread, and an answer for a period no longer asked for is dropped. A figure with nothing to
count reads "—".
"""

from __future__ import annotations

import time
from dataclasses import replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Label, Static
from textual_plotext import PlotextPlot

from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.money import money
from officeconsole.services.common.text import parse_date
from officeconsole.services.reporting.kpi import (
    AR_FIGURES,
    DAYS,
    FIGURES,
    Comparison,
    Dashboard,
    KpiService,
    Span,
    step,
)
from officeconsole.services.reporting.kpi.periods import choose_span, previous, year_before
from officeconsole.services.reporting.kpi.tables import kpi_report, trend_series
from officeconsole.services.reporting.report_model import COUNT, MINUTES, MONEY, PERCENT
from officeconsole.services.reporting.reports import ReportService
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.screens.reports import ReportsScreen, _draw
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable

NONE, PENDING = "—", "…"
ARROWS = {"up": "▲", "down": "▼", "same": "=", "": " "}
KIND_NAMES = {"week": "Week to date", "month": "Month to date", "quarter": "Quarter to date", "custom": "Range"}
PEOPLE = ("providers", "desk", "billers")
CHARTS = 3
WIDE = 108  # columns for the people table beside the figures
FIGURE_WIDTH = 24  # "Booked with an override", the longest figure name, whole


def figure_text(kind: str, value: object) -> str:
    """How the dashboard shows one value: 1,204 · 12.5% · 14.2 (minutes) · $1,250.00 · —."""
    if value is None:
        return NONE
    if kind == PERCENT:
        return f"{value:.1%}"
    if kind == MONEY:
        return money(value)
    if kind == MINUTES:
        return f"{value:.1f}" if isinstance(value, float) else str(value)
    if kind in (COUNT, DAYS) and isinstance(value, int):
        return f"{value:,}"
    return str(value)


RELOAD_AFTER_SECONDS = 60


class DashboardScreen(ServiceScreen):
    CSS_PATH = "dashboard.tcss"
    AUTO_FOCUS = "#dash-figures"
    BINDINGS = [
        Binding("w", "period('week')", "Week"),
        Binding("m", "period('month')", "Month"),
        Binding("q", "period('quarter')", "Quarter"),
        Binding("left_square_bracket", "step(-1)", "Before"),
        Binding("right_square_bracket", "step(1)", "After"),
        Binding("t", "current", "Now"),
        Binding("v", "people", "People"),
        Binding("p", "save_pdf", "Save PDF"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.kind = "month"
        self.span: Span | None = None  # None: the current period
        self.dashboard: Dashboard | None = None
        self.people = 0
        self._wanted: tuple[str, Span] | None = None  # the period last asked for: other answers are dropped
        self._pending = False  # the period is drawn, its figures not read yet
        self._narrow_people = False  # at 80 columns: the people table shown instead of the figures

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with Horizontal(id="dash-range"):
            yield Label("", id="dash-title", markup=False)
            yield Label("From", classes="range-label")
            yield Input(placeholder="MM/DD/YYYY", id="dash-from", select_on_focus=True)
            yield Label("To", classes="range-label")
            yield Input(placeholder="MM/DD/YYYY", id="dash-to", select_on_focus=True)
        yield Static("", id="dash-today", markup=False)
        yield Label("", id="dash-compare", markup=False)
        with Horizontal(id="dash-body"):
            yield ResultsTable(id="dash-figures")
            yield ResultsTable(id="dash-people")
        with Horizontal(id="dash-charts"):
            for n in range(CHARTS):
                yield PlotextPlot(id=f"dash-chart-{n}")
        yield KeyBar()

    def on_screen_resume(self) -> None:
        """Back from another screen: the figures are read again only when they are over a minute old
        (the full read takes seconds of the database's time; going to F9 and back should not)."""
        self.app.refresh_header(self)
        loaded = getattr(self, "_loaded_at", None)
        if loaded is None or time.monotonic() - loaded > RELOAD_AFTER_SECONDS:
            self.load()

    # ----- loading -------------------------------------------------------------------
    def load(self) -> None:
        self._loaded_at = time.monotonic()
        start, end = (self.span.start, self.span.end) if self.span is not None else (None, None)
        service = KpiService(self.app.ctx)
        self._show_pending(start, end)
        # The read starts once the new period is painted (it would share the interpreter with the drawing).
        self.call_after_refresh(self.call_service, service.dashboard, self.kind, start, end, with_ar=False,
                                with_trend=False, then=self._first, on_error=self._refused, group="dashboard",
                                exclusive=True)

    def _show_pending(self, start, end) -> None:
        """The period asked for, drawn before anything is read: its dates, the periods it is
        compared with, every figure "…". A range the service will refuse is left to its message."""
        try:
            span = choose_span(self.kind, start, end, self.app.ctx.today())
        except ValidationError:
            self._wanted = None
            return
        self._wanted, self._pending = (self.kind, span), True
        rows = tuple(Comparison(f, None, None, None) for f in FIGURES)
        self._show(Dashboard(self.kind, span, previous(self.kind, span), year_before(span), None, rows, (), (), (),
                             (), {}, complete=False))

    def _first(self, dashboard: Dashboard) -> None:
        if not self._asked(dashboard):
            return
        self._pending = False
        self._show(dashboard)
        self.call_service(KpiService(self.app.ctx).dashboard, dashboard.kind, dashboard.span.start,
                          dashboard.span.end, then=self._rest, on_error=self._refused, group="dashboard-rest",
                          exclusive=True)

    def _asked(self, dashboard: Dashboard) -> bool:
        """Whether this answer is for the period last asked for (a slow read of the period before
        must not overwrite the new one)."""
        return self._wanted is None or self._wanted == (dashboard.kind, dashboard.span)

    def _rest(self, dashboard: Dashboard) -> None:
        if self._asked(dashboard):
            self._pending = False
            self._show(dashboard)

    def _refused(self, exc) -> None:
        self.show_error(exc)
        self._pending, self._wanted = False, None
        if self.dashboard is not None:
            self.kind, self.span = self.dashboard.kind, self.dashboard.span
            self._show_range(self.dashboard)

    def _show(self, dashboard: Dashboard) -> None:
        if self.dashboard is not None and dashboard.complete is False and self.dashboard.span == dashboard.span \
                and self.dashboard.kind == dashboard.kind and self.dashboard.complete:
            return  # the full figures of this period are already shown
        self.dashboard = dashboard
        self._show_range(dashboard)
        self.query_one("#dash-today", Static).update(_today_line(dashboard, self._pending, self.app.ctx.today()))
        d = dashboard
        self.query_one("#dash-compare", Label).update(
            f"▲▼ vs Previous: {d.before.text} · Last year: {d.year_ago.text}")  # one line at 80 columns
        table = self.query_one("#dash-figures", ResultsTable)
        cells = [(r.figure.label, self._value(r, r.now),
                  ARROWS[r.change] if not self._pending and (d.complete or _read(r)) else " ",
                  self._value(r, r.before), self._value(r, r.year_ago)) for r in d.rows]
        widths = [min(FIGURE_WIDTH, max(len(c[0]) for c in cells)), max(11, *(len(c[1]) for c in cells)), 1,
                  *(max(9, *(len(c[k]) for c in cells)) for k in (3, 4))]
        table.set_columns([Column("Figure", widths[0]), Column("This period", widths[1]), Column("", 1),
                           Column("Previous", widths[3]), Column("Last year", widths[4])])
        worse = {n for n, r in enumerate(d.rows) if r.verdict < 0}
        table.set_rows([(r.figure.key, tuple(text.rjust(w) if k else text for k, (text, w) in
                                             enumerate(zip(c, widths, strict=True))))
                        for r, c in zip(d.rows, cells, strict=True)], flagged=worse)
        self._fill_people()
        self._draw_charts()

    def _draw_charts(self) -> None:
        """Twelve months of the main figures; under WIDE columns a chart is too narrow for "... per
        month" in its title (the months under it say so), which plotext would leave out whole."""
        d = self.dashboard
        if d is None:
            return
        series = trend_series(d) if d.months else ()
        narrow = self.size.width < WIDE
        for n in range(CHARTS):
            plot = self.query_one(f"#dash-chart-{n}", PlotextPlot)
            if n < len(series):
                shown = series[n]
                _draw(plot, replace(shown, title=shown.title.removesuffix(" per month")) if narrow else shown)
            else:
                plot.plt.clear_figure()
                plot.plt.title("Trend: loading…" if not d.complete else "")
                plot.refresh()

    def _value(self, row: Comparison, value: object) -> str:
        if self._pending or (not self.dashboard.complete and not _read(row)):
            return PENDING
        return figure_text(row.figure.kind, value)

    def _fill_people(self) -> None:
        d = self.dashboard
        table = self.query_one("#dash-people", ResultsTable)
        if d is None:
            return
        which = PEOPLE[self.people]
        if which == "providers":
            columns = [Column("Provider", 18), Column("Visits", 7), Column("Charges", 12), Column("Use", 6)]
            rows = [(name, (name, f"{visits:,}".rjust(7), money(charges).rjust(12),
                            figure_text(PERCENT, use).rjust(6)))
                    for name, visits, charges, _booked, _work, use in d.providers]
        elif which == "desk":
            columns = [Column("Desk user", 18), Column("Check-ins", 9), Column("Payments", 8), Column("Taken", 12)]
            rows = [(name, (name, f"{n:,}".rjust(9), f"{paid:,}".rjust(8), money(taken).rjust(12)))
                    for name, n, paid, taken in d.desk]
        else:
            columns = [Column("Biller", 18), Column("Claims worked", 13)]
            shown = d.billers if d.complete else ()
            rows = [(name, (name, f"{n:,}".rjust(13))) for name, n in shown]
        table.set_columns(columns)
        table.set_rows(rows)

    def _show_range(self, dashboard: Dashboard) -> None:
        title = f"{KIND_NAMES[dashboard.kind]}: {dashboard.span.text}"
        self.query_one("#dash-title", Label).update(title)  # wraps at 80 columns
        self.query_one("#dash-from", Input).value = f"{dashboard.span.start:%m/%d/%Y}"
        self.query_one("#dash-to", Input).value = f"{dashboard.span.end:%m/%d/%Y}"

    # ----- the period ----------------------------------------------------------------
    def action_period(self, kind: str) -> None:
        end = self.span.end if self.span is not None else None
        self.kind, self.span = kind, (Span(end, end) if end is not None else None)
        self.load()

    def action_step(self, steps: int) -> None:
        if self.dashboard is None:
            return
        self.span = step(self.kind, self.dashboard.span, steps, self.app.ctx.today())
        self.load()

    def action_current(self) -> None:
        self.span = None
        self.kind = "month" if self.kind == "custom" else self.kind
        self.load()

    @on(Input.Submitted, "#dash-from, #dash-to")
    def _typed(self, _event: Input.Submitted) -> None:
        try:
            start = parse_date(self.query_one("#dash-from", Input).value)
            end = parse_date(self.query_one("#dash-to", Input).value)
        except ValueError as exc:
            self.show_error(ValidationError({"date": f"{exc}."}))
            return
        self.kind, self.span = "custom", Span(start or end or self.app.ctx.today(), end or self.app.ctx.today())
        self.load()
        self.query_one("#dash-figures", ResultsTable).focus()

    def action_people(self) -> None:
        """Wide: the next people table beside the figures. Narrow (80 columns): the figures, then
        each people table in their place, then the figures again."""
        if self.size.width >= WIDE:
            self.people = (self.people + 1) % len(PEOPLE)
        else:
            showing = self.query_one("#dash-people", ResultsTable).display
            self.people = (self.people + 1) % len(PEOPLE) if showing else self.people
            self._narrow_people = not (showing and self.people == 0)
        self._fill_people()
        self._layout_tables()

    def on_resize(self) -> None:
        self._layout_tables()
        self._draw_charts()

    def _layout_tables(self) -> None:
        people = self.query_one("#dash-people", ResultsTable)
        figures = self.query_one("#dash-figures", ResultsTable)
        if self.size.width >= WIDE:
            people.display = figures.display = True
        else:
            people.display = self._narrow_people
            figures.display = not self._narrow_people

    # ----- saving --------------------------------------------------------------------
    def action_save_pdf(self) -> None:
        d = self.dashboard
        if d is None or not d.complete or not self.allowed("report.view"):
            return
        reports = ReportService(self.app.ctx)
        self.call_service(reports.export, kpi_report(d, ()), "pdf", ReportsScreen._reports_folder(self),
                          then=lambda path: self.app.notify(f"Saved {path}", markup=False, timeout=8),
                          group="export", exclusive=True)

    def action_back(self) -> None:
        self.dismiss()


def _read(row: Comparison) -> bool:
    """Whether the first (quick) read already holds this figure."""
    return row.figure.key not in AR_FIGURES


def _today_line(d: Dashboard, pending: bool, today) -> str:
    t = d.today
    if pending and d.span.end == today:
        return f"Today: {PENDING}"
    if t is None:
        return "Today is outside this period: t goes back to it."
    longest = f", longest {t.longest_wait} min" if t.longest_wait is not None else ""
    return (f"Today: {t.booked} booked · {t.arrived} arrived · {t.waiting} waiting{longest} · {t.seen} seen · "
            f"{t.no_shows} no-shows · {money(t.collected)} collected")
