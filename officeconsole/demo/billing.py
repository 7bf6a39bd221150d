"""The demo clinic's billing: coded visits and claims in every state of the queue.

Visits older than three weeks are history: coded, paid and adjusted, inserted in bulk with
balanced A/R entries. The last three weeks go through the real services, so what a biller
sees was made the way they would make it: claims still to code (today's and this week's),
ready ones (a batch to export), a submitted batch with its 999 and 277CA posted, an 835 from
each payer posted (paid, partly paid, denied), a couple rejected by the 277CA, a denial written
off and one billed to the patient.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from officeconsole.db.bulk import insert_rows, next_id, sync_sequences
from officeconsole.demo.cob import settle_one_secondary
from officeconsole.demo.cycle import CLEARINGHOUSE_ID, CLEARINGHOUSE_NAME, acknowledge_batch
from officeconsole.demo.x835 import Clp, Svc, make_835
from officeconsole.models import (
    Appointment,
    AppointmentType,
    ArEntry,
    ChargeLine,
    ClinicSettings,
    Encounter,
    EncounterDiagnosis,
    FeeScheduleItem,
    InsurancePolicy,
    LedgerEntry,
    Patient,
    Payer,
)
from officeconsole.models.billing import EncounterStatus as St
from officeconsole.models.enums import AppointmentStatus as S
from officeconsole.services.billing.ar_book import ArBook, rebuild_patient_balances
from officeconsole.services.billing.billing_identity import BillingIdentityService, Identities
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.billing.receivables import ReceivablesService
from officeconsole.services.billing.remittance import RemittanceService
from officeconsole.services.billing.scrubber import age_on, preventive_code
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key

HISTORY_DAYS = 21  # older visits are inserted as settled history
SUBMITTED_DAYS = 8  # visits 8-21 days old have been billed
READY_DAYS = 4  # visits 4-7 days old are coded and ready; the last three days still need coding
SEEN = (S.ARRIVED.value, S.ROOMED.value, S.WITH_PROVIDER.value, S.CHECKED_OUT.value)
VISIT_CODES = {
    "Follow-up": ["99213", "99213", "99214"], "Sick visit": ["99212", "99213"], "Annual physical": ["99396", "99395"],
    "New patient": ["99203", "99202"], "Well child": ["99395"], "Procedure": ["99213"],
}
DIAGNOSES = {
    "Follow-up": ["I10", "E11.9", "E78.5", "J45.909", "F41.1", "K21.9", "M54.50"],
    "Sick visit": ["J06.9", "J02.9", "N39.0", "R51.9", "H66.90", "J20.9"],
    "Annual physical": ["Z00.00", "Z00.01"], "New patient": ["R53.83", "I10", "E66.9"],
    "Well child": ["Z00.129"], "Procedure": ["L72.0", "L82.1"],
}
# Preventive visits: the code follows the patient's age (99391-99397), and an exam is either
# without (Z00.00, Z00.129 for a child) or with abnormal findings (Z00.01, Z00.121), never both.
PREVENTIVE = ("Annual physical", "Well child")
DENIALS = (("CO", "50"), ("CO", "97"), ("CO", "197"), ("CO", "29"))


def build_billing(manager: ServiceContext, ctx: ServiceContext, rng: random.Random,
                  claims_dir: Path | None = None, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Code every past visit and move recent claims through the queue, `ctx` acting as the biller;
    the files sent and received are kept in `claims_dir` (a new temporary folder when None).
    `progress` is told each step as it starts."""
    step = progress or (lambda _name: None)
    today = ctx.today()
    with ctx.db.read() as session:
        clinic = session.get(ClinicSettings, 1)
        npi, name = clinic.npi, clinic.name
    BillingIdentityService(manager).set_identities(Identities(npi, "37-1234567", "62704-1234", CLEARINGHOUSE_ID,
                                                          CLEARINGHOUSE_NAME))
    step("coding the past visits")
    counts = _code_visits(ctx, rng, today)
    claims = ClaimService(ctx)
    # Every clean claim up to four days ago is ready (uninsured or incomplete ones stay in "needs
    # coding" with their problems listed); last week's are held back from the export below.
    step("checking claims")
    claims.mark_all_ready(through=today - dt.timedelta(days=READY_DAYS))
    folder = claims_dir or Path(tempfile.mkdtemp(prefix="officeconsole-demo-claims-"))
    with ctx.db.write() as session:  # hold this week's ready claims back from the export
        held = session.scalars(select(Encounter).where(
            Encounter.status == St.READY,
            Encounter.date_of_service > today - dt.timedelta(days=SUBMITTED_DAYS))).all()
        for encounter in held:
            encounter.status = St.NEEDS_CODING
        held_ids = [e.id for e in held]
    with ctx.db.read() as session:  # a window shorter than SUBMITTED_DAYS has nothing to send yet
        sendable = session.scalar(select(func.count()).select_from(Encounter).where(Encounter.status == St.READY))
    step("sending claims (837P)")
    batch = claims.export_837(folder) if sendable else None
    counts["exported"] = batch.claims if batch is not None else 0
    with ctx.db.write() as session:
        for encounter in session.scalars(select(Encounter).where(Encounter.id.in_(held_ids))):
            encounter.status = St.READY
    step("posting the payers' remittances (835)")
    _remittances(ctx, rng, today, npi, name)
    # Coinsurance a secondary policy covers went to it, not the patient: one such claim is sent and paid.
    counts["secondary_settled"] = int(settle_one_secondary(ctx, folder, today, npi, name) is not None)
    if batch is not None and batch.claims:  # the clearinghouse's 999 and the 277CA for the claims still waiting
        counts.update(acknowledge_batch(ctx, folder, batch.control_number,
                                        [e for e, _ in _by_state(ctx, St.SUBMITTED)]))
    _moves(ctx, rng, today)
    return counts


def _code_visits(ctx: ServiceContext, rng: random.Random, today: dt.date) -> dict[str, int]:
    now = ctx.now()
    with ctx.db.write() as session:
        fees = dict(session.execute(select(FeeScheduleItem.code, FeeScheduleItem.fee)).all())
        types = dict(session.execute(select(AppointmentType.id, AppointmentType.name)).all())
        policies = defaultdict(list)
        for p in session.scalars(select(InsurancePolicy).order_by(InsurancePolicy.rank)):
            policies[p.patient_id].append(p)
        visits = session.execute(select(Appointment.id, Appointment.patient_id, Appointment.provider_id,
                                        Appointment.type_id, Appointment.start_at, Patient.dob)
                                 .join(Patient, Patient.id == Appointment.patient_id)
                                 .where(Appointment.status.in_(SEEN)).order_by(Appointment.start_at)).all()
        history = _History(ctx, session, now)
        encounters, diagnoses, lines = [], [], []
        encounter_id, line_id = next_id(session, Encounter), next_id(session, ChargeLine)
        for visit_id, patient_id, provider_id, type_id, start, dob in visits:
            day = start.astimezone(ctx.timezone).date()
            kind = types.get(type_id, "Follow-up")
            policy = next((p for p in policies[patient_id] if p.effective_from <= day
                           and (p.effective_to is None or p.effective_to >= day)), None)
            codes = sorted(set(rng.sample(DIAGNOSES[kind], k=min(len(DIAGNOSES[kind]), rng.randint(1, 2)))))
            age = age_on(dob, day)
            if kind in PREVENTIVE:  # one exam code, for the patient's age
                abnormal = codes[-1] == "Z00.01"
                codes = [("Z00.01" if abnormal else "Z00.00") if age >= 18 else ("Z00.121" if abnormal else "Z00.129")]
            settled = day < today - dt.timedelta(days=HISTORY_DAYS)
            encounter = {"id": encounter_id, "appointment_id": visit_id, "patient_id": patient_id,
                         "provider_id": provider_id, "date_of_service": day, "place_of_service": "11",
                         "status": St.NEEDS_CODING, "policy_id": policy.id if policy else None,
                         "payer_id": policy.payer_id if policy else None, "note": "",
                         "created_at": now, "updated_at": now, "version": 1}
            encounters.append(encounter)
            diagnoses += [{"encounter_id": encounter_id, "position": n, "code": c} for n, c in enumerate(codes, 1)]
            if day < today:  # today's visits are still with the provider: not coded yet
                visit_lines = [rng.choice(VISIT_CODES[kind])] + (["36415"] if rng.random() < 0.2 else [])
                if kind in PREVENTIVE:
                    visit_lines[0] = preventive_code(age, established=True)
                owed = Decimal(0)
                for n, code in enumerate(visit_lines, start=1):
                    lines.append({"id": line_id, "encounter_id": encounter_id, "line_no": n, "code": code,
                                  "modifiers": "", "units": 1, "fee": fees[code], "diagnosis_pointers": "1"})
                    if settled:
                        owed += history.settle(encounter, line_id, policy, fees[code], rng)
                    line_id += 1
                if settled:
                    encounter["status"] = St.PAID if owed > 0 and policy is not None else St.CLOSED
                elif policy is not None and policy.copay and rng.random() < 0.85:
                    history.copay(encounter, policy.copay, start, rng)  # taken at check-in
            encounter_id += 1
        insert_rows(session, Encounter, encounters)
        insert_rows(session, EncounterDiagnosis, diagnoses)
        insert_rows(session, ChargeLine, lines)
        insert_rows(session, ArEntry, history.entries)
        insert_rows(session, LedgerEntry, history.payments)
        sync_sequences(session, (Encounter, ChargeLine, ArEntry, LedgerEntry))
        rebuild_patient_balances(session)
    return {"encounters": len(encounters), "charge_lines": len(lines)}


class _History:
    """Settled lines from before the demo's last three weeks, with entries that balance."""

    def __init__(self, ctx: ServiceContext, session, now: dt.datetime) -> None:
        self.ctx = ctx
        self.now = now
        self.user_id = ctx.actor_or_fail().user_id
        self.ar_id = next_id(session, ArEntry)
        self.ledger_id = next_id(session, LedgerEntry)
        self.entries: list[dict] = []
        self.payments: list[dict] = []

    def settle(self, encounter: dict, line_id: int, policy, fee: Decimal, rng: random.Random) -> Decimal:
        """Charge, pay and adjust one line; returns what the patient still owes on it."""
        if policy is None:  # self-pay: charged to the patient
            self._add(encounter, line_id, "patient", "charge", fee, "self", memo="Self-pay")
            return self._desk(encounter, line_id, fee, rng)
        payer = policy.payer_id
        allowed = (fee * Decimal(rng.choice(("0.6", "0.7", "0.8")))).quantize(Decimal("0.01"))
        share = min(allowed, policy.copay if policy.copay else (allowed * Decimal("0.2")).quantize(Decimal("0.01")))
        reason = "3" if policy.copay else "2"
        self._add(encounter, line_id, "insurer", "charge", fee, "charge", payer_id=payer)
        self._add(encounter, line_id, "insurer", "payment", -(allowed - share), "paid", payer_id=payer,
                  memo="Insurer payment (history)")
        self._add(encounter, line_id, "insurer", "adjustment", -(fee - allowed), "co45", "CO", "45", payer,
                  "CO-45 Charge above the fee schedule")
        self._add(encounter, line_id, "insurer", "transfer", -share, "pr-out", "PR", reason, payer, "Patient share")
        self._add(encounter, line_id, "patient", "transfer", share, "pr-in", "PR", reason, memo="Patient share")
        return self._desk(encounter, line_id, share, rng)

    def _desk(self, encounter: dict, line_id: int, due: Decimal, rng: random.Random) -> Decimal:
        if due <= 0 or rng.random() > 0.75:
            return due
        day_end = dt.datetime.combine(encounter["date_of_service"], dt.time(17), self.ctx.timezone)
        self.payments.append({
            "id": self.ledger_id, "patient_id": encounter["patient_id"], "appointment_id": encounter["appointment_id"],
            "kind": "payment", "amount": -due, "method": rng.choice(("card", "cash")), "reference": "",
            "receipt_number": f"H{self.ledger_id:07d}", "memo": "Copay / patient share", "posted_by_id": self.user_id,
            "posted_at": day_end.astimezone(dt.UTC), "voids_id": None, "reason": "",
            "request_key": f"demo-history:{line_id}"})
        self.ledger_id += 1
        return Decimal(0)

    def copay(self, encounter: dict, amount: Decimal, start: dt.datetime, rng: random.Random) -> None:
        """A copay collected at check-in for a recent visit (what the day sheets of the last
        three weeks reconcile)."""
        self.payments.append({
            "id": self.ledger_id, "patient_id": encounter["patient_id"], "appointment_id": encounter["appointment_id"],
            "kind": "payment", "amount": -amount, "method": rng.choices(("card", "cash", "check"), (6, 3, 1))[0],
            "reference": "", "receipt_number": f"H{self.ledger_id:07d}", "memo": "Copay",
            "posted_by_id": self.user_id, "posted_at": start - dt.timedelta(minutes=rng.randint(2, 10)),
            "voids_id": None, "reason": "", "request_key": f"demo-copay:{encounter['id']}"})
        self.ledger_id += 1

    def _when(self, encounter: dict, kind: str) -> dt.datetime:
        """Charged the evening of the visit; paid and adjusted two weeks later (never after now)."""
        evening = dt.datetime.combine(encounter["date_of_service"], dt.time(18), self.ctx.timezone)
        return min(self.now, (evening + dt.timedelta(days=0 if kind == "charge" else 14)).astimezone(dt.UTC))

    def _add(self, encounter: dict, line_id: int, account: str, kind: str, amount: Decimal, key: str, group: str = "",
             reason: str = "", payer_id: int | None = None, memo: str = "") -> None:
        if not amount:
            return
        self.entries.append({
            "id": self.ar_id, "encounter_id": encounter["id"], "charge_line_id": line_id,
            "patient_id": encounter["patient_id"], "payer_id": payer_id, "account": account, "kind": kind,
            "amount": amount, "group_code": group, "reason_code": reason, "service_date": encounter["date_of_service"],
            "remittance_id": None, "memo": memo, "posted_at": self._when(encounter, kind), "posted_by_id": self.user_id,
            "request_key": f"demo:{line_id}:{key}"})
        self.ar_id += 1


def _remittances(ctx: ServiceContext, rng: random.Random, today: dt.date, npi: str, name: str) -> None:
    """An 835 from each payer for the submitted claims older than 12 days, posted by the real service."""
    with ctx.db.read() as session:
        rows = session.execute(
            select(Encounter.id, Encounter.patient_id, Payer.name, Payer.payer_code, InsurancePolicy.copay,
                   ChargeLine.id, ChargeLine.code, ChargeLine.fee, ChargeLine.units)
            .join(InsurancePolicy, InsurancePolicy.id == Encounter.policy_id)
            .join(Payer, Payer.id == InsurancePolicy.payer_id)
            .join(ChargeLine, ChargeLine.encounter_id == Encounter.id)
            .where(Encounter.status == St.SUBMITTED, Encounter.date_of_service <= today - dt.timedelta(days=12))
            .order_by(Payer.name, Encounter.id, ChargeLine.line_no)).all()
    by_payer: dict[tuple[str, str], dict[int, list]] = defaultdict(lambda: defaultdict(list))
    copays = {}
    for e_id, _patient, payer, code, copay, line_id, proc, fee, units in rows:
        by_payer[(payer, code)][e_id].append((line_id, proc, fee * units))
        copays[e_id] = copay
    remits = RemittanceService(ctx)
    for n, ((payer, code), claims) in enumerate(sorted(by_payer.items())):
        parsed = []
        for e_id, lines in claims.items():
            roll = rng.random()
            services = []
            for i, (line_id, proc, billed) in enumerate(lines):
                if roll < 0.12 or (roll < 0.2 and i > 0):  # denied outright, or its second line denied
                    group, reason = rng.choice(DENIALS)
                    services.append(Svc(proc, billed, Decimal(0), 1, str(line_id), (), [(group, reason, billed)]))
                    continue
                allowed = (billed * Decimal(rng.choice(("0.6", "0.7", "0.8")))).quantize(Decimal("0.01"))
                share = min(allowed, copays[e_id] or (allowed * Decimal("0.2")).quantize(Decimal("0.01"))) \
                    if i == 0 else Decimal(0)
                adjustments = [("CO", "45", billed - allowed)] + ([("PR", "3" if copays[e_id] else "2", share)]
                                                                   if share else [])
                services.append(Svc(proc, billed, allowed - share, 1, str(line_id), (), adjustments))
            status = "4" if all(s.paid == 0 for s in services) else "1"
            parsed.append(Clp(f"OC{e_id}", status, services))
        text = make_835(parsed, trace=f"{code}{today:%m%d}{n:02d}", payer=(payer.upper(), code),
                        paid_on=today - dt.timedelta(days=2), control=900 + n, payee=(name.upper(), npi))
        remits.post_835(text)


def _moves(ctx: ServiceContext, rng: random.Random, today: dt.date) -> None:
    """What a biller did this week: a write-off, a bill to the patient, self-pay bills, payments."""
    claims, ar = ClaimService(ctx), ReceivablesService(ctx)
    denied = _by_state(ctx, St.DENIED)
    for n, (encounter_id, _version) in enumerate(denied[:2]):
        try:
            if n == 0:
                ar.write_off(encounter_id, "29", "Past the filing limit: no appeal", new_request_key())
            else:
                ar.bill_patient(encounter_id, new_request_key())
        except ValidationError:
            pass
    with ctx.db.read() as session:  # last week's uninsured visits: most billed to the patient already
        self_pay = session.execute(select(Encounter.id, Encounter.version).where(
            Encounter.status == St.NEEDS_CODING, Encounter.policy_id.is_(None),
            Encounter.date_of_service <= today - dt.timedelta(days=READY_DAYS))).all()
    for encounter_id, version in self_pay[:20]:
        claims.bill_self_pay(encounter_id, version)
    ledger = LedgerService(ctx)
    with ctx.db.read() as session:
        owing = session.execute(select(Encounter.patient_id, Encounter.appointment_id).where(
            Encounter.status == St.PAID).limit(6)).all()
    for patient_id, appointment_id in owing[::2]:  # a few patients paid their share at the desk
        with ctx.db.read() as session:
            encounter = session.scalar(select(Encounter).where(Encounter.appointment_id == appointment_id))
            due = ArBook(ctx, session).balance(encounter).patient
        if due > 0:
            ledger.post_payment(PaymentInput(patient_id, due, "card", memo="Statement payment",
                                             appointment_id=appointment_id, request_key=new_request_key()))


def _by_state(ctx: ServiceContext, state: str) -> list[tuple[int, int]]:
    with ctx.db.read() as session:
        return session.execute(select(Encounter.id, Encounter.version).where(Encounter.status == state)
                               .order_by(Encounter.id)).all()
