"""Every table, imported here so Alembic and the tests see the whole schema."""

from officeconsole.db.base import Base
from officeconsole.models.audit import AuditEvent
from officeconsole.models.clinic import ClinicSettings, Counter
from officeconsole.models.patients import InsurancePolicy, Patient, Payer
from officeconsole.models.hours import Holiday, ScheduleException, WorkingHours
from officeconsole.models.scheduling import Appointment, AppointmentEvent, AppointmentType, BookedSlot
from officeconsole.models.staff import Provider, User

__all__ = [
    "Appointment",
    "AppointmentEvent",
    "AppointmentType",
    "BookedSlot",
    "AuditEvent",
    "Base",
    "ClinicSettings",
    "Counter",
    "Holiday",
    "InsurancePolicy",
    "Patient",
    "Payer",
    "Provider",
    "ScheduleException",
    "User",
    "WorkingHours",
]
