"""The identifiers every claim carries: the clinic's NPI, tax ID, ZIP+4 and clearinghouse, and
each provider's NPI. Opened from the billing queue when the scrubber finds one wrong."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label

from officeconsole.services.billing.billing_identity import BillingIdentityService, Identities, ProviderNpi
from officeconsole.services.common.errors import OfficeError
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar


class BillingIdsModal(ServiceModal[bool]):
    DEFAULT_CSS = """
    BillingIdsModal { align: center middle; }
    BillingIdsModal > Vertical {
        width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    BillingIdsModal #ids-title { text-style: bold; margin-bottom: 1; }
    BillingIdsModal #ids-error { color: $error; height: auto; }
    BillingIdsModal Grid { grid-size: 2; grid-rows: auto; grid-gutter: 0 2; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#npi"

    def __init__(self, current: Identities, providers: list[ProviderNpi]) -> None:
        super().__init__()
        self.current = current
        self.providers = providers

    def compose(self) -> ComposeResult:
        c = self.current
        with Vertical():
            yield Label("Billing identities (every claim carries these)", id="ids-title")
            yield Label("", id="ids-error", markup=False)
            with Grid():
                yield text_field("Clinic NPI", "npi", c.npi, placeholder="10 digits", max_length=10)
                yield text_field("Tax ID (EIN)", "tax_id", c.tax_id, placeholder="NN-NNNNNNN (9 digits)", max_length=10)
                yield text_field("ZIP+4", "postal_code", c.postal_code, placeholder="e.g. 62704-1234", max_length=10)
                yield text_field("Clearinghouse", "clearinghouse_id", c.clearinghouse_id,
                                 placeholder="its interchange ID", max_length=15)
                yield text_field("C/house name", "clearinghouse_name", c.clearinghouse_name, max_length=60)
                for p in self.providers:
                    yield text_field(f"NPI {p.name.split()[-1]}"[:13], f"provider_{p.provider_id}", p.npi,
                                     max_length=10)
            yield KeyBar()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        typed = values(self)
        npis = {p.provider_id: typed.pop(f"provider_{p.provider_id}") for p in self.providers}
        changed = {pid: npi for pid, npi in npis.items() if npi != self.current.provider_npis.get(pid)}
        data = Identities(provider_npis=changed, **typed)  # another provider's old slip does not block this save
        self.call_service(BillingIdentityService(self.app.ctx).set_identities, data, then=self._saved,
                          on_error=self._refused, exclusive=True, group="save")

    def _saved(self, _identities: Identities) -> None:
        self.app.notify("Billing identities saved.", markup=False)
        self.dismiss(True)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "ids-error")

    def action_cancel(self) -> None:
        self.dismiss(False)
