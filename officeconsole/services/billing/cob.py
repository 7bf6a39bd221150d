"""Coordination of benefits: which insurer a claim goes to after the one that just paid, and what
the earlier payers said, for the next claim's 2320/2430 loops.

The policies in force on the date of service, by rank, are the claim's payers in turn: the
primary (P), the secondary (S), the tertiary (T). When a payer's remittance leaves a patient
responsibility (CAS group PR) and a later policy is in force, that amount moves onto the next
payer's account instead of the patient's, and the claim becomes that payer's claim: ready to be
sent, or, when the payer gets claims by crossover from the primary (Medicare to a supplement),
submitted already and waiting for its 835. What the last payer leaves goes to the patient.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from officeconsole.models import (
    Encounter,
    InsurancePolicy,
    Payer,
    RemitAdjustment,
    RemitClaim,
    RemitLine,
    Remittance,
)
from officeconsole.models.billing import EncounterStatus as St
from officeconsole.services.billing.claim_data import OtherLine, OtherPayer, claim_policy

SEQUENCES = "PST"  # SBR01 by position: primary, secondary, tertiary
REVERSAL = "22"


def policies_in_force(session: Session, encounter: Encounter) -> list[InsurancePolicy]:
    """The patient's policies in force on the date of service, primary first."""
    day = encounter.date_of_service
    return list(session.scalars(
        select(InsurancePolicy).where(
            InsurancePolicy.patient_id == encounter.patient_id, InsurancePolicy.effective_from <= day,
            (InsurancePolicy.effective_to.is_(None)) | (InsurancePolicy.effective_to >= day))
        .order_by(InsurancePolicy.rank, InsurancePolicy.id).limit(len(SEQUENCES))))


def chain_position(session: Session, encounter: Encounter, payer_id: int) -> int | None:
    """Where the payer stands among the claim's payers (0 primary), None when it is none of them."""
    return next((n for n, p in enumerate(policies_in_force(session, encounter)) if p.payer_id == payer_id), None)


def next_policy(session: Session, encounter: Encounter, payer_id: int) -> InsurancePolicy | None:
    """The policy after the payer's in the chain, when the claim is at that payer's turn now
    (a late correction from the primary after the secondary was billed moves nothing again)."""
    chain = policies_in_force(session, encounter)
    here = next((n for n, p in enumerate(chain) if p.payer_id == payer_id), None)
    if here is None or here + 1 >= len(chain) or SEQUENCES[here] != encounter.claim_sequence:
        return None
    return chain[here + 1]


def payers_billed(session: Session, encounter: Encounter) -> list[int]:
    """The payers the claim has gone to so far, primary first (the current one last)."""
    chain = policies_in_force(session, encounter)
    return [p.payer_id for p in chain[:SEQUENCES.index(encounter.claim_sequence) + 1]]


def hand_to(session: Session, encounter: Encounter, policy: InsurancePolicy) -> bool:
    """Make the claim the next payer's. True when it is expected by crossover (submitted already),
    False when it is to be sent (the caller scrubs it and marks it ready)."""
    chain = [p.id for p in policies_in_force(session, encounter)]
    encounter.policy_id = policy.id
    encounter.payer_id = policy.payer_id
    encounter.claim_sequence = SEQUENCES[chain.index(policy.id)]
    encounter.claim_frequency = "1"
    encounter.replaces_claim_number = ""
    crossover = bool(session.scalar(select(Payer.crossover).where(Payer.id == policy.payer_id)))
    encounter.status = St.SUBMITTED if crossover else St.READY
    return crossover


def other_payers(session: Session, encounter: Encounter) -> tuple[OtherPayer, ...]:
    """Each earlier payer's adjudication of the claim (its latest remittance that was not a
    reversal), as the 2320/2330/2430 loops of a secondary or tertiary claim repeat it."""
    if encounter.claim_sequence == "P":
        return ()
    chain = policies_in_force(session, encounter)
    result = []
    for n, policy in enumerate(chain[:SEQUENCES.index(encounter.claim_sequence)]):
        row = session.execute(
            select(RemitClaim, Remittance.paid_on).join(Remittance, Remittance.id == RemitClaim.remittance_id)
            .where(RemitClaim.encounter_id == encounter.id, Remittance.payer_id == policy.payer_id,
                   RemitClaim.status_code != REVERSAL)
            .order_by(RemitClaim.id.desc()).limit(1)).first()
        if row is None:
            continue
        remit_claim, paid_on = row
        adjustments = session.execute(
            select(RemitAdjustment.remit_line_id, RemitAdjustment.group_code, RemitAdjustment.reason_code,
                   RemitAdjustment.amount)
            .where(RemitAdjustment.remit_claim_id == remit_claim.id).order_by(RemitAdjustment.id)).all()
        lines = tuple(
            OtherLine(line.charge_line_id, line.paid,
                      tuple((g, r, a) for line_id, g, r, a in adjustments if line_id == line.id))
            for line in session.scalars(select(RemitLine).where(
                RemitLine.remittance_id == remit_claim.remittance_id, RemitLine.encounter_id == encounter.id)
                .order_by(RemitLine.id)))
        result.append(OtherPayer(claim_policy(session, policy), SEQUENCES[n], remit_claim.paid, paid_on,
                                 tuple((g, r, a) for line_id, g, r, a in adjustments if line_id is None), lines))
    return tuple(result)
