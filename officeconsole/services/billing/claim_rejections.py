"""A rejected claim's rejection as numbered problems in the billing queue, and its history.

When a 277CA (or a 999) rejects a claim, what it said is kept, one `claim_ack_item` per claim (or
per batch for a 999), tied to the batch that carried the claim (services/billing/acknowledgements.py).
While the claim stays rejected, each rejecting status the payer gave about its latest send is one
problem (`Problem`, source REJECTION): its codes and the payer's words, tagged with where it is
fixed, listed before the scrubber's and numbered with them. A rejection typed in by hand (`j`,
no file) is one problem, from its reason.

The biller fixes what it says and marks the claim ready again: that is the resend. The claim is
no longer rejected, so the rejection is no longer an open problem; the items stay, and `history`
lists them with whether they are still open. A later send that is rejected again brings only
its own rejection.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Row, func, or_, select
from sqlalchemy.orm import Session

from officeconsole.models import ClaimAck, ClaimAckItem, ClaimBatch, ClaimBatchItem, Encounter
from officeconsole.models.acks import AckKind, AckOutcome
from officeconsole.models.billing import EncounterStatus as St
from officeconsole.services.billing.scrubber import BILLING, CODING, INSURANCE, PATIENT, REJECTION, Problem
from officeconsole.services.formats.x12_277 import REJECTED

# Where a rejection is fixed, from its claim status code (code list 508) first, then its entity.
STATUS_FIX = {
    "33": INSURANCE, "97": INSURANCE, "164": INSURANCE,  # the member is not found, or their number is wrong
    "187": CODING, "189": CODING, "247": CODING, "454": CODING, "455": CODING, "583": CODING,  # the claim's own
    "732": CODING,  # codes, dates and lines
}
ENTITY_FIX = {
    "IL": INSURANCE, "PR": INSURANCE,  # the subscriber and payer are on the policy
    "QC": PATIENT,
    "85": BILLING, "82": BILLING, "41": BILLING, "77": BILLING,  # the clinic's and providers' identifiers
}
# "A7:562:85" at the start of each rejecting status the 277CA service wrote (x12_277.ClaimStatus.describe).
_STC = re.compile(r"\b(A\d)(?::(\w+))?(?::(\w+))?\b")
LINE_TEXT = "a service line"


def fix_for(status: str, entity: str, on_a_line: bool = False) -> str:
    """Where the biller fixes what a claim status says: coding, the policy, the patient, the clinic's IDs."""
    if status in STATUS_FIX:
        return STATUS_FIX[status]
    if on_a_line:
        return CODING
    return ENTITY_FIX.get(entity, CODING)


def _statuses(text: str) -> list[tuple[str, str]]:
    """(fix, what it says) for each rejecting status in a 277CA item's message ("A7:562:85 ...; words |
    A7:21:IL ...")."""
    out = []
    for part in (p.strip() for p in text.split(" | ")):
        if not part:
            continue
        found = _STC.match(part)
        if found is None:
            out.append((CODING, part))
            continue
        _category, status, entity = found.groups()
        out.append((fix_for(status or "", entity or "", LINE_TEXT in part), part))
    return out


def _typed(note: str) -> Problem:
    """A rejection typed in by hand: where its fix is, from a status code in it if there is one."""
    found = next((m for m in _STC.finditer(note) if m.group(1) in REJECTED), None)
    fix = fix_for(found.group(2) or "", found.group(3) or "") if found else CODING
    return Problem(fix, f"Rejected: {note}", REJECTION)


@dataclass(frozen=True)
class RejectionRow:
    """One rejection of the claim as an acknowledgement file gave it."""

    posted_at: dt.datetime  # when the file was posted (UTC)
    kind: str  # 277CA or 999
    file_name: str
    codes: str
    message: str
    open: bool  # still an open problem: the claim is rejected and this was about its latest send

    def describe(self, zone: dt.tzinfo) -> str:
        """'277CA 11/23/2026: A7:562:85 ... (sent again since)'."""
        when = f"{self.posted_at.astimezone(zone):%m/%d/%Y}"
        return f"{self.kind} {when}: {self.message}" + ("" if self.open else " (fixed and sent again since)")


def latest_batch(session: Session, encounter_id: int) -> int | None:
    """The batch that last carried the claim (its latest send)."""
    return session.scalar(select(func.max(ClaimBatchItem.batch_id)).where(ClaimBatchItem.encounter_id == encounter_id))


def _items(session: Session, encounter_id: int) -> Sequence[Row[ClaimAckItem, str, dt.datetime, str, int | None]]:
    """Every rejecting item about the claim: 277CA items naming it, 999 items rejecting a batch that
    carried it; oldest first."""
    batches = select(ClaimBatchItem.batch_id).where(ClaimBatchItem.encounter_id == encounter_id)
    return session.execute(
        select(ClaimAckItem, ClaimAck.kind, ClaimAck.posted_at, ClaimAck.file_name, ClaimBatch.control_number)
        .join(ClaimAck, ClaimAck.id == ClaimAckItem.ack_id)
        .outerjoin(ClaimBatch, ClaimBatch.id == ClaimAckItem.batch_id)
        .where(ClaimAckItem.outcome == AckOutcome.REJECTED,
               or_(ClaimAckItem.encounter_id == encounter_id,
                   ClaimAckItem.encounter_id.is_(None) & ClaimAckItem.batch_id.in_(batches)))
        .order_by(ClaimAck.posted_at, ClaimAckItem.id)).all()


def open_rejections(session: Session, encounter: Encounter) -> list[Problem]:
    """The rejection of a rejected claim's latest send, one problem per rejecting status (none once
    the claim is marked ready again). A claim rejected by hand has its typed reason as its problem."""
    if encounter.status != St.REJECTED:
        return []
    last = latest_batch(session, encounter.id)
    problems: list[Problem] = []
    for item, kind, _at, _file, control in _items(session, encounter.id):
        if last is None or item.batch_id != last:
            continue
        if kind == AckKind.X999:
            problems.append(Problem(CODING, f"999: the clearinghouse rejected file {control}: {item.message}",
                                    REJECTION))
        else:
            problems += [Problem(fix, f"277CA: {said}", REJECTION) for fix, said in _statuses(item.message)]
    unique = list(dict.fromkeys(problems))  # the same answer in two files is one problem
    if not unique and encounter.note:
        unique.append(_typed(encounter.note))
    return unique


def history(session: Session, encounter: Encounter) -> list[RejectionRow]:
    """Every rejection an acknowledgement file gave the claim, oldest first, open or not."""
    last = latest_batch(session, encounter.id)
    rejected = encounter.status == St.REJECTED
    return [RejectionRow(at, kind, file_name, item.codes, item.message,
                         rejected and last is not None and item.batch_id == last)
            for item, kind, at, file_name, _control in _items(session, encounter.id)]
