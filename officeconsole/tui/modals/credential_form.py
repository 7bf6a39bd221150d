"""Add or edit one credential of a staff member (managers): state licence, DEA, board
certification, CPR/BLS or another, with its number, issuing state or body and expiry."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label

from officeconsole.models.enums import Role
from officeconsole.models.roster import CredentialKind
from officeconsole.services.common.errors import OfficeError
from officeconsole.services.staffing.credentials import CredentialInput, CredentialService, CredentialView
from officeconsole.services.staffing.staff import StaffRow
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar

KIND_OPTIONS = [(kind.label, kind.value) for kind in CredentialKind]


class CredentialFormModal(ServiceModal[CredentialView | None]):
    DEFAULT_CSS = """
    CredentialFormModal { align: center middle; }
    CredentialFormModal > Vertical {
        width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    CredentialFormModal #credential-title { text-style: bold; margin-bottom: 1; }
    CredentialFormModal #credential-error { color: $error; height: auto; }
    CredentialFormModal Grid { grid-size: 2; grid-rows: auto; grid-gutter: 0 2; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#kind"

    def __init__(self, person: StaffRow, credential: CredentialView | None) -> None:
        super().__init__()
        self.person = person
        self.credential = credential

    def compose(self) -> ComposeResult:
        c = self.credential
        default = CredentialKind.STATE_LICENCE if self.person.role == Role.PROVIDER else CredentialKind.CPR_BLS
        with Vertical():
            verb = "Edit" if c else "Add"
            yield Label(f"{verb} a credential of {self.person.name}", id="credential-title", markup=False)
            yield Label("", id="credential-error", markup=False)
            with Grid():
                yield select_field("Kind *", "kind", KIND_OPTIONS, c.kind if c else default.value)
                yield text_field("Name", "name", c.name if c else "", placeholder="e.g. Illinois medical licence",
                                 max_length=80)
                yield text_field("Number", "number", c.number if c else "", max_length=40)
                yield text_field("Issuer/state", "issuer", c.issuer if c else "",
                                 placeholder="IL, or the issuing body", max_length=80)
                yield text_field("Expires", "expires_on", f"{c.expires_on:%m/%d/%Y}" if c and c.expires_on else "",
                                 placeholder="MM/DD/YYYY (blank: never)", max_length=10)
            yield KeyBar()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        data = CredentialInput(user_id=self.person.user_id, **values(self))
        service = CredentialService(self.app.ctx)
        if self.credential is None:
            self.call_service(service.add_credential, data, then=self._saved, on_error=self._refused,
                              exclusive=True, group="save")
        else:
            self.call_service(service.update_credential, self.credential.id, self.credential.version, data,
                              then=self._saved, on_error=self._refused, exclusive=True, group="save")

    def _saved(self, view: CredentialView) -> None:
        self.dismiss(view)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "credential-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
