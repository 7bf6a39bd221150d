"""Add or edit a recall rule (Practice setup -> Recall rules): its name, the appointment type it
recalls for and the months between visits. A refused save shows each message under its field
(a duplicate name or type, an interval out of range); nothing typed is lost."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Select

from officeconsole.services.common.errors import OfficeError
from officeconsole.services.practice.appointment_types import AppointmentTypeService, TypeRow
from officeconsole.services.scheduling.recalls import MAX_MONTHS, MIN_MONTHS, RecallService, RuleInput, RuleRow
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar


class RecallRuleFormModal(ServiceModal[RuleRow | None]):
    DEFAULT_CSS = """
    RecallRuleFormModal { align: center middle; }
    RecallRuleFormModal > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    RecallRuleFormModal #rule-form-title { text-style: bold; }
    RecallRuleFormModal #rule-form-hint { color: $text-muted; margin-bottom: 1; width: 1fr; height: auto; }
    RecallRuleFormModal #rule-form-error { color: $error; width: 1fr; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#name"

    def __init__(self, rule: RuleRow | None = None) -> None:
        super().__init__()
        self.rule = rule

    def compose(self) -> ComposeResult:
        r = self.rule
        with Vertical():
            yield Label(f"Edit recall rule {r.name}" if r else "Add a recall rule", id="rule-form-title",
                        markup=False)
            yield Label("A patient is due when their last visit of the type (checked out) is this many months "
                        "old, and nothing of the type is booked.", id="rule-form-hint", markup=False)
            yield Label("", id="rule-form-error", markup=False)
            yield text_field("Name *", "name", r.name if r else "", placeholder="e.g. Annual physical", max_length=60)
            yield select_field("Type *", "type_id", [], allow_blank=True)
            yield text_field("Months *", "months", str(r.months) if r else "",
                             placeholder=f"{MIN_MONTHS} to {MAX_MONTHS}, e.g. 12", max_length=3)
            yield KeyBar()

    def on_mount(self) -> None:
        self.call_service(AppointmentTypeService(self.app.ctx).types, True, then=self._types, group="types")

    def _types(self, kinds: list[TypeRow]) -> None:
        """Types in use; the rule's own type stays on offer if it was retired since (marked)."""
        current = self.rule.type_id if self.rule is not None else None
        kinds = [k for k in kinds if k.active or k.id == current]
        select = self.query_one("#type_id", Select)
        select.set_options([(k.name if k.active else f"{k.name} (retired)", str(k.id)) for k in kinds])
        if not kinds:
            self.query_one("#rule-form-error", Label).update(
                "No appointment types yet: add one first (Practice setup, t Appointment types).")
        if current is not None:
            select.value = str(current)

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        typed = values(self)
        data = RuleInput(typed["name"], typed["type_id"] or None, typed["months"])
        service = RecallService(self.app.ctx)
        if self.rule is None:
            self.call_service(service.add_rule, data, then=self._saved, on_error=self._refused, exclusive=True,
                              group="save")
        else:
            self.call_service(service.update_rule, self.rule.id, self.rule.version, data, then=self._saved,
                              on_error=self._refused, exclusive=True, group="save")

    def _saved(self, row: RuleRow) -> None:
        self.dismiss(row)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "rule-form-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
