"""A claim's life after coding: scrubbed, marked ready, exported as an 837P batch, moved on.

Only a claim that passes the scrubber becomes ready. Exporting takes every ready claim into
one file with a control number never used before, checks the file with pyx12, posts the
charges to the insurer's account and marks the claims submitted, all in one transaction;
the file appears under its final name only after that commits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import ArEntry, ChargeLine, ClaimBatch, ClaimBatchItem, Encounter, User
from officeconsole.models.billing import PAYABLE_STATES
from officeconsole.models.billing import EncounterStatus as St
from officeconsole.models.claims import Account, ArKind
from officeconsole.services.billing.ar_book import ArBook
from officeconsole.services.billing.claim_data import ClaimData, billing_provider, fee_codes, load_claim, load_claims
from officeconsole.services.billing.claim_rejections import RejectionRow, open_rejections
from officeconsole.services.billing.claim_rejections import history as rejection_history
from officeconsole.services.billing.scrubber import REJECTION, SCRUBBER, Problem, scrub
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, OfficeError, ValidationError
from officeconsole.services.common.folders import writable_folder
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.money import money
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.formats.x12_837 import write_837
from officeconsole.services.formats.x12_check import x12_errors
from officeconsole.services.practice.clinic import next_number
from officeconsole.services.security import audit

MAX_BATCH = 500
READY_CHUNK = 500  # claims read, checked and written together by the ready run
# Moves a biller makes by hand, from the states that allow them.
MOVES: dict[str, tuple[str, ...]] = {
    St.ACCEPTED: (St.SUBMITTED,),
    St.REJECTED: (St.SUBMITTED, St.ACCEPTED),
    St.CLOSED: (St.PAID, St.PARTIALLY_PAID, St.DENIED),
}


class ClaimNotClean(OfficeError):
    """The scrubber found problems: the claim stays where it is."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("Not ready: " + "; ".join(p.message for p in problems))


class ExportError(OfficeError):
    pass


@dataclass(frozen=True)
class ScrubResult:
    encounter_id: int
    version: int
    status: str
    total: Decimal
    problems: list[Problem]
    insurer_owes: Decimal = Decimal("0.00")
    patient_owes: Decimal = Decimal("0.00")
    note: str = ""  # why it was rejected
    policy_id: int | None = None  # the policy the claim bills (what an INSURANCE problem's fix opens)
    # Every rejection an acknowledgement file gave the claim, oldest first; the open ones are also
    # in `problems` (source REJECTION, listed first), the others were fixed and sent again.
    rejections: tuple[RejectionRow, ...] = ()

    @property
    def clean(self) -> bool:
        """The scrubber finds nothing (a payer's rejection does not stop `r`: marking ready resends)."""
        return not any(p.source == SCRUBBER for p in self.problems)

    @property
    def rejected(self) -> list[Problem]:
        """The open rejection's problems (what the payer or clearinghouse said of the latest send)."""
        return [p for p in self.problems if p.source == REJECTION]

    @property
    def takes_payment(self) -> bool:
        """Whether an insurer's payment (an EOB) can be posted to it."""
        return self.status in PAYABLE_STATES


@dataclass(frozen=True)
class ReadyRun:
    ready: list[int]
    failing: dict[int, list[Problem]]


@dataclass(frozen=True)
class BatchResult:
    batch_id: int
    control_number: int
    path: Path
    claims: int
    total: Decimal
    skipped: dict[int, str]  # claims left out, and why


@dataclass(frozen=True)
class BatchRow:
    id: int
    control_number: int
    created_at: dt.datetime
    created_by: str
    claims: int
    total: Decimal
    file_name: str
    resent_of_id: int | None


class ClaimService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("billing.view")
    def scrub(self, encounter_id: int) -> ScrubResult:
        """The claim's problems while it can still be changed (a rejected claim's rejection first,
        then the scrubber's, numbered as one list), what is owed on it, and its rejections so far."""
        with self.ctx.db.read() as session:
            claim = load_claim(session, encounter_id)
            encounter = get_or_fail(session, Encounter, encounter_id, "encounter")
            balance = ArBook(self.ctx, session).balance(encounter)
            editable = claim.status in (St.NEEDS_CODING, St.REJECTED, St.READY)
            problems = open_rejections(session, encounter) + (scrub(claim, self.ctx.today()) if editable else [])
            return ScrubResult(claim.encounter_id, claim.version, claim.status, claim.total, problems,
                               balance.insurer, balance.patient, encounter.note,
                               claim.policy.id if claim.policy else None, tuple(rejection_history(session, encounter)))

    @requires("claims.submit")
    def mark_ready(self, encounter_id: int, expected_version: int) -> ScrubResult:
        """Ready only when clean; the billed policy is fixed on the claim at this moment."""
        with self.ctx.db.write() as session:
            encounter = get_or_fail(session, Encounter, encounter_id, "encounter")
            if encounter.version != expected_version:
                raise ConcurrentEdit("claim")
            claim = self._ready(session, encounter, load_claim(session, encounter_id))
            return ScrubResult(claim.encounter_id, encounter.version, encounter.status, claim.total, [])

    @requires("claims.submit")
    def mark_all_ready(self, through: dt.date | None = None) -> ReadyRun:
        """Scrub every claim waiting for coding (with a date of service up to `through`, if given);
        the clean ones become ready, the rest are listed. A rejected claim is listed with its
        rejection, never sent again in bulk: the scrubber cannot see that a wrong member ID was
        fixed, so the biller resends it on its own (`mark_ready`) once it is. One transaction."""
        run = ReadyRun([], {})
        waiting: list[ColumnElement[bool]] = [Encounter.status.in_([St.NEEDS_CODING, St.REJECTED])]
        if through is not None:
            waiting.append(Encounter.date_of_service <= through)
        with self.ctx.db.write() as session:
            billing, scheduled = billing_provider(session), fee_codes(session)
            encounters = session.scalars(select(Encounter).where(*waiting).order_by(Encounter.id)).all()
            for start in range(0, len(encounters), READY_CHUNK):
                chunk = encounters[start:start + READY_CHUNK]
                for encounter, claim in zip(chunk, load_claims(session, chunk, billing, scheduled), strict=True):
                    if rejection := open_rejections(session, encounter):
                        run.failing[encounter.id] = rejection
                        continue
                    try:
                        self._ready(session, encounter, claim, flush=False)
                        run.ready.append(encounter.id)
                    except ClaimNotClean as exc:
                        run.failing[encounter.id] = exc.problems
                self._flush(session)  # the chunk's changes and audit events, chained in one step
        return run

    @requires("claims.submit")
    def export_837(self, out_dir: Path | str) -> BatchResult:
        """Every ready claim (up to MAX_BATCH) into one new 837P file in `out_dir` (made only when
        there is a file to write)."""
        folder = Path(out_dir).expanduser()
        staged: list[Path] = []
        with _unlink_on_failure(staged), self.ctx.db.write() as session:
            encounters = session.scalars(select(Encounter).where(Encounter.status == St.READY)
                                         .order_by(Encounter.date_of_service, Encounter.id).limit(MAX_BATCH)).all()
            if not encounters:
                raise ExportError("No claims are ready: mark clean claims ready in the billing queue first.")
            billing, scheduled = billing_provider(session), fee_codes(session)
            claims, skipped = [], {}
            for encounter, claim in zip(encounters, load_claims(session, encounters, billing, scheduled), strict=True):
                problems = scrub(claim, self.ctx.today())
                if problems:  # something changed since it was marked ready (a payer, the clinic's NPI)
                    skipped[encounter.id] = f"{_whose(claim)}: " + "; ".join(p.message for p in problems)
                    continue
                claims.append(claim)
            written = self._write_batch(session, writable_folder(folder, ExportError), claims, resent_of=None,
                                        refused=skipped) if claims else None
            for encounter in encounters:  # one bad claim is held back in the queue; the others are sent
                if encounter.id in skipped:
                    encounter.status = St.NEEDS_CODING
            if written is None:
                session.flush()
                return BatchResult(0, 0, folder, 0, Decimal("0.00"), skipped)
            batch, path = written
            staged.append(path)
            by_id = {e.id: e for e in encounters}
            book = ArBook(self.ctx, session)
            for claim in claims:
                encounter = by_id[claim.encounter_id]
                encounter.status = St.SUBMITTED
                encounter.updated_at = batch.created_at  # (set together: one UPDATE when the charges' reads flush it)
                if claim.frequency == "8":  # a void: its charges were reversed when it was voided
                    left = book.balance(encounter)
                    encounter.status = St.CLOSED if left.insurer == 0 and left.patient <= 0 else St.PAID
                else:
                    self._post_charges(session, encounter, claim)
        final = _publish(path)
        return BatchResult(batch.id, batch.control_number, final, batch.claim_count, batch.total, skipped)

    @requires("claims.submit")
    def reexport_837(self, batch_id: int, out_dir: Path | str) -> BatchResult:
        """The batch's claims again, as a new file with a new control number (a lost or refused file)."""
        folder = writable_folder(out_dir, ExportError)
        staged: list[Path] = []
        with _unlink_on_failure(staged), self.ctx.db.write() as session:
            original = get_or_fail(session, ClaimBatch, batch_id, "claim batch")
            billing, scheduled = billing_provider(session), fee_codes(session)
            skipped, resend = {}, []
            for encounter in session.scalars(select(Encounter).join(
                    ClaimBatchItem, ClaimBatchItem.encounter_id == Encounter.id)
                    .where(ClaimBatchItem.batch_id == original.id).order_by(Encounter.id)):
                if encounter.status != St.SUBMITTED:  # an accepted claim sent again is a duplicate (CO-18)
                    skipped[encounter.id] = f"now {encounter.status.replace('_', ' ')}"
                    continue
                resend.append(encounter)
            claims = load_claims(session, resend, billing, scheduled)
            if not claims:
                raise ExportError(f"Nothing in batch {original.control_number} can be sent again: "
                                  "every claim has moved on.")
            batch, path = self._write_batch(session, folder, claims, resent_of=original.id)
            staged.append(path)
        final = _publish(path)
        return BatchResult(batch.id, batch.control_number, final, batch.claim_count, batch.total, skipped)

    @requires("billing.view")
    def batches(self, limit: int = 50) -> list[BatchRow]:
        with self.ctx.db.read() as session:
            rows = session.execute(select(ClaimBatch, User.username).join(User, User.id == ClaimBatch.created_by_id)
                                   .order_by(ClaimBatch.id.desc()).limit(limit)).all()
            return [BatchRow(b.id, b.control_number, b.created_at.astimezone(self.ctx.timezone), who, b.claim_count,
                             b.total, b.file_name, b.resent_of_id) for b, who in rows]

    @requires("claims.submit")
    def set_claim_state(self, encounter_id: int, expected_version: int, state: str, reason: str = "") -> ScrubResult:
        """Accepted (the payer acknowledged it), rejected (with the reason; charges reversed, the
        claim can be fixed and sent again), or closed (nothing left for the insurer to pay)."""
        if state not in MOVES:
            raise ValidationError({"state": f"A claim cannot be moved to {state!r} by hand."})
        why = clean_text(reason, 200)
        if state == St.REJECTED and not why:
            raise ValidationError({"reason": "Say why the claim was rejected (the clearinghouse's message)."})
        with self.ctx.db.write() as session:
            encounter = get_or_fail(session, Encounter, encounter_id, "encounter")
            if encounter.version != expected_version:
                raise ConcurrentEdit("claim")
            if encounter.status not in MOVES[state]:
                raise ValidationError({"state": f"A {encounter.status.replace('_', ' ')} claim cannot become "
                                                f"{state.replace('_', ' ')}."})
            book = ArBook(self.ctx, session)
            if state == St.CLOSED and (left := book.balance(encounter).insurer) != 0:
                raise ValidationError({"state": f"The insurer still owes {money(left)}: write it off or move it "
                                                "to the patient first."})
            if state == St.REJECTED:
                self._reverse_charges(session, encounter)
            encounter.status = state
            encounter.note = why
            self._save(session, encounter, f"claim.{state}", why or state)
            return ScrubResult(encounter.id, encounter.version, encounter.status, book.balance(encounter).charged, [])

    @requires("claims.submit")
    def bill_self_pay(self, encounter_id: int, expected_version: int) -> ScrubResult:
        """A visit with no insurance: its charges go straight onto the patient's account and the
        claim is closed (the patient's balance is then in patient A/R and on their statement)."""
        with self.ctx.db.write() as session:
            encounter = get_or_fail(session, Encounter, encounter_id, "encounter")
            if encounter.version != expected_version:
                raise ConcurrentEdit("claim")
            if encounter.status not in (St.NEEDS_CODING, St.REJECTED):
                raise ValidationError({"state": f"A {encounter.status.replace('_', ' ')} claim is billed already."})
            claim = load_claim(session, encounter_id)
            if claim.policy is not None:
                raise ValidationError({"state": f"The patient has {claim.policy.payer_name} on the date of service: "
                                                "bill the insurer (or end that policy first)."})
            if not claim.lines:
                raise ValidationError({"lines": "Add the visit's charges first."})
            coding = [p for p in scrub(claim, self.ctx.today()) if p.fix == "coding"]
            if coding:
                raise ClaimNotClean(coding)
            book = ArBook(self.ctx, session)
            for line in claim.lines:
                n = book.postings(line.id, ArKind.CHARGE) + 1
                book.post(encounter, f"self:{line.id}:{n}", Account.PATIENT, ArKind.CHARGE, line.amount,
                          line_id=line.id, memo=f"{line.code} x{line.units} (self-pay)")
            encounter.status = St.CLOSED
            encounter.note = "self-pay"
            self._save(session, encounter, "claim.self_pay", f"{money(claim.total)} to the patient")
            return ScrubResult(encounter.id, encounter.version, encounter.status, claim.total, [],
                               Decimal("0.00"), book.balance(encounter).patient, encounter.note)

    # ----- helpers -------------------------------------------------------------------
    def _ready(self, session: Session, encounter: Encounter, claim: ClaimData, *, flush: bool = True) -> ClaimData:
        if encounter.status not in (St.NEEDS_CODING, St.REJECTED):
            raise ValidationError({"state": f"This claim is {encounter.status.replace('_', ' ')} already."})
        problems = scrub(claim, self.ctx.today())
        if problems:
            raise ClaimNotClean(problems)
        again = " again after its rejection" if encounter.status == St.REJECTED else ""
        encounter.policy_id = claim.policy.id
        encounter.payer_id = claim.policy.payer_id
        encounter.status = St.READY  # a rejected claim's rejection is history from here (claim_rejections)
        encounter.note = ""
        self._save(session, encounter, "claim.ready", f"{money(claim.total)} to {claim.policy.payer_name}{again}",
                   flush=flush)
        return claim

    def _save(self, session: Session, encounter: Encounter, action: str, summary: str, *, flush: bool = True) -> None:
        now = self.ctx.now()
        encounter.updated_at = now
        if flush:
            self._flush(session)
        audit.record(session, now, self.ctx.actor, action, entity="encounter", entity_id=encounter.id,
                     patient_id=encounter.patient_id, summary=summary)

    @staticmethod
    def _flush(session: Session) -> None:
        """Write the changes; a claim someone else changed meanwhile is a concurrent edit."""
        try:
            session.flush()
        except StaleDataError:
            raise ConcurrentEdit("claim") from None

    def _write_batch(self, session: Session, folder: Path, claims: list[ClaimData], resent_of: int | None,
                     refused: dict[int, str] | None = None) -> tuple[ClaimBatch, Path] | None:
        """The batch and its staged file. With `refused`, a claim the validator refuses on its own is
        taken out of `claims` and named there (with its patient), and the rest are written; None when
        no claim is left."""
        now = self.ctx.now()
        control = next_number(session, "x12_interchange", start=1)
        stamp = now.astimezone(self.ctx.timezone)
        text = write_837(claims, control, stamp)
        errors = x12_errors(text)
        if errors and refused is not None:  # find the claims the validator refuses, and send the others
            kept = []
            for claim in claims:
                alone = x12_errors(write_837([claim], control, stamp))
                if alone:
                    refused[claim.encounter_id] = f"{_whose(claim)}: the 837P validator refused it ({alone[0]})"
                else:
                    kept.append(claim)
            if len(kept) < len(claims):
                claims[:] = kept
                if not claims:
                    return None
                text = write_837(claims, control, stamp)
                errors = x12_errors(text)
        if errors:  # a bug of ours, never the biller's: refuse to send a file a payer would bounce
            raise ExportError("The 837P failed validation and was not written: " + "; ".join(errors[:3]))
        name = f"837P-{control:09d}-{now.astimezone(self.ctx.timezone):%Y%m%d-%H%M}.x12"
        batch = ClaimBatch(control_number=control, created_at=now, created_by_id=self.ctx.actor_or_fail().user_id,
                           claim_count=len(claims), total=sum((c.total for c in claims), Decimal("0.00")),
                           file_name=name, resent_of_id=resent_of)
        session.add(batch)
        session.flush()
        session.add_all(ClaimBatchItem(batch_id=batch.id, encounter_id=c.encounter_id) for c in claims)
        audit.record(session, now, self.ctx.actor, "claims.export", entity="claim_batch", entity_id=batch.id,
                     summary=f"{name}: {len(claims)} claims, {money(batch.total)}"
                             + (f" (again, batch {resent_of})" if resent_of else ""))
        staged = folder / f".{name}.partial"
        staged.write_text(text, encoding="ascii")
        return batch, staged

    def _post_charges(self, session: Session, encounter: Encounter, claim: ClaimData) -> None:
        book = ArBook(self.ctx, session)
        for line in claim.lines:
            if book.charged(line.id) == 0:
                n = book.postings(line.id, ArKind.CHARGE) + 1
                book.post(encounter, f"charge:{line.id}:{n}", Account.INSURER, ArKind.CHARGE, line.amount,
                          payer_id=claim.policy.payer_id, line_id=line.id, memo=f"{line.code} x{line.units}")

    def _reverse_charges(self, session: Session, encounter: Encounter, memo: str = "claim rejected") -> None:
        """Take back each line's charge from the payer it was charged to (the policy may have changed).
        A secondary claim keeps its charges: the primary's payments stand on them."""
        if encounter.claim_sequence != "P":
            return
        book = ArBook(self.ctx, session)
        for line in session.scalars(select(ChargeLine).where(ChargeLine.encounter_id == encounter.id)):
            outstanding = book.charged(line.id)
            if outstanding:
                payer_id = session.scalar(select(ArEntry.payer_id).where(
                    ArEntry.charge_line_id == line.id, ArEntry.kind == ArKind.CHARGE).order_by(ArEntry.id.desc()))
                n = book.postings(line.id, ArKind.REVERSAL) + 1
                book.post(encounter, f"reverse:{line.id}:{n}", Account.INSURER, ArKind.REVERSAL, -outstanding,
                          payer_id=payer_id, line_id=line.id, memo=memo[:200])


def _whose(claim: ClaimData) -> str:
    """'Claimant, Carla (MRN 000123)': the patient a held-back claim is for."""
    p = claim.patient
    return f"{p.last_name}, {p.first_name} (MRN {p.mrn})"


@contextlib.contextmanager
def _unlink_on_failure(staged: list[Path]) -> Iterator[None]:
    """A batch whose transaction did not commit leaves no file behind (only this call's own file)."""
    try:
        yield
    except BaseException:
        for path in staged:
            path.unlink(missing_ok=True)
        raise


def _publish(staged: Path) -> Path:
    """Give the committed batch's file its final name (a crash before this leaves a .partial to resend)."""
    final = staged.with_name(staged.name[1:].removesuffix(".partial"))
    os.replace(staged, final)
    return final


def acknowledge_claim(ctx: ServiceContext, session: Session, encounter: Encounter, state: str, reason: str) -> None:
    """A payer's or clearinghouse's acknowledgement moves a claim to accepted or rejected (charges
    reversed, like `set_claim_state`), inside the caller's transaction: a file moves all its claims
    or none."""
    service = ClaimService(ctx)
    if state == St.REJECTED:
        service._reverse_charges(session, encounter)
    encounter.status = state
    encounter.note = clean_text(reason, 200)
    service._save(session, encounter, f"claim.{state}", encounter.note or state)
