"""The patient registry: search, open, register, edit, with duplicate and conflict checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import InsurancePolicy, Patient
from officeconsole.models.enums import ContactPreference, PatientStatus, Sex
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import (
    ConcurrentEdit,
    NotFound,
    PossibleDuplicate,
    ValidationError,
)
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import (
    clean_text,
    format_phone,
    parse_date,
    parse_email,
    parse_phone,
    phone_digits,
    search_key,
    too_long,
)
from officeconsole.services.frontdesk import patient_search
from officeconsole.services.frontdesk.insurance import PolicyView, policy_view
from officeconsole.services.frontdesk.patient_search import Cursor, after, format_mrn
from officeconsole.services.frontdesk.person_names import has_latin_letters, has_letters
from officeconsole.services.practice.clinic import next_number
from officeconsole.services.security import audit

PAGE_SIZE = 50
OLDEST_DOB = dt.date(1900, 1, 1)


@dataclass(frozen=True)
class PatientRow:
    """One line of a search result."""

    id: int
    mrn: str
    last_name: str
    first_name: str
    dob: dt.date
    sex: str
    phone: str
    city: str = ""

    @property
    def display_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"


@dataclass(frozen=True)
class SearchPage:
    rows: list[PatientRow]
    next_cursor: Cursor | None


@dataclass
class PatientInput:
    """What a form or a command line hands in: text, cleaned and checked by the service."""

    first_name: str = ""
    last_name: str = ""
    dob: str | dt.date = ""
    sex: str = Sex.UNKNOWN.value
    middle_name: str = ""
    preferred_name: str = ""
    latin_first_name: str = ""  # as on the insurance card, for a name typed in another script
    latin_last_name: str = ""
    phone: str = ""
    email: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    preferred_contact: str = ContactPreference.PHONE.value


@dataclass(frozen=True)
class PatientRecord:
    id: int
    mrn: str
    version: int
    first_name: str
    middle_name: str
    last_name: str
    preferred_name: str
    dob: dt.date
    sex: str
    phone: str
    email: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    preferred_contact: str
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime
    policies: list[PolicyView] = field(default_factory=list)
    privacy_notice_on: dt.date | None = None
    latin_first_name: str = ""
    latin_last_name: str = ""

    @property
    def needs_latin_name(self) -> bool:
        """Claims need the name in Latin letters, and this one has none (and none was typed)."""
        return needs_latin_name(self.first_name, self.last_name, self.latin_first_name, self.latin_last_name)

    @property
    def display_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.dob.year
        return years - ((day.month, day.day) < (self.dob.month, self.dob.day))

    def as_input(self) -> PatientInput:
        names = {f.name for f in fields(PatientInput)}
        values = {k: v for k, v in asdict(self).items() if k in names}
        values["dob"] = self.dob.isoformat()
        values["phone"] = self.phone_display
        return PatientInput(**values)


_TEXT_LIMITS = {
    "first_name": 100, "middle_name": 100, "last_name": 100, "preferred_name": 100,
    "latin_first_name": 100, "latin_last_name": 100,
    "address_line1": 200, "address_line2": 200, "city": 100, "state": 2, "postal_code": 10,
}


def needs_latin_name(first: str, last: str, latin_first: str = "", latin_last: str = "") -> bool:
    """Whether the first or last name has letters, none of them Latin, and no Latin-letter form was typed."""
    return any(has_letters(name) and not has_latin_letters(typed or name)
               for name, typed in ((first, latin_first), (last, latin_last)))


def validate(data: PatientInput, today: dt.date) -> dict[str, object]:
    """Clean values for a Patient row, or ValidationError naming every bad field."""
    values: dict[str, object] = {
        name: clean_text(getattr(data, name), limit) for name, limit in _TEXT_LIMITS.items()
    }
    values["state"] = str(values["state"]).upper()
    errors: dict[str, str] = {
        name: problem for name, limit in _TEXT_LIMITS.items()
        if (problem := too_long(name.replace("_", " ").capitalize(), getattr(data, name), limit)) is not None
    }
    for required in ("first_name", "last_name"):
        if not values[required]:
            errors[required] = f"{required.replace('_', ' ').capitalize()} is required."
        elif not has_letters(str(values[required])):  # in any script
            errors[required] = f"{required.replace('_', ' ').capitalize()} needs at least one letter."
    for name, label in (("latin_first_name", "First name"), ("latin_last_name", "Last name")):
        value = str(values[name])
        if value and not (has_latin_letters(value) and value.isascii()):
            errors[name] = f"{label} in Latin letters: A-Z only, as on the insurance card (such as Ivan)."
    try:
        dob = parse_date(data.dob, bounded=False)  # its own limits below say more
        if dob is None:
            errors["dob"] = "Date of birth is required."
        elif dob > today:
            errors["dob"] = "Date of birth cannot be in the future."
        elif dob < OLDEST_DOB:
            errors["dob"] = "Date of birth is before 1900: check the year."
        values["dob"] = dob
    except ValueError as exc:
        errors["dob"] = f"Date of birth: {exc}."
    sex = clean_text(data.sex).upper()[:1] or Sex.UNKNOWN.value
    if sex not in {s.value for s in Sex}:
        errors["sex"] = "Sex must be F, M, X (other) or U (unknown)."
    values["sex"] = sex
    try:
        values["phone"] = parse_phone(data.phone)
    except ValueError as exc:
        errors["phone"] = f"Phone: {exc}."
    try:
        values["email"] = parse_email(data.email)
    except ValueError as exc:
        errors["email"] = f"E-mail: {exc}"
    contact = clean_text(data.preferred_contact).lower() or ContactPreference.PHONE.value
    if contact not in {c.value for c in ContactPreference}:
        errors["preferred_contact"] = "Preferred contact must be phone, sms, email or mail."
    elif contact in ("phone", "sms") and not values.get("phone") and "phone" not in errors:
        errors["preferred_contact"] = f"Preferred contact is {contact} but no phone number is given."
    elif contact == "email" and not values.get("email") and "email" not in errors:
        errors["preferred_contact"] = "Preferred contact is e-mail but no e-mail address is given."
    values["preferred_contact"] = contact
    if errors:
        raise ValidationError(errors)
    values["first_key"] = search_key(str(values["first_name"]))
    values["last_key"] = search_key(str(values["last_name"]))
    values["phone_key"] = phone_digits(str(values["phone"]))
    values["phone_key_reversed"] = values["phone_key"][::-1]  # "the number ending ..." searches
    return values


def _row(p: Patient) -> PatientRow:
    return PatientRow(p.id, p.mrn, p.last_name, p.first_name, p.dob, p.sex, format_phone(p.phone), p.city)


def _record(p: Patient) -> PatientRecord:
    return PatientRecord(
        id=p.id, mrn=p.mrn, version=p.version, first_name=p.first_name,
        middle_name=p.middle_name, last_name=p.last_name, preferred_name=p.preferred_name,
        dob=p.dob, sex=p.sex, phone=p.phone, email=p.email, address_line1=p.address_line1,
        address_line2=p.address_line2, city=p.city, state=p.state, postal_code=p.postal_code,
        preferred_contact=p.preferred_contact, status=p.status, created_at=p.created_at,
        updated_at=p.updated_at, policies=[policy_view(pol) for pol in p.policies],
        privacy_notice_on=p.privacy_notice_on, latin_first_name=p.latin_first_name,
        latin_last_name=p.latin_last_name,
    )


_ROW_COLUMNS = (Patient.id, Patient.mrn, Patient.last_name, Patient.first_name, Patient.dob, Patient.sex,
                Patient.phone, Patient.city)
_ROW_COLUMN_NAMES = {c.key for c in _ROW_COLUMNS}

_AUDITED_FIELDS = ("first_name", "middle_name", "last_name", "preferred_name", "latin_first_name",
                   "latin_last_name", "dob", "sex",
                   "phone", "email", "address_line1", "address_line2", "city", "state",
                   "postal_code", "preferred_contact")


class PatientService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("patient.search")
    def search(self, query: str, cursor: Cursor | None = None, limit: int = PAGE_SIZE) -> SearchPage:
        """One page of matches; pass the returned cursor back for the next page."""
        phases = patient_search.plan(query)
        start = cursor.phase if cursor else 0
        rows: list[PatientRow] = []
        positions: list[Cursor] = []  # where each row shown sits, for the next cursor
        with self.ctx.db.lookup() as session:
            for index in range(start, len(phases)):
                phase = phases[index]
                # Plain columns, not entities: no identity map, nothing to expire.
                keys = [c for c in phase.order if c.key not in _ROW_COLUMN_NAMES]
                stmt = (
                    select(*_ROW_COLUMNS, *keys)
                    .where(phase.where, Patient.status != PatientStatus.MERGED)
                    .order_by(*phase.order)
                    .limit(limit - len(rows) + 1)
                )
                if cursor is not None and index == cursor.phase and cursor.after is not None:
                    stmt = stmt.where(after(phase, cursor.after))
                for found in session.execute(stmt):
                    if len(rows) == limit:
                        return SearchPage(rows, positions[-1])
                    values = found._mapping
                    rows.append(PatientRow(*found[:6], format_phone(found[6]), found[7]))
                    positions.append(Cursor(index, tuple(values[c.key] for c in phase.order)))
        return SearchPage(rows, None)

    @requires("patient.view")
    def get(self, patient_id: int) -> PatientRecord:
        """Open a patient's record; every look is audited."""
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            patient = self._load(session, patient_id)
            audit.record(session, now, self.ctx.actor, "patient.view", entity="patient",
                         entity_id=patient.id, patient_id=patient.id, summary=patient.mrn)
            return _record(patient)

    @requires("patient.create")
    def register(self, data: PatientInput, *, allow_duplicate: bool = False) -> PatientRecord:
        """A new patient with the next MRN. PossibleDuplicate unless the person confirmed."""
        values = validate(data, self.ctx.today())
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            if not allow_duplicate:
                matches = session.scalars(select(Patient).where(and_(
                    Patient.last_key == values["last_key"], Patient.first_key == values["first_key"],
                    Patient.dob == values["dob"], Patient.status != PatientStatus.MERGED,
                ))).all()
                if matches:
                    raise PossibleDuplicate([_row(p) for p in matches])
            mrn = format_mrn(next_number(session, "mrn", start=1001))
            patient = Patient(mrn=mrn, created_at=now, updated_at=now, **values)
            session.add(patient)
            session.flush()
            audit.record(session, now, self.ctx.actor, "patient.create", entity="patient",
                         entity_id=patient.id, patient_id=patient.id,
                         summary=f"registered {mrn}" + (" (duplicate confirmed)" if allow_duplicate else ""))
            session.refresh(patient, ["policies"])
            return _record(patient)

    @requires("patient.update")
    def update(self, patient_id: int, expected_version: int, data: PatientInput) -> PatientRecord:
        """Save edits made to the version the person opened; ConcurrentEdit if it moved on."""
        values = validate(data, self.ctx.today())
        now = self.ctx.now()
        try:
            with self.ctx.db.write() as session:
                patient = self._load(session, patient_id)
                if patient.version != expected_version:
                    raise ConcurrentEdit("patient record")
                before = {name: getattr(patient, name) for name in _AUDITED_FIELDS}
                for name, value in values.items():
                    setattr(patient, name, value)
                patient.updated_at = now
                after_values = {name: getattr(patient, name) for name in _AUDITED_FIELDS}
                audit.record(session, now, self.ctx.actor, "patient.update", entity="patient",
                             entity_id=patient.id, patient_id=patient.id,
                             summary=audit.describe_changes(before, after_values))
                session.flush()
                return _record(patient)
        except StaleDataError:
            raise ConcurrentEdit("patient record") from None

    @staticmethod
    def _load(session: Session, patient_id: int) -> Patient:
        patient = session.scalar(
            select(Patient).where(Patient.id == patient_id)
            .options(selectinload(Patient.policies).joinedload(InsurancePolicy.payer))
        )
        if patient is None:
            raise NotFound(f"No patient with id {patient_id}.")
        return patient

    @requires("patient.view")
    def by_mrn(self, mrn: str) -> PatientRow:
        with self.ctx.db.read() as session:
            patient = session.scalar(select(Patient).where(Patient.mrn == clean_text(mrn)))
            if patient is None:
                raise NotFound(f"No patient has MRN {clean_text(mrn)}.")
            return _row(patient)
