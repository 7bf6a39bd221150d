"""Appointment types (Practice setup -> Appointment types, `officeconsole appointment-type ...`): the
kinds of visit the desk books, each with its length, schedule colour, new-patient flag and the
procedure code it usually bills.

Names are unique whatever their case. A type is retired, never deleted: the appointments that
have it keep it (and can still be moved), it is no longer offered or accepted for new bookings,
and it can be reinstated. Every change is audited and version-checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import AppointmentType, FeeScheduleItem, Provider, ProviderAppointmentType, User
from officeconsole.services.billing.codes import CPT, HCPCS
from officeconsole.services.common.colours import parse_colour
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, NotFound, ValidationError
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.practice.providers import parse_visit_minutes
from officeconsole.services.security import audit

MIN_MINUTES, MAX_MINUTES = 5, 480
TYPE_FIELDS = ("name", "default_minutes", "colour", "new_patient", "default_code")


@dataclass(frozen=True)
class TypeInput:
    """An appointment type as typed: the form's fields, the CLI's options."""

    name: str
    minutes: int | str
    colour: str = "steelblue"
    new_patient: bool = False
    default_code: str = ""


@dataclass(frozen=True)
class TypeRow:
    id: int
    version: int
    name: str
    minutes: int
    colour: str
    new_patient: bool
    default_code: str
    active: bool
    providers: str  # the active providers who see it, or "all" (or "none")


def validate_type(data: TypeInput) -> dict[str, object]:
    """The type's columns from what was typed, or ValidationError with a message per field (the
    database's rules, a free name and a known code, are checked when saving)."""
    values, errors = _parse(data)
    if errors:
        raise ValidationError(errors)
    return values


def _parse(data: TypeInput) -> tuple[dict[str, object], dict[str, str]]:
    errors: dict[str, str] = {}
    name = clean_text(data.name, 60)
    code = clean_text(data.default_code).upper().replace(" ", "")
    values: dict[str, object] = {"name": name, "new_patient": bool(data.new_patient), "default_code": code}
    if not name:
        errors["name"] = "Name is required, e.g. Follow-up or New patient."
    try:
        values["default_minutes"] = parse_visit_minutes(data.minutes, MIN_MINUTES, MAX_MINUTES, "Length")
    except ValueError as exc:
        errors["minutes"] = str(exc)
    try:
        values["colour"] = parse_colour(data.colour)
    except ValueError as exc:
        errors["colour"] = str(exc)
    return values, errors


class AppointmentTypeService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("schedule.view")
    def types(self, include_retired: bool = False) -> list[TypeRow]:
        """Types in use by name; with `include_retired`, the retired ones too."""
        query = select(AppointmentType).order_by(func.lower(AppointmentType.name))
        if not include_retired:
            query = query.where(AppointmentType.active.is_(True))
        with self.ctx.db.read() as session:
            seers = _who_sees(session)
            return [_row(kind, seers) for kind in session.scalars(query)]

    @requires("clinic.manage")
    def add(self, data: TypeInput) -> TypeRow:
        """A new appointment type, offered for booking at once."""
        values, errors = _parse(data)
        now = self.ctx.now()
        try:
            with self.ctx.db.write() as session:
                self._check(session, values, errors, None)
                kind = AppointmentType(active=True, **values)
                session.add(kind)
                session.flush()
                audit.record(session, now, self.ctx.actor, "appointment_type.add", entity="appointment_type",
                             entity_id=kind.id, summary=_describe(kind))
                return _row(kind, _who_sees(session))
        except IntegrityError:
            raise ValidationError({"name": f"An appointment type called {values['name']!r} exists already."}) from None

    @requires("clinic.manage")
    def update(self, type_id: int, expected_version: int, data: TypeInput) -> TypeRow:
        """Change a type's name, length, colour, new-patient flag or code. Booked appointments keep
        their times; a new length applies to bookings made from now on."""
        values, errors = _parse(data)
        now = self.ctx.now()
        try:
            with self.ctx.db.write() as session:
                kind = self._type(session, type_id, expected_version)
                self._check(session, values, errors, kind.id)
                before = {name: getattr(kind, name) for name in TYPE_FIELDS}
                for name, value in values.items():
                    setattr(kind, name, value)
                session.flush()
                audit.record(session, now, self.ctx.actor, "appointment_type.update", entity="appointment_type",
                             entity_id=kind.id, summary=f"{before['name']}: " + audit.describe_changes(before, values))
                return _row(kind, _who_sees(session))
        except StaleDataError:
            raise ConcurrentEdit("appointment type") from None
        except IntegrityError:
            raise ValidationError({"name": f"An appointment type called {values['name']!r} exists already."}) from None

    @requires("clinic.manage")
    def retire(self, type_id: int, expected_version: int) -> TypeRow:
        """No longer booked: the appointments that have it keep it (and can be moved)."""
        return self._set_active(type_id, expected_version, False)

    @requires("clinic.manage")
    def reinstate(self, type_id: int, expected_version: int) -> TypeRow:
        """Offered for booking again."""
        return self._set_active(type_id, expected_version, True)

    def _set_active(self, type_id: int, expected_version: int, active: bool) -> TypeRow:
        try:
            with self.ctx.db.write() as session:
                kind = self._type(session, type_id, expected_version)
                if kind.active == active:
                    state = "in use" if active else "retired"
                    raise ValidationError({"active": f"{kind.name} is {state} already."})
                kind.active = active
                session.flush()
                audit.record(session, self.ctx.now(), self.ctx.actor,
                             "appointment_type.reinstate" if active else "appointment_type.retire",
                             entity="appointment_type", entity_id=kind.id, summary=kind.name)
                return _row(kind, _who_sees(session))
        except StaleDataError:
            raise ConcurrentEdit("appointment type") from None

    @staticmethod
    def _type(session: Session, type_id: int, expected_version: int) -> AppointmentType:
        kind = session.get(AppointmentType, type_id)
        if kind is None:
            raise NotFound(f"No appointment type has id {type_id}.")
        if kind.version != expected_version:
            raise ConcurrentEdit("appointment type")
        return kind

    @staticmethod
    def _check(session: Session, values: dict[str, object], errors: dict[str, str], type_id: int | None) -> None:
        """With the typed fields' `errors`: the name is free whatever its case, a code is on the fee
        schedule or a CPT/HCPCS code. Every problem is reported at once."""
        errors = dict(errors)
        query = select(AppointmentType).where(func.lower(AppointmentType.name) == str(values["name"]).lower())
        if type_id is not None:
            query = query.where(AppointmentType.id != type_id)
        other = session.scalars(query.limit(1)).first() if values["name"] else None
        if other is not None:
            retired = "" if other.active else " (retired: reinstate it instead)"
            errors["name"] = f"An appointment type called {other.name!r} exists already{retired}."
        code = str(values["default_code"])
        if code and session.scalar(select(FeeScheduleItem.id).where(FeeScheduleItem.code == code)) is None \
                and not (CPT.match(code) or HCPCS.match(code)):
            errors["default_code"] = (f"Code {code}: not on the fee schedule, and neither a CPT code (5 digits, "
                                      "e.g. 99213) nor a HCPCS code (a letter and 4 digits, e.g. J1100).")
        if errors:
            raise ValidationError(errors)


def _who_sees(session: Session) -> tuple[int, list[str], dict[int, list[str]]]:
    """(how many active providers, those who see every type, {type id: those who list it}), by name."""
    providers = session.execute(
        select(Provider.id, User.full_name).join(User, User.id == Provider.user_id)
        .where(Provider.active.is_(True)).order_by(User.full_name)).all()
    listed: dict[int, list[int]] = {}
    for provider_id, type_id in session.execute(select(ProviderAppointmentType.provider_id,
                                                       ProviderAppointmentType.type_id)):
        listed.setdefault(provider_id, []).append(type_id)
    by_type: dict[int, list[str]] = {}
    for pid, name in providers:
        for type_id in listed.get(pid, ()):
            by_type.setdefault(type_id, []).append(name)
    return len(providers), [name for pid, name in providers if pid not in listed], by_type


def _row(kind: AppointmentType, seers: tuple[int, list[str], dict[int, list[str]]]) -> TypeRow:
    total, everything, by_type = seers
    names = sorted(everything + by_type.get(kind.id, []))
    providers = "all" if total and len(names) == total else ", ".join(names) or "none"
    return TypeRow(kind.id, kind.version, kind.name, kind.default_minutes, kind.colour, kind.new_patient,
                   kind.default_code, kind.active, providers)


def _describe(kind: AppointmentType) -> str:
    parts = [kind.name, f"{kind.default_minutes} min", kind.colour]
    if kind.new_patient:
        parts.append("new patient")
    if kind.default_code:
        parts.append(f"code {kind.default_code}")
    return ", ".join(parts)
