"""The demo clinic: staff who can log in, providers, payers, appointment types, patients, a schedule.

Everything a manager sets up (the clinic, accounts, payers, appointment types, providers, hours,
rooms, fees) goes through the same services Practice setup calls, so building the demo proves
that path; only the bulk of patients, policies and appointments is inserted through Core.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from officeconsole.db.bulk import chunks, insert_rows, next_id, slot_rows, sync_sequences
from officeconsole.demo.appointments import ProviderPlan, SchedulePlan, TypePlan, schedule
from officeconsole.demo.billing import build_billing
from officeconsole.demo.cycle import check_eligibility, refund_credits
from officeconsole.demo.flow import visit_flow
from officeconsole.demo.inventory import build_inventory
from officeconsole.demo.people import FIRST_MRN, PayerPlan, PeopleGenerator
from officeconsole.demo.roster import build_roster
from officeconsole.models import Appointment, AppointmentEvent, BookedSlot, Counter, InsurancePolicy, Patient
from officeconsole.models.enums import Role
from officeconsole.services.billing.fees import FeeService
from officeconsole.services.common.context import Actor, ServiceContext
from officeconsole.services.common.errors import SetupError
from officeconsole.services.common.identifiers import npi_with_check_digit
from officeconsole.services.frontdesk.insurance import InsuranceService
from officeconsole.services.practice.appointment_types import AppointmentTypeService, TypeInput
from officeconsole.services.practice.clinic_settings import ClinicInput, ClinicSettingsService
from officeconsole.services.practice.providers import ProviderInput, ProviderService
from officeconsole.services.practice.rooms import RoomService
from officeconsole.services.scheduling.hours import HoursService
from officeconsole.services.scheduling.waitlist import WaitlistInput, WaitlistService
from officeconsole.services.security import audit, auth
from officeconsole.services.security.auth import SetupInput, UserService

DEMO_PASSWORD = "demo-office"
CLINIC_NAME = "Prairie View Family Medicine (demo)"
TIMEZONE = "America/Chicago"

MANAGER = ("manager", "Morgan Reyes")
STAFF = (
    ("desk", Role.FRONT_DESK, "Dana Whitfield"),
    ("desk2", Role.FRONT_DESK, "Sam Okafor"),
    ("billing", Role.BILLING, "Bailey Kowalski"),
)
# username, name, credentials, specialty, visit minutes, colour, weekdays worked, taxonomy code
PROVIDERS = (
    ("drpatel", "Priya Patel", "MD", "Family medicine", 20, "steelblue", (0, 1, 2, 3, 4), "207Q00000X"),
    ("drnguyen", "Thomas Nguyen", "DO", "Internal medicine", 20, "seagreen", (0, 1, 2, 3), "207R00000X"),
    ("drbrooks", "Hannah Brooks", "MD", "Pediatrics", 15, "darkorange", (0, 1, 3, 4), "208000000X"),
    ("npgarcia", "Luis Garcia", "FNP-C", "Family nurse practitioner", 20, "mediumpurple", (1, 2, 3, 4),
     "363LF0000X"),
)
WEEKEND_CLINIC = ("drpatel", "npgarcia")  # a demo built on a weekend: these two see patients that day
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
               days_back: int = 60, days_ahead: int = 30, claims_dir: Path | None = None,
               progress: Callable[[str], None] | None = None) -> DemoSummary:
    """Fill an empty database with a generated clinic. Deterministic for a seed and a date.
    `progress` is told each step as it starts (the build takes seconds: a command shows them)."""
    step = progress or (lambda _name: None)
    if not auth.needs_setup(ctx.db):
        raise SetupError("This database already holds a clinic: the demo needs an empty one.")
    if patients < 1:
        raise ValueError("the demo needs at least one patient")
    summary = DemoSummary(CLINIC_NAME)
    step("staff and payers")
    manager = auth.setup_clinic(ctx, SetupInput(CLINIC_NAME, TIMEZONE, MANAGER[0], MANAGER[1],
                                                DEMO_PASSWORD, DEMO_PASSWORD))
    summary.logins.append(DemoLogin(MANAGER[0], MANAGER[1], Role.MANAGER, DEMO_PASSWORD))
    as_manager = ctx.as_actor(manager)
    users = UserService(as_manager)
    desk_ids = []
    biller = desk = None
    for username, role, name in STAFF:
        row = users.add(username, name, role, DEMO_PASSWORD)
        summary.logins.append(DemoLogin(username, name, role, DEMO_PASSWORD))
        if role == Role.FRONT_DESK:
            desk_ids.append(row.id)
            desk = desk or Actor(row.id, row.username, row.full_name, Role(row.role))
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
    step("providers, hours and rooms")
    provider_plans, type_plans, room_ids = _practice(as_manager, rng, provider_users,
                                                     today - dt.timedelta(days=days_back))
    step(f"{patients} patients and their schedule")
    with ctx.db.write() as session:
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
    _waitlist(as_manager, rng, now + dt.timedelta(days=10))
    FeeService(as_manager).import_csv(DEMO_FEES)
    folder = claims_dir or Path(tempfile.mkdtemp(prefix="officeconsole-demo-claims-"))
    summary.billing = build_billing(as_manager, ctx.as_actor(biller), rng, folder, progress=step)
    # This morning's 270/271 for today's booked patients, and patients' credits refunded (no draw
    # from `rng`: the rota and stock below stay as they were).
    step("eligibility answers and refunds")
    summary.billing.update(check_eligibility(ctx.as_actor(desk), folder))
    summary.billing.update(refund_credits(ctx.as_actor(desk), as_manager))
    step("staff rota and stock")
    build_roster(as_manager, rng, {row[0]: row[6] for row in PROVIDERS})
    build_inventory(as_manager, rng)
    return summary


def _practice(ctx: ServiceContext, rng: random.Random, provider_users: list[int],
              first_day: dt.date) -> tuple[list[ProviderPlan], list[TypePlan], list[int]]:
    """The clinic, its appointment types, providers, hours (with a lunch block) and rooms, set up
    through the same services a manager's keys call in Practice setup."""
    clinic = ClinicSettingsService(ctx)
    clinic.update(clinic.settings().version, ClinicInput(
        name=CLINIC_NAME, address_line1="1200 Prairie Avenue", address_line2="", city="Springfield", state="IL",
        postal_code="62704", phone="(217) 555-0100", fax="(217) 555-0101", email="frontdesk@prairieview.example",
        timezone=TIMEZONE, npi=npi_with_check_digit("1" + f"{rng.randint(0, 10**8 - 1):08d}"),
        tax_id="37-1234567", taxonomy="261QP2300X", place_of_service="11", clearinghouse_id="",
        clearinghouse_name="", opening_hours=None))
    types = AppointmentTypeService(ctx)
    type_plans = []
    for name, minutes, colour, new_patient, weight in APPOINTMENT_TYPES:
        row = types.add(TypeInput(name, minutes, colour, new_patient))
        type_plans.append(TypePlan(row.id, minutes, weight))
    providers, hours = ProviderService(ctx), HoursService(ctx)
    provider_plans = []
    # Built on a weekend, the demo holds a clinic (08:00-16:00) that weekday, so whoever tries it on a
    # Saturday or Sunday still finds today's clinic under way.
    weekend = ctx.today().weekday() if ctx.today().weekday() >= 5 else None
    for user_id, (username, _, credentials, specialty, minutes, colour, weekdays, taxonomy) in zip(
            provider_users, PROVIDERS, strict=True):
        row = providers.add(ProviderInput(
            user_id=user_id, npi=npi_with_check_digit("1" + f"{rng.randint(0, 10**8 - 1):08d}"), taxonomy=taxonomy,
            credentials=credentials, specialty=specialty, colour=colour, default_visit_minutes=minutes))
        week = {day: [("08:00", "17:00")] for day in weekdays}
        if weekend is not None and username in WEEKEND_CLINIC:
            week[weekend] = [("08:00", "16:00")]
        hours.set_week(row.id, week, blocks={day: [("12:00", "13:00", "Lunch")] for day in weekdays},
                       effective_from=first_day)
        provider_plans.append(ProviderPlan(row.id, frozenset(week), rng.uniform(0.7, 0.85)))
    rooms = RoomService(ctx)
    room_ids = [rooms.add_room(name).id for name in ROOMS]
    return provider_plans, type_plans, room_ids


# The demo clinic's own fee schedule (its words, not the licensed CPT descriptions).
DEMO_FEES = """code,description,fee
99202,"New patient visit, straightforward",110.00
99203,"New patient visit, low complexity",165.00
99212,"Established patient visit, straightforward",75.00
99213,"Established patient visit, low complexity",125.00
99214,"Established patient visit, moderate complexity",185.00
99381,"Preventive visit, new, under 1",180.00
99382,"Preventive visit, new, 1-4",190.00
99383,"Preventive visit, new, 5-11",190.00
99384,"Preventive visit, new, 12-17",205.00
99385,"Preventive visit, new, 18-39",215.00
99386,"Preventive visit, new, 40-64",240.00
99387,"Preventive visit, new, 65 and over",255.00
99391,"Preventive visit, under 1",165.00
99392,"Preventive visit, 1-4",175.00
99393,"Preventive visit, 5-11",175.00
99394,"Preventive visit, 12-17",190.00
99395,Preventive visit 18-39,210.00
99396,Preventive visit 40-64,225.00
99397,Preventive visit 65 and over,240.00
36415,Blood draw (venipuncture),15.00
81002,Urinalysis dipstick,12.00
87880,Rapid strep test,28.00
90471,Vaccine administration,25.00
90472,"Vaccine administration, each further",15.00
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

