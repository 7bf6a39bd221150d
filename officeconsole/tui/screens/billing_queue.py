"""The billing queue (F5): claims by state with counts and amounts, the scrubber's findings for
the highlighted claim, and a key for every move a biller makes.

Filters: `s` state, `p` payer, `v` provider, `g` age. Enter codes the claim; `1`-`9` jump to
the form that fixes the problem of that number (a rejected claim's rejection, as the 277CA or 999
gave it, comes first, then the scrubber's); `r` marks it ready (`R` every clean one; for a
rejected claim, that is the resend), `x` exports the ready claims as an 837P; `m` posts the
insurer's payment from the EOB; `a` posts an acknowledgement file (999 or 277CA);
`k` accepted, `j` rejected, `c` closed; `w` writes off, `b` bills the patient (what the
insurer did not pay, or a visit with no insurance); `A` opens A/R; `e` the remittances posted.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label, Static

from officeconsole.models.billing import EncounterStatus
from officeconsole.services.billing.billing_identity import BillingIdentityService
from officeconsole.services.billing.claim_corrections import ClaimCorrectionService
from officeconsole.services.billing.claims import BatchResult, ClaimNotClean, ClaimService, ReadyRun, ScrubResult
from officeconsole.services.billing.encounters import EncounterService, EncounterView, Queue, QueueFilter, QueueRow
from officeconsole.services.billing.receivables import ReceivablesService
from officeconsole.services.billing.scrubber import (
    BILLING,
    CODING,
    INSURANCE,
    PATIENT,
    REJECTION,
    SCRUBBER,
    VISIT,
    Problem,
)
from officeconsole.services.common import permissions
from officeconsole.services.common.errors import OfficeError
from officeconsole.services.common.money import money
from officeconsole.services.common.text import plural
from officeconsole.services.frontdesk.insurance import InsuranceService
from officeconsole.services.frontdesk.ledger import new_request_key
from officeconsole.services.frontdesk.patients import PatientService
from officeconsole.services.scheduling.schedule import ScheduleService
from officeconsole.tui.modals.billing_ids_form import BillingIdsModal
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.insurance_form import InsuranceFormModal
from officeconsole.tui.modals.reason import ReasonModal
from officeconsole.tui.modals.remit_form import RemitModal
from officeconsole.tui.modals.write_off import WriteOffModal
from officeconsole.tui.screens.base import ServiceScreen
from officeconsole.tui.screens.coding import CodingScreen
from officeconsole.tui.widgets.app_header import AppHeader
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import Column, ResultsTable

STATES: list[str | None] = [None, *(s.value for s in EncounterStatus)]
AGES: list[int | None] = [None, 30, 60, 90, 120]
FIX_LABELS = {CODING: "coding", INSURANCE: "insurance", PATIENT: "patient details", BILLING: "billing identities",
              VISIT: "check-out (F3)"}


HEADINGS = {REJECTION: "Rejected: fix what it says, then r sends it again. Press the number to fix:",
            SCRUBBER: "Not ready. Press the number to fix:"}


def problem_lines(problems: list[Problem]) -> list[str]:
    """The numbered problems (the payer's rejection first, then the scrubber's), each group under its heading."""
    lines: list[str] = []
    source = None
    for n, p in enumerate(problems[:9], 1):
        if p.source != source:
            source = p.source
            lines.append(HEADINGS[source] if n == 1 else "And before it can be sent:")
        lines.append(f" {n}  {p.message}  → {FIX_LABELS[p.fix]}")
    if len(problems) > 9:
        lines.append(f"    … and {len(problems) - 9} more")
    return lines


def state_label(state: str | None) -> str:
    return "All" if state is None else state.replace("_", " ").capitalize()


def count_label(state: str) -> str:
    return "Closed (30 days)" if state == "closed" else state_label(state)


class BillingQueueScreen(ServiceScreen):
    CSS_PATH = "billing_queue.tcss"
    AUTO_FOCUS = "#claims"
    BINDINGS = [
        Binding("s", "next_state", "State"),
        Binding("p", "next_payer", "Payer"),
        Binding("v", "next_provider", "Provider"),
        Binding("g", "next_age", "Age"),
        Binding("r", "ready", "Ready"),
        Binding("R", "all_ready", "All ready", show=False),
        Binding("x", "export", "Export 837"),
        Binding("m", "post_payment", "Post EOB"),
        Binding("a", "post_ack", "Post ack"),
        Binding("k", "accepted", "Accepted", show=False),
        Binding("j", "rejected", "Rejected"),
        Binding("c", "close_claim", "Close", show=False),
        Binding("C", "correct", "Corrected claim", show=False),
        Binding("V", "void", "Void claim", show=False),
        Binding("w", "write_off", "Write off"),
        Binding("b", "bill_patient", "Bill patient"),
        Binding("A", "aging", "A/R"),
        Binding("e", "remittances", "Remittances"),
        *(Binding(str(n), f"fix({n})", f"Fix {n}", show=False) for n in range(1, 10)),
        Binding("escape", "back", "Back"),
    ]
    ACTION_PERMISSIONS: ClassVar[dict[str, str]] = {  # not offered to a role that cannot use them
        **dict.fromkeys(("ready", "all_ready", "export", "accepted", "rejected", "close_claim"), "claims.submit"),
        **dict.fromkeys(("write_off", "bill_patient"), "ar.adjust"), **dict.fromkeys(("aging", "remittances"), "ar.view"),
        "post_payment": "remit.post"}

    def __init__(self) -> None:
        super().__init__()
        self.state: str | None = EncounterStatus.NEEDS_CODING.value
        self.payers: list[tuple[int | None, str]] = [(None, "all")]
        self.providers: list[tuple[int | None, str]] = [(None, "all")]
        self.payer_index = self.provider_index = self.age_index = 0
        self.queue: Queue | None = None
        self.current: ScrubResult | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Label("", id="queue-title", markup=False)
        yield Label("", id="queue-counts", markup=False)
        yield ResultsTable(id="claims")
        yield Static("", id="problems", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#claims", ResultsTable).set_columns([
            # In order of need: at 80 columns the biller still sees whose claim, when, where it stands, how much.
            Column("Claim", 8), Column("Patient", 22), Column("Service", 10), Column("State", 14),
            Column("Amount", 11), Column("Age", 4), Column("Payer", 22), Column("Provider", 16), Column("Lines", 5)])
        self.call_service(self._filters, then=self._set_filters, group="filters")

    def _filters(self) -> tuple[list, list]:
        payers = InsuranceService(self.app.ctx).payers(include_retired=True)  # their claims too
        providers = ScheduleService(self.app.ctx).providers()
        return [(p.id, p.name) for p in payers], [(p.id, p.name) for p in providers]

    def _set_filters(self, found: tuple[list, list]) -> None:
        self.payers = [(None, "all"), *found[0]]
        self.providers = [(None, "all"), *found[1]]

    def on_screen_resume(self) -> None:
        self.app.refresh_header(self)
        self.load()

    # ----- the list ------------------------------------------------------------------
    @property
    def where(self) -> QueueFilter:
        return QueueFilter(self.state, self.payers[self.payer_index][0], self.providers[self.provider_index][0],
                           AGES[self.age_index])

    COUNT_LINES = 3  # the most lines the counts take (billing_queue.tcss: max-height)

    def _show_summary(self) -> None:
        """The filters in the title, and each state's claims and amount; on a narrow terminal, where
        they would not fit (one line, COUNT_LINES lines), the title without its key hints and the
        counts without amounts, so nothing is cut off."""
        queue = self.queue
        if queue is None:
            return
        age = AGES[self.age_index]
        parts = [(state_label(self.state), "s"), (f"payer {self.payers[self.payer_index][1]}", "p"),
                 (f"provider {self.providers[self.provider_index][1]}", "v"),
                 ("any age" if age is None else f"over {age} days", "g")]
        title = " · ".join(["Billing queue", *(f"{text} ({key})" for text, key in parts),
                            plural(len(queue.rows), "claim")])
        if len(title) > self.size.width - 2:  # narrow: the filters and the count, the keys are on the key bar
            title = " · ".join([*(text for text, _key in parts), plural(len(queue.rows), "claim")])
        self.query_one("#queue-title", Label).update(title, layout=False)
        full = " · ".join(f"{count_label(state)} {n} ({money(total)})" for state, (n, total) in queue.counts.items())
        width = max(20, self.size.width - 2)  # the label's margins
        if len(full) > width * self.COUNT_LINES - 8:  # (lines wrap at words: leave some room)
            full = " · ".join(f"{count_label(state)} {n}" for state, (n, _total) in queue.counts.items())
        self.query_one("#queue-counts", Label).update(full or "No claims match.")

    def on_resize(self) -> None:
        self._show_summary()

    def load(self) -> None:
        self.call_service(EncounterService(self.app.ctx).queue, None, 500, self.where, then=self._show, group="load",
                          exclusive=True)

    def _show(self, queue: Queue) -> None:
        self.queue = queue
        self._show_summary()
        table = self.query_one("#claims", ResultsTable)
        keep = table.cursor_row
        today = self.app.ctx.today()
        table.set_rows([
            (str(r.encounter_id), (f"OC{r.encounter_id}", r.patient_name, f"{r.date_of_service:%m/%d/%Y}",
                                   state_label(r.status), money(r.total), str(r.age(today)),
                                   r.payer_name or "(no insurance)", r.provider_name, str(r.lines)))
             for r in queue.rows],
            cursor=min(keep, max(0, len(queue.rows) - 1)),
            flagged={i for i, r in enumerate(queue.rows) if r.status in ("rejected", "denied")})
        if not queue.rows:
            self.current = None
            self.query_one("#problems", Static).update("No claims here. r looks again; s, p, v and g change what is shown.")

    def on_results_table_highlighted(self, event: ResultsTable.Highlighted) -> None:
        self.call_service(ClaimService(self.app.ctx).scrub, int(event.key), then=self._scrubbed, group="scrub",
                          exclusive=True)

    def _scrubbed(self, result: ScrubResult) -> None:
        self.current = result
        lines = [f"OC{result.encounter_id} · {state_label(result.status)} · charges {money(result.total)} · "
                 f"insurer owes {money(result.insurer_owes)} · patient owes {money(result.patient_owes)}"]
        if result.note and not result.rejected:  # a rejection's reason is its numbered problems below
            lines.append(f"Rejected: {result.note}" if result.status == "rejected" else f"Note: {result.note}")
        if result.insurer_owes < 0:
            lines.append(f"⚑ The insurer overpaid {money(-result.insurer_owes)}: a refund is due.")
        if result.patient_owes < 0:
            lines.append(f"⚑ The patient has a {money(-result.patient_owes)} credit: refund it or keep it on account.")
        if result.problems:
            if any(p.message.startswith("No insurance") for p in result.problems):
                lines.append("No insurance on file: b bills the patient (self-pay), or add the policy (below).")
            lines += problem_lines(result.problems)
        elif result.status == "ready":
            lines.append("✓ Clean and ready: x exports every ready claim as an 837P.")
        elif result.status in ("needs_coding", "rejected"):
            lines.append("✓ Clean: r marks it ready to bill.")
        lines += [f"Rejected before: {r.describe(self.app.ctx.timezone)}"
                  for r in result.rejections if not r.open][-2:]
        self.query_one("#problems", Static).update("\n".join(lines))

    def _row(self) -> QueueRow | None:
        table = self.query_one("#claims", ResultsTable)
        if self.queue is None or not self.queue.rows:
            return None
        return self.queue.rows[min(table.cursor_row, len(self.queue.rows) - 1)]

    # ----- filters -------------------------------------------------------------------
    def action_next_state(self) -> None:
        self.state = STATES[(STATES.index(self.state) + 1) % len(STATES)]
        self.load()

    def action_next_payer(self) -> None:
        self.payer_index = (self.payer_index + 1) % len(self.payers)
        self.load()

    def action_next_provider(self) -> None:
        self.provider_index = (self.provider_index + 1) % len(self.providers)
        self.load()

    def action_next_age(self) -> None:
        self.age_index = (self.age_index + 1) % len(AGES)
        self.load()

    # ----- open and fix --------------------------------------------------------------
    def on_results_table_selected(self, event: ResultsTable.Selected) -> None:
        if self.allowed("billing.code"):
            self.app.push_screen(CodingScreen(int(event.key)))

    def action_fix(self, number: int) -> None:
        result = self._current()
        if result is None or number > len(result.problems):
            return
        problem = result.problems[number - 1]
        if problem.fix == CODING:
            if self.allowed("billing.code"):
                self.app.push_screen(CodingScreen(result.encounter_id))
        elif problem.fix == BILLING:
            if permissions.allowed(self.app.ctx.actor.role, "clinic.manage"):
                self.call_service(BillingIdentityService(self.app.ctx).identities, then=self._edit_ids, group="fix")
            else:
                self.notify("A manager fixes the billing identities and NPIs (F10, Practice setup); "
                            "then r sends the claim again.", markup=False, timeout=8)
        elif problem.fix == VISIT:
            if permissions.allowed(self.app.ctx.actor.role, "patient.checkin"):
                self.app.action_check_in()
            else:
                self.notify("The front desk checks the patient out (F3, o); the claim is ready after that.",
                            markup=False)
        else:
            self.call_service(self._patient_and_policy, result.encounter_id, result.policy_id, then=(
                self._edit_policy if problem.fix == INSURANCE else self._edit_patient), group="fix")

    def _edit_ids(self, found) -> None:
        self.app.push_screen(BillingIdsModal(*found), lambda _saved: self.load())

    def _patient_and_policy(self, encounter_id: int, policy_id: int | None = None):
        """The patient and the policy the claim bills (as the claim service chose it)."""
        encounter = EncounterService(self.app.ctx).encounter(encounter_id)
        record = PatientService(self.app.ctx).get(encounter.patient_id)
        policy = next((p for p in record.policies if p.id == policy_id), None)
        return record, policy

    def _edit_policy(self, found) -> None:
        if self.allowed("insurance.edit"):
            record, policy = found
            self.app.push_screen(InsuranceFormModal(record, policy), lambda _saved: self.load())

    def _edit_patient(self, found) -> None:
        from officeconsole.tui.screens.patient_form import PatientFormScreen

        if self.allowed("patient.update"):
            self.app.push_screen(PatientFormScreen(found[0]), lambda _saved: self.load())

    # ----- moves ---------------------------------------------------------------------
    def action_ready(self) -> None:
        row = self._row()
        if row is None:  # nothing to mark: look again (visits coded since, on another console)
            self.load()
        elif self.allowed("claims.submit"):
            self.call_service(ClaimService(self.app.ctx).mark_ready, row.encounter_id, row.version,
                              then=lambda r: self._moved(f"OC{r.encounter_id} is ready to bill."),
                              on_error=self._not_ready, group="move", exclusive=True)

    def _not_ready(self, exc: OfficeError) -> None:
        if isinstance(exc, ClaimNotClean):
            self.app.notify(f"Not ready: {plural(len(exc.problems), 'problem')} listed below; press its number "
                            "to fix it.", severity="warning", markup=False)
            self.load()
        else:
            self.show_error(exc)

    def action_all_ready(self) -> None:
        if self.allowed("claims.submit"):
            self.call_service(ClaimService(self.app.ctx).mark_all_ready, then=self._all_ready, group="move",
                              exclusive=True)

    def _all_ready(self, run: ReadyRun) -> None:
        self._moved(f"{plural(len(run.ready), 'claim')} marked ready; {len(run.failing)} still need fixing.")

    def action_export(self) -> None:
        if not self.allowed("claims.submit"):
            return
        folder = self._claims_folder()

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(ClaimService(self.app.ctx).export_837, folder, then=self._exported, group="move",
                                  exclusive=True)
        self.app.push_screen(ConfirmModal("Export claims", f"Put every ready claim into a new 837P file in {folder}?",
                                          "Export", "Not now"), answered)

    def _claims_folder(self) -> Path:
        """Under the clinic's reports folder (owner-only): claims hold patient data, so never a shared
        temporary folder."""
        from officeconsole.config import Paths

        paths = getattr(self.app, "paths", None) or Paths.discover()
        paths.ensure()
        return paths.reports_dir / "claims"

    def _exported(self, batch: BatchResult) -> None:
        held = f"; {len(batch.skipped)} held back (fix and mark ready again)" if batch.skipped else ""
        if batch.claims:
            self._moved(f"Batch {batch.control_number}: {plural(batch.claims, 'claim')}, {money(batch.total)} → "
                        f"{batch.path}{held}")
        else:
            self._moved(f"Nothing exported{held}.")

    def action_post_payment(self) -> None:
        row = self._row()
        if row is not None and self.allowed("remit.post"):
            if not row.takes_payment:
                self.app.notify("Only a submitted claim takes an insurer's payment.", markup=False)
                return
            self.call_service(EncounterService(self.app.ctx).encounter, row.encounter_id, then=self._remit,
                              group="fix")

    def _remit(self, encounter: EncounterView) -> None:
        self.app.push_screen(RemitModal(encounter), lambda _posted: self.load())

    def action_post_ack(self) -> None:
        """A 999 or 277CA file: the claims it names move by themselves."""
        if not self.allowed("claims.submit"):
            return
        from officeconsole.services.billing.acknowledgements import AcknowledgementService

        def typed(path: str | None) -> None:
            if path:
                self.call_service(AcknowledgementService(self.app.ctx).post_file, path,
                                  then=lambda r: self._moved(r.summary() + "".join(
                                      f"\n{u.reference}: {u.message}" for u in r.unmatched[:3])),
                                  group="move", exclusive=True)
        self.app.push_screen(ReasonModal("Post a 999 or 277CA acknowledgement", "The file's path"), typed)

    def action_accepted(self) -> None:
        self._set_state("accepted")

    def action_close_claim(self) -> None:
        self._set_state("closed")

    def action_rejected(self) -> None:
        row = self._row()
        if row is None or not self.allowed("claims.submit"):
            return

        def typed(reason: str | None) -> None:
            if reason:
                self._set_state("rejected", reason)
        self.app.push_screen(ReasonModal(f"Rejected: OC{row.encounter_id} {row.patient_name}",
                                         "The clearinghouse's or payer's message"), typed)

    def action_correct(self) -> None:
        self._replace_claim("correct", "Corrected claim", "What is corrected (kept in the audit log)")

    def action_void(self) -> None:
        self._replace_claim("void", "Void", "Why the claim is voided (kept in the audit log)")

    def _replace_claim(self, how: str, title: str, prompt: str) -> None:
        """A corrected (7) or void (8) claim for the payer's claim under the cursor, with the reason typed."""
        row = self._row()
        if row is None or not self.allowed("claims.submit"):
            return
        service = ClaimCorrectionService(self.app.ctx)
        method = service.correct if how == "correct" else service.void
        done = "back in coding as a corrected claim" if how == "correct" else "voided: ready to export"

        def typed(reason: str | None) -> None:
            if reason:
                self.call_service(method, row.encounter_id, reason, row.version,
                                  then=lambda r: self._moved(f"OC{r.encounter_id} is {done}."), group="move",
                                  exclusive=True)
        self.app.push_screen(ReasonModal(f"{title}: OC{row.encounter_id} {row.patient_name}", prompt), typed)

    def _set_state(self, state: str, reason: str = "") -> None:
        row = self._row()
        if row is not None and self.allowed("claims.submit"):
            self.call_service(ClaimService(self.app.ctx).set_claim_state, row.encounter_id, row.version, state,
                              reason, then=lambda r: self._moved(f"OC{r.encounter_id} is {state_label(r.status)}."),
                              group="move", exclusive=True)

    def action_write_off(self) -> None:
        row, current = self._row(), self._current()
        if row is not None and current is not None and self.allowed("ar.adjust"):
            self.app.push_screen(WriteOffModal(row.encounter_id, f"OC{row.encounter_id} {row.patient_name}",
                                               current.insurer_owes), lambda _done: self.load())

    def _current(self) -> ScrubResult | None:
        """The scrub result of the row under the cursor (None while it is still being read)."""
        row, current = self._row(), self.current
        return current if row is not None and current is not None and current.encounter_id == row.encounter_id \
            else None

    def action_bill_patient(self) -> None:
        current, key = self._current(), new_request_key()
        if current is None:
            return
        if current.status in ("needs_coding", "rejected"):
            self._self_pay(current)
            return
        if not self.allowed("ar.adjust"):
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(ReceivablesService(self.app.ctx).bill_patient, current.encounter_id, key,
                                  then=lambda amount: self._moved(f"{money(amount)} moved to the patient."),
                                  group="move", exclusive=True)
        self.app.push_screen(ConfirmModal("Bill the patient", f"Move the {money(current.insurer_owes)} the insurer "
                                          "did not pay onto the patient's account?", "Bill patient", "Keep"), answered)

    def _self_pay(self, current: ScrubResult) -> None:
        if not self.allowed("claims.submit"):
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.call_service(ClaimService(self.app.ctx).bill_self_pay, current.encounter_id, current.version,
                                  then=lambda r: self._moved(f"OC{r.encounter_id}: {money(r.patient_owes)} is on the "
                                                             "patient's account (self-pay)."),
                                  on_error=self._not_ready, group="move", exclusive=True)
        self.app.push_screen(ConfirmModal("Self-pay", f"No insurance to bill: put the {money(current.total)} of "
                                          f"OC{current.encounter_id} on the patient's account and close the claim?",
                                          "Bill patient", "Keep"), answered)

    def _moved(self, message: str) -> None:
        self.app.notify(message, markup=False, timeout=8)
        self.load()

    def action_aging(self) -> None:
        from officeconsole.tui.screens.receivables import ReceivablesScreen

        if self.allowed("ar.view"):
            self.app.push_screen(ReceivablesScreen())

    def action_remittances(self) -> None:
        from officeconsole.tui.screens.remittances import RemittancesScreen

        if self.allowed("ar.view"):
            self.app.push_screen(RemittancesScreen())

    def action_back(self) -> None:
        self.dismiss()
