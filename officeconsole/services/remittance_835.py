"""Matching an 835 to this clinic's claims: the payer by its ID or name, each claim by CLP01 (our
CLM01), each service line by REF*6R (our charge line id, echoed back) or else by its code.
What cannot be matched is listed with the reason, never guessed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from officeconsole.models import ChargeLine, Encounter, Payer
from officeconsole.models.claims import RemitSource
from officeconsole.services.claim_data import claim_id_to_encounter
from officeconsole.services.money import money
from officeconsole.services.remit_inputs import Adjustment, ClaimPayment, LinePayment, RemitInput
from officeconsole.services.x12_835 import ParsedPayment


def match_payment(session: Session, payment: ParsedPayment, today: dt.date,
                  skipped: dict[str, str]) -> RemitInput | None:
    """The payment as postable claims (None: the payer is unknown); `skipped` gets what did not match."""
    payer = None
    if payment.payer_code:
        payer = session.scalar(select(Payer).where(func.upper(Payer.payer_code) == payment.payer_code.upper()))
    if payer is None and payment.payer_name:
        payer = session.scalar(select(Payer).where(func.upper(Payer.name) == payment.payer_name.upper()))
    if payer is None:
        return None
    data = RemitInput(payer.id, payment.trace_number, payment.paid_on or today, payment.method,
                      source=RemitSource.X835)
    for parsed in payment.claims:
        encounter_id = claim_id_to_encounter(parsed.claim_id)
        if parsed.status == "22":
            skipped[parsed.claim_id] = "a payer reversal: post it by hand after reading the EOB"
            continue
        if encounter_id is None or session.get(Encounter, encounter_id) is None:
            skipped[parsed.claim_id] = "no such claim here"
            continue
        lines = {line.id: line for line in session.scalars(
            select(ChargeLine).where(ChargeLine.encounter_id == encounter_id))}
        unused = dict(lines)
        payments, problem = [], ""
        for svc in parsed.lines:
            line = None
            if svc.line_ref.isdigit() and int(svc.line_ref) in unused:
                line = unused.pop(int(svc.line_ref))
            else:
                line = next((c for c in sorted(unused.values(), key=lambda c: c.line_no) if c.code == svc.code), None)
                if line is not None:
                    unused.pop(line.id)
            if line is None:
                problem = f"service {svc.code} ({money(svc.billed)}) matches no line of the claim"
                break
            payments.append(LinePayment(line.id, svc.paid, svc.allowed,
                                        [Adjustment(g, r, a) for g, r, a in svc.adjustments]))
        if not problem and parsed.adjustments:
            problem = "claim-level adjustments (" + ", ".join(f"{g}-{r} {money(a)}" for g, r, a in
                                                                parsed.adjustments) + ") need posting by hand"
        if problem or not payments:
            skipped[parsed.claim_id] = problem or "no service lines"
            continue
        data.claims.append(ClaimPayment(encounter_id, payments))
    return data
