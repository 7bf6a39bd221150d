"""The demo clinic: staff who can log in, providers, payers, appointment types, patients, a schedule.

Accounts and payers go through the services (so they are hashed, validated and audited like
real ones); the bulk of patients, policies and appointments is inserted through Core.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update

from officeconsole.db.bulk import chunks, insert_rows, next_id, slot_rows, sync_sequences
from officeconsole.demo.inventory import build_inventory
from officeconsole.demo.roster import build_roster
from officeconsole.demo.billing import build_billing
from officeconsole.demo.appointments import ProviderPlan, SchedulePlan, TypePlan, schedule
from officeconsole.demo.flow import visit_flow
from officeconsole.demo.people import FIRST_MRN, PayerPlan, PeopleGenerator
from officeconsole.models import (
    Appointment,
    AppointmentEvent,
    AppointmentType,
    BookedSlot,
    ClinicSettings,
    Counter,
    InsurancePolicy,
    Patient,
    Provider,
    Room,
)
from officeconsole.models.enums import Role
from officeconsole.services import audit, auth
from officeconsole.services.auth import SetupInput, UserService
from officeconsole.services.context import Actor, ServiceContext
from officeconsole.services.errors import SetupError
from officeconsole.services.fees import FeeService
from officeconsole.services.hours import HoursService
from officeconsole.services.identifiers import npi_with_check_digit
from officeconsole.services.insurance import InsuranceService
from officeconsole.services.waitlist import WaitlistInput, WaitlistService

DEMO_PASSWORD = "demo-office"
CLINIC_NAME = "Prairie View Family Medicine (demo)"
TIMEZONE = "America/Chicago"

MANAGER = ("manager", "Morgan Reyes")
STAFF = (
    ("desk", Role.FRONT_DESK, "Dana Whitfield"),
    ("desk2", Role.FRONT_DESK, "Sam Okafor"),
    ("billing", Role.BILLING, "Bailey Kowalski"),
)
# username, name, credentials, specialty, visit minutes, colour, weekdays worked
PROVIDERS = (
    ("drpatel", "Priya Patel", "MD", "Family medicine", 20, "steelblue", (0, 1, 2, 3, 4)),
    ("drnguyen", "Thomas Nguyen", "DO", "Internal medicine", 20, "seagreen", (0, 1, 2, 3)),
    ("drbrooks", "Hannah Brooks", "MD", "Pediatrics", 15, "darkorange", (0, 1, 3, 4)),
    ("npgarcia", "Luis Garcia", "FNP-C", "Family nurse practitioner", 20, "mediumpurple", (1, 2, 3, 4)),
)
# name, electronic payer ID, kind, member ID prefix, copays on the primary policy
PAYERS = (
    ("Medicare Part B (demo)", "MCRDEMO", "medicare", "1EG4", ()),
    ("Illinois Medicaid (demo)", "ILMDEMO", "medicaid", "IL", (0,)),
    ("Blue Prairie PPO (demo)", "BPPPO", "commercial", "XOF", (20, 25, 30, 40)),
    ("Lakeshore Health HMO (demo)", "LKHMO", "commercial", "LKH", (10, 15, 20)),
    ("Summit Mutual Insurance (demo)", "SMMUT", "commercial", "SUM", (25, 35, 50)),
    ("Heartland Employers Plan (demo)", "HEPLN", "commercial", "HEP", (15, 25)),
    ("Evergreen Medigap (demo)", "EVMGP", "supplement", "EVG", ()),
    ("Prairie Senior Supplement (demo)", "PSSUP", "supplement", "PSS", ()),
)
# name, minutes, colour, new-patient flag, how often it is booked
FILING = {"medicare": "MB", "medicaid": "MC", "commercial": "CI", "supplement": "CI"}  # SBR09 by plan kind
APPOINTMENT_TYPES = (
    ("Follow-up", 20, "steelblue", False, 45),
    ("Sick visit", 15, "indianred", False, 25),
    ("Annual physical", 40, "seagreen", False, 12),
    ("New patient", 40, "goldenrod", True, 8),
    ("Well child", 30, "mediumpurple", False, 7),
    ("Procedure", 30, "sienna", False, 3),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    full_name: str
    role: Role
    password: str


@dataclass
class DemoSummary:
    clinic_name: str
    logins: list[DemoLogin] = field(default_factory=list)
    patients: int = 0
    policies: int = 0
    appointments: int = 0
    billing: dict[str, int] = field(default_factory=dict)


def build_demo(ctx: ServiceContext, *, patients: int = 2000, seed: int = 7,
               days_back: int = 60, days_ahead: int = 30, claims_dir: Path | None = None) -> DemoSummary:
    """Fill an empty database with a generated clinic. Deterministic for a seed and a date."""
    if not auth.needs_setup(ctx.db):
        raise SetupError("This database already holds a clinic: the demo needs an empty one.")
    if patients < 1:
        raise ValueError("the demo needs at least one patient")
    summary = DemoSummary(CLINIC_NAME)
    manager = auth.setup_clinic(ctx, SetupInput(CLINIC_NAME, TIMEZONE, MANAGER[0], MANAGER[1],
                                                DEMO_PASSWORD, DEMO_PASSWORD))
    summary.logins.append(DemoLogin(MANAGER[0], MANAGER[1], Role.MANAGER, DEMO_PASSWORD))
    as_manager = ctx.as_actor(manager)
    users = UserService(as_manager)
    desk_ids = []
    biller = None
    for username, role, name in STAFF:
        row = users.add(username, name, role, DEMO_PASSWORD)
        summary.logins.append(DemoLogin(username, name, role, DEMO_PASSWORD))
        if role == Role.FRONT_DESK:
            desk_ids.append(row.id)
        if role == Role.BILLING:
            biller = Actor(row.id, row.username, row.full_name, Role(row.role))
    provider_users = []
    for username, name, *_ in PROVIDERS:
        row = users.add(username, name, Role.PROVIDER, DEMO_PASSWORD)
        summary.logins.append(DemoLogin(username, name, Role.PROVIDER, DEMO_PASSWORD))
        provider_users.append(row.id)
    insurance = InsuranceService(as_manager)
    plans = []
    for name, code, kind, prefix, copays in PAYERS:
        payer = insurance.add_payer(name, code, "(217) 555-0140", FILING[kind])
        plans.append(PayerPlan(payer.id, kind, prefix, copays))

    rng = random.Random(seed)
    now = ctx.now()
    today = ctx.today()
    with ctx.db.write() as session:
        session.execute(update(ClinicSettings).where(ClinicSettings.id == 1).values(
            address_line1="1200 Prairie Avenue", city="Springfield", state="IL",
            postal_code="62704", phone="+12175550100", taxonomy="207Q00000X",
            npi=npi_with_check_digit("1" + f"{rng.randint(0, 10**8 - 1):08d}"), tax_id="37-1234567",
        ))
        provider_plans = []
        for user_id, (_, _, credentials, specialty, minutes, colour, weekdays) in zip(
                provider_users, PROVIDERS, strict=True):
            provider = Provider(user_id=user_id, credentials=credentials, specialty=specialty,
                                default_visit_minutes=minutes, colour=colour,
                                npi=npi_with_check_digit("1" + f"{rng.randint(0, 10**8 - 1):08d}"))
            session.add(provider)
            session.flush()
            provider_plans.append(ProviderPlan(provider.id, frozenset(weekdays), rng.uniform(0.7, 0.85)))
        room_ids = []
        for order, name in enumerate(ROOMS, start=1):
            room = Room(name=name, sort_order=order, active=True)
            session.add(room)
            session.flush()
            room_ids.append(room.id)
        type_plans = []
        for name, minutes, colour, new_patient, weight in APPOINTMENT_TYPES:
            kind = AppointmentType(name=name, default_minutes=minutes, colour=colour, new_patient=new_patient)
            session.add(kind)
            session.flush()
            type_plans.append(TypePlan(kind.id, minutes, weight))

        provider_weekdays = [(plan.id, plan.weekdays) for plan in provider_plans]
        people = PeopleGenerator(seed, today, now)
        first_patient = next_id(session, Patient)
        generated = people.batch(first_patient, patients, plans, next_id(session, InsurancePolicy))
        summary.patients = insert_rows(session, Patient, generated.patients)
        summary.policies = insert_rows(session, InsurancePolicy, generated.policies)
        session.merge(Counter(name="mrn", next_value=FIRST_MRN + first_patient + patients - 1))

        plan = SchedulePlan(provider_plans, type_plans, range(first_patient, first_patient + patients),
                            desk_ids, ctx.timezone, now)
        rows = schedule(rng, plan, today - dt.timedelta(days=days_back), today + dt.timedelta(days=days_ahead))
        appointment_id = next_id(session, Appointment)
        free_rooms = list(room_ids)
        for batch in chunks(rows, 2000):
            for row in batch:
                row["id"], appointment_id = appointment_id, appointment_id + 1
            events = list(visit_flow(rng, batch, now, free_rooms))
            summary.appointments += insert_rows(session, Appointment, batch)
            insert_rows(session, AppointmentEvent, events)
            insert_rows(session, BookedSlot, list(slot_rows(batch, now)))
        sync_sequences(session, (Patient, InsurancePolicy, Appointment))
        audit.record(session, now, manager, "demo.generate", entity="clinic", entity_id=1,
                     summary=f"demo clinic: {summary.patients} patients, {summary.policies} policies, "
                             f"{summary.appointments} appointments (seed {seed})")
    hours = HoursService(as_manager)
    for provider_id, weekdays in provider_weekdays:
        hours.set_week(provider_id, {day: [("08:00", "12:00"), ("13:00", "17:00")] for day in weekdays})
    _waitlist(as_manager, rng, now + dt.timedelta(days=10))
    FeeService(as_manager).import_csv(DEMO_FEES)
    summary.billing = build_billing(as_manager, ctx.as_actor(biller), rng, claims_dir)
    build_roster(as_manager, rng, {username: weekdays for username, *_, weekdays in PROVIDERS})
    build_inventory(as_manager, rng)
    return summary


# The demo clinic's own fee schedule (its words, not the licensed CPT descriptions).
DEMO_FEES = """code,description,fee
99202,"New patient visit, straightforward",110.00
99203,"New patient visit, low complexity",165.00
99212,"Established patient visit, straightforward",75.00
99213,"Established patient visit, low complexity",125.00
99214,"Established patient visit, moderate complexity",185.00
99395,Preventive visit 18-39,210.00
99396,Preventive visit 40-64,225.00
36415,Blood draw (venipuncture),15.00
81002,Urinalysis dipstick,12.00
87880,Rapid strep test,28.00
90471,Vaccine administration,25.00
90686,"Influenza vaccine, quadrivalent",38.00
J1100,Dexamethasone injection 1 mg,12.50
"""


ROOMS = ("Exam 1", "Exam 2", "Exam 3", "Exam 4", "Exam 5", "Procedure")

WAITLIST_NOTES = ("Can come at short notice", "Prefers mornings before work", "Call the mobile first",
                  "Needs a ride: give a day's notice", "")


def _waitlist(ctx: ServiceContext, rng: random.Random, after: dt.datetime) -> None:
    """A few patients booked weeks out who would take an earlier slot, as every practice has."""
    with ctx.db.read() as session:
        later = session.execute(
            select(Appointment.id, Appointment.patient_id, Appointment.provider_id, Appointment.type_id)
            .where(Appointment.start_at > after, Appointment.status == "scheduled")
            .order_by(Appointment.id).limit(200)).all()
    service = WaitlistService(ctx)
    for index, (appointment_id, patient_id, provider_id, type_id) in enumerate(rng.sample(later, min(5, len(later)))):
        days = "" if index % 2 else " ".join(rng.sample(("mon", "tue", "wed", "thu", "fri"), 3))
        service.add_to_waitlist(WaitlistInput(
            patient_id=patient_id, type_id=type_id, provider_id=None if index == 3 else provider_id,
            appointment_id=appointment_id, weekdays=days, part=rng.choice(("any", "any", "morning", "afternoon")),
            note=WAITLIST_NOTES[index % len(WAITLIST_NOTES)]))

