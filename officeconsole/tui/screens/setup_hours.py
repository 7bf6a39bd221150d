"""Provider hours (Practice setup, and `h` on the rota): when each provider works.

The providers are listed on the left; for the highlighted one the right shows the weekly
template in force today and any that start later (hours and recurring blocks per weekday),
and the one-day exceptions of the next 90 days. `w` edits the week (a new template from the
date given: the weeks before it keep theirs), `x` adds an exception for a date (other hours or
a day off), `c` removes the highlighted exception, `o` lists the public holidays to confirm as
clinic holidays (or a day of the clinic's own). Tab moves between the lists. A change that
would leave booked visits outside working time lists them and asks first; nothing booked is
moved or cancelled. Everyone may look; the service lets only managers change hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Static

from officeconsole.services.scheduling.hours import WEEKDAYS, ExceptionView, HoursService, TemplateView
from officeconsole.services.scheduling.schedule import ProviderRow, ScheduleService
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.hours_forms import ExceptionFormModal, HolidaysModal, WeekFormModal
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable

AHEAD = dt.timedelta(days=90)


@dataclass(frozen=True)
class ProviderHours:
    provider_id: int
    templates: list[TemplateView]
    exceptions: list[ExceptionView]


def template_lines(templates: list[TemplateView], today: dt.date) -> list[str]:
    """The template in force and the later ones, as the screen shows them."""
    shown = [t for t in templates if t.in_force or t.effective_from > today]
    if not shown:
        return ["No working hours yet: w sets the week."]
    lines: list[str] = []
    for template in shown:
        heading = "In force" if template.in_force else "Next"
        lines.append(f"{heading} {template.period} · {template.hours_per_week():g} h/week")
        for day, name in enumerate(WEEKDAYS):
            hours = template.day_text(day) or "off"
            blocks = template.blocks_text(day)
            lines.append(f" {name[:3]} {hours}" + (f" (blocked {blocks})" if blocks else ""))
        lines.append("")
    return lines[:-1]


class HoursSetupScreen(ServiceScreen):
    CSS_PATH = "setup_hours.tcss"
    AUTO_FOCUS = "#hours-providers"
    BINDINGS = [
        Binding("w", "edit_week", "Edit week"),
        Binding("x", "add_exception", "Exception"),
        Binding("c", "clear_exception", "Clear exception"),
        Binding("o", "holidays", "Holidays"),
        Binding("tab", "switch_focus", "Switch list", show=False),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, *, provider_id: int | None = None) -> None:
        super().__init__()
        self.wanted = provider_id
        self.providers: list[ProviderRow] | None = None  # None until read
        self.current: ProviderHours | None = None
        self.pending: str | None = None  # an action whose key came before the hours were read

    @property
    def waiting_for_hours(self) -> bool:
        """Still reading: the providers, or the highlighted provider's hours."""
        return self.providers is None or bool(self.providers)

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Label("Provider hours", id="hours-title", markup=False)
        with Horizontal(id="hours-body"):
            yield ResultsTable(id="hours-providers")
            with VerticalScroll(id="hours-detail"):
                yield Static("", id="hours-templates", markup=False)
                yield Label("One-day exceptions (next 90 days)", id="hours-exceptions-title", markup=False)
                yield ResultsTable(id="hours-exceptions")
        yield KeyBar()

    def on_mount(self) -> None:
        providers = self.query_one("#hours-providers", ResultsTable)
        providers.set_columns([Column("Provider", 24)])
        self.watch(providers, "cursor_row", self._follow_cursor, init=False)
        self.query_one("#hours-exceptions", ResultsTable).set_columns(
            [Column("Date", 16), Column("Hours", 24), Column("Note", 30)])

    def on_screen_resume(self) -> None:
        self.app.refresh_header(self)
        self.call_service(ScheduleService(self.app.ctx).providers, then=self._show_providers, group="providers",
                          exclusive=True)

    # ----- loading -------------------------------------------------------------------
    def _show_providers(self, providers: list[ProviderRow]) -> None:
        self.providers = providers
        table = self.query_one("#hours-providers", ResultsTable)
        wanted = self.current.provider_id if self.current else self.wanted
        index = next((n for n, p in enumerate(providers) if p.id == wanted), 0)
        table.set_rows([(str(p.id), (p.name,)) for p in providers], cursor=index)
        if not providers:
            self.pending = None
            self.query_one("#hours-templates", Static).update(
                "No provider yet: make a staff member a provider in Practice setup -> Providers first.")
            return
        self.load()

    def provider(self) -> ProviderRow | None:
        if not self.providers:
            return None
        return self.providers[min(self.query_one("#hours-providers", ResultsTable).cursor_row,
                                  len(self.providers) - 1)]

    def load(self) -> None:
        provider = self.provider()
        if provider is not None:
            self.call_service(self._fetch, provider.id, then=self._show, group="hours", exclusive=True)

    def _fetch(self, provider_id: int) -> ProviderHours:
        hours, today = HoursService(self.app.ctx), self.app.ctx.today()
        return ProviderHours(provider_id, hours.templates(provider_id),
                             hours.exceptions(provider_id, today, today + AHEAD))

    def _show(self, data: ProviderHours) -> None:
        provider = self.provider()
        if provider is None or provider.id != data.provider_id:
            return  # an answer for a provider no longer highlighted
        self.current = data
        if self.pending is not None:
            self.call_after_refresh(getattr(self, f"action_{self.pending}"))
            self.pending = None
        self.query_one("#hours-title", Label).update(f"Provider hours · {provider.name}", layout=False)
        self.query_one("#hours-templates", Static).update("\n".join(template_lines(data.templates,
                                                                                    self.app.ctx.today())))
        table = self.query_one("#hours-exceptions", ResultsTable)
        table.set_rows([(e.day.isoformat(), (f"{e.day:%a %m/%d/%Y}", e.text, e.note)) for e in data.exceptions],
                       cursor=min(table.cursor_row, max(0, len(data.exceptions) - 1)))

    def _follow_cursor(self, _row: int) -> None:
        """Moving over the providers shows the highlighted one's hours."""
        provider = self.provider()
        if provider is not None and (self.current is None or self.current.provider_id != provider.id):
            self.load()

    # ----- changing ------------------------------------------------------------------
    def action_edit_week(self) -> None:
        if self.current is None and self.waiting_for_hours:
            self.pending = "edit_week"  # pressed while the hours load: opened once they are in
            return
        provider = self.provider()
        if provider is None or self.current is None or not self.allowed("schedule.manage"):
            return
        today = self.app.ctx.today()
        later = [t for t in self.current.templates if t.effective_from > today]
        in_force = next((t for t in self.current.templates if t.in_force), None)
        template = later[-1] if later else in_force
        starts = template.effective_from if template is not None and template.effective_from > today else today
        self.app.push_screen(WeekFormModal(provider.id, provider.name, template, starts), self._changed)

    def action_add_exception(self) -> None:
        provider = self.provider()
        if provider is None or not self.allowed("schedule.manage"):
            return
        self.app.push_screen(ExceptionFormModal(provider.id, provider.name, self.app.ctx.today()), self._changed)

    def action_clear_exception(self) -> None:
        provider = self.provider()
        if provider is None or self.current is None or not self.current.exceptions:
            self.app.notify("There is no exception to clear.", markup=False)
            return
        if not self.allowed("schedule.manage"):
            return
        table = self.query_one("#hours-exceptions", ResultsTable)
        exception = self.current.exceptions[min(table.cursor_row, len(self.current.exceptions) - 1)]

        def answered(yes: bool | None) -> None:
            if yes:
                from officeconsole.tui.modals.hours_forms import confirm_then

                confirm_then(self, HoursService(self.app.ctx).clear_day, provider.id, exception.day,
                             then=lambda _none: self._changed(True), on_error=self.show_error,
                             title=f"Booked visits outside {provider.name}'s usual hours")
        self.app.push_screen(ConfirmModal("Clear an exception", f"{provider.name} works the usual weekly hours on "
                                          f"{exception.day:%A %m/%d/%Y} again?", "Clear", "Keep"), answered)

    def action_holidays(self) -> None:
        self.app.push_screen(HolidaysModal(), self._changed)

    def _changed(self, changed: bool | None) -> None:
        if changed:
            self.load()

    # ----- moving about --------------------------------------------------------------
    def action_switch_focus(self) -> None:
        providers = self.query_one("#hours-providers", ResultsTable)
        (self.query_one("#hours-exceptions", ResultsTable) if providers.has_focus else providers).focus()

    def action_back(self) -> None:
        self.dismiss()
