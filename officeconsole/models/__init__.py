"""Every table, imported here so Alembic and the tests see the whole schema."""

from officeconsole.db.base import Base
from officeconsole.models.audit import AuditEvent
from officeconsole.models.clinic import ClinicSettings, Counter
from officeconsole.models.patients import InsurancePolicy, Patient, Payer
from officeconsole.models.scheduling import Appointment, AppointmentType
from officeconsole.models.staff import Provider, User

__all__ = [
    "Appointment",
    "AppointmentType",
    "AuditEvent",
    "Base",
    "ClinicSettings",
    "Counter",
    "InsurancePolicy",
    "Patient",
    "Payer",
    "Provider",
    "User",
]
