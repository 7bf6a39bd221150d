"""Payers and each patient's insurance policies (primary, secondary, tertiary).

A payer is retired, never deleted: its policies and claims keep it, it is no longer offered
for new policies, and it can be reinstated. Payer edits are version-checked.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import Encounter, InsurancePolicy, Patient, Payer
from officeconsole.models.enums import Relationship
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, NotFound, ValidationError
from officeconsole.services.common.money import COPAY_MAX, read_amount
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text, parse_date, parse_phone, too_long
from officeconsole.services.frontdesk.person_names import NameParts, split_name, suffix_of
from officeconsole.services.security import audit
from officeconsole.services.staffing.credentials import US_STATES

RANK_LABELS = {1: "Primary", 2: "Secondary", 3: "Tertiary"}


@dataclass(frozen=True)
class PayerRow:
    id: int
    name: str
    payer_code: str  # the electronic payer ID claims are sent to
    filing_code: str = "CI"  # the claim filing indicator (SBR09)
    phone: str = ""  # E.164
    address_line1: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    active: bool = True
    version: int = 1
    crossover: bool = False  # gets claims from the primary by crossover: as a secondary, expected, not sent


def payer_row(payer: Payer) -> PayerRow:
    return PayerRow(payer.id, payer.name, payer.payer_code, payer.filing_code, payer.phone, payer.address_line1,
                    payer.city, payer.state, payer.postal_code, payer.active, payer.version, bool(payer.crossover))


@dataclass
class PayerInput:
    """A payer as typed: the form's fields, the CLI's options."""

    name: str = ""
    payer_code: str = ""  # electronic payer ID
    filing_code: str = "CI"
    phone: str = ""
    address_line1: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    crossover: bool = False  # the primary (Medicare) forwards our claims to it: no secondary claim is sent


@dataclass(frozen=True)
class PolicyView:
    id: int
    version: int
    payer_id: int
    payer_name: str
    rank: int
    member_id: str
    group_number: str
    subscriber_name: str
    subscriber_dob: dt.date | None
    relationship: str
    effective_from: dt.date
    effective_to: dt.date | None
    copay: Decimal | None
    verified_at: dt.datetime | None = None  # UTC
    verified_how: str = ""
    subscriber_last_name: str = ""
    subscriber_first_name: str = ""
    subscriber_middle_name: str = ""
    subscriber_suffix: str = ""

    @property
    def subscriber_to_split(self) -> bool:
        """A subscriber name typed in one line that was not split surely into last and first."""
        return bool(self.subscriber_name) and not (self.subscriber_last_name and self.subscriber_first_name)

    @property
    def rank_label(self) -> str:
        return RANK_LABELS.get(self.rank, str(self.rank))

    def active_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


def policy_view(policy: InsurancePolicy) -> PolicyView:
    return PolicyView(
        id=policy.id, version=policy.version, payer_id=policy.payer_id,
        payer_name=policy.payer.name, rank=policy.rank, member_id=policy.member_id,
        group_number=policy.group_number, subscriber_name=policy.subscriber_name,
        subscriber_dob=policy.subscriber_dob, relationship=policy.subscriber_relationship,
        effective_from=policy.effective_from, effective_to=policy.effective_to, copay=policy.copay,
        verified_at=policy.verified_at, verified_how=policy.verified_how,
        subscriber_last_name=policy.subscriber_last_name, subscriber_first_name=policy.subscriber_first_name,
        subscriber_middle_name=policy.subscriber_middle_name, subscriber_suffix=policy.subscriber_suffix,
    )


@dataclass(frozen=True)
class SubscriberToSplit:
    policy_id: int
    mrn: str
    patient: str  # "Last, First"
    payer: str
    subscriber_name: str  # as typed, in one line


@dataclass
class PolicyInput:
    payer_id: int | None = None
    rank: str | int = 1
    member_id: str = ""
    group_number: str = ""
    subscriber_name: str = ""  # the whole name in one line (an import); split when the split is sure
    subscriber_dob: str | dt.date = ""
    relationship: str = Relationship.SELF.value
    effective_from: str | dt.date = ""
    effective_to: str | dt.date = ""
    copay: str | Decimal = ""
    # The subscriber's name in parts (the form's fields): these win over subscriber_name.
    subscriber_last_name: str = ""
    subscriber_first_name: str = ""
    subscriber_middle_name: str = ""
    subscriber_suffix: str = ""


def _subscriber(data: PolicyInput, errors: dict[str, str]) -> dict[str, str]:
    """The subscriber's name columns: from the parts typed, else from a one-line name split surely
    (a name that cannot be split keeps empty parts, to be split by a person)."""
    typed = NameParts(clean_text(data.subscriber_last_name, 100), clean_text(data.subscriber_first_name, 100),
                      clean_text(data.subscriber_middle_name, 100), clean_text(data.subscriber_suffix, 10))
    one_line = clean_text(data.subscriber_name, 200)
    if any((typed.last, typed.first, typed.middle, typed.suffix)):
        suffix = suffix_of(typed.suffix) if typed.suffix else ""
        if typed.suffix and not suffix:
            errors["subscriber_suffix"] = "Suffix: Jr, Sr, II, III, IV or V (or blank)."
        if not typed.last:
            errors["subscriber_last_name"] = "Subscriber's last name is needed with the first."
        if not typed.first:
            errors["subscriber_first_name"] = "Subscriber's first name is needed with the last."
        parts = NameParts(typed.last, typed.first, typed.middle, suffix)
        one_line = parts.full[:200]
    else:
        parts = split_name(one_line) or NameParts()
    return {"subscriber_name": one_line, "subscriber_last_name": parts.last[:100],
            "subscriber_first_name": parts.first[:100], "subscriber_middle_name": parts.middle[:100],
            "subscriber_suffix": parts.suffix}


def validate_policy(data: PolicyInput) -> dict[str, object]:
    errors: dict[str, str] = {}
    values: dict[str, object] = {
        "member_id": clean_text(data.member_id, 40),
        "group_number": clean_text(data.group_number, 40),
    }
    values.update(_subscriber(data, errors))
    if data.payer_id is None:
        errors["payer_id"] = "Choose a payer."
    values["payer_id"] = data.payer_id
    try:
        rank = int(data.rank)
        if rank not in RANK_LABELS:
            raise ValueError
        values["rank"] = rank
    except (TypeError, ValueError):
        errors["rank"] = "Rank must be 1 (primary), 2 (secondary) or 3 (tertiary)."
    if not values["member_id"]:
        errors["member_id"] = "Member ID is required."
    relationship = clean_text(data.relationship).lower() or Relationship.SELF.value
    if relationship not in {r.value for r in Relationship}:
        errors["relationship"] = "Relationship must be self, spouse, child or other."
    values["subscriber_relationship"] = relationship
    for name in ("subscriber_dob", "effective_from", "effective_to"):
        try:
            values[name] = parse_date(getattr(data, name))
        except ValueError as exc:
            errors[name] = f"{name.replace('_', ' ').capitalize()}: {exc}."
    if "effective_from" not in errors and values["effective_from"] is None:
        errors["effective_from"] = "Effective from is required."
    start, end = values.get("effective_from"), values.get("effective_to")
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
        errors["effective_to"] = "The policy cannot end before it starts."
    values["copay"] = None  # blank: no copay on this policy
    if str(data.copay if data.copay is not None else "").strip():
        try:
            values["copay"] = read_amount(data.copay, "copay", maximum=COPAY_MAX, zero=True)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    return values


FILING_CODES = {  # the X12 claim filing indicators a small practice meets (SBR09)
    "CI": "commercial", "BL": "Blue Cross Blue Shield", "HM": "HMO", "MB": "Medicare Part B",
    "MA": "Medicare Part A", "MC": "Medicaid", "CH": "Tricare", "VA": "Veterans Affairs", "WC": "workers' comp",
    "16": "Medicare Advantage HMO", "12": "PPO", "ZZ": "unknown",
}


PAYER_ID = re.compile(r"^[A-Z0-9]{2,10}$")  # the 837's NM109 for the payer: clearinghouse IDs are 5 or so
ZIP = re.compile(r"^(\d{5})-?(\d{4})?$")
PAYER_FIELDS = ("name", "payer_code", "filing_code", "phone", "address_line1", "city", "state", "postal_code",
                "crossover")


def filing_code_help() -> str:
    return "Claim filing indicator: " + ", ".join(f"{k} ({v})" for k, v in FILING_CODES.items()) + "."


def validate_payer(data: PayerInput) -> dict[str, Any]:
    """The payer's columns from what was typed, or ValidationError with a message per field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {  # the payer's columns: text, and a flag
        "name": clean_text(data.name, 120),
        "payer_code": clean_text(data.payer_code, 20).upper().replace(" ", ""),
        "filing_code": clean_text(data.filing_code).upper() or "CI",
        "address_line1": clean_text(data.address_line1, 255),
        "city": clean_text(data.city, 100),
        "state": clean_text(data.state).upper(),
        "postal_code": clean_text(data.postal_code).replace(" ", ""),
        "crossover": bool(data.crossover),
    }
    for field, label, limit in (("name", "Payer name", 120), ("address_line1", "Address", 255), ("city", "City", 100)):
        if (problem := too_long(label, getattr(data, field), limit)) is not None:
            errors[field] = problem
    if not values["name"]:
        errors.setdefault("name", "Payer name is required.")
    if values["payer_code"] and not PAYER_ID.match(values["payer_code"]):
        errors["payer_code"] = ("Payer ID: the electronic payer ID from the clearinghouse's list, "
                                "2 to 10 letters and digits (such as 60054).")
    if values["filing_code"] not in FILING_CODES:
        errors["filing_code"] = filing_code_help()
    try:
        values["phone"] = parse_phone(data.phone)
    except ValueError as exc:
        errors["phone"] = f"Phone: {exc}."
    if values["state"] and values["state"] not in US_STATES:
        errors["state"] = f"State: {values['state']!r} is not a US state or territory code (such as IL)."
    if values["postal_code"]:
        match = ZIP.match(values["postal_code"])
        if match is None:
            errors["postal_code"] = "ZIP: 5 digits, or 9 as ZIP+4 (62704 or 62704-1234)."
        else:
            values["postal_code"] = match.group(1) + (f"-{match.group(2)}" if match.group(2) else "")
    if errors:
        raise ValidationError(errors)
    return values


def check_payer(session: Session, payer_id: object, current: int | None) -> None:
    """A new policy needs an active payer; a policy already with a retired payer may keep it."""
    payer = session.get(Payer, payer_id)
    if payer is None:
        raise ValidationError({"payer_id": "That payer does not exist."})
    if not payer.active and payer.id != current:
        raise ValidationError({"payer_id": f"{payer.name} is retired: choose another payer (a manager can "
                                           "reinstate it in Practice setup -> Payers)."})


class InsuranceService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("payer.view")
    def payers(self, include_retired: bool = False) -> list[PayerRow]:
        """Active payers by name (the ones offered for new policies); with `include_retired`, all."""
        query = select(Payer).order_by(func.lower(Payer.name))
        if not include_retired:
            query = query.where(Payer.active.is_(True))
        with self.ctx.db.read() as session:
            return [payer_row(p) for p in session.scalars(query)]

    @requires("payer.manage")
    def add_payer(self, name: str, payer_code: str = "", phone: str = "", filing_code: str = "CI", *,
                  address_line1: str = "", city: str = "", state: str = "", postal_code: str = "",
                  crossover: bool = False) -> PayerRow:
        """A payer the clinic bills; its electronic payer ID and claim filing indicator go on claims.
        `crossover`: it gets claims from the primary (Medicare to a supplement), so as a secondary it
        is not sent a claim: its 835 is waited for."""
        values = validate_payer(PayerInput(name, payer_code, filing_code, phone, address_line1, city, state,
                                           postal_code, crossover))
        now = self.ctx.now()
        try:
            with self.ctx.db.write() as session:
                self._check_name_free(session, values["name"], None)
                payer = Payer(active=True, **values)
                session.add(payer)
                session.flush()
                audit.record(session, now, self.ctx.actor, "payer.add", entity="payer",
                             entity_id=payer.id, summary=f"{payer.name} {payer.payer_code}".strip())
                return payer_row(payer)
        except IntegrityError:
            raise ValidationError({"name": f"A payer called {values['name']!r} exists already."}) from None

    @requires("payer.manage")
    def update_payer(self, payer_id: int, expected_version: int, data: PayerInput) -> PayerRow:
        """Change a payer's name, payer ID, filing indicator, phone or address. Policies and claims
        follow the payer, so a new payer ID goes on the claims exported from now on."""
        values = validate_payer(data)
        now = self.ctx.now()
        try:
            with self.ctx.db.write() as session:
                payer = self._payer(session, payer_id, expected_version)
                self._check_name_free(session, values["name"], payer.id)
                before = {name: getattr(payer, name) for name in PAYER_FIELDS}
                for name, value in values.items():
                    setattr(payer, name, value)
                session.flush()
                audit.record(session, now, self.ctx.actor, "payer.update", entity="payer", entity_id=payer.id,
                             summary=f"{payer.name}: " + audit.describe_changes(before, values))
                return payer_row(payer)
        except StaleDataError:
            raise ConcurrentEdit("payer") from None
        except IntegrityError:
            raise ValidationError({"name": f"A payer called {values['name']!r} exists already."}) from None

    @requires("payer.manage")
    def retire_payer(self, payer_id: int, expected_version: int) -> PayerRow:
        """No longer offered for new policies; its policies and claims keep it (and can still be billed)."""
        return self._set_active(payer_id, expected_version, False)

    @requires("payer.manage")
    def reinstate_payer(self, payer_id: int, expected_version: int) -> PayerRow:
        """Offered for new policies again."""
        return self._set_active(payer_id, expected_version, True)

    def _set_active(self, payer_id: int, expected_version: int, active: bool) -> PayerRow:
        try:
            with self.ctx.db.write() as session:
                payer = self._payer(session, payer_id, expected_version)
                if payer.active == active:
                    state = "active" if active else "retired"
                    raise ValidationError({"active": f"{payer.name} is {state} already."})
                payer.active = active
                session.flush()
                audit.record(session, self.ctx.now(), self.ctx.actor, "payer.reinstate" if active else "payer.retire",
                             entity="payer", entity_id=payer.id, summary=payer.name)
                return payer_row(payer)
        except StaleDataError:
            raise ConcurrentEdit("payer") from None

    @staticmethod
    def _payer(session: Session, payer_id: int, expected_version: int) -> Payer:
        payer = session.get(Payer, payer_id)
        if payer is None:
            raise NotFound(f"No payer with id {payer_id}.")
        if payer.version != expected_version:
            raise ConcurrentEdit("payer")
        return payer

    @staticmethod
    def _check_name_free(session: Session, name: str, payer_id: int | None) -> None:
        """Names are unique whatever their case: "Aetna" and "AETNA" would be one payer twice."""
        query = select(Payer).where(func.lower(Payer.name) == name.lower())
        if payer_id is not None:
            query = query.where(Payer.id != payer_id)
        other = session.scalars(query.limit(1)).first()
        if other is not None:
            retired = "" if other.active else " (retired: reinstate it instead)"
            raise ValidationError({"name": f"A payer called {other.name!r} exists already{retired}."})

    @requires("insurance.edit")
    def add_policy(self, patient_id: int, data: PolicyInput) -> PolicyView:
        values = validate_policy(data)
        now = self.ctx.now()
        try:
            with self.ctx.db.write() as session:
                patient = session.get(Patient, patient_id)
                if patient is None:
                    raise NotFound(f"No patient with id {patient_id}.")
                check_payer(session, values["payer_id"], None)
                policy = InsurancePolicy(patient_id=patient_id, created_at=now, **values)
                session.add(policy)
                session.flush()
                session.refresh(policy, ["payer"])
                audit.record(session, now, self.ctx.actor, "insurance.add", entity="insurance_policy",
                             entity_id=policy.id, patient_id=patient_id,
                             summary=f"{RANK_LABELS[policy.rank]} {policy.payer.name} {policy.member_id}")
                return policy_view(policy)
        except IntegrityError:
            raise ValidationError({"member_id": "This patient already has that payer and member ID."}) from None

    @requires("insurance.edit")
    def update_policy(self, policy_id: int, expected_version: int, data: PolicyInput) -> PolicyView:
        values = validate_policy(data)
        now = self.ctx.now()
        try:
            with self.ctx.db.write() as session:
                policy = session.get(InsurancePolicy, policy_id)
                if policy is None:
                    raise NotFound(f"No insurance policy with id {policy_id}.")
                if policy.version != expected_version:
                    raise ConcurrentEdit("insurance policy")
                check_payer(session, values["payer_id"], policy.payer_id)
                fields = ("payer_id", "rank", "member_id", "group_number", "subscriber_name", "subscriber_last_name",
                          "subscriber_first_name", "subscriber_middle_name", "subscriber_suffix",
                          "subscriber_dob", "subscriber_relationship", "effective_from",
                          "effective_to", "copay")
                before = {name: getattr(policy, name) for name in fields}
                for name, value in values.items():
                    setattr(policy, name, value)
                if policy.payer_id != before["payer_id"]:  # the claims on it carry its payer for the queue
                    session.execute(update(Encounter).where(Encounter.policy_id == policy.id)
                                    .values(payer_id=policy.payer_id))
                session.flush()
                session.refresh(policy, ["payer"])
                audit.record(session, now, self.ctx.actor, "insurance.update", entity="insurance_policy",
                             entity_id=policy.id, patient_id=policy.patient_id,
                             summary=audit.describe_changes(before, {n: getattr(policy, n) for n in fields}))
                return policy_view(policy)
        except StaleDataError:
            raise ConcurrentEdit("insurance policy") from None
        except IntegrityError:
            raise ValidationError({"member_id": "This patient already has that payer and member ID."}) from None

    @requires("billing.view")
    def subscriber_names_to_split(self) -> list[SubscriberToSplit]:
        """Policies whose subscriber name is in one line and was not split surely (by the upgrade that
        brought name parts, or an import): claims on them are held until a person splits it."""
        with self.ctx.db.read() as session:
            rows = session.execute(
                select(InsurancePolicy.id, Patient.mrn, Patient.last_name, Patient.first_name, Payer.name,
                       InsurancePolicy.subscriber_name)
                .join(Patient, Patient.id == InsurancePolicy.patient_id).join(Payer, Payer.id == InsurancePolicy.payer_id)
                .where(InsurancePolicy.subscriber_name != "",
                       (InsurancePolicy.subscriber_last_name == "") | (InsurancePolicy.subscriber_first_name == ""))
                .order_by(Patient.last_name, Patient.first_name, InsurancePolicy.rank))
            return [SubscriberToSplit(policy_id, mrn, f"{last}, {first}", payer, name)
                    for policy_id, mrn, last, first, payer, name in rows]
