"""Everything one claim needs, read in one place: the scrubber checks it, the 837P writes it.

Plain frozen values, so the checks and the X12 writer are pure functions that tests can
feed directly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

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


def billed_policy(session: Session, encounter: Encounter) -> InsurancePolicy | None:
    """The first-ranked policy in force on the date of service while the claim is being coded;
    the one fixed on it once it is marked ready."""
    if encounter.policy_id is not None and (encounter.claim_sequence != "P"
                                            or encounter.status not in (St.NEEDS_CODING, St.REJECTED)):
        return session.get(InsurancePolicy, encounter.policy_id)
    day = encounter.date_of_service
    return session.scalar(
        select(InsurancePolicy).where(
            InsurancePolicy.patient_id == encounter.patient_id, InsurancePolicy.effective_from <= day,
            (InsurancePolicy.effective_to.is_(None)) | (InsurancePolicy.effective_to >= day))
        .order_by(InsurancePolicy.rank).limit(1))


def fee_codes(session: Session) -> frozenset[str]:
    """The active fee schedule's codes (read once per batch, not once per claim)."""
    return frozenset(session.scalars(select(FeeScheduleItem.code).where(FeeScheduleItem.active.is_(True))))


def load_claim(session: Session, encounter_id: int, billing: BillingProvider | None = None,
               scheduled: frozenset[str] | None = None) -> ClaimData:
    e = get_or_fail(session, Encounter, encounter_id, "encounter")
    p = get_or_fail(session, Patient, e.patient_id, "patient")
    patient = ClaimPatient(p.id, p.mrn, p.first_name, p.middle_name, p.last_name, p.dob, p.sex, p.address_line1,
                           p.address_line2, p.city, p.state, p.postal_code, p.latin_first_name, p.latin_last_name)
    row = billed_policy(session, e)
    policy = None if row is None else claim_policy(session, row)
    name, npi, taxonomy, own = session.execute(
        select(User.full_name, Provider.npi, Provider.taxonomy, Provider.bills_own_npi)
        .join(Provider, Provider.user_id == User.id).where(Provider.id == e.provider_id)).one()
    diagnoses = tuple(session.scalars(select(EncounterDiagnosis.code).where(EncounterDiagnosis.encounter_id == e.id)
                                      .order_by(EncounterDiagnosis.position)))
    scheduled = fee_codes(session) if scheduled is None else scheduled
    lines = tuple(
        ClaimLine(c.id, c.line_no, c.code, tuple(m for m in c.modifiers.split(",") if m), c.units, c.fee,
                  tuple(int(x) for x in c.diagnosis_pointers.split(",") if x), c.code in scheduled)
        for c in session.scalars(select(ChargeLine).where(ChargeLine.encounter_id == e.id)
                                 .order_by(ChargeLine.line_no)))
    visit_status = session.scalar(select(Appointment.status).where(Appointment.id == e.appointment_id))
    billing = billing or billing_provider(session)
    own = own or (bool(npi) and npi == billing.npi)  # a solo practitioner: the clinic's NPI is theirs
    from officeconsole.services.billing.cob import (
        other_payers,  # (cob reads claims through this module)
    )

    return ClaimData(e.id, e.version, e.status, e.date_of_service, e.place_of_service, patient, policy, name, npi,
                     billing, diagnoses, lines, taxonomy, own,
                     visit_status or "checked_out", e.claim_sequence, e.claim_frequency, e.replaces_claim_number,
                     other_payers(session, e))


def claim_policy(session: Session, row: InsurancePolicy) -> ClaimPolicy:
    payer = get_or_fail(session, Payer, row.payer_id, "payer")
    return ClaimPolicy(row.id, row.rank, row.member_id, row.group_number, row.subscriber_relationship,
                       row.subscriber_name, row.subscriber_dob, payer.id, payer.name, payer.payer_code,
                       payer.active, payer.filing_code, row.subscriber_last_name, row.subscriber_first_name,
                       row.subscriber_middle_name, row.subscriber_suffix)
