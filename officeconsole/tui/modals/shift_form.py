"""Add a shift for one person on one day: take a template or type the times.

Highlighting a template fills Start and End with its times; its number key (or Enter on it)
saves it at once. Typed times save with Enter in a field or Ctrl+S. A shift the service
refuses (it overlaps another, ends before it starts, falls on time off) keeps the form as
typed, with the reason under the field at fault.
"""

from __future__ import annotations

import datetime as dt

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.staffing.roster import Person, RosterService, ShiftInput, ShiftView, TemplateView
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import show_errors, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.rota_grid import role_label


class ShiftFormModal(ServiceModal[ShiftView | None]):
    CSS_PATH = "shift_form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
        *(Binding(str(n), f"pick({n})", f"Template {n}", show=False) for n in range(1, 10)),
    ]

    def __init__(self, person: Person, day: dt.date, templates: list[TemplateView]) -> None:
        super().__init__()
        self.person = person
        self.day = day
        # The person's role's templates first: the likely ones get the low numbers.
        self.templates = sorted(templates, key=lambda t: (t.role != person.role, t.start, t.name))
        self.template: TemplateView | None = None  # the one whose times fill the fields

    def compose(self) -> ComposeResult:
        with Vertical(id="shift-box"):
            yield Label(f"Add a shift · {self.person.name} · {self.day:%A %m/%d/%Y}", id="shift-title",
                        markup=False)
            yield Label("", id="shift-error", markup=False)
            if self.templates:
                yield Label("Templates: its number or Enter adds it", classes="shift-section")
                yield OptionList(*(Option(self._option(n, t), id=str(t.id))
                                   for n, t in enumerate(self.templates, 1)), id="templates")
            else:
                yield Label("No shift templates yet: type the times.", classes="shift-section")
            yield Label("Or type the times (Enter or Ctrl+S saves)", classes="shift-section")
            yield text_field("Start *", "start", placeholder="HH:MM", max_length=8)
            yield text_field("End *", "end", placeholder="HH:MM", max_length=8)
            yield text_field("Note", "note", placeholder="optional", max_length=100)
            yield KeyBar()

    @staticmethod
    def _option(number: int, template: TemplateView) -> Content:
        key = str(number) if number < 10 else " "
        return Content(f"{key}  {template.name}  {template.start:%H:%M}-{template.end:%H:%M}  "
                       f"({role_label(template.role)})")  # plain text: the name was typed

    def on_mount(self) -> None:
        if self.templates:
            self.query_one("#templates", OptionList).focus()
        else:
            self.query_one("#start", Input).focus()

    @on(OptionList.OptionHighlighted, "#templates")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._fill(self.templates[event.option_index])

    @on(OptionList.OptionSelected, "#templates")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._fill(self.templates[event.option_index])
        self.action_save()

    def action_pick(self, number: int) -> None:
        if number <= len(self.templates):
            self.query_one("#templates", OptionList).highlighted = number - 1
            self._fill(self.templates[number - 1])
            self.action_save()

    def _fill(self, template: TemplateView) -> None:
        self.template = template
        self.query_one("#start", Input).value = f"{template.start:%H:%M}"
        self.query_one("#end", Input).value = f"{template.end:%H:%M}"

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        typed = values(self)
        template = self.template
        if template is not None and (typed["start"], typed["end"]) != (f"{template.start:%H:%M}",
                                                                        f"{template.end:%H:%M}"):
            template = None  # times typed over the template's: a shift of its own
        data = ShiftInput(self.person.user_id, self.day, typed["start"], typed["end"],
                          template.id if template else None, typed["note"])
        self.call_service(RosterService(self.app.ctx).add_shift, data, then=self.dismiss, on_error=self._refused,
                          group="save", exclusive=True)

    def _refused(self, exc: OfficeError) -> None:
        """A field's problem shows under that field; anything else (a permission, a person
        gone) above the form. What was typed stays."""
        fields = isinstance(exc, ValidationError) and set(exc.errors) <= {"start", "end", "note"}
        show_errors(self, exc.errors if fields else {})
        error = self.query_one("#shift-error", Label)
        error.update("" if fields else exc.message)
        error.set_class(not fields, "-shown")

    def action_cancel(self) -> None:
        self.dismiss(None)
