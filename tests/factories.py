"""Generated test data, built through the services where a service exists."""

from __future__ import annotations

from dataclasses import dataclass, field

from officeconsole.models import Payer, Provider, User
from officeconsole.models.enums import Role
from officeconsole.services.common.context import Actor, ServiceContext
from officeconsole.services.frontdesk.patients import PatientInput, PatientRecord, PatientService
from officeconsole.services.security import auth
from officeconsole.services.security.auth import SetupInput, UserService

PASSWORD = "correct horse"
CLINIC_ZONE = "America/New_York"


@dataclass
class SeededClinic:
    actors: dict[str, Actor] = field(default_factory=dict)
    payer_ids: dict[str, int] = field(default_factory=dict)
    provider_id: int = 0


def seed_clinic(ctx: ServiceContext) -> SeededClinic:
    seeded = SeededClinic()
    manager = auth.setup_clinic(ctx, SetupInput("Maple Street Family Practice", CLINIC_ZONE,
                                                "manager", "Morgan Manager", PASSWORD, PASSWORD))
    seeded.actors["manager"] = manager
    users = UserService(ctx.as_actor(manager))
    for username, role, name in (
        ("desk", Role.FRONT_DESK, "Dana Desk"),
        ("biller", Role.BILLING, "Billie Biller"),
        ("drlee", Role.PROVIDER, "Avery Lee"),
        ("admin", Role.ADMIN, "Alex Admin"),
    ):
        row = users.add(username, name, role, PASSWORD)
        seeded.actors[role.value] = Actor(row.id, row.username, row.full_name, row.role)
    with ctx.db.write() as session:
        for name, code in (("Blue Shield Test Plan", "BSTP1"), ("Medicare Part B (test)", "MCRB1")):
            payer = Payer(name=name, payer_code=code)
            session.add(payer)
            session.flush()
            seeded.payer_ids[name] = payer.id
        doctor = session.get(User, seeded.actors["provider"].user_id)
        provider = Provider(user_id=doctor.id, npi="1234567893", specialty="Family medicine",
                            credentials="MD")
        session.add(provider)
        session.flush()
        seeded.provider_id = provider.id
    return seeded


def patient_input(**overrides) -> PatientInput:
    values = dict(first_name="Jane", last_name="Testperson", dob="1980-04-12", sex="F",
                  phone="(415) 555-2671", email="jane@example.org", city="Springfield",
                  state="IL", postal_code="62701")
    values.update(overrides)
    return PatientInput(**values)


def register(ctx: ServiceContext, **overrides) -> PatientRecord:
    return PatientService(ctx).register(patient_input(**overrides), allow_duplicate=True)
