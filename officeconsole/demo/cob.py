"""The demo's coordination of benefits: a visit billed to Medicare, then to the patient's
supplement for what Medicare left, paid to a zero balance, all through the services."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from officeconsole.demo.x835 import Clp, Svc, make_835
from officeconsole.models import (
    ArEntry,
    ChargeLine,
    Encounter,
    InsurancePolicy,
    Patient,
    Payer,
)
from officeconsole.models.billing import EncounterStatus as St
from officeconsole.models.claims import ArKind
from officeconsole.services.billing.ar_book import ArBook
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.billing.remittance import RemittanceService
from officeconsole.services.common.context import ServiceContext


def settle_one_secondary(ctx: ServiceContext, folder: Path, today: dt.date, npi: str, name: str) -> int | None:
    """Send one secondary claim (Medicare's first, when there is one) and post the supplement's 835
    for it: the visit ends at zero with nothing ever billed to the patient. Its id, or None."""
    primary = (select(ArEntry.encounter_id, ArEntry.payer_id).where(ArEntry.kind == ArKind.CHARGE)
               .distinct().subquery())  # each claim's primary payer: the one its charges were posted to
    with ctx.db.read() as session:
        rows = session.execute(
            select(Encounter.id, Payer.filing_code).join(primary, primary.c.encounter_id == Encounter.id)
            .join(Payer, Payer.id == primary.c.payer_id)
            .where(Encounter.status == St.READY, Encounter.claim_sequence == "S").order_by(Encounter.id)).all()
    if not rows:
        return None
    chosen = next((e for e, filing in rows if filing == "MB"), rows[0][0])
    with ctx.db.write() as session:  # only this claim goes in the file; the others stay ready for the biller
        others = session.scalars(select(Encounter).where(Encounter.status == St.READY, Encounter.id != chosen)).all()
        for encounter in others:
            encounter.status = St.NEEDS_CODING
        held = [e.id for e in others]
    try:
        ClaimService(ctx).export_837(folder)
    finally:
        with ctx.db.write() as session:
            for encounter in session.scalars(select(Encounter).where(Encounter.id.in_(held))):
                encounter.status = St.READY
    with ctx.db.read() as session:
        encounter = session.get(Encounter, chosen)
        payer_name, payer_code = session.execute(
            select(Payer.name, Payer.payer_code).join(InsurancePolicy, InsurancePolicy.payer_id == Payer.id)
            .where(InsurancePolicy.id == encounter.policy_id)).one()
        last, first = session.execute(select(Patient.last_name, Patient.first_name)
                                      .where(Patient.id == encounter.patient_id)).one()
        member = session.scalar(select(InsurancePolicy.member_id).where(InsurancePolicy.id == encounter.policy_id))
        book = ArBook(ctx, session)
        services = []
        for line in session.scalars(select(ChargeLine).where(ChargeLine.encounter_id == chosen)
                                    .order_by(ChargeLine.line_no)):
            billed = line.fee * line.units
            owed = book.line_insurer_balance(line.id)
            adjustments = [("OA", "23", billed - owed)] if billed != owed else []
            services.append(Svc(line.code, billed, owed, line.units, str(line.id), (), adjustments))
    text = make_835([Clp(f"OC{chosen}", "2", services, patient=(last.upper(), first.upper()),
                         member_id=member)],
                    trace=f"{payer_code}{today:%m%d}S1", payer=(payer_name.upper(), payer_code),
                    paid_on=today - dt.timedelta(days=1), control=990, payee=(name.upper(), npi))
    RemittanceService(ctx).post_835(text)
    return chosen

