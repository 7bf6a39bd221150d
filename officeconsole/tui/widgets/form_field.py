"""A compact labelled field with its own error line, used by every form."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Select


class FormField(Vertical):
    """Label and input on one line, the field's error message (if any) beneath."""

    DEFAULT_CSS = """
    FormField { height: auto; width: 1fr; min-width: 30; padding: 0 1 0 0; }
    FormField > Horizontal { height: auto; }
    FormField .field-label { width: 14; color: $text-muted; padding: 0 1 0 0; }
    FormField .field-error { color: $error; display: none; padding: 0 0 0 14; width: 1fr; height: auto; }
    FormField.-invalid .field-error { display: block; }
    FormField.-invalid .field-label { color: $error; }
    FormField Input, FormField Select { width: 1fr; }
    """

    def __init__(self, label: str, widget: Widget, *, field: str) -> None:
        super().__init__(id=f"field-{field}")
        self.label = label
        self.widget = widget
        self.field = field

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.label, classes="field-label", markup=False)
            yield self.widget
        yield Label("", classes="field-error", markup=False)

    def set_error(self, message: str | None) -> None:
        self.set_class(bool(message), "-invalid")
        self.query_one(".field-error", Label).update(message or "")

    @property
    def value(self) -> str:
        if isinstance(self.widget, Input):
            return self.widget.value
        if isinstance(self.widget, Select):
            value = self.widget.value
            return "" if value is Select.NULL else str(value)
        raise TypeError(type(self.widget))


class PlainSelect(Select[str]):
    """A Select whose option labels are plain text, never markup: a payer, a provider or a lot
    named with `[/]` in it is offered as typed (Select reads a `str` label as markup)."""

    def __init__(self, options: Iterable[tuple[str, str]], **kwargs) -> None:
        super().__init__(_plain(options), **kwargs)

    def set_options(self, options: Iterable[tuple[str, str]]) -> None:
        super().set_options(_plain(options))


def _plain(options: Iterable[tuple[str, str]]) -> list[tuple[Text, str]]:
    return [(Text(label) if isinstance(label, str) else label, value) for label, value in options]


def text_field(label: str, field: str, value: str = "", *, placeholder: str = "",
               password: bool = False, max_length: int = 0) -> FormField:
    return FormField(
        label,
        Input(value, placeholder=placeholder, password=password, max_length=max_length,
              id=field, compact=True),
        field=field,
    )


def select_field(label: str, field: str, options: list[tuple[str, str]], value: str | None = None,
                 *, allow_blank: bool = False) -> FormField:
    select = PlainSelect(options, id=field, allow_blank=allow_blank, compact=True,
                         value=value if value is not None else Select.NULL)
    return FormField(label, select, field=field)


def show_errors(root: Widget, errors: dict[str, str]) -> None:
    """Put each message under its field; clear the rest; focus the first bad field."""
    first = None
    for field in root.query(FormField):
        message = errors.get(field.field)
        field.set_error(message)
        if message and first is None:
            first = field
    if first is not None:
        first.widget.focus()


def show_refusal(form, exc, summary_id: str) -> None:
    """A refused save: each field's message under it, anything else in the form's summary line
    (and as a notification). `form` is a ServiceModal; what was typed stays."""
    from textual.widgets import Label

    from officeconsole.services.common.errors import ValidationError

    summary = form.query_one(f"#{summary_id}", Label)
    if isinstance(exc, ValidationError):
        summary.update("Please correct the fields marked below.")
        show_errors(form, exc.errors)
    else:
        summary.update(exc.message)
        form.show_error(exc)


def values(root: Widget) -> dict[str, str]:
    return {field.field: field.value for field in root.query(FormField)}
