"""Post an insurer's payment on one claim from its EOB: per line what was paid, and why the
rest was adjusted (CO-45 65, PR-2 24). The remittance service checks that every line adds
up and posts all of it or none."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label, Select

from officeconsole.services.billing.encounters import EncounterView
from officeconsole.services.billing.remittance import (
    ClaimPayment,
    LinePayment,
    RemitInput,
    RemitResult,
    RemittanceService,
    parse_adjustments,
)
from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.common.money import money
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, show_errors, text_field
from officeconsole.tui.widgets.key_bar import KeyBar

METHODS = [("Check", "check"), ("EFT", "eft")]


class RemitModal(ServiceModal[RemitResult | None]):
    DEFAULT_CSS = """
    RemitModal { align: center middle; }
    RemitModal > Vertical {
        width: 130; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    RemitModal #remit-title { text-style: bold; width: 100%; }
    RemitModal #remit-hint { color: $text-muted; margin-bottom: 1; width: 100%; }
    RemitModal #remit-error { color: $error; height: auto; width: 100%; }
    RemitModal Grid { grid-size: 3; grid-columns: 36 30 1fr; grid-rows: auto; grid-gutter: 0 1; height: auto; }
    RemitModal #remit-header { grid-columns: 1fr 1fr 1fr; margin-bottom: 1; }
    RemitModal .line-label { padding: 0 1; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Post", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#trace_number"

    def __init__(self, encounter: EncounterView) -> None:
        super().__init__()
        self.encounter = encounter

    def compose(self) -> ComposeResult:
        e = self.encounter
        today = self.app.ctx.today()
        with Vertical():
            yield Label(f"Insurance payment: {e.payer_name or 'no payer'} for {e.patient_name}, "
                        f"{e.date_of_service:%m/%d/%Y} (OC{e.id}, {money(e.total)})", id="remit-title", markup=False)
            yield Label("Per line: billed = paid + adjustments. Adjustments as GROUP-REASON AMOUNT: "
                        "CO-45 65 (contract), PR-2 24 (coinsurance, the patient's), CO-50 125 (denied).",
                        id="remit-hint", markup=False)
            yield Label("", id="remit-error", markup=False)
            with Grid(id="remit-header"):
                yield text_field("Check/EFT #", "trace_number", max_length=50)
                yield text_field("Paid on", "paid_on", f"{today:%m/%d/%Y}", max_length=10)
                yield select_field("Method", "method", METHODS, "check")
            with Grid():
                for line in e.lines:
                    yield Label(f"{line.line_no}  {line.code} {line.modifiers}  x{line.units}  billed "
                                f"{money(line.amount)}", classes="line-label", markup=False)
                    yield text_field("Paid", f"paid_{line.id}", placeholder="e.g. 104.00", max_length=12)
                    yield text_field("Adjusted", f"adj_{line.id}", placeholder="e.g. CO-45 65, PR-2 24", max_length=80)
            yield KeyBar()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        errors: dict[str, str] = {}
        lines = []
        for line in self.encounter.lines:
            paid = self.query_one(f"#paid_{line.id}", Input).value.strip()
            typed = self.query_one(f"#adj_{line.id}", Input).value
            if not paid and not typed.strip():
                continue  # a line this EOB does not cover (paid on an earlier one, say)
            try:
                adjustments = parse_adjustments(typed, f"adj_{line.id}")
            except ValidationError as exc:
                errors.update(exc.errors)
                continue
            lines.append(LinePayment(line.id, paid or "0", None, adjustments))
        if errors:
            self._refused(ValidationError(errors))
            return
        method = self.query_one("#method", Select).value
        data = RemitInput(self.encounter.payer_id or 0, self.query_one("#trace_number", Input).value,
                          self.query_one("#paid_on", Input).value, str(method),
                          [ClaimPayment(self.encounter.id, lines)])
        self.call_service(RemittanceService(self.app.ctx).post, data, then=self._posted, on_error=self._refused,
                          exclusive=True, group="save")

    def _posted(self, result: RemitResult) -> None:
        [claim] = result.claims
        self.app.notify(f"Posted {money(claim.paid)} from {result.payer_name}; patient owes {money(claim.to_patient)}; "
                        f"claim {claim.status.replace('_', ' ')}.", markup=False)
        self.dismiss(result)

    def _refused(self, exc: OfficeError) -> None:
        if isinstance(exc, ValidationError):
            line_ids = {line.line_no: line.id for line in self.encounter.lines}
            mapped = {}
            for key, message in exc.errors.items():
                parts = key.split()
                if len(parts) == 4 and parts[2] == "line" and parts[3].isdigit():  # "claim 7 line 1"
                    mapped[f"adj_{line_ids.get(int(parts[3]), 0)}"] = message
                else:
                    mapped[key] = message
            self.query_one("#remit-error", Label).update("Nothing was posted: " + "; ".join(exc.errors.values()))
            show_errors(self, mapped)
        else:
            self.query_one("#remit-error", Label).update(exc.message)
            self.show_error(exc)

    def action_cancel(self) -> None:
        self.dismiss(None)
