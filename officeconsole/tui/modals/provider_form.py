"""Make a staff member a provider, or edit a provider (Practice setup -> Providers): the NPI, taxonomy,
credentials, specialty, schedule colour, default visit length, the appointment types they see (a
comma list; empty or "all" for every type) and whether they bill under their own NPI. A refused save
shows each message under its field; nothing typed is lost."""

from __future__ import annotations

from dataclasses import replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label

from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.practice.appointment_types import AppointmentTypeService, TypeRow
from officeconsole.services.practice.providers import (
    CandidateRow,
    ProviderInput,
    ProviderRow,
    ProviderService,
    validate_provider,
)
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import FormField, show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.tick_box import TickBox


class ProviderFormModal(ServiceModal[ProviderRow | None]):
    DEFAULT_CSS = """
    ProviderFormModal { align: center middle; }
    ProviderFormModal > Vertical {
        width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    ProviderFormModal #provider-form-title { text-style: bold; margin-bottom: 1; }
    ProviderFormModal #provider-form-error { color: $error; height: auto; }
    ProviderFormModal Grid { grid-size: 2; grid-rows: auto; grid-gutter: 0 2; height: auto; }
    ProviderFormModal #types-hint { color: $text-muted; padding: 0 0 0 14; width: 1fr; height: auto; }
    ProviderFormModal #bills_own_npi { margin: 0 0 0 14; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#npi"

    def __init__(self, provider: ProviderRow | None = None, *, candidate: CandidateRow | None = None) -> None:
        super().__init__()
        if provider is None and candidate is None:
            raise ValueError("a provider to edit or a staff member to make one")
        self.provider = provider
        self.candidate = candidate

    def compose(self) -> ComposeResult:
        p = self.provider
        title = f"Edit provider {p.name}" if p else f"Make {self.candidate.name} a provider"
        with Vertical():
            yield Label(title, id="provider-form-title", markup=False)
            yield Label("", id="provider-form-error", markup=False)
            with Grid():
                yield text_field("NPI *", "npi", p.npi if p else "", placeholder="individual, 10 digits",
                                 max_length=12)
                yield text_field("Taxonomy", "taxonomy", p.taxonomy if p else "", placeholder="e.g. 207Q00000X",
                                 max_length=10)
                yield text_field("Credentials", "credentials", p.credentials if p else "",
                                 placeholder="e.g. MD, DO, NP, PA-C", max_length=20)
                yield text_field("Specialty", "specialty", p.specialty if p else "",
                                 placeholder="e.g. Family medicine", max_length=100)
                yield text_field("Colour", "colour", p.colour if p else "steelblue",
                                 placeholder="steelblue or #4682b4", max_length=40)
                yield text_field("Visit minutes", "default_visit_minutes",
                                 str(p.default_visit_minutes) if p else "20", placeholder="e.g. 20", max_length=3)
            yield text_field("Sees types", "type_ids", ", ".join(p.type_names) if p else "",
                             placeholder="empty or all: every type; or e.g. Follow-up, Sick visit")
            yield Label("", id="types-hint", markup=False)
            yield TickBox("Bills under their own NPI (not the clinic's)", p.bills_own_npi if p else False,
                          id="bills_own_npi", compact=True)
            yield KeyBar()

    def on_mount(self) -> None:
        self.call_service(AppointmentTypeService(self.app.ctx).types, then=self._show_types, group="types")

    def _show_types(self, types: list[TypeRow]) -> None:
        names = ", ".join(t.name for t in types) or "none yet (add them under Appointment types)"
        self.query_one("#types-hint", Label).update(f"Types: {names}")

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        typed = values(self)
        bills = self.query_one("#bills_own_npi", TickBox).value
        self.call_service(self._save, typed, bills, then=self._saved, on_error=self._refused, exclusive=True,
                          group="save")

    def _save(self, typed: dict[str, str], bills: bool) -> ProviderRow:
        """In the worker: the types by name, then the record. Unknown type names are refused together
        with whatever else is wrong, so every field's message shows at once."""
        service = ProviderService(self.app.ctx)
        user_id = self.provider.user_id if self.provider else self.candidate.user_id
        data = ProviderInput(user_id, typed["npi"], typed["taxonomy"], typed["credentials"], typed["specialty"],
                             typed["colour"], typed["default_visit_minutes"], (), bills)
        try:
            data = replace(data, type_ids=service.type_ids_for(typed["type_ids"]))
        except ValidationError as exc:
            errors = dict(exc.errors)
            try:
                validate_provider(data)
            except ValidationError as more:
                errors = {**more.errors, **errors}
            raise ValidationError(errors) from None
        if self.provider is None:
            return service.add(data)
        return service.update(self.provider.id, self.provider.version, data)

    def _saved(self, row: ProviderRow) -> None:
        self.dismiss(row)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "provider-form-error")
        if isinstance(exc, ValidationError):
            fields = {f.field for f in self.query(FormField)}
            other = [message for field, message in exc.errors.items() if field not in fields]
            if other:  # the person, or the record's state: no field of its own
                self.query_one("#provider-form-error", Label).update(" ".join(other))

    def action_cancel(self) -> None:
        self.dismiss(None)
