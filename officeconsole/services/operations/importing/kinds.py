"""What each kind of row becomes, through the same services the console uses.

A handler turns a row's cells into the service's input, then creates or updates the record
with that service (PatientService, InsuranceService, BookingService, LedgerService) inside
the import's batch transaction, so every rule of the registration form, the insurance form
and the booking form applies, and every record's creation is audited by its service.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from officeconsole.models import Appointment, AppointmentType, InsurancePolicy, Patient, Payer, Provider, User
from officeconsole.models.enums import AppointmentStatus, PatientStatus
from officeconsole.models.imports import ImportKind, ImportSource
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import (
    NeedsOverride,
    OfficeError,
    PossibleDuplicate,
    SlotTaken,
    ValidationError,
)
from officeconsole.services.common.money import BALANCE_MAX, read_amount
from officeconsole.services.common.text import clean_text, parse_phone, phone_digits, search_key
from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput
from officeconsole.services.frontdesk.ledger import LedgerService
from officeconsole.services.frontdesk.patients import PatientInput, PatientRow, PatientService
from officeconsole.services.frontdesk.person_names import NameParts, split_name
from officeconsole.services.operations.importing import values as cells
from officeconsole.services.scheduling.booking import BookingInput, BookingService

NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"


class Refused(OfficeError):
    """A row that is not imported, and why (`problem` groups the unmatched values for the report)."""

    def __init__(self, message: str, problem: tuple[str, str] | None = None) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass
class Lookups:
    """The clinic's payers, providers and appointment types by every name a file may use."""

    payers: dict[str, int] = field(default_factory=dict)
    providers: dict[str, int] = field(default_factory=dict)
    types: dict[str, int] = field(default_factory=dict)
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, value_maps: dict[str, dict[str, str]]) -> Lookups:
        found = cls(value_maps=value_maps)
        for pid, name, code in session.execute(select(Payer.id, Payer.name, Payer.payer_code)
                                               .where(Payer.active.is_(True))):
            found.payers[name.casefold()] = pid
            if code:
                found.payers.setdefault(code.casefold(), pid)
        for pid, npi, username, full_name in session.execute(
                select(Provider.id, Provider.npi, User.username, User.full_name)
                .join(User, User.id == Provider.user_id).where(Provider.active.is_(True))):
            for key in (npi, username, full_name):
                found.providers.setdefault(key.casefold(), pid)
            parts = full_name.split()
            if len(parts) > 1:  # "Lee, Avery" as many systems list their providers
                found.providers.setdefault(f"{parts[-1]}, {' '.join(parts[:-1])}".casefold(), pid)
        for tid, name in session.execute(select(AppointmentType.id, AppointmentType.name)
                                         .where(AppointmentType.active.is_(True))):
            found.types[name.casefold()] = tid
        for table in (found.payers, found.providers, found.types):  # an Office Console export's IDs, last
            for local in set(table.values()):
                table.setdefault(str(local), local)
        return found

    def find(self, what: str, value: str, table: dict[str, int], how: str) -> int:
        text = value.strip()
        mapped = self.value_maps.get(what, {}).get(text.casefold())
        key = (mapped or text).casefold()
        found = table.get(key)
        if found is None:
            if mapped:
                raise Refused(f"{what} {text!r} is mapped to {mapped!r}, which the clinic does not have. {how}",
                              (what, text))
            raise Refused(f"{what} {text!r} matches none of the clinic's. {how}", (what, text))
        return found


class Handler(ABC):
    kind: ImportKind

    def __init__(self, ctx: ServiceContext, session: Session, source: str, lookups: Lookups) -> None:
        self.ctx = ctx
        self.session = session
        self.source = source
        self.lookups = lookups
        self.patients: dict[str, int] = {}  # the batch's patients by source ID (see preload)

    @abstractmethod
    def source_id(self, row: dict[str, str]) -> str:
        """The row's own ID in the source system."""

    @abstractmethod
    def create(self, row: dict[str, str]) -> int | None:
        """The new record's id (None: nothing to create, such as a zero balance)."""

    @abstractmethod
    def update(self, local_id: int, row: dict[str, str]) -> None:
        """The record imported from this row before, changed to the row's values."""

    def preload(self, rows: list[dict[str, str]]) -> None:
        """The local patients the batch's rows belong to, found with one query per 400 IDs."""
        if self.kind == ImportKind.PATIENTS:
            return
        wanted = sorted({row["patient_id"].strip() for row in rows if row.get("patient_id", "").strip()})
        for start in range(0, len(wanted), 400):
            self.patients.update(self.session.execute(select(ImportSource.source_id, ImportSource.local_id).where(
                ImportSource.source == self.source, ImportSource.kind == ImportKind.PATIENTS,
                ImportSource.source_id.in_(wanted[start:start + 400]))).all())

    def patient(self, row: dict[str, str]) -> int:
        """The local patient a row of another kind belongs to, through the patients import."""
        pid = row["patient_id"].strip()
        local = self.patients.get(pid) or self.session.scalar(select(ImportSource.local_id).where(
            ImportSource.source == self.source, ImportSource.kind == ImportKind.PATIENTS,
            ImportSource.source_id == pid))
        if local is None:
            raise Refused(f"patient_id {pid!r} was not imported from {self.source!r}: import the patients file "
                          f"first (with the same --source), or fix the ID.")
        return local


def _date_text(row: dict[str, str], name: str, label: str | None = None) -> str:
    value = cells.strict_date(row.get(name, ""), label or name)
    return value.isoformat() if value else ""


class PatientHandler(Handler):
    kind = ImportKind.PATIENTS

    def source_id(self, row):
        return row["patient_id"].strip()

    def service_input(self, row) -> PatientInput:
        contact = row.get("preferred_contact", "").strip().lower()
        return PatientInput(
            first_name=row["first_name"], last_name=row["last_name"], middle_name=row.get("middle_name", ""),
            preferred_name=row.get("preferred_name", ""), latin_first_name=row.get("latin_first_name", ""),
            latin_last_name=row.get("latin_last_name", ""), dob=_date_text(row, "dob"),
            sex=cells.sex(row.get("sex", "")), phone=row.get("phone", ""), email=row.get("email", ""),
            address_line1=row.get("address_line1", ""), address_line2=row.get("address_line2", ""),
            city=row.get("city", ""), state=row.get("state", ""), postal_code=row.get("postal_code", ""),
            preferred_contact={"e-mail": "email", "text": "sms", "letter": "mail", "": ""}.get(contact, contact)
            or ("phone" if row.get("phone", "").strip() else "mail"))

    def create(self, row):
        data = self.service_input(row)
        self._refuse_phone_twin(data)
        try:
            return PatientService(self.ctx).register(data).id
        except PossibleDuplicate as exc:
            raise same_person(exc.matches) from None

    def _refuse_phone_twin(self, data: PatientInput) -> None:
        """The same first name at the same phone number: a likely duplicate with a mistyped surname or DOB."""
        try:
            phone = parse_phone(data.phone)
        except ValueError:
            return  # the service names the bad number
        first = search_key(data.first_name)
        if not phone or not first:
            return
        twin = self.session.execute(select(Patient.mrn, Patient.last_name, Patient.first_name).where(
            Patient.phone_key == phone_digits(phone), Patient.first_key == first,
            Patient.status != PatientStatus.MERGED).limit(1)).first()
        if twin is not None:
            raise same_phone(twin.mrn, twin.last_name, twin.first_name)

    def update(self, local_id, row):
        version = self.session.scalar(select(Patient.version).where(Patient.id == local_id))
        if version is None:
            raise Refused(f"the patient imported from this row before (id {local_id}) is no longer in the clinic.")
        PatientService(self.ctx).update(local_id, version, self.service_input(row))


def same_person(matches: list[PatientRow]) -> Refused:
    """Patients in the clinic with the row's name and date of birth."""
    return Refused(f"likely duplicate: {matches[0].display_name}, born {matches[0].dob:%m/%d/%Y}, is in the clinic "
                   f"already as MRN {', '.join(m.mrn for m in matches)} (same name and date of birth); not created "
                   "again.", ("duplicate", matches[0].mrn))


def same_phone(mrn: str, last_name: str, first_name: str) -> Refused:
    """A patient in the clinic with the row's first name and phone number."""
    return Refused(f"likely duplicate: {last_name}, {first_name} (MRN {mrn}) has the same first name and phone "
                   "number; not created again.", ("duplicate", mrn))


def same_in_file(line: int, what: str) -> Refused:
    """A row that is a new patient of an earlier line of the file."""
    return Refused(f"likely duplicate: the same {what} as line {line} of this file; not created twice.",
                   ("duplicate", ""))


class PolicyHandler(Handler):
    kind = ImportKind.POLICIES
    HOW = ("Add it in Practice setup > Payers (y), or map it: --map \"payer:{value}=<the clinic's payer name "
           "or payer ID>\".")

    def source_id(self, row):
        own = row.get("policy_id", "").strip()
        return own or "|".join((row["patient_id"].strip(), row["payer"].strip().casefold(),
                                row["member_id"].strip()))

    def service_input(self, row) -> PolicyInput:
        payer = self.lookups.find("payer", row["payer"], self.lookups.payers,
                                  self.HOW.format(value=row["payer"].strip()))
        parts = NameParts(*(row.get(f"subscriber_{part}", "").strip()
                            for part in ("last_name", "first_name", "middle_name", "suffix")))
        if split_name(clean_text(row.get("subscriber_name", ""), 200)) == parts:
            parts = NameParts()  # the one-line name says the same: kept as written, split as the form splits it
        return PolicyInput(
            payer_id=payer, rank=cells.rank(row.get("rank", "")), member_id=row["member_id"],
            group_number=row.get("group_number", ""), subscriber_name=row.get("subscriber_name", ""),
            subscriber_dob=_date_text(row, "subscriber_dob"), relationship=row.get("relationship", "").strip().lower(),
            effective_from=_date_text(row, "effective_from"), effective_to=_date_text(row, "effective_to"),
            copay=row.get("copay", "").strip(), subscriber_last_name=parts.last, subscriber_first_name=parts.first,
            subscriber_middle_name=parts.middle, subscriber_suffix=parts.suffix)

    def create(self, row):
        patient = self.patient(row)
        return InsuranceService(self.ctx).add_policy(patient, self.service_input(row)).id

    def update(self, local_id, row):
        version = self.session.scalar(select(InsurancePolicy.version).where(InsurancePolicy.id == local_id))
        if version is None:
            raise Refused(f"the policy imported from this row before (id {local_id}) is no longer in the clinic.")
        InsuranceService(self.ctx).update_policy(local_id, version, self.service_input(row))


class AppointmentHandler(Handler):
    kind = ImportKind.APPOINTMENTS
    PROVIDER_HOW = ("Use the provider's NPI, username or full name, or map it: --map \"provider:{value}=<NPI or "
                    "username>\".")
    TYPE_HOW = ("Add the type in Practice setup > Appointment types (t), or map it: --map \"type:{value}=<the "
                "clinic's type name>\".")

    def source_id(self, row):
        return row["appointment_id"].strip()

    def _input(self, row, patient: int) -> BookingInput:
        provider = self.lookups.find("provider", row["provider"], self.lookups.providers,
                                     self.PROVIDER_HOW.format(value=row["provider"].strip()))
        kind = self.lookups.find("type", row["type"], self.lookups.types,
                                 self.TYPE_HOW.format(value=row["type"].strip()))
        minutes = row.get("minutes", "").strip()
        if minutes and not minutes.isdigit():
            raise ValidationError({"minutes": f"minutes: {minutes!r} is not a whole number of minutes."})
        length = int(minutes) if minutes else None
        if row.get("start_at", "").strip():
            starts = cells.strict_datetime(row["start_at"], "start_at", self.ctx.timezone)
            day, start = starts.date(), starts.time()
            if row.get("end_at", "").strip() and length is None:
                ends = cells.strict_datetime(row["end_at"], "end_at", self.ctx.timezone)
                length = int((ends - starts).total_seconds() // 60)
                if length <= 0:
                    raise ValidationError({"end_at": "end_at: the appointment ends before it starts."})
        else:
            day = cells.strict_date(row.get("date", ""), "date")
            if day is None:
                raise ValidationError({"date": "date is required (or start_at)."})
            start = cells.strict_time(row.get("start", ""))
        return BookingInput(patient_id=patient, provider_id=provider, type_id=kind, day=day, start=start,
                            minutes=length, reason=row.get("reason", ""))

    def create(self, row):
        data = self._input(row, self.patient(row))
        try:
            return BookingService(self.ctx).book(data).id
        except NeedsOverride as exc:
            raise Refused("not booked: " + " ".join(exc.reasons)) from None
        except SlotTaken as exc:
            raise Refused(f"collides with an existing booking: {exc}", ("collision", str(data.day))) from None

    def update(self, local_id, row):
        appointment = self.session.get(Appointment, local_id)
        if appointment is None:
            raise Refused(f"the appointment imported from this row before (id {local_id}) is no longer in the clinic.")
        data = self._input(row, appointment.patient_id)
        if appointment.status != AppointmentStatus.SCHEDULED:
            raise Refused(f"the imported appointment is {appointment.status.replace('_', ' ')} now: changes to it "
                          "are made in the console.")
        if data.type_id != appointment.type_id:
            raise Refused("the appointment type changed: cancel and book it again in the console.")
        if data.patient_id != appointment.patient_id or self.patient(row) != appointment.patient_id:
            raise Refused("the patient changed: cancel and book it again in the console.")
        minutes = data.minutes or self.session.get(AppointmentType, data.type_id).default_minutes
        try:
            BookingService(self.ctx).move(local_id, appointment.version, data.day, data.start,
                                          provider_id=data.provider_id, minutes=minutes)
        except NeedsOverride as exc:
            raise Refused("not moved: " + " ".join(exc.reasons)) from None
        except SlotTaken as exc:
            raise Refused(f"collides with an existing booking: {exc}", ("collision", str(data.day))) from None


def opening_amount(text: str) -> Decimal:
    """-25.50 or (25.50) for a credit, $1,250.00 owed; the shared amount reader (`services/common/money.py`)."""
    return read_amount(text, "amount", label="amount:", maximum=BALANCE_MAX, zero=True, negative=True)


class BalanceHandler(Handler):
    kind = ImportKind.BALANCES

    def source_id(self, row):
        return row["patient_id"].strip()

    def _values(self, row) -> tuple[Decimal, dt.date]:
        amount = opening_amount(row["amount"])
        as_of = cells.strict_date(row.get("as_of", ""), "as_of") or self.ctx.today()
        if as_of > self.ctx.today():
            raise ValidationError({"as_of": f"as_of: {as_of:%m/%d/%Y} is in the future."})
        return amount, as_of

    def create(self, row):
        amount, as_of = self._values(row)
        patient = self.patient(row)
        if not amount:
            return None  # nothing owed: nothing to post
        digest = hashlib.sha256(f"{self.source}\x1f{row['patient_id'].strip()}".encode()).hexdigest()
        return LedgerService(self.ctx).post_opening_balance(patient, amount, as_of, f"opening:{digest[:32]}").id

    def update(self, local_id, row):
        self._values(row)
        raise Refused("this patient's opening balance was posted by an earlier import with another amount; "
                      "ledger entries are never changed: post a payment or an adjustment in the console.")


HANDLERS: dict[ImportKind, type[Handler]] = {
    ImportKind.PATIENTS: PatientHandler, ImportKind.POLICIES: PolicyHandler,
    ImportKind.APPOINTMENTS: AppointmentHandler, ImportKind.BALANCES: BalanceHandler,
}
