"""Add or edit one insurance policy of a patient."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label, Select

from officeconsole.services.common.errors import OfficeError
from officeconsole.services.frontdesk.insurance import InsuranceService, PayerRow, PolicyInput, PolicyView
from officeconsole.services.frontdesk.patients import PatientRecord
from officeconsole.tui.screens.base import ServiceModal
from officeconsole.tui.widgets.form_field import select_field, show_refusal, text_field, values
from officeconsole.tui.widgets.key_bar import KeyBar

RANK_OPTIONS = [("1  Primary", "1"), ("2  Secondary", "2"), ("3  Tertiary", "3")]
RELATIONSHIP_OPTIONS = [("Self", "self"), ("Spouse", "spouse"), ("Child", "child"), ("Other", "other")]


def _date(value) -> str:
    return value.strftime("%m/%d/%Y") if value else ""


class InsuranceFormModal(ServiceModal[PolicyView | None]):
    DEFAULT_CSS = """
    InsuranceFormModal { align: center middle; }
    InsuranceFormModal > Vertical {
        width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    InsuranceFormModal #policy-title { text-style: bold; margin-bottom: 1; }
    InsuranceFormModal #policy-error { color: $error; height: auto; }
    InsuranceFormModal Grid { grid-size: 2; grid-rows: auto; grid-gutter: 0 2; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#payer_id"

    def __init__(self, patient: PatientRecord, policy: PolicyView | None) -> None:
        super().__init__()
        self.patient = patient
        self.policy = policy

    def compose(self) -> ComposeResult:
        p = self.policy
        next_rank = str(min(len(self.patient.policies) + 1, 3))
        with Vertical():
            verb = "Edit" if p else "Add"
            yield Label(f"{verb} insurance for {self.patient.display_name} (MRN {self.patient.mrn})",
                        id="policy-title", markup=False)
            yield Label("", id="policy-error", markup=False)
            with Grid():
                yield select_field("Payer *", "payer_id", [], allow_blank=True)
                yield select_field("Rank *", "rank", RANK_OPTIONS, str(p.rank) if p else next_rank)
                yield text_field("Member ID *", "member_id", p.member_id if p else "", max_length=40)
                yield text_field("Group", "group_number", p.group_number if p else "", max_length=40)
                yield select_field("Relationship", "relationship", RELATIONSHIP_OPTIONS,
                                   p.relationship if p else "self")
                yield text_field("Subscr. DOB", "subscriber_dob", _date(p.subscriber_dob) if p else "",
                                 placeholder="MM/DD/YYYY", max_length=10)
                yield text_field("Subscr. last", "subscriber_last_name", p.subscriber_last_name if p else "",
                                 placeholder="if not the patient", max_length=100)
                yield text_field("Subscr. first", "subscriber_first_name", p.subscriber_first_name if p else "",
                                 max_length=100)
                yield text_field("Middle name", "subscriber_middle_name",
                                 p.subscriber_middle_name if p else "", max_length=100)
                yield text_field("Suffix", "subscriber_suffix", p.subscriber_suffix.title() if p else "",
                                 placeholder="Jr, Sr, II, III", max_length=10)
                yield text_field("Copay", "copay", str(p.copay) if p and p.copay is not None else "",
                                 placeholder="e.g. 25.00", max_length=10)
                yield text_field("Effective *", "effective_from",
                                 _date(p.effective_from) if p else "", placeholder="MM/DD/YYYY",
                                 max_length=10)
                yield text_field("Ends", "effective_to", _date(p.effective_to) if p else "",
                                 placeholder="MM/DD/YYYY (blank: open)", max_length=10)
            yield KeyBar()

    def on_mount(self) -> None:
        if self.policy is not None and self.policy.subscriber_to_split:
            self.query_one("#policy-error", Label).update(
                f"The subscriber was typed as {self.policy.subscriber_name!r}: type the last and first name "
                "in their own fields (claims need them apart).")
        self.call_service(InsuranceService(self.app.ctx).payers, True, then=self._payers, group="payers")

    def _payers(self, payers: list[PayerRow]) -> None:
        """Active payers; a policy already with a retired payer keeps it on offer (marked)."""
        current = self.policy.payer_id if self.policy is not None else None
        payers = [p for p in payers if p.active or p.id == current]
        select = self.query_one("#payer_id", Select)
        select.set_options([(payer.name if payer.active else f"{payer.name} (retired)", str(payer.id))
                            for payer in payers])
        if not payers:
            self.query_one("#policy-error", Label).update(
                "No payers are set up yet: a manager or biller adds them with "
                "`officeconsole payer add NAME --payer-id ID`.")
        if self.policy is not None:
            select.value = str(self.policy.payer_id)

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        typed = values(self)
        payer = typed.pop("payer_id")
        data = PolicyInput(payer_id=int(payer) if payer else None, **typed)
        if self.policy is not None and self.policy.subscriber_to_split and not (
                data.subscriber_last_name or data.subscriber_first_name):
            data.subscriber_name = self.policy.subscriber_name  # kept as typed until someone splits it
        service = InsuranceService(self.app.ctx)
        if self.policy is None:
            self.call_service(service.add_policy, self.patient.id, data, then=self._saved,
                              on_error=self._refused, exclusive=True, group="save")
        else:
            self.call_service(service.update_policy, self.policy.id, self.policy.version, data,
                              then=self._saved, on_error=self._refused, exclusive=True, group="save")

    def _saved(self, policy: PolicyView) -> None:
        self.app.notify(f"Saved {policy.rank_label.lower()} insurance: {policy.payer_name}", markup=False)
        self.dismiss(policy)

    def _refused(self, exc: OfficeError) -> None:
        show_refusal(self, exc, "policy-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
