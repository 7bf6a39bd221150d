"""Payers and each patient's insurance policies (primary, secondary, tertiary)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import InsurancePolicy, Patient, Payer
from officeconsole.models.enums import Relationship
from officeconsole.services import audit
from officeconsole.services.context import ServiceContext
from officeconsole.services.errors import ConcurrentEdit, NotFound, ValidationError
from officeconsole.services.permissions import requires
from officeconsole.services.text import clean_text, parse_date, parse_phone

RANK_LABELS = {1: "Primary", 2: "Secondary", 3: "Tertiary"}


@dataclass(frozen=True)
class PayerRow:
    id: int
    name: str
    payer_code: str


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
    )


@dataclass
class PolicyInput:
    payer_id: int | None = None
    rank: str | int = 1
    member_id: str = ""
    group_number: str = ""
    subscriber_name: str = ""
    subscriber_dob: str | dt.date = ""
    relationship: str = Relationship.SELF.value
    effective_from: str | dt.date = ""
    effective_to: str | dt.date = ""
    copay: str | Decimal = ""


def validate_policy(data: PolicyInput) -> dict[str, object]:
    errors: dict[str, str] = {}
    values: dict[str, object] = {
        "member_id": clean_text(data.member_id, 40),
        "group_number": clean_text(data.group_number, 40),
        "subscriber_name": clean_text(data.subscriber_name, 200),
    }
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
    if start and end and end < start:
        errors["effective_to"] = "The policy cannot end before it starts."
    copay_text = clean_text(str(data.copay)).lstrip("$") if data.copay != "" else ""
    try:
        copay = Decimal(copay_text) if copay_text else None
        if copay is not None and (copay < 0 or copay != copay.quantize(Decimal("0.01"))):
            raise InvalidOperation
        values["copay"] = copay.quantize(Decimal("0.01")) if copay is not None else None
    except InvalidOperation:
        errors["copay"] = "Copay must be an amount such as 25 or 25.00."
    if errors:
        raise ValidationError(errors)
    return values


FILING_CODES = {  # the X12 claim filing indicators a small practice meets (SBR09)
    "CI": "commercial", "BL": "Blue Cross Blue Shield", "HM": "HMO", "MB": "Medicare Part B",
    "MA": "Medicare Part A", "MC": "Medicaid", "CH": "Tricare", "VA": "Veterans Affairs", "WC": "workers' comp",
    "16": "Medicare Advantage HMO", "12": "PPO", "ZZ": "unknown",
}


class InsuranceService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("payer.view")
    def payers(self) -> list[PayerRow]:
        with self.ctx.db.read() as session:
            return [PayerRow(p.id, p.name, p.payer_code) for p in session.scalars(
                select(Payer).where(Payer.active.is_(True)).order_by(Payer.name))]

    @requires("payer.manage")
    def add_payer(self, name: str, payer_code: str = "", phone: str = "", filing_code: str = "CI") -> PayerRow:
        """A payer the clinic bills; its electronic payer ID and claim filing indicator go on claims."""
        clean_name = clean_text(name, 120)
        code = clean_text(payer_code, 20).upper()
        filing = clean_text(filing_code).upper() or "CI"
        errors = {}
        if filing not in FILING_CODES:
            errors["filing_code"] = ("Claim filing indicator: " + ", ".join(f"{k} ({v})" for k, v in FILING_CODES.items())
                                     + ".")
        if not clean_name:
            errors["name"] = "Payer name is required."
        if code and not code.isalnum():
            errors["payer_code"] = "Payer ID: letters and digits only."
        try:
            phone_e164 = parse_phone(phone)
        except ValueError as exc:
            errors["phone"] = f"Phone: {exc}."
        if errors:
            raise ValidationError(errors)
        now = self.ctx.now()
        try:
            with self.ctx.db.write() as session:
                payer = Payer(name=clean_name, payer_code=code, phone=phone_e164, filing_code=filing)
                session.add(payer)
                session.flush()
                audit.record(session, now, self.ctx.actor, "payer.add", entity="payer",
                             entity_id=payer.id, summary=f"{clean_name} {code}".strip())
                return PayerRow(payer.id, payer.name, payer.payer_code)
        except IntegrityError:
            raise ValidationError({"name": f"A payer called {clean_name!r} exists already."}) from None

    @requires("insurance.edit")
    def add_policy(self, patient_id: int, data: PolicyInput) -> PolicyView:
        values = validate_policy(data)
        now = self.ctx.now()
        try:
            with self.ctx.db.write() as session:
                patient = session.get(Patient, patient_id)
                if patient is None:
                    raise NotFound(f"No patient with id {patient_id}.")
                self._check_payer(session, values["payer_id"])
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
                self._check_payer(session, values["payer_id"])
                fields = ("payer_id", "rank", "member_id", "group_number", "subscriber_name",
                          "subscriber_dob", "subscriber_relationship", "effective_from",
                          "effective_to", "copay")
                before = {name: getattr(policy, name) for name in fields}
                for name, value in values.items():
                    setattr(policy, name, value)
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

    @staticmethod
    def _check_payer(session: Session, payer_id: object) -> None:
        if session.get(Payer, payer_id) is None:
            raise ValidationError({"payer_id": "That payer does not exist."})
