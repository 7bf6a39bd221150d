"""A large clinic for benchmarks: `python -m benchmarks.generate --db URL --patients 1000000`.

Same schema and migrations as the product; staff and payers go through the services, the
bulk (patients, policies, appointments) through SQLAlchemy Core executemany in batches, with
the secondary indexes dropped during the load and rebuilt after it. Deterministic by seed.

Appointments: `--appointments-per-patient` (default 5) over `--years`. With 20 providers over
10 years that is about 100 visits per provider-day, denser than any real clinic: the
generator shortens the visit grid (down to 5 minutes) until they fit, never overlapping, so
the schedule queries meet the volume they must survive.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKeyConstraint, Index
from sqlalchemy.engine import make_url
from sqlalchemy.schema import AddConstraint, DropConstraint

from benchmarks import clinic_day
from officeconsole.config import normalize_db_url
from officeconsole.db import migrate
from officeconsole.db.bulk import insert_rows, slot_rows, sync_sequences
from officeconsole.db.database import Database
from officeconsole.db.engine import check_connection
from officeconsole.db.maintenance import refresh_statistics
from officeconsole.demo.appointments import REASONS
from officeconsole.demo.clinic import APPOINTMENT_TYPES, PAYERS, TIMEZONE
from officeconsole.demo.people import FIRST_MRN, PayerPlan, PeopleGenerator
from officeconsole.models import (
    Appointment,
    AppointmentType,
    BookedSlot,
    Counter,
    InsurancePolicy,
    Patient,
    Provider,
)
from officeconsole.models.enums import Role
from officeconsole.services.common.clock import FixedClock
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import OfficeError
from officeconsole.services.common.identifiers import npi_with_check_digit
from officeconsole.services.frontdesk.insurance import InsuranceService
from officeconsole.services.scheduling.hours import HoursService
from officeconsole.services.security import auth
from officeconsole.services.security.auth import SetupInput, UserService

BENCH_PASSWORD = "bench-office"
BATCH = 20_000
WORK_BLOCKS = ((dt.time(8), dt.time(12)), (dt.time(13), dt.time(17)))  # 480 minutes a day
BULK_TABLES = (Patient, InsurancePolicy, Appointment, BookedSlot)


@dataclass
class Generated:
    url: str
    patients: int
    policies: int
    appointments: int
    seconds: float
    stages: dict[str, float]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _prepare(url: str, replace: bool) -> Database:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and replace:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
    database = Database.from_url(url)
    check_connection(database.engine)
    migrate.upgrade(database.engine)
    if not auth.needs_setup(database):
        database.dispose()
        raise OfficeError(f"{url} already holds a clinic: use an empty database (or --replace for a SQLite file).")
    return database


def _staff(ctx: ServiceContext, providers: int) -> tuple[list[int], list[int]]:
    """Accounts through the services; returns (front-desk user ids, provider user ids)."""
    auth.use_fast_hashing()  # a throwaway clinic: the benchmarks measure searches, not argon2
    manager = auth.setup_clinic(ctx, SetupInput("Benchmark Clinic", TIMEZONE, "manager", "Bench Manager",
                                                BENCH_PASSWORD, BENCH_PASSWORD))
    users = UserService(ctx.as_actor(manager))
    desk = [users.add(f"desk{i}", f"Front Desk {i}", Role.FRONT_DESK, BENCH_PASSWORD).id for i in range(1, 5)]
    users.add("billing", "Bench Billing", Role.BILLING, BENCH_PASSWORD)
    doctors = [users.add(f"dr{i:02d}", f"Provider {i:02d}", Role.PROVIDER, BENCH_PASSWORD).id
               for i in range(1, providers + 1)]
    return desk, doctors


def _secondary_indexes() -> list[Index]:
    return [index for model in BULK_TABLES for index in model.__table__.indexes if not index.unique]


def _foreign_keys(database: Database) -> list[ForeignKeyConstraint]:
    """PostgreSQL checks foreign keys row by row during a load: drop them and add them back
    after, which validates all rows in one pass. (SQLite cannot drop a constraint.)"""
    if database.dialect != "postgresql":
        return []
    return [fk for model in BULK_TABLES for fk in model.__table__.foreign_key_constraints]


def _appointments(rng: random.Random, plan: dict, day: dt.date, tz: ZoneInfo, now: dt.datetime):
    """Every provider's day on an even grid: `per_day` visits of `minutes` minutes."""
    minutes, per_day = plan["minutes"], plan["per_day"]
    step = dt.timedelta(minutes=minutes)
    starts = []
    for begin, end in WORK_BLOCKS:
        at = dt.datetime.combine(day, begin, tz).astimezone(dt.UTC)
        stop = dt.datetime.combine(day, end, tz).astimezone(dt.UTC)
        while at + step <= stop:
            starts.append(at)
            at += step
    past = day < now.date()
    patients, types, booked_by = plan["patients"], plan["types"], plan["booked_by"]
    for provider_id in plan["providers"]:
        for start in rng.sample(starts, min(per_day, len(starts))):
            if past:
                roll = rng.random()
                status = "no_show" if roll < 0.06 else "cancelled" if roll < 0.13 else "checked_out"
            else:
                status = "scheduled"
            yield {
                "patient_id": rng.choice(patients), "provider_id": provider_id,
                "type_id": rng.choice(types), "start_at": start, "end_at": start + step,
                "status": status, "reason": rng.choice(REASONS),
                "created_by_id": rng.choice(booked_by), "created_at": min(start - dt.timedelta(days=7), now),
                "version": 1,
            }


def generate(url: str, *, patients: int, years: int, providers: int, seed: int = 1,
             appointments_per_patient: float = 5.0, replace: bool = False) -> Generated:
    started = time.perf_counter()
    stages: dict[str, float] = {}
    url = normalize_db_url(url)
    database = _prepare(url, replace)
    moment = clinic_day.anchor(TIMEZONE)
    ctx = ServiceContext(database, FixedClock(moment))
    try:
        tick = time.perf_counter()
        desk_ids, doctor_ids = _staff(ctx, providers)
        manager = auth.login(ctx, "manager", BENCH_PASSWORD)
        insurance = InsuranceService(ctx.as_actor(manager))
        plans = [PayerPlan(insurance.add_payer(name, code).id, kind, prefix, copays)
                 for name, code, kind, prefix, copays in PAYERS]
        rng = random.Random(seed)
        now, today = ctx.now(), ctx.today()
        with database.write() as session:
            provider_ids = []
            for user_id in doctor_ids:
                provider = Provider(user_id=user_id, specialty="Family medicine", credentials="MD",
                                    npi=npi_with_check_digit(f"1{rng.randint(0, 10**8 - 1):08d}"))
                session.add(provider)
                session.flush()
                provider_ids.append(provider.id)
            type_ids = []
            for name, minutes, colour, new_patient, _ in APPOINTMENT_TYPES:
                kind = AppointmentType(name=name, default_minutes=minutes, colour=colour, new_patient=new_patient)
                session.add(kind)
                session.flush()
                type_ids.append(kind.id)
        hours = HoursService(ctx.as_actor(manager))
        for provider_id in provider_ids:
            hours.set_week(provider_id, {day: [(f"{a:%H:%M}", f"{b:%H:%M}") for a, b in WORK_BLOCKS]
                                         for day in range(5)})
        stages["clinic"] = time.perf_counter() - tick

        indexes = _secondary_indexes()
        foreign_keys = _foreign_keys(database)
        with database.engine.begin() as conn:
            for index in indexes:
                index.drop(conn)
            for constraint in foreign_keys:
                conn.execute(DropConstraint(constraint))

        tick = time.perf_counter()
        people = PeopleGenerator(seed, today, now)
        policy_id, policies = 1, 0
        for first in range(1, patients + 1, BATCH):
            count = min(BATCH, patients - first + 1)
            batch = people.batch(first, count, plans, policy_id)
            with database.write() as session:
                insert_rows(session, Patient, batch.patients)
                insert_rows(session, InsurancePolicy, batch.policies)
            policy_id += len(batch.policies)
            policies += len(batch.policies)
            _log(f"  patients {first + count - 1:>9,} / {patients:,}")
        stages["patients"] = time.perf_counter() - tick

        tick = time.perf_counter()
        first_day = today - dt.timedelta(days=365 * years)
        last_day = today + dt.timedelta(days=30)
        workdays = sum(1 for n in range((last_day - first_day).days + 1)
                       if (first_day + dt.timedelta(days=n)).weekday() < 5)
        target = int(patients * appointments_per_patient)
        per_day = max(1, round(target / (workdays * providers)))
        minutes = max(5, min(20, (480 // per_day) // 5 * 5))
        plan = {"minutes": minutes, "per_day": per_day, "providers": provider_ids,
                "patients": range(1, patients + 1), "types": type_ids, "booked_by": desk_ids}
        tz = ZoneInfo(TIMEZONE)
        appointments, buffer, appointment_id = 0, [], 1
        day = first_day
        while day <= last_day:
            if day.weekday() < 5:
                buffer.extend(_appointments(rng, plan, day, tz, now))
            day += dt.timedelta(days=1)
            if len(buffer) >= BATCH * 2 or (day > last_day and buffer):
                for row in buffer:
                    row["id"], appointment_id = appointment_id, appointment_id + 1
                with database.write() as session:
                    appointments += insert_rows(session, Appointment, buffer)
                    insert_rows(session, BookedSlot, list(slot_rows(buffer, now)))
                buffer = []
                _log(f"  appointments {appointments:>10,} (through {day:%Y-%m-%d})")
        stages["appointments"] = time.perf_counter() - tick

        tick = time.perf_counter()
        with database.engine.begin() as conn:
            for index in indexes:
                index.create(conn)
            for constraint in foreign_keys:
                conn.execute(AddConstraint(constraint))  # checks every row once, in one pass
        with database.write() as session:
            session.merge(Counter(name="mrn", next_value=FIRST_MRN + patients))
            session.merge(Counter(name=clinic_day.COUNTER, next_value=int(moment.timestamp())))
            sync_sequences(session, (Patient, InsurancePolicy, Appointment))
        # On PostgreSQL, VACUUM as well: a freshly copied table has no visibility map and
        # unset hint bits, so the first reads (the benchmark's) would pay for writing them.
        refresh_statistics(database.engine, after_bulk_load=True)
        stages["indexes"] = time.perf_counter() - tick
    finally:
        database.dispose()
    return Generated(url, patients, policies, appointments, time.perf_counter() - started, stages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLAlchemy URL or SQLite file path (empty database)")
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--providers", type=int, default=20)
    parser.add_argument("--appointments-per-patient", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--replace", action="store_true", help="delete an existing SQLite file first")
    args = parser.parse_args(argv)
    if args.patients < 1 or args.years < 1 or args.providers < 1:
        parser.error("--patients, --years and --providers must be at least 1")
    try:
        result = generate(args.db, patients=args.patients, years=args.years, providers=args.providers,
                          seed=args.seed, appointments_per_patient=args.appointments_per_patient,
                          replace=args.replace)
    except OfficeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    stages = ", ".join(f"{name} {secs:.1f}s" for name, secs in result.stages.items())
    print(f"{result.patients:,} patients, {result.policies:,} policies, {result.appointments:,} appointments "
          f"in {result.seconds:.1f}s ({stages})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
