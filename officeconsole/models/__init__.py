"""Every table, imported here so Alembic and the tests see the whole schema."""

from officeconsole.db.base import Base
from officeconsole.models.acks import ClaimAck, ClaimAckItem
from officeconsole.models.audit import AuditEvent
from officeconsole.models.billing import ChargeLine, Encounter, EncounterDiagnosis, FeeScheduleItem
from officeconsole.models.claims import (
    ArEntry,
    ClaimBatch,
    ClaimBatchItem,
    PatientBalance,
    RemitAdjustment,
    RemitClaim,
    RemitLine,
    RemitProviderAdjustment,
    Remittance,
)
from officeconsole.models.clinic import ClinicSettings, Counter
from officeconsole.models.closeout import ClosedDay, CloseRun
from officeconsole.models.desk import (
    PatientAlert,
    PatientNote,
    RecallOutcome,
    RecallRule,
    ReminderSent,
    VisitConfirmation,
)
from officeconsole.models.eligibility import EligibilityCheck
from officeconsole.models.hours import Holiday, ScheduleException, WorkingHours
from officeconsole.models.imports import ImportSource
from officeconsole.models.inventory import InventoryItem, InventoryLot, StockMovement
from officeconsole.models.ledger import LedgerEntry
from officeconsole.models.patients import InsurancePolicy, Patient, Payer
from officeconsole.models.refunds import Refund
from officeconsole.models.rooms import Room
from officeconsole.models.roster import CoverageRule, Credential, Shift, ShiftTemplate, TimeOff
from officeconsole.models.scheduling import (
    Appointment,
    AppointmentEvent,
    AppointmentSeries,
    AppointmentType,
    BookedSlot,
)
from officeconsole.models.staff import Provider, ProviderAppointmentType, User
from officeconsole.models.waitlist import WaitlistEntry

__all__ = [
    "ClaimAck",
    "ClaimAckItem",
    "EligibilityCheck",
    "Refund",
    "PatientAlert",
    "PatientNote",
    "RecallOutcome",
    "RecallRule",
    "ReminderSent",
    "VisitConfirmation",
    "Appointment",
    "ArEntry",
    "ClaimBatch",
    "ClaimBatchItem",
    "RemitClaim",
    "RemitLine",
    "RemitAdjustment",
    "RemitProviderAdjustment",
    "Remittance",
    "AppointmentEvent",
    "AppointmentSeries",
    "AppointmentType",
    "BookedSlot",
    "ChargeLine",
    "AuditEvent",
    "Base",
    "ClinicSettings",
    "CloseRun",
    "ClosedDay",
    "Counter",
    "Encounter",
    "EncounterDiagnosis",
    "FeeScheduleItem",
    "Holiday",
    "ImportSource",
    "InsurancePolicy",
    "LedgerEntry",
    "Patient",
    "PatientBalance",
    "Payer",
    "Provider",
    "ProviderAppointmentType",
    "Room",
    "InventoryItem",
    "InventoryLot",
    "StockMovement",
    "CoverageRule",
    "Credential",
    "Shift",
    "ShiftTemplate",
    "TimeOff",
    "ScheduleException",
    "User",
    "WaitlistEntry",
    "WorkingHours",
]
