"""The forms of the provider hours screen: a week (one line of hours and one of blocks per
weekday, and the date it starts), a one-day exception, a clinic holiday, and the holiday
suggestions to confirm.

A change that would leave booked visits outside working time comes back as
NeedsConfirmation: the visits are listed in a ConfirmModal and, confirmed, the same call is
made again with `confirm=True`. A refused save shows each message under its field; nothing
typed is lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label

from officeconsole.services.common.errors import NeedsConfirmation, OfficeError, ValidationError
from officeconsole.services.scheduling.hours import (
    WEEKDAY_KEYS,
    WEEKDAYS,
    HolidaySuggestion,
    HoursService,
    TemplateView,
    parse_block_ranges,
    parse_ranges,
)
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.screens.base import ServiceCalls, ServiceModal
from officeconsole.tui.widgets.form_field import show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable

FORM_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 100; max-width: 100%; height: auto; max-height: 100%;
    border: thick $primary; background: $panel; padding: 0 1;
}}
{name} .form-title {{ text-style: bold; }}
{name} .form-hint {{ color: $text-muted; }}
{name} .form-error {{ color: $error; height: auto; }}
{name} Grid {{ grid-size: 2; grid-rows: auto; grid-gutter: 0 1; height: auto; }}
"""


def confirm_then(screen: ServiceCalls, fn: Callable[..., object], *args, then: Callable[[object], None],
                 on_error: Callable[[OfficeError], None], title: str, **kwargs) -> None:
    """Call `fn`; when it needs confirmation, list the visits, ask, and call again confirmed."""

    def refused(exc: OfficeError) -> None:
        if not isinstance(exc, NeedsConfirmation):
            on_error(exc)
            return
        question = exc.message + "\n\n" + "\n".join(exc.items[:12]) + (
            f"\n… and {len(exc.items) - 12} more" if len(exc.items) > 12 else "")

        def answered(yes: bool | None) -> None:
            if yes:
                screen.call_service(fn, *args, confirm=True, then=then, on_error=on_error, group="save",
                                    exclusive=True, **kwargs)
        screen.app.push_screen(ConfirmModal(title, question, "Save anyway", "Go back"), answered)

    screen.call_service(fn, *args, then=then, on_error=refused, group="save", exclusive=True, **kwargs)


class WeekFormModal(ServiceModal[bool]):
    """A weekly template: per weekday its hours ("08:00-12:00, 13:00-17:00") and its blocks
    ("12:00-13:00 Lunch"), from an effective date."""

    DEFAULT_CSS = FORM_CSS.format(name="WeekFormModal")
    BINDINGS = [Binding("ctrl+s", "save", "Save", priority=True), Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#mon"

    def __init__(self, provider_id: int, provider_name: str, template: TemplateView | None,
                 effective_from: dt.date) -> None:
        super().__init__()
        self.provider_id = provider_id
        self.provider_name = provider_name
        self.template = template
        self.effective_from = effective_from

    def compose(self) -> ComposeResult:
        template = self.template
        with Vertical():
            yield Label(f"Weekly hours of {self.provider_name}", classes="form-title", markup=False)
            yield Label("Hours: 08:00-12:00, 13:00-17:00 (empty: off) · Blocks: 12:00-13:00 Lunch",
                        classes="form-hint", markup=False)
            yield Label("", id="week-error", classes="form-error", markup=False)
            yield text_field("Starts on", "effective_from", f"{self.effective_from:%m/%d/%Y}",
                             placeholder="MM/DD/YYYY", max_length=10)
            with Grid():
                for day, key in enumerate(WEEKDAY_KEYS):
                    yield text_field(WEEKDAYS[day], key, template.day_text(day) if template else "",
                                     max_length=80)
                    yield text_field("Blocks", f"{key}_blocks", template.blocks_text(day) if template else "",
                                     max_length=120)
            yield KeyBar()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        typed = values(self)
        confirm_then(self, self._save, typed, then=self._saved, on_error=self._refused,
                     title=f"Booked visits outside {self.provider_name}'s new hours")

    def _save(self, typed: dict[str, str], confirm: bool = False) -> None:
        """Runs in a worker: every line read (all bad ones reported at once), then saved."""
        errors: dict[str, str] = {}
        week: dict[int, list[tuple[str, str]]] = {}
        blocks: dict[int, list[tuple[str, str, str]]] = {}
        for day, key in enumerate(WEEKDAY_KEYS):
            try:
                if pairs := parse_ranges(typed[key], key):
                    week[day] = pairs
            except ValidationError as exc:
                errors.update(exc.errors)
            try:
                if rows := parse_block_ranges(typed[f"{key}_blocks"], f"{key}_blocks"):
                    blocks[day] = rows
            except ValidationError as exc:
                errors.update(exc.errors)
        if errors:
            raise ValidationError(errors)
        HoursService(self.app.ctx).set_week(self.provider_id, week, blocks=blocks,
                                            effective_from=typed["effective_from"], confirm=confirm)

    def _saved(self, _none) -> None:
        self.app.notify(f"Weekly hours of {self.provider_name} saved.", markup=False)
        self.dismiss(True)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "week-error")

    def action_cancel(self) -> None:
        self.dismiss(False)


class ExceptionFormModal(ServiceModal[bool]):
    """One date that differs from the week: its hours, or none for a day off, and a note."""

    DEFAULT_CSS = FORM_CSS.format(name="ExceptionFormModal").replace("width: 100;", "width: 70;")
    BINDINGS = [Binding("ctrl+s", "save", "Save", priority=True), Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#day"

    def __init__(self, provider_id: int, provider_name: str, day: dt.date) -> None:
        super().__init__()
        self.provider_id = provider_id
        self.provider_name = provider_name
        self.day = day

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"A different day for {self.provider_name}", classes="form-title", markup=False)
            yield Label("Leave the hours empty for a day off.", classes="form-hint", markup=False)
            yield Label("", id="exception-error", classes="form-error", markup=False)
            yield text_field("Date", "day", f"{self.day:%m/%d/%Y}", placeholder="MM/DD/YYYY", max_length=10)
            yield text_field("Hours", "hours", placeholder="e.g. 09:00-13:00 (empty: day off)", max_length=80)
            yield text_field("Note", "note", placeholder="e.g. conference morning", max_length=200)
            yield KeyBar()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        typed = values(self)
        confirm_then(self, self._save, typed, then=self._saved, on_error=self._refused,
                     title=f"Booked visits outside {self.provider_name}'s hours that day")

    def _save(self, typed: dict[str, str], confirm: bool = False) -> None:
        HoursService(self.app.ctx).set_day(self.provider_id, typed["day"], parse_ranges(typed["hours"], "hours"),
                                           typed["note"], confirm=confirm)

    def _saved(self, _none) -> None:
        self.app.notify(f"{self.provider_name}'s exception saved.", markup=False)
        self.dismiss(True)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "exception-error")

    def action_cancel(self) -> None:
        self.dismiss(False)


class HolidayFormModal(ServiceModal[bool]):
    """A clinic holiday of the clinic's own (or a suggestion under another name)."""

    DEFAULT_CSS = FORM_CSS.format(name="HolidayFormModal").replace("width: 100;", "width: 70;")
    BINDINGS = [Binding("ctrl+s", "save", "Save", priority=True), Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#day"

    def __init__(self, day: dt.date | None = None, name: str = "") -> None:
        super().__init__()
        self.day = day
        self.holiday_name = name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Close the clinic on a day", classes="form-title", markup=False)
            yield Label("", id="holiday-error", classes="form-error", markup=False)
            yield text_field("Date", "day", f"{self.day:%m/%d/%Y}" if self.day else "", placeholder="MM/DD/YYYY",
                             max_length=10)
            yield text_field("Name", "name", self.holiday_name, placeholder="e.g. Staff training day", max_length=120)
            yield KeyBar()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        typed = values(self)
        confirm_then(self, HoursService(self.app.ctx).add_holiday, typed["day"], typed["name"],
                     then=self._saved, on_error=self._refused, title="Booked visits on that day")

    def _saved(self, _none) -> None:
        self.app.notify(f"The clinic is closed on {values(self)['day']}.", markup=False)
        self.dismiss(True)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "holiday-error")

    def action_cancel(self) -> None:
        self.dismiss(False)


class HolidaysModal(ServiceModal[bool]):
    """The public holidays of this year and next, the confirmed ones marked: Enter confirms the
    highlighted one, `a` adds a day of the clinic's own, `x` opens a confirmed day again."""

    DEFAULT_CSS = FORM_CSS.format(name="HolidaysModal").replace("width: 100;", "width: 76;") + """
    HolidaysModal #holidays { height: auto; max-height: 16; }
    """
    BINDINGS = [Binding("a", "add", "Add a day"), Binding("x", "remove", "Open again"),
                Binding("escape", "close", "Close")]
    AUTO_FOCUS = "#holidays"

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[HolidaySuggestion] = []
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Clinic holidays", classes="form-title", markup=False)
            yield Label("Enter closes the clinic on the highlighted day · a adds a day · x opens one again",
                        classes="form-hint", markup=False)
            yield ResultsTable(id="holidays")
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#holidays", ResultsTable).set_columns([Column("Date", 16), Column("Holiday", 36),
                                                               Column("Closed", 8)])
        self.load()

    def load(self) -> None:
        self.call_service(self._fetch, then=self._show, group="load", exclusive=True)

    def _fetch(self) -> list[HolidaySuggestion]:
        service, year = HoursService(self.app.ctx), self.app.ctx.today().year
        found = {h.day: h for y in (year, year + 1) for h in service.suggest_holidays(y)}
        for own in service.holidays(dt.date(year, 1, 1), dt.date(year + 1, 12, 31)):
            found[own.day] = HolidaySuggestion(own.day, own.name, True)
        today = self.app.ctx.today()
        return [found[day] for day in sorted(found) if day >= today]

    def _show(self, rows: list[HolidaySuggestion]) -> None:
        self.rows = rows
        table = self.query_one("#holidays", ResultsTable)
        table.set_rows([(h.day.isoformat(), (f"{h.day:%a %m/%d/%Y}", h.name, "closed" if h.confirmed else ""))
                        for h in rows], cursor=min(table.cursor_row, max(0, len(rows) - 1)),
                       flagged={n for n, h in enumerate(rows) if h.confirmed})

    def _current(self) -> HolidaySuggestion | None:
        if not self.rows:
            return None
        return self.rows[min(self.query_one("#holidays", ResultsTable).cursor_row, len(self.rows) - 1)]

    @on(ResultsTable.Selected, "#holidays")
    def _chosen(self) -> None:
        holiday = self._current()
        if holiday is None or holiday.confirmed:
            return
        confirm_then(self, HoursService(self.app.ctx).add_holiday, holiday.day, holiday.name,
                     then=lambda _none: self._changed(f"The clinic is closed on {holiday.day:%m/%d/%Y}: "
                                                      f"{holiday.name}."),
                     on_error=self.show_error, title="Booked visits on that day")

    def action_add(self) -> None:
        holiday = self._current()
        self.app.push_screen(HolidayFormModal(holiday.day if holiday and not holiday.confirmed else None),
                             lambda saved: self._changed("") if saved else None)

    def action_remove(self) -> None:
        holiday = self._current()
        if holiday is None or not holiday.confirmed:
            self.app.notify("Highlight a day the clinic is closed to open it again.", markup=False)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(HoursService(self.app.ctx).remove_holiday, holiday.day, group="save",
                                  then=lambda _none: self._changed(f"The clinic is open on {holiday.day:%m/%d/%Y}."))
        self.app.push_screen(ConfirmModal("Open the clinic again", f"Open the clinic on {holiday.day:%A %m/%d/%Y} "
                                          f"({holiday.name})?", "Open", "Keep closed"), answered)

    def _changed(self, message: str) -> None:
        self.changed = True
        if message:
            self.app.notify(message, markup=False)
        self.load()

    def action_close(self) -> None:
        self.dismiss(self.changed)
