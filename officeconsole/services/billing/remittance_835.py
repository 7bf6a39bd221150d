"""Matching an 835 to this clinic's claims: the payer by its ID or name, each claim by CLP01 (our
CLM01), each service line by REF*6R (our charge line id, echoed back) or else by its code.
What cannot be matched is listed, item by item with its reason, never guessed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from officeconsole.models import ChargeLine, Encounter, Payer
from officeconsole.models.claims import RemitSource
from officeconsole.services.billing.claim_data import claim_id_to_encounter
from officeconsole.services.billing.remit_inputs import Adjustment, ClaimPayment, LinePayment, RemitInput
from officeconsole.services.common.money import money
from officeconsole.services.formats.x12_835 import ParsedClaim, ParsedPayment


def match_payment(session: Session, payment: ParsedPayment, today: dt.date,
                  skipped: list[tuple[str, str]]) -> RemitInput | None:
    """The payment as postable claims (None: the payer is unknown); `skipped` gets every item that
    did not match, as (claim ID, why)."""
    payer = None
    if payment.payer_code:
        payer = session.scalar(select(Payer).where(func.upper(Payer.payer_code) == payment.payer_code.upper()))
    if payer is None and payment.payer_name:
        payer = session.scalar(select(Payer).where(func.upper(Payer.name) == payment.payer_name.upper()))
    if payer is None:
        return None
    data = RemitInput(payer.id, payment.trace_number, payment.paid_on or today, payment.method,
                      source=RemitSource.X835,
                      provider_adjustments=[(p.reason, p.reference, p.amount) for p in payment.provider_adjustments])
    for parsed in payment.claims:
        claim = _match_claim(session, parsed, skipped)
        if claim is not None:
            data.claims.append(claim)
    return data


def _match_claim(session: Session, parsed: ParsedClaim, skipped: list[tuple[str, str]]) -> ClaimPayment | None:
    what = f"{'reversal' if parsed.status == '22' else 'claim'} {money(parsed.paid)} (segment {parsed.segment})"
    encounter_id = claim_id_to_encounter(parsed.claim_id)
    if encounter_id is None or session.get(Encounter, encounter_id) is None:
        skipped.append((parsed.claim_id, f"{what}: no such claim here"))
        return None
    lines = {line.id: line for line in session.scalars(
        select(ChargeLine).where(ChargeLine.encounter_id == encounter_id))}
    unused = dict(lines)
    payments, problems = [], []
    for svc in parsed.lines:
        line = None
        if svc.line_ref.isdigit() and int(svc.line_ref) in unused:
            line = unused.pop(int(svc.line_ref))
        else:
            line = next((c for c in sorted(unused.values(), key=lambda c: c.line_no) if c.code == svc.code), None)
            if line is not None:
                unused.pop(line.id)
        if line is None:
            problems.append(f"service {svc.code} ({money(svc.billed)}) matches no line of the claim")
            continue
        payments.append(LinePayment(line.id, svc.paid, svc.allowed,
                                    [Adjustment(g, r, a) for g, r, a in svc.adjustments], list(svc.remarks)))
    if not parsed.lines:
        problems.append("no service lines: the payer adjudicated the claim as a whole; post it by hand")
    claim_level = sum((a for _, _, a in parsed.adjustments), Decimal("0.00"))
    lines_paid = sum((s.paid for s in parsed.lines), Decimal("0.00"))
    if parsed.lines and lines_paid - claim_level != parsed.paid:
        problems.append(f"the lines paid {money(lines_paid)}, less the claim-level adjustments {money(claim_level)}, "
                        f"is not the claim's payment {money(parsed.paid)}")
    if problems:
        skipped.extend((parsed.claim_id, f"{what}: {problem}") for problem in problems)
        return None
    return ClaimPayment(encounter_id, payments, parsed.status, parsed.payer_claim_number, parsed.paid,
                        [Adjustment(g, r, a) for g, r, a in parsed.adjustments], list(parsed.remarks))
