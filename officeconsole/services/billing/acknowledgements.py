"""Posting acknowledgement files: the clearinghouse's 999 and the payer's 277CA.

A file is read and checked whole first (x12_999, x12_277): one that is cut off, malformed, for
another submitter, or that speaks of nothing of ours is refused with its reason and nothing is
kept. Then, in one transaction, the file is kept (its digest is unique: the same file twice
changes nothing) with what it said of each batch or claim, and the claims move by themselves:
a 999 that rejects a file rejects the claims it carried that are still submitted; a 277CA moves
each claim it names to accepted or to rejected, with the payer's codes and words as the reason.
Each item is kept with the batch it answers (a 277CA item: the claim's latest send), so that a
rejection is listed in the billing queue as numbered problems while the claim waits to be fixed
and sent again, and is history once it is (services/billing/claim_rejections.py). Items that match
nothing are listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from officeconsole.models import ClaimAck, ClaimAckItem, ClaimBatch, ClaimBatchItem, ClinicSettings, Encounter, Patient
from officeconsole.models.acks import AckKind, AckOutcome
from officeconsole.models.billing import EncounterStatus as St
from officeconsole.services.billing.claim_data import claim_id_to_encounter
from officeconsole.services.billing.claim_rejections import latest_batch
from officeconsole.services.billing.claims import acknowledge_claim
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.formats.x12_277 import Parsed277, read_277ca
from officeconsole.services.formats.x12_837 import x12_text
from officeconsole.services.formats.x12_999 import AckFileError, Parsed999, read_999
from officeconsole.services.formats.x12_envelope import read_x12_file
from officeconsole.services.security import audit

# The claim states an acknowledgement may move a claim out of.
ACCEPTS_FROM = (St.SUBMITTED,)
REJECTS_FROM = (St.SUBMITTED, St.ACCEPTED)


@dataclass(frozen=True)
class AckLine:
    """What the file said of one batch or claim, and what it did here."""

    reference: str  # the claim ID or "batch 42"
    outcome: str  # accepted, rejected, received (nothing to do), unmatched
    moved: bool  # the claim (or the batch's claims) changed state
    patient: str = ""
    message: str = ""


@dataclass(frozen=True)
class AckResult:
    kind: str  # 999 or 277CA
    file_name: str
    lines: list[AckLine] = field(default_factory=list)
    posted_before: dt.datetime | None = None  # this very file was posted then: nothing changed

    def count(self, outcome: str, moved: bool | None = None) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome and (moved is None or line.moved == moved))

    @property
    def unmatched(self) -> list[AckLine]:
        return [line for line in self.lines if line.outcome == AckOutcome.UNMATCHED]

    def summary(self) -> str:
        if self.posted_before is not None:
            return f"This {self.kind} was posted before ({self.posted_before:%Y-%m-%d %H:%M}): nothing changed."
        parts = [f"{self.count('accepted')} accepted", f"{self.count('rejected')} rejected"]
        if self.count("received"):
            parts.append(f"{self.count('received')} received only")
        if self.unmatched:
            parts.append(f"{len(self.unmatched)} unmatched")
        moved = sum(1 for line in self.lines if line.moved)
        return f"{self.kind}: " + ", ".join(parts) + f"; {moved} moved."


def sender_id(session: Session) -> str:
    """Our submitter ID as the 837's ISA06 carries it (the clearinghouse's, or else the NPI)."""
    c = session.get(ClinicSettings, 1)
    return x12_text((c.submitter_id or c.npi) if c else "", 15).replace(" ", "")


def ack_kind(text: str) -> str:
    """999 or 277CA, from the functional group's kind (GS01)."""
    body = text.lstrip()
    if not body.startswith("ISA") or len(body) < 106:
        raise AckFileError("This is not an X12 file (it does not start with a whole ISA).")
    separator = body[3]
    at = body.find("GS" + separator)
    kind = body[at + 3:at + 5] if at >= 0 else ""
    if kind == "FA":
        return AckKind.X999
    if kind == "HN":
        return AckKind.X277CA
    name = {"HP": "an 835 remittance (post it with post-835)", "HC": "an 837 claim file",
            "HB": "a 271 eligibility answer (post it with post-271)"}.get(kind, f"of kind {kind!r}")
    raise AckFileError(f"Nothing was posted: this file is {name}, not a 999 or a 277CA acknowledgement.")


class AcknowledgementService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("claims.submit")
    def post_file(self, path: Path | str) -> AckResult:
        """Read and post a 999 or 277CA file (which it is, the file says)."""
        return self.post_text(*read_x12_file(path, AckFileError))

    @requires("claims.submit")
    def post_text(self, text: str, file_name: str = "") -> AckResult:
        kind = ack_kind(text)
        parsed = read_999(text) if kind == AckKind.X999 else read_277ca(text)
        name = clean_text(file_name, 200) or f"{kind}-{parsed.interchange}"
        try:
            with self.ctx.db.write() as session:
                earlier = session.scalar(select(ClaimAck).where(ClaimAck.file_digest == parsed.digest))
                if earlier is not None:
                    return AckResult(kind, name, posted_before=earlier.posted_at.astimezone(self.ctx.timezone))
                ours = sender_id(session)
                theirs = [parsed.receiver, *getattr(parsed, "receiver_ids", [])]
                wrong = next((r for r in theirs if r and ours and r.upper() != ours.upper()), None)
                if wrong is not None:
                    raise AckFileError(f"Nothing was posted: this {kind} is for submitter {wrong!r}, not this "
                                       f"clinic ({ours}). Check that the clearinghouse sent the right file.")
                ack = ClaimAck(kind=kind, file_digest=parsed.digest, interchange=parsed.interchange[:9],
                               file_name=name, posted_at=self.ctx.now(),
                               posted_by_id=self.ctx.actor_or_fail().user_id)
                session.add(ack)
                session.flush()
                lines = self._post_999(session, ack, parsed) if isinstance(parsed, Parsed999) else \
                    self._post_277(session, ack, parsed)
                if all(line.outcome == AckOutcome.UNMATCHED for line in lines):
                    raise AckFileError(f"Nothing was posted: nothing in this {kind} is this clinic's "
                                       + "; ".join(f"{line.reference}: {line.message}" for line in lines[:5])
                                       + (f" (and {len(lines) - 5} more)" if len(lines) > 5 else "") + ".")
                moved = sum(1 for line in lines if line.moved)
                audit.record(session, ack.posted_at, self.ctx.actor, "claims.acknowledged", entity="claim_ack",
                             entity_id=ack.id, summary=f"{name}: {len(lines)} items, {moved} claims moved")
                return AckResult(kind, name, lines)
        except IntegrityError:  # the same file posted at the same moment by another console
            with self.ctx.db.read() as session:
                earlier = session.scalar(select(ClaimAck).where(ClaimAck.file_digest == parsed.digest))
            if earlier is None:
                raise
            return AckResult(kind, name, posted_before=earlier.posted_at.astimezone(self.ctx.timezone))

    # ----- 999 -----------------------------------------------------------------------
    def _post_999(self, session: Session, ack: ClaimAck, parsed: Parsed999) -> list[AckLine]:
        lines = []
        for answer in parsed.answers:
            reference = f"batch {answer.group_control}" + (f" set {answer.transaction_control}"
                                                           if answer.transaction_control else "")
            batch = None
            if answer.group_control.isdigit():
                batch = session.scalar(select(ClaimBatch).where(ClaimBatch.control_number == int(answer.group_control)))
            if batch is None:
                why = "no file of this clinic has this control number"
                session.add(ClaimAckItem(ack_id=ack.id, reference=reference[:50], outcome=AckOutcome.UNMATCHED,
                                         codes=answer.codes, message=why))
                lines.append(AckLine(reference, AckOutcome.UNMATCHED, False, message=why))
                continue
            reference = f"batch {batch.control_number} ({batch.file_name})"
            outcome = AckOutcome.ACCEPTED if answer.accepted else AckOutcome.REJECTED
            message = answer.describe()
            moved = False
            if outcome == AckOutcome.REJECTED:
                why = f"999: the clearinghouse rejected file {batch.control_number}: {message}"
                for encounter in session.scalars(select(Encounter).join(
                        ClaimBatchItem, ClaimBatchItem.encounter_id == Encounter.id)
                        .where(ClaimBatchItem.batch_id == batch.id, Encounter.status.in_(ACCEPTS_FROM))
                        .order_by(Encounter.id)):
                    acknowledge_claim(self.ctx, session, encounter, St.REJECTED, why)
                    moved = True
            session.add(ClaimAckItem(ack_id=ack.id, batch_id=batch.id, reference=reference[:50], outcome=outcome,
                                     codes=answer.codes[:100], message=message[:264], moved=moved))
            lines.append(AckLine(reference, outcome, moved, message=message))
        session.flush()
        return lines

    # ----- 277CA ---------------------------------------------------------------------
    def _post_277(self, session: Session, ack: ClaimAck, parsed: Parsed277) -> list[AckLine]:
        lines = []
        for answer in parsed.claims:
            encounter_id = claim_id_to_encounter(answer.claim_id)
            encounter = session.get(Encounter, encounter_id) if encounter_id is not None else None
            # The answer is about the claim's latest send: kept with that batch, so that once the claim
            # is sent again this rejection is history, not an open problem (claim_rejections).
            batch_id = latest_batch(session, encounter.id) if encounter is not None else None
            message = answer.describe()
            if batch_id is None or encounter is None:  # no encounter: no batch either
                why = "no such claim here" if encounter is None else "this claim was never sent"
                why += f" (segment {answer.segment}" + (f", {answer.patient_name}" if answer.patient_name else "") + ")"
                session.add(ClaimAckItem(ack_id=ack.id, reference=answer.claim_id[:50],
                                         outcome=AckOutcome.UNMATCHED, codes=answer.codes, message=why[:264]))
                lines.append(AckLine(answer.claim_id, AckOutcome.UNMATCHED, False, message=why))
                continue
            patient = get_or_fail(session, Patient, encounter.patient_id, "patient")
            who = f"{patient.last_name}, {patient.first_name}"
            outcome = answer.outcome
            moved = False
            said = message  # what the line says back to the biller
            if outcome == "accepted" and encounter.status in ACCEPTS_FROM:
                acknowledge_claim(self.ctx, session, encounter, St.ACCEPTED, "")
                moved = True
            elif outcome == "rejected" and encounter.status in REJECTS_FROM:
                acknowledge_claim(self.ctx, session, encounter, St.REJECTED, f"277CA: {message}")
                moved = True
            elif outcome and not moved:
                said = f"{message} (the claim is {encounter.status.replace('_', ' ')}: left as it is)"
            if outcome:  # the payer's own words are kept: a rejection is listed from them in the queue
                session.add(ClaimAckItem(ack_id=ack.id, encounter_id=encounter.id, batch_id=batch_id,
                                         reference=answer.claim_id[:50], outcome=outcome, codes=answer.codes,
                                         message=message[:264], payer_claim_number=answer.payer_claim_number[:50],
                                         moved=moved))
            lines.append(AckLine(answer.claim_id, outcome or "received", moved, who, said))
        session.flush()
        return lines
