"""The rest of the demo clinic's claim cycle, each step through the services with the file the other
side would send back: the clearinghouse's 999 accepting the week's batch and its 277CA answering
the claims still waiting (two rejected, left in the billing queue with their reasons for the biller
to fix, every other one accepted, the rest not answered yet); a 270 asking about today's booked
patients, answered by a 271 from each payer (one policy come back inactive, a patient still to
arrive); and patients who paid a statement twice given their credit back: one refund asked for
at the desk and approved by the manager, a second waiting for the manager's approval.

No draw here touches the demo's shared random stream, so the rota and stock built after it are the
same as before these examples were added.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from officeconsole.demo.acks import ClaimAnswerSpec, make_277ca, make_999
from officeconsole.demo.eligibility import MemberAnswerSpec, make_271
from officeconsole.models import (
    Appointment,
    ChargeLine,
    ClinicSettings,
    Encounter,
    InsurancePolicy,
    Patient,
    PatientBalance,
    Payer,
)
from officeconsole.models.enums import AppointmentStatus
from officeconsole.services.billing.acknowledgements import AcknowledgementService, sender_id
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.formats.x12_270 import policy_of_trace
from officeconsole.services.formats.x12_837 import x12_text
from officeconsole.services.frontdesk.eligibility import EligibilityService
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput
from officeconsole.services.frontdesk.refunds import RefundInput, RefundService
from officeconsole.services.scheduling.schedule import day_bounds

CLEARINGHOUSE_ID = "PRAIRIECLR"
CLEARINGHOUSE_NAME = "Prairie Claims Clearinghouse (demo)"
# The 277CA's rejections: category, status, entity, the payer's words.
REJECTIONS = (("A7", "164", "IL", "SUBSCRIBER ID NOT FOUND: CHECK THE MEMBER ID ON THE CARD"),
              ("A7", "562", "82", "RENDERING PROVIDER NPI NOT ENROLLED WITH THIS PAYER"))
# What a 271 says of a plan of each kind: name, and the deductibles a plan of it may have.
PLAN_KINDS = {"MB": ("MEDICARE PART B", (Decimal("257.00"),)), "MC": ("MEDICAID", ()),
              "CI": ("GROUP HEALTH PLAN", (Decimal("500.00"), Decimal("1000.00"), Decimal("1500.00"),
                                           Decimal("2500.00")))}
SUPPLEMENT = ("MEDICARE SUPPLEMENT PLAN G", ())


def _local(ctx: ServiceContext) -> dt.datetime:
    return ctx.now().astimezone(ctx.timezone).replace(tzinfo=None)


def _clinic(ctx: ServiceContext) -> tuple[str, str, str]:
    """The clinic's name and NPI as the other side writes them, and our submitter ID."""
    with ctx.db.read() as session:
        clinic = session.get(ClinicSettings, 1)
        return x12_text(clinic.name, 60), clinic.npi, sender_id(session)


# ----- 999 and 277CA ---------------------------------------------------------------------

def acknowledge_batch(ctx: ServiceContext, folder: Path, batch_control: int, waiting: list[int]) -> dict[str, int]:
    """Post the 999 accepting batch `batch_control`, then a 277CA for the claims `waiting` (still
    submitted, oldest first): the first ones rejected (REJECTIONS), every second one after them
    accepted with the payer's claim number, the others not answered yet. Returns the counts."""
    name, npi, ours = _clinic(ctx)
    now = _local(ctx)
    acks = AcknowledgementService(ctx)
    out = folder / "acknowledgements"
    out.mkdir(parents=True, exist_ok=True)
    first = out / f"999-{batch_control:09d}.x12"
    first.write_text(make_999(batch_control, control=700 + batch_control, receiver=ours, sender=CLEARINGHOUSE_ID,
                              when=now))
    acks.post_file(first)
    answered = {encounter_id: n for n, encounter_id in enumerate(waiting) if n < len(REJECTIONS) or n % 2}
    if not answered:
        return {"acknowledgements": 1, "claims_rejected_277ca": 0, "claims_accepted_277ca": 0}
    with ctx.db.read() as session:
        rows = session.execute(
            select(Encounter.id, Encounter.date_of_service, Patient.last_name, Patient.first_name,
                   InsurancePolicy.member_id)
            .join(Patient, Patient.id == Encounter.patient_id)
            .join(InsurancePolicy, InsurancePolicy.id == Encounter.policy_id)
            .where(Encounter.id.in_(answered)).order_by(Encounter.id)).all()
        totals: dict[int, Decimal] = {}
        for encounter_id, amount in session.execute(
                select(ChargeLine.encounter_id, ChargeLine.fee * ChargeLine.units)
                .where(ChargeLine.encounter_id.in_(answered))):
            totals[encounter_id] = totals.get(encounter_id, Decimal(0)) + Decimal(amount)
    specs = []
    for encounter_id, day, last, first_name, member in rows:
        n = answered[encounter_id]
        person = (x12_text(last, 60), x12_text(first_name, 35))
        if n < len(REJECTIONS):
            category, status, entity, text = REJECTIONS[n]
            specs.append(ClaimAnswerSpec(f"OC{encounter_id}", totals[encounter_id], category, status, entity, text,
                                         person, member, service_date=day))
        else:
            specs.append(ClaimAnswerSpec(f"OC{encounter_id}", totals[encounter_id], "A2", "20", "", "", person,
                                         member, payer_claim_number=f"26{day:%j}{encounter_id:06d}",
                                         service_date=day))
    second = out / f"277CA-{batch_control:09d}.x12"
    second.write_text(make_277ca(specs, control=800 + batch_control, receiver=ours, sender=CLEARINGHOUSE_ID,
                                 payer=(x12_text(CLEARINGHOUSE_NAME, 60), CLEARINGHOUSE_ID),
                                 when=now + dt.timedelta(minutes=5), provider=(name, npi)))
    result = acks.post_file(second)
    return {"acknowledgements": 2, "claims_rejected_277ca": result.count("rejected"),
            "claims_accepted_277ca": result.count("accepted")}


# ----- 270 and 271 -----------------------------------------------------------------------

@dataclass
class _Asked:
    payer: tuple[str, str]  # NM1*PR: name, payer ID
    trace: str = ""
    member_id: str = ""
    name: tuple[str, str] = ("", "")


def _asked(text: str) -> list[_Asked]:
    """Each inquiry in our 270: its payer, our trace, the member ID and name asked about."""
    found: list[_Asked] = []
    payer = ("", "")
    current: _Asked | None = None
    for segment in text.replace("\n", "").split("~"):
        e = segment.split("*")
        if e[0] == "NM1" and e[1] == "PR":
            payer = (e[3], e[9])
        elif e[0] == "HL" and e[3] == "22":
            current = _Asked(payer)
            found.append(current)
        elif e[0] == "HL" and e[3] != "23":  # a dependent's level still belongs to its subscriber's inquiry
            current = None
        elif current is not None and e[0] == "TRN":
            current.trace = e[2]
        elif current is not None and e[0] == "NM1" and e[1] == "IL":
            current.member_id, current.name = e[9], (e[3], e[4])
    return [a for a in found if a.trace]


def check_eligibility(ctx: ServiceContext, folder: Path) -> dict[str, int]:
    """Ask about today's booked patients (one 270) and post each payer's 271: every policy active
    with its copay and deductible, except one patient's plan, ended last month, still to arrive."""
    today = ctx.today()
    service = EligibilityService(ctx)
    inquiry = service.write_270(today, folder / "eligibility")
    if inquiry.path is None:
        return {"eligibility_answers": 0, "eligibility_inactive": 0}
    asked = _asked(inquiry.path.read_text())
    rng = random.Random(inquiry.control_number)  # its own stream: the demo's shared one is left as it was
    start, end = day_bounds(today, ctx)
    with ctx.db.read() as session:
        policies = {p.id: p for p in session.execute(
            select(InsurancePolicy.id, InsurancePolicy.patient_id, InsurancePolicy.payer_id, InsurancePolicy.rank,
                   InsurancePolicy.copay, InsurancePolicy.effective_from)
            .where(InsurancePolicy.id.in_([policy_of_trace(a.trace) for a in asked])))}
        filing = dict(session.execute(select(Payer.id, Payer.filing_code)).all())
        later = list(session.scalars(select(Appointment.patient_id).where(
            Appointment.start_at >= max(start, ctx.now()), Appointment.start_at < end,
            Appointment.status == AppointmentStatus.SCHEDULED).order_by(Appointment.start_at, Appointment.id)))
    inactive = _lapsed(asked, policies, filing, later)
    name, npi, ours = _clinic(ctx)
    now = _local(ctx)
    year = (dt.date(today.year, 1, 1), dt.date(today.year, 12, 31))
    by_payer: dict[tuple[str, str], list[MemberAnswerSpec]] = {}
    for a in asked:
        policy = policies[policy_of_trace(a.trace) or 0]
        primary_filing = filing.get(policy.payer_id, "CI")
        plan_name, deductibles = PLAN_KINDS.get(primary_filing, PLAN_KINDS["CI"])
        if policy.rank > 1 and any(p.patient_id == policy.patient_id and p.rank == 1 and filing.get(p.payer_id) == "MB"
                                   for p in policies.values()):
            plan_name, deductibles = SUPPLEMENT
        deductible = rng.choice(deductibles) if deductibles else None
        remaining = (deductible * Decimal(rng.choice((0, 0, 25, 50, 100))) / 100).quantize(Decimal("0.01")) \
            if deductible is not None else None
        begin = max(policy.effective_from, year[0])
        if a is inactive:
            ended = today - dt.timedelta(days=today.day)  # the last day of last month
            spec = MemberAnswerSpec(a.member_id, a.trace, a.name, active=False,
                                    plan=(policy.effective_from if policy.effective_from <= ended else None, ended),
                                    copay=None, deductible=None, remaining=None, plan_name=plan_name)
        else:
            spec = MemberAnswerSpec(a.member_id, a.trace, a.name, plan=(begin, year[1]), copay=policy.copay,
                                    deductible=deductible, remaining=remaining, plan_name=plan_name)
        by_payer.setdefault(a.payer, []).append(spec)
    out = folder / "eligibility"
    posted = 0
    for n, (payer, members) in enumerate(sorted(by_payer.items())):
        control = (inquiry.control_number or 0) * 100 + n + 1
        path = out / f"271-{control:09d}-{today:%Y%m%d}.x12"
        path.write_text(make_271(members, control=control, receiver=ours, sender=CLEARINGHOUSE_ID, payer=payer,
                                 asked_on=today, when=now, provider=(name, npi)))
        posted += len(service.post_271(path).lines)
    return {"eligibility_answers": posted, "eligibility_inactive": int(inactive is not None)}


def _lapsed(asked: list[_Asked], policies: dict, filing: dict[int, str], later: list[int]) -> _Asked | None:
    """The inquiry whose answer says inactive: the employer plan of the first patient still to
    arrive today who has one (they changed jobs); else of anyone asked about."""
    def plan_of(patient_id: int) -> _Asked | None:
        return next((a for a in asked if (p := policies.get(policy_of_trace(a.trace) or 0)) is not None
                     and p.patient_id == patient_id and p.rank == 1 and filing.get(p.payer_id) == "CI"), None)
    for patient_id in later:
        if (found := plan_of(patient_id)) is not None:
            return found
    return asked[0] if asked else None


# ----- refunds ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _PaidTwice:
    second: tuple[str, str]  # how the same statement was paid the second time: method, reference
    refund: tuple[str, str]  # how the credit goes back: method, reference
    reason: str
    approved: bool  # by the manager (posted); else waiting for the manager


STATEMENT = (Decimal("10.00"), Decimal("400.00"))  # what the patients who paid twice owed
PAID_TWICE = (
    _PaidTwice(("check", "1187"), ("check", "4021"),
               "Statement paid twice: by card at the desk and by a mailed check", True),
    _PaidTwice(("card", "4417"), ("card", "4417"), "Card charged twice for the same statement", False),
)


def refund_credits(desk: ServiceContext, manager: ServiceContext) -> dict[str, int]:
    """Patients who paid their statement twice, each then holding a credit: the first patient's
    refunded by check, asked for at the desk and approved (posted) by the manager; the second's
    asked for and waiting for the manager. The first patients (by number) who owe a statement's
    worth (STATEMENT) are the ones."""
    with desk.db.read() as session:
        owing = session.execute(select(PatientBalance.patient_id, PatientBalance.balance)
                                .where(PatientBalance.balance.between(STATEMENT[0], STATEMENT[1]))
                                .order_by(PatientBalance.patient_id).limit(4 * len(PAID_TWICE))).all()
    ledger, refunds = LedgerService(desk), RefundService(desk)
    counts = {"refunds_posted": 0, "refunds_waiting": 0}
    examples = iter(PAID_TWICE)
    example = next(examples, None)
    for patient_id, owed in owing:
        if example is None:
            break
        for n, (method, reference) in enumerate((("card", ""), example.second)):
            ledger.post_payment(PaymentInput(patient_id, owed, method, reference, "Statement payment",
                                             request_key=f"demo-paid-twice:{patient_id}:{n}"))
        available = refunds.refundable(patient_id).patient_available
        if available <= 0:  # the payment went to copays held for visits not billed yet: no credit to give
            continue
        method, reference = example.refund
        asked = refunds.request(RefundInput(patient_id, min(owed, available), method, example.reason,
                                            f"demo-refund:{patient_id}", reference))
        if example.approved:
            RefundService(manager).approve(asked.id, asked.version)
        counts["refunds_posted" if example.approved else "refunds_waiting"] += 1
        example = next(examples, None)
    return counts
