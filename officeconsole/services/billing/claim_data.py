"""Everything one claim needs, read in one place: the scrubber checks it, the 837P writes it.

Plain frozen values, so the checks and the X12 writer are pure functions that tests can
feed directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from officeconsole.models import (
    Appointment,
    ChargeLine,
    Encounter,
    EncounterDiagnosis,
    FeeScheduleItem,
    InsurancePolicy,
    Patient,
    Payer,
    Provider,
    User,
)
from officeconsole.models.billing import EncounterStatus as St
from officeconsole.services.common.errors import NotFound
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.practice.clinic import clinic_row


@dataclass(frozen=True)
class ClaimPatient:
    id: int
    mrn: str
    first_name: str
    middle_name: str
    last_name: str
    dob: dt.date | None
    sex: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    latin_first_name: str = ""  # the name in Latin letters, for a name typed in another script
    latin_last_name: str = ""


@dataclass(frozen=True)
class ClaimPolicy:
    id: int
    rank: int
    member_id: str
    group_number: str
    relationship: str
    subscriber_name: str
    subscriber_dob: dt.date | None
    payer_id: int
    payer_name: str
    payer_code: str
    payer_active: bool
    filing_code: str = "CI"
    # The subscriber's name in parts (empty when the patient is the subscriber, or the name typed
    # in one line could not be split surely).
    subscriber_last: str = ""
    subscriber_first: str = ""
    subscriber_middle: str = ""
    subscriber_suffix: str = ""


@dataclass(frozen=True)
class BillingProvider:
    name: str
    npi: str
    tax_id: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    phone: str
    clearinghouse_id: str
    clearinghouse_name: str
    taxonomy: str = ""  # PRV03 of the billing provider loop
    submitter_id: str = ""  # from the clearinghouse (ISA06, GS02, 1000A NM109); empty: the NPI
    production: bool = True  # ISA15: P, or T for a test interchange


@dataclass(frozen=True)
class ClaimLine:
    id: int
    line_no: int
    code: str
    modifiers: tuple[str, ...]
    units: int
    fee: Decimal
    pointers: tuple[int, ...]
    on_fee_schedule: bool

    @property
    def amount(self) -> Decimal:
        return self.fee * self.units


@dataclass(frozen=True)
class OtherLine:
    """What an earlier payer said about one line (a 2430 loop): paid, and its adjustments."""

    charge_line_id: int
    paid: Decimal
    adjustments: tuple[tuple[str, str, Decimal], ...]  # (CAS group, reason, amount)


@dataclass(frozen=True)
class OtherPayer:
    """An earlier payer of a secondary or tertiary claim (loops 2320, 2330A, 2330B and 2430)."""

    policy: ClaimPolicy
    sequence: str  # its SBR01: P, or S for a tertiary claim's secondary
    paid: Decimal  # AMT*D: what it paid on the claim
    adjudicated_on: dt.date  # DTP*573
    claim_adjustments: tuple[tuple[str, str, Decimal], ...]
    lines: tuple[OtherLine, ...]

    def line(self, charge_line_id: int) -> OtherLine | None:
        return next((x for x in self.lines if x.charge_line_id == charge_line_id), None)


@dataclass(frozen=True)
class ClaimData:
    encounter_id: int
    version: int
    status: str
    date_of_service: dt.date
    place_of_service: str
    patient: ClaimPatient
    policy: ClaimPolicy | None
    rendering_name: str
    rendering_npi: str
    billing: BillingProvider
    diagnoses: tuple[str, ...]  # with the dot, primary first
    lines: tuple[ClaimLine, ...]
    rendering_taxonomy: str = ""
    # The rendering provider is the billing provider: they bill under their own NPI, or theirs is the
    # clinic's (a solo practitioner). The clinic stays the submitter, and its address and tax ID are used.
    own_billing: bool = False
    visit_status: str = "checked_out"  # the visit's appointment: a claim is made only once it is over
    sequence: str = "P"  # SBR01: the payer billed is the primary, secondary (S) or tertiary (T)
    frequency: str = "1"  # CLM05-3: 1 original, 7 corrected, 8 void
    replaces_claim_number: str = ""  # REF*F8 of a corrected or void claim: the payer's CLP07
    other_payers: tuple[OtherPayer, ...] = ()  # the earlier payers' adjudications (S and T claims)

    @property
    def billing_npi(self) -> str:
        return self.rendering_npi if self.own_billing else self.billing.npi

    @property
    def billing_taxonomy(self) -> str:
        return (self.rendering_taxonomy or self.billing.taxonomy) if self.own_billing else self.billing.taxonomy

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def claim_id(self) -> str:
        """CLM01, the patient control number the payer echoes back in the 835 (CLP01)."""
        return f"OC{self.encounter_id}"


def claim_id_to_encounter(claim_id: str) -> int | None:
    text = (claim_id or "").strip().upper()
    return int(text[2:]) if text.startswith("OC") and text[2:].isdigit() else None


def billing_provider(session: Session) -> BillingProvider:
    c = clinic_row(session)
    return BillingProvider(c.name, c.npi, c.tax_id, c.address_line1, c.address_line2, c.city, c.state,
                           c.postal_code, c.phone, c.clearinghouse_id, c.clearinghouse_name, c.taxonomy,
                           c.submitter_id, c.x12_usage != "T")


def _in_force(policy: InsurancePolicy, day: dt.date) -> bool:
    return policy.effective_from <= day and (policy.effective_to is None or policy.effective_to >= day)


def _policy_is_fixed(encounter: Encounter) -> bool:
    """Once a claim is marked ready its policy is the one fixed on it (a primary being coded, or
    rejected and recoded, follows the patient's policies instead)."""
    return encounter.policy_id is not None and (encounter.claim_sequence != "P"
                                                or encounter.status not in (St.NEEDS_CODING, St.REJECTED))


def billed_policy(session: Session, encounter: Encounter) -> InsurancePolicy | None:
    """The first-ranked policy in force on the date of service while the claim is being coded;
    the one fixed on it once it is marked ready."""
    return _billed_policies(session, [encounter])[encounter.id]


def _billed_policies(session: Session, encounters: Sequence[Encounter]) -> dict[int, InsurancePolicy | None]:
    fixed = {e.id: e.policy_id for e in encounters if e.policy_id is not None and _policy_is_fixed(e)}
    found = _by_id(session, InsurancePolicy, fixed.values())
    by_patient: dict[int, list[InsurancePolicy]] = {}
    for chunk in _chunks(sorted({e.patient_id for e in encounters if e.id not in fixed})):
        for row in session.scalars(select(InsurancePolicy).where(InsurancePolicy.patient_id.in_(chunk))
                                   .order_by(InsurancePolicy.rank, InsurancePolicy.id)):
            by_patient.setdefault(row.patient_id, []).append(row)
    return {e.id: found.get(fixed[e.id]) if e.id in fixed else
            next((row for row in by_patient.get(e.patient_id, ()) if _in_force(row, e.date_of_service)), None)
            for e in encounters}


def fee_codes(session: Session) -> frozenset[str]:
    """The active fee schedule's codes (read once per batch, not once per claim)."""
    return frozenset(session.scalars(select(FeeScheduleItem.code).where(FeeScheduleItem.active.is_(True))))


CHUNK = 500  # ids per IN list: well inside both engines' parameter limits


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


_Row = TypeVar("_Row", Patient, InsurancePolicy, Payer)


def _by_id(session: Session, model: type[_Row], ids: Iterable[int]) -> dict[int, _Row]:
    """The rows of `model` with these ids, read CHUNK at a time."""
    found: dict[int, _Row] = {}
    for chunk in _chunks(sorted(set(ids))):
        found.update((row.id, row) for row in session.scalars(select(model).where(model.id.in_(chunk))))
    return found


def load_claim(session: Session, encounter_id: int, billing: BillingProvider | None = None,
               scheduled: frozenset[str] | None = None) -> ClaimData:
    encounter = get_or_fail(session, Encounter, encounter_id, "encounter")
    return load_claims(session, [encounter], billing, scheduled)[0]


def load_claims(session: Session, encounters: Sequence[Encounter], billing: BillingProvider | None = None,
                scheduled: frozenset[str] | None = None) -> list[ClaimData]:
    """The claims of `encounters`, in their order, read with a few queries per few hundred claims
    (a batch of 837s or a night's ready run reads each table once, not once per claim)."""
    if not encounters:
        return []
    ids = sorted({e.id for e in encounters})
    patients = _by_id(session, Patient, (e.patient_id for e in encounters))
    missing = next((e.patient_id for e in encounters if e.patient_id not in patients), None)
    if missing is not None:
        raise NotFound(f"No patient has id {missing}.")
    policies = _billed_policies(session, encounters)
    payers = _by_id(session, Payer, (p.payer_id for p in policies.values() if p is not None))
    providers = {row.id: row for row in session.execute(
        select(Provider.id, User.full_name, Provider.npi, Provider.taxonomy, Provider.bills_own_npi)
        .join(User, Provider.user_id == User.id)
        .where(Provider.id.in_(sorted({e.provider_id for e in encounters}))))}
    diagnoses: dict[int, list[str]] = {}
    lines: dict[int, list[ChargeLine]] = {}
    visits: dict[int, str] = {}
    for chunk in _chunks(ids):
        for encounter_id, code in session.execute(
                select(EncounterDiagnosis.encounter_id, EncounterDiagnosis.code)
                .where(EncounterDiagnosis.encounter_id.in_(chunk))
                .order_by(EncounterDiagnosis.encounter_id, EncounterDiagnosis.position)):
            diagnoses.setdefault(encounter_id, []).append(code)
        for line in session.scalars(select(ChargeLine).where(ChargeLine.encounter_id.in_(chunk))
                                    .order_by(ChargeLine.encounter_id, ChargeLine.line_no)):
            lines.setdefault(line.encounter_id, []).append(line)
    for chunk in _chunks(sorted({e.appointment_id for e in encounters if e.appointment_id is not None})):
        visits.update({row.id: row.status for row in session.execute(
            select(Appointment.id, Appointment.status).where(Appointment.id.in_(chunk)))})
    scheduled = fee_codes(session) if scheduled is None else scheduled
    billing = billing or billing_provider(session)
    from officeconsole.services.billing.cob import (
        other_payers,  # (cob reads claims through this module)
    )

    claims = []
    for e in encounters:
        p = patients[e.patient_id]
        patient = ClaimPatient(p.id, p.mrn, p.first_name, p.middle_name, p.last_name, p.dob, p.sex,
                               p.address_line1, p.address_line2, p.city, p.state, p.postal_code,
                               p.latin_first_name, p.latin_last_name)
        row = policies[e.id]
        policy = None if row is None else _claim_policy(row, payers[row.payer_id])
        provider = providers.get(e.provider_id)
        if provider is None:
            raise NotFound(f"No provider has id {e.provider_id}.")
        own = provider.bills_own_npi or (bool(provider.npi) and provider.npi == billing.npi)  # a solo practitioner
        claim_lines = tuple(
            ClaimLine(c.id, c.line_no, c.code, tuple(m for m in c.modifiers.split(",") if m), c.units, c.fee,
                      tuple(int(x) for x in c.diagnosis_pointers.split(",") if x), c.code in scheduled)
            for c in lines.get(e.id, ()))
        claims.append(ClaimData(
            e.id, e.version, e.status, e.date_of_service, e.place_of_service, patient, policy, provider.full_name,
            provider.npi, billing, tuple(diagnoses.get(e.id, ())), claim_lines, provider.taxonomy, own,
            visits.get(e.appointment_id) or "checked_out", e.claim_sequence, e.claim_frequency,
            e.replaces_claim_number, other_payers(session, e)))
    return claims


def claim_policy(session: Session, row: InsurancePolicy) -> ClaimPolicy:
    return _claim_policy(row, get_or_fail(session, Payer, row.payer_id, "payer"))


def _claim_policy(row: InsurancePolicy, payer: Payer) -> ClaimPolicy:
    return ClaimPolicy(row.id, row.rank, row.member_id, row.group_number, row.subscriber_relationship,
                       row.subscriber_name, row.subscriber_dob, payer.id, payer.name, payer.payer_code,
                       payer.active, payer.filing_code, row.subscriber_last_name, row.subscriber_first_name,
                       row.subscriber_middle_name, row.subscriber_suffix)
