"""Providers (Practice setup -> Providers, `officeconsole provider ...`): the staff members who see
patients, with what claims and the schedule need of them.

Making a staff member a provider adds their provider record: the individual NPI (check digit
verified, one per provider), taxonomy code, credentials, specialty, the schedule colour, the
default visit length, the appointment types they see (none listed: every type) and whether they
bill under their own NPI. A provider is retired, never deleted (visits and claims keep them), and
only once nothing is booked with them from now on; a retired provider is reinstated rather than
added twice. Every change is audited and version-checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import Appointment, AppointmentType, Provider, ProviderAppointmentType, User
from officeconsole.models.enums import AppointmentStatus, Role
from officeconsole.services.common.colours import parse_colour
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, NotFound, ValidationError
from officeconsole.services.common.identifiers import valid_npi, valid_taxonomy
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.security import audit

# Credentials as they are usually written; typed in any case, they are stored in this form.
CREDENTIALS = ("MD", "DO", "MBBS", "NP", "FNP-C", "FNP-BC", "AGNP-C", "ANP-BC", "PNP-BC", "WHNP-BC", "PMHNP-BC",
               "APRN", "DNP", "CNM", "PA", "PA-C", "DPM", "DC", "OD", "DDS", "DMD", "PhD", "PsyD", "LCSW", "LPC",
               "RD", "PT", "DPT", "OT", "RN", "CRNA", "MPH")
_KNOWN_CREDENTIALS = {c.upper(): c for c in CREDENTIALS}
_CREDENTIAL_TEXT = re.compile(r"^[A-Za-z][A-Za-z0-9 .,/()-]*$")
BOOKED = (AppointmentStatus.SCHEDULED, AppointmentStatus.ARRIVED, AppointmentStatus.ROOMED,
          AppointmentStatus.WITH_PROVIDER)
MIN_VISIT, MAX_VISIT = 5, 240


@dataclass(frozen=True)
class ProviderInput:
    """A provider as typed: the form's fields, the CLI's options."""

    user_id: int
    npi: str
    taxonomy: str = ""
    credentials: str = ""
    specialty: str = ""
    colour: str = "steelblue"
    default_visit_minutes: int | str = 20
    type_ids: tuple[int, ...] = ()  # the appointment types they see; none: every type
    bills_own_npi: bool = False


@dataclass(frozen=True)
class ProviderRow:
    id: int
    version: int
    user_id: int
    name: str
    username: str
    npi: str
    taxonomy: str
    credentials: str
    specialty: str
    colour: str
    default_visit_minutes: int
    type_ids: tuple[int, ...]
    type_names: tuple[str, ...]  # empty: sees every type
    bills_own_npi: bool
    active: bool

    @property
    def label(self) -> str:
        """"Avery Lee, MD"."""
        return f"{self.name}, {self.credentials}" if self.credentials else self.name

    @property
    def types_label(self) -> str:
        return ", ".join(self.type_names) if self.type_names else "all"


@dataclass(frozen=True)
class CandidateRow:
    """A staff member who could be made a provider."""

    user_id: int
    username: str
    name: str
    role: str
    was_provider: bool  # a retired provider: adding them reinstates their record

    @property
    def label(self) -> str:
        note = ", a retired provider" if self.was_provider else ""
        return f"{self.name} ({self.username}, {Role(self.role).label}{note})"


def parse_credentials(value: str) -> str:
    """"md" -> "MD", "pa-c, mph" -> "PA-C, MPH"; free text up to 20 characters otherwise."""
    text = clean_text(value)
    if not text:
        return ""
    if len(text) > 20:
        raise ValueError("Credentials: at most 20 characters, e.g. MD, DO, FNP-C or PA-C.")
    if not _CREDENTIAL_TEXT.match(text):
        raise ValueError(f"Credentials {text!r}: letters such as MD, DO, NP, FNP-C, PA-C, DPM or DC.")
    parts = [p.strip() for p in text.split(",")]
    return ", ".join(_KNOWN_CREDENTIALS.get(p.upper().replace(" ", ""), p) for p in parts if p)


def parse_visit_minutes(value: int | str | None, low: int = MIN_VISIT, high: int = MAX_VISIT,
                        what: str = "Visit length") -> int:
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValueError(f"{what}: minutes as a whole number, such as 20.") from None
    if not low <= minutes <= high:
        raise ValueError(f"{what}: {low} to {high} minutes (not {minutes}).")
    if minutes % 5:
        raise ValueError(f"{what}: in 5-minute steps, such as {max(low, minutes - minutes % 5)} or "
                         f"{minutes - minutes % 5 + 5}.")
    return minutes


def validate_provider(data: ProviderInput) -> dict[str, Any]:
    """The provider's columns from what was typed, or ValidationError with a message per field (the
    database's rules, an NPI no one else has and types in use, are checked when saving)."""
    values, errors = _parse(data)
    if errors:
        raise ValidationError(errors)
    return values


def _parse(data: ProviderInput) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    npi = re.sub(r"[\s-]", "", clean_text(data.npi))
    taxonomy = clean_text(data.taxonomy).upper().replace(" ", "")
    values: dict[str, Any] = {"npi": npi, "taxonomy": taxonomy, "specialty": clean_text(data.specialty, 100),
                                 "bills_own_npi": bool(data.bills_own_npi)}
    if not npi:
        errors["npi"] = "NPI is required: the provider's individual (type 1) NPI, 10 digits."
    elif not valid_npi(npi):
        errors["npi"] = f"NPI {npi} is not a valid NPI: 10 digits, the last a check digit."
    if taxonomy and not valid_taxonomy(taxonomy):
        errors["taxonomy"] = (f"Taxonomy {taxonomy}: 10 characters, 3 digits, 6 letters or digits and an X, "
                              "e.g. 207Q00000X (family medicine).")
    for field, parse in (("credentials", parse_credentials), ("colour", parse_colour),
                         ("default_visit_minutes", parse_visit_minutes)):
        try:
            values[field] = parse(getattr(data, field))
        except ValueError as exc:
            errors[field] = str(exc)
    try:
        values["type_ids"] = tuple(sorted({int(t) for t in data.type_ids}))
    except (TypeError, ValueError):
        errors["type_ids"] = "Appointment types: choose them from the list."
    return values, errors


PROVIDER_FIELDS = ("npi", "taxonomy", "credentials", "specialty", "colour", "default_visit_minutes",
                   "bills_own_npi")


class ProviderService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("schedule.view")
    def providers(self, include_retired: bool = False) -> list[ProviderRow]:
        """Active providers by name; with `include_retired`, the retired ones too."""
        query = select(Provider).join(User, User.id == Provider.user_id).order_by(func.lower(User.full_name))
        if not include_retired:
            query = query.where(Provider.active.is_(True))
        with self.ctx.db.read() as session:
            return [_row(session, p) for p in session.scalars(query)]

    @requires("clinic.manage")
    def candidates(self) -> list[CandidateRow]:
        """Active staff who are not providers (any role: a solo doctor may be the manager), by name."""
        with self.ctx.db.read() as session:
            rows = session.execute(
                select(User.id, User.username, User.full_name, User.role, Provider.id)
                .outerjoin(Provider, Provider.user_id == User.id)
                .where(User.active.is_(True), (Provider.id.is_(None)) | Provider.active.is_(False))
                .order_by(func.lower(User.full_name)))
            return [CandidateRow(uid, username, name, role, provider_id is not None)
                    for uid, username, name, role, provider_id in rows]

    @requires("clinic.manage")
    def type_ids_for(self, names: str) -> tuple[int, ...]:
        """"Follow-up, Sick visit" -> their ids (any case); "" or "all" -> () (every type)."""
        wanted = [clean_text(n) for n in re.split(r"[,;]", names or "") if clean_text(n)]
        if [w.lower() for w in wanted] in ([], ["all"]):
            return ()
        with self.ctx.db.read() as session:
            kinds = {name.lower(): (type_id, name, active) for type_id, name, active in session.execute(
                select(AppointmentType.id, AppointmentType.name, AppointmentType.active))}
        unknown = [w for w in wanted if w.lower() not in kinds]
        if unknown:
            offered = ", ".join(sorted(name for _, name, active in kinds.values() if active)) or "none yet"
            raise ValidationError({"type_ids": f"No appointment type is called {', '.join(unknown)} "
                                               f"(types: {offered})."})
        return tuple(sorted({kinds[w.lower()][0] for w in wanted}))

    @requires("clinic.manage")
    def add(self, data: ProviderInput) -> ProviderRow:
        """Make a staff member a provider (a retired provider's record is reinstated and updated)."""
        values, errors = _parse(data)
        now = self.ctx.now()
        try:
            with self.ctx.db.write() as session:
                user = session.get(User, data.user_id) if data.user_id else None
                if user is None or not user.active:
                    raise ValidationError({"user_id": "Choose an active staff member to make a provider."})
                provider = session.scalar(select(Provider).where(Provider.user_id == user.id))
                if provider is not None and provider.active:
                    raise ValidationError({"user_id": f"{user.full_name} is a provider already: edit their "
                                                      "record instead."})
                self._check(session, values, errors, provider)
                if provider is None:
                    provider = Provider(user_id=user.id, active=True)
                    session.add(provider)
                    action = "provider.add"
                else:
                    provider.active = True
                    action = "provider.reinstate"
                before = {name: getattr(provider, name) for name in PROVIDER_FIELDS}
                self._apply(session, provider, values)
                summary = (f"{user.full_name} NPI {provider.npi}" if action == "provider.add" else
                           f"{user.full_name} (retired, reinstated): " + audit.describe_changes(
                               before, {name: values[name] for name in PROVIDER_FIELDS}))
                audit.record(session, now, self.ctx.actor, action, entity="provider", entity_id=provider.id,
                             summary=summary + _types_note(session, values["type_ids"]))
                return _row(session, provider)
        except StaleDataError:
            raise ConcurrentEdit("provider") from None
        except IntegrityError:
            raise ValidationError({"npi": f"NPI {values['npi']} belongs to another provider already."}) from None

    @requires("clinic.manage")
    def update(self, provider_id: int, expected_version: int, data: ProviderInput) -> ProviderRow:
        """Change a provider's NPI, taxonomy, credentials, colour, visit length, types or billing."""
        values, errors = _parse(data)
        now = self.ctx.now()
        try:
            with self.ctx.db.write() as session:
                provider = self._provider(session, provider_id, expected_version)
                if data.user_id and data.user_id != provider.user_id:
                    raise ValidationError({"user_id": "A provider record stays with its person: make the other "
                                                      "staff member a provider instead."})
                self._check(session, values, errors, provider)
                before = {name: getattr(provider, name) for name in PROVIDER_FIELDS}
                old_types = _type_ids(session, provider.id)
                self._apply(session, provider, values)
                changes = audit.describe_changes(before, {name: values[name] for name in PROVIDER_FIELDS})
                if old_types != values["type_ids"]:
                    changes = (changes if changes != "no changes" else "") + _types_note(session, values["type_ids"])
                audit.record(session, now, self.ctx.actor, "provider.update", entity="provider",
                             entity_id=provider.id, summary=f"{provider.user.full_name}: {changes}".strip())
                return _row(session, provider)
        except StaleDataError:
            raise ConcurrentEdit("provider") from None
        except IntegrityError:
            raise ValidationError({"npi": f"NPI {values['npi']} belongs to another provider already."}) from None

    @requires("clinic.manage")
    def retire(self, provider_id: int, expected_version: int) -> ProviderRow:
        """No longer a provider: off the schedule and the booking lists from now on; past visits and
        claims keep them. Refused while visits are booked with them from now on."""
        return self._set_active(provider_id, expected_version, False)

    @requires("clinic.manage")
    def reinstate(self, provider_id: int, expected_version: int) -> ProviderRow:
        """A retired provider back on the schedule (their hours are as they were)."""
        return self._set_active(provider_id, expected_version, True)

    def _set_active(self, provider_id: int, expected_version: int, active: bool) -> ProviderRow:
        now = self.ctx.now()
        try:
            with self.ctx.db.write() as session:
                provider = self._provider(session, provider_id, expected_version)
                name = provider.user.full_name
                if provider.active == active:
                    raise ValidationError({"active": f"{name} is {'an active' if active else 'a retired'} "
                                                     "provider already."})
                if not active:
                    booked = list(session.scalars(
                        select(Appointment.start_at).where(
                            Appointment.provider_id == provider.id, Appointment.end_at > now,
                            Appointment.status.in_(BOOKED)).order_by(Appointment.start_at)))
                    if booked:
                        zone = self.ctx.timezone
                        days = list(dict.fromkeys(f"{at.astimezone(zone):%m/%d/%Y}" for at in booked))
                        shown = ", ".join(days[:3]) + (f" and {len(days) - 3} more days" if len(days) > 3 else "")
                        raise ValidationError({"active": f"{name} has {len(booked)} booked visit"
                                                         f"{'s' if len(booked) != 1 else ''} from now on "
                                                         f"({shown}): move or cancel them first."})
                provider.active = active
                session.flush()
                audit.record(session, now, self.ctx.actor, "provider.reinstate" if active else "provider.retire",
                             entity="provider", entity_id=provider.id, summary=f"{name} NPI {provider.npi}")
                return _row(session, provider)
        except StaleDataError:
            raise ConcurrentEdit("provider") from None

    @staticmethod
    def _provider(session: Session, provider_id: int, expected_version: int) -> Provider:
        provider = session.get(Provider, provider_id)
        if provider is None:
            raise NotFound(f"No provider has id {provider_id}.")
        if provider.version != expected_version:
            raise ConcurrentEdit("provider")
        return provider

    @staticmethod
    def _check(session: Session, values: dict[str, Any], errors: dict[str, str],
               provider: Provider | None) -> None:
        """With the typed fields' `errors`, the rules that need the database: the NPI is no one else's,
        the types exist and are in use (a retired type they already see may stay on their list).
        Every problem is reported at once."""
        errors = dict(errors)
        other = None if "npi" in errors else session.scalar(
            select(Provider).where(Provider.npi == values["npi"],
                                   Provider.id != (provider.id if provider and provider.id else 0)))
        if other is not None:
            retired = "" if other.active else " (a retired provider)"
            errors["npi"] = f"NPI {values['npi']} is {other.user.full_name}'s{retired}: each provider has their own."
        type_ids = values.get("type_ids", ())
        if type_ids:
            kinds = {k.id: k for k in session.scalars(select(AppointmentType).where(AppointmentType.id.in_(type_ids)))}
            kept = _type_ids(session, provider.id) if provider is not None and provider.id else ()
            missing = [str(t) for t in type_ids if t not in kinds]
            retired_types = [kinds[t].name for t in type_ids if t in kinds and not kinds[t].active and t not in kept]
            if missing:
                errors["type_ids"] = f"No appointment type has id {', '.join(missing)}."
            elif retired_types:
                errors["type_ids"] = f"{', '.join(retired_types)}: retired, no longer booked. Reinstate it first."
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _apply(session: Session, provider: Provider, values: dict[str, Any]) -> None:
        for name in PROVIDER_FIELDS:
            setattr(provider, name, values[name])
        session.flush()
        type_ids = values["type_ids"]
        if _type_ids(session, provider.id) != type_ids:
            session.execute(delete(ProviderAppointmentType).where(ProviderAppointmentType.provider_id == provider.id))
            session.add_all(ProviderAppointmentType(provider_id=provider.id, type_id=t) for t in type_ids)
            flag_modified(provider, "active")  # the list is part of the record: its version moves on too
            session.flush()


def _type_ids(session: Session, provider_id: int) -> tuple[int, ...]:
    return tuple(sorted(session.scalars(select(ProviderAppointmentType.type_id)
                                        .where(ProviderAppointmentType.provider_id == provider_id))))


def _types_note(session: Session, type_ids: tuple[int, ...]) -> str:
    if not type_ids:
        return "; sees every type"
    names = session.scalars(select(AppointmentType.name).where(AppointmentType.id.in_(type_ids))
                            .order_by(AppointmentType.name))
    return "; sees " + ", ".join(names)


def _row(session: Session, provider: Provider) -> ProviderRow:
    kinds = session.execute(
        select(AppointmentType.id, AppointmentType.name)
        .join(ProviderAppointmentType, ProviderAppointmentType.type_id == AppointmentType.id)
        .where(ProviderAppointmentType.provider_id == provider.id).order_by(AppointmentType.name)).all()
    user = provider.user
    return ProviderRow(
        id=provider.id, version=provider.version, user_id=provider.user_id, name=user.full_name,
        username=user.username, npi=provider.npi, taxonomy=provider.taxonomy, credentials=provider.credentials,
        specialty=provider.specialty, colour=provider.colour, default_visit_minutes=provider.default_visit_minutes,
        type_ids=tuple(k.id for k in kinds), type_names=tuple(k.name for k in kinds),
        bills_own_npi=provider.bills_own_npi, active=provider.active)
