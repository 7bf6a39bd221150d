"""Moving out and in again: a clinic's CSV export imported into an empty clinic gives the same patient,
policy and appointment files when that clinic is exported in turn."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from faker import Faker
from sqlalchemy import func, select

from officeconsole.db import migrate
from officeconsole.db.database import Database
from officeconsole.models import AppointmentType, AuditEvent, Provider, User
from officeconsole.models.enums import Role
from officeconsole.services.common.clock import FixedClock
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput
from officeconsole.services.frontdesk.patients import PatientInput, PatientService
from officeconsole.services.operations.exports import ExportService
from officeconsole.services.operations.importing import ImportKind, ImportRequest, ImportService
from officeconsole.services.scheduling.booking import BookingInput, BookingService
from officeconsole.services.scheduling.hours import HoursService
from officeconsole.services.security.audit_chain import AuditChainService

from tests.conftest import MONDAY, NOW, WEEK
from tests.factories import SeededClinic, seed_clinic

# The files compared, and the columns that say when and by whom a record was made in that database:
# the import makes it anew (and audits that), so these are the only cells that differ.
FILES = {"patient.csv": {"created_at", "updated_at"}, "insurance_policy.csv": {"created_at"},
         "appointment.csv": {"created_at", "created_by_id"}}


def set_up(ctx: ServiceContext) -> tuple[SeededClinic, int, int]:
    """The practice as a new clinic sets it up: staff, payers, two providers with hours, a visit type."""
    clinic = seed_clinic(ctx)
    manager = ctx.as_actor(clinic.actors["manager"])
    with ctx.db.write() as session:
        kind = AppointmentType(name="Follow-up", default_minutes=20)
        user = User(username="drkim", full_name="Jo Kim", role=Role.PROVIDER, password_hash="x", created_at=NOW)
        session.add_all([kind, user])
        session.flush()
        other = Provider(user_id=user.id, npi="9876543213")
        session.add(other)
        session.flush()
        type_id, other_id = kind.id, other.id
    for provider_id in (clinic.provider_id, other_id):
        HoursService(manager).set_week(provider_id, WEEK)
    return clinic, type_id, other_id


def fill(ctx: ServiceContext, clinic: SeededClinic, type_id: int, other_id: int, count: int = 30) -> None:
    """Generated patients (never real people), most insured, some with a second policy, and visits booked."""
    fake = Faker("en_US")
    fake.seed_instance(2121)
    manager = ctx.as_actor(clinic.actors["manager"])
    desk = ctx.as_actor(clinic.actors["front_desk"])
    payers = list(clinic.payer_ids.values())
    for i in range(count):
        patient = PatientService(desk).register(PatientInput(
            first_name=fake.first_name(), last_name=fake.last_name() + ("-Muñoz" if i % 9 == 0 else ""),
            middle_name=fake.first_name() if i % 3 == 0 else "", preferred_name="Sam" if i % 7 == 0 else "",
            dob=fake.date_of_birth(minimum_age=1, maximum_age=90), sex="FMXU"[i % 4],
            phone=f"(217) 555-{1000 + i:04d}" if i % 5 else "", email=f"p{i}@example.org" if i % 2 else "",
            address_line1=fake.street_address(), city=fake.city(), state="IL", postal_code="62701",
            preferred_contact="email" if i % 6 == 3 else ("sms" if i % 4 == 2 else "phone") if i % 5 else "mail"))
        if i % 4 != 3:
            InsuranceService(manager).add_policy(patient.id, PolicyInput(
                payer_id=payers[i % 2], member_id=f"MEM{i:05d}", group_number="G7" if i % 2 else "",
                effective_from=dt.date(2026, 1, 1), copay="25.00" if i % 3 else "",
                relationship="spouse" if i % 6 == 0 else "self",
                subscriber_name=f"{fake.last_name()}, {fake.first_name()}" if i % 6 == 0 else ""))
        if i % 5 == 1:
            InsuranceService(manager).add_policy(patient.id, PolicyInput(
                payer_id=payers[(i + 1) % 2], rank=2, member_id=f"SEC{i:05d}", effective_from="2026-02-01",
                effective_to="2026-12-31"))
        if i % 2 == 0:
            BookingService(desk).book(BookingInput(
                patient_id=patient.id, provider_id=(clinic.provider_id, other_id)[i % 4 // 2], type_id=type_id,
                day=MONDAY + dt.timedelta(days=i % 3), start=dt.time(8 + i // 12, 20 * (i % 3)),
                reason=f"follow-up {i}" if i % 3 else ""))


def table(path: Path, left_out: set[str]) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    keep = [n for n, name in enumerate(rows[0]) if name not in left_out]
    return [[row[n] for n in keep] for row in rows]


def test_a_csv_export_imports_into_an_empty_clinic_and_exports_the_same(ctx, empty_db_url, tmp_path):
    clinic, type_id, other_id = set_up(ctx)
    fill(ctx, clinic, type_id, other_id)
    manager = ctx.as_actor(clinic.actors["manager"])
    first = tmp_path / "first"
    ExportService(manager).export_clinic("csv", first)

    target = Database.from_url(empty_db_url)
    try:
        migrate.upgrade(target.engine)
        later = ServiceContext(target, FixedClock(NOW + dt.timedelta(hours=2)))
        moved, _, _ = set_up(later)
        mover = later.as_actor(moved.actors["manager"])
        for kind, name in ((ImportKind.PATIENTS, "patient.csv"), (ImportKind.POLICIES, "insurance_policy.csv"),
                           (ImportKind.APPOINTMENTS, "appointment.csv")):
            report = ImportService(mover).run(ImportRequest(kind, first / name, source="maple", commit=True))
            assert report.counts["refused"] == 0, (kind, report.refused[:3])
            assert report.counts["new"] == len(table(first / name, set())) - 1
        second = tmp_path / "second"
        ExportService(mover).export_clinic("csv", second)
        for name, left_out in FILES.items():
            assert table(second / name, left_out) == table(first / name, left_out), name
        with target.read() as session:
            created = session.scalar(select(func.count()).select_from(AuditEvent)
                                     .where(AuditEvent.action.in_(("patient.create", "insurance.add"))))
        assert created == sum(len(table(first / n, set())) - 1 for n in ("patient.csv", "insurance_policy.csv"))
        assert AuditChainService(mover).verify().intact  # the bulk-written links chain like any others

        again = ImportService(mover).run(ImportRequest(ImportKind.PATIENTS, first / "patient.csv", source="maple",
                                                       commit=True))
        assert again.counts["unchanged"] == again.rows
    finally:
        target.dispose()
