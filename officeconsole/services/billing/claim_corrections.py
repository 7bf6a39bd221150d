"""Corrected and void claims: a claim the payer has adjudicated is replaced (CLM05-3 = 7) or
cancelled (CLM05-3 = 8), naming the payer's claim control number (REF*F8, the CLP07 of its 835).

A correction takes the claim's charges back (the lines go back to coding, to be changed and marked
ready again) and the corrected claim's export charges the new lines: the payer's earlier postings
stand until its 835 for the corrected claim replaces them (a reversal, CLP02 = 22, then the new
adjudication, or the new figures alone). A void takes the charges back and the adjustments and
patient shares the payer's remittances posted, so the claim owes nothing; what the payer paid
stays as its credit until its take-back (an 835 reversal) arrives. Both are audited with the reason.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from officeconsole.models import ArEntry, Encounter, Payer, RemitClaim, Remittance
from officeconsole.models.billing import EncounterStatus as St
from officeconsole.models.claims import Account, ArKind
from officeconsole.services.billing.ar_book import ArBook
from officeconsole.services.billing.claims import ClaimService, ScrubResult
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, NotFound, ValidationError
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text

# A claim the payer has (or may have) adjudicated: what a correction or a void replaces.
SENT = (St.SUBMITTED, St.ACCEPTED, St.PAID, St.PARTIALLY_PAID, St.DENIED, St.CLOSED)
NO_NUMBER = ("{payer} has not given this claim its claim number yet. The number comes on the payer's 835 "
             "remittance (CLP07, the payer's claim number on the Remittances screen) once the claim is "
             "adjudicated: post that remittance first. A claim the payer rejected needs no correction: fix it "
             "and send it again.")


class ClaimCorrectionService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("claims.submit")
    def correct(self, encounter_id: int, reason: str, expected_version: int | None = None) -> ScrubResult:
        """Send a corrected claim: the charges are taken back and the claim returns to coding; marked
        ready and exported, it goes out as a replacement (7) of the payer's claim."""
        why = _reason(reason, "corrected")
        with self.ctx.db.write() as session:
            encounter, number, payer = self._replaceable(session, encounter_id, expected_version)
            ClaimService(self.ctx)._reverse_charges(session, encounter, f"corrected claim: {why}")
            encounter.status = St.NEEDS_CODING
            encounter.claim_frequency = "7"
            encounter.replaces_claim_number = number
            encounter.note = clean_text(f"Corrected claim (replaces {payer} claim {number}): {why}", 200)
            return self._saved(session, encounter, "claim.correct",
                               f"corrected claim for {payer} claim {number}: {why}")

    @requires("claims.submit")
    def void(self, encounter_id: int, reason: str, expected_version: int | None = None) -> ScrubResult:
        """Void the claim with the payer: the charges, adjustments and patient shares are reversed and a
        void (8) is ready to send; a payment the payer made stays its credit until it takes it back."""
        why = _reason(reason, "voided")
        with self.ctx.db.write() as session:
            encounter, number, payer = self._replaceable(session, encounter_id, expected_version)
            ClaimService(self.ctx)._reverse_charges(session, encounter, f"void: {why}")
            self._reverse_postings(session, encounter, why)
            encounter.status = St.READY
            encounter.claim_frequency = "8"
            encounter.replaces_claim_number = number
            encounter.note = clean_text(f"Void of {payer} claim {number}: {why}", 200)
            return self._saved(session, encounter, "claim.void", f"void of {payer} claim {number}: {why}")

    # ----- helpers -------------------------------------------------------------------
    def _replaceable(self, session: Session, encounter_id: int,
                     expected_version: int | None) -> tuple[Encounter, str, str]:
        encounter = get_or_fail(session, Encounter, encounter_id, "encounter")
        if expected_version is not None and encounter.version != expected_version:
            raise ConcurrentEdit("claim")
        if encounter.claim_sequence != "P":
            raise ValidationError({"state": "This claim is with the secondary payer now: a correction or void goes "
                                            "to the primary first, before its remittance is posted."})
        if encounter.status not in SENT or encounter.policy_id is None:
            raise ValidationError({"state": f"A {encounter.status.replace('_', ' ')} claim has not been sent to an "
                                            "insurer: change it in coding instead."})
        if encounter.claim_frequency == "8":
            raise ValidationError({"state": "This claim was voided already."})
        payer_id = session.scalar(select(ArEntry.payer_id).where(
            ArEntry.encounter_id == encounter.id, ArEntry.kind == ArKind.CHARGE, ArEntry.account == Account.INSURER)
            .order_by(ArEntry.id.desc()).limit(1))
        payer = session.get(Payer, payer_id) if payer_id is not None else None
        number = session.scalar(
            select(RemitClaim.payer_claim_number).join(Remittance, Remittance.id == RemitClaim.remittance_id)
            .where(RemitClaim.encounter_id == encounter.id, RemitClaim.payer_claim_number != "",
                   Remittance.payer_id == payer_id).order_by(RemitClaim.id.desc()).limit(1))
        if not number:
            raise ValidationError({"payer_claim_number": NO_NUMBER.format(payer=payer.name if payer else "The payer")})
        if payer is None:  # the payer's remittance gave the number, so the payer is there
            raise NotFound(f"No payer has id {payer_id}.")
        return encounter, number, payer.name

    def _reverse_postings(self, session: Session, encounter: Encounter, why: str) -> None:
        """Reverse what remittances posted other than payments, under the same remittance, so a later
        reversal by the payer takes back only its payment."""
        book = ArBook(self.ctx, session)
        rows = session.execute(
            select(ArEntry.remittance_id, ArEntry.charge_line_id, ArEntry.account, ArEntry.kind, ArEntry.group_code,
                   ArEntry.reason_code, ArEntry.payer_id, func.sum(ArEntry.amount))
            .where(ArEntry.encounter_id == encounter.id, ArEntry.remittance_id.is_not(None),
                   ArEntry.kind != ArKind.PAYMENT)
            .group_by(ArEntry.remittance_id, ArEntry.charge_line_id, ArEntry.account, ArEntry.kind,
                      ArEntry.group_code, ArEntry.reason_code, ArEntry.payer_id)
            .order_by(ArEntry.remittance_id, ArEntry.charge_line_id, ArEntry.account, ArEntry.kind,
                      ArEntry.group_code, ArEntry.reason_code)).all()
        for i, (remit_id, line_id, account, kind, group, reason, payer_id, amount) in enumerate(rows):
            book.post(encounter, f"void:{encounter.id}:{encounter.version}:{i}", account, kind,
                      -Decimal(amount or 0).quantize(Decimal("0.01")), payer_id=payer_id, line_id=line_id, group=group, reason=reason,
                      remittance_id=remit_id, memo=f"void: {why}")

    def _saved(self, session: Session, encounter: Encounter, action: str, summary: str) -> ScrubResult:
        ClaimService(self.ctx)._save(session, encounter, action, summary)
        balance = ArBook(self.ctx, session).balance(encounter)
        return ScrubResult(encounter.id, encounter.version, encounter.status, balance.charged, [], balance.insurer,
                           balance.patient, encounter.note, encounter.policy_id)


def _reason(reason: str, what: str) -> str:
    why = clean_text(reason, 150)
    if not why:
        raise ValidationError({"reason": f"Say why the claim is {what} (it is kept in the audit log)."})
    return why

