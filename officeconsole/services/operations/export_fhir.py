"""The clinic as FHIR R4 resources, written as plain JSON (no FHIR library at run time).

IDs are stable: each resource's id is its row's key in this database (`Patient/42`), the
clinic is `Organization/clinic` and payers `Organization/payer-<id>`, a diagnosis is
`Condition/<encounter>-<position>` and a charge line `ChargeItem/<id>`, so a second export
gives the same ids and references. Codes carry their systems: ICD-10-CM, CPT, HCPCS, the NPI,
the clinic's MRNs (`urn:officeconsole:<clinic NPI>:mrn`).

The bulk export streams each type into `<Type>.ndjson` (one resource a line) in pages, so
memory stays bounded; the same builders make one patient's Bundle (patient_record_export).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from officeconsole.models import (
    Appointment,
    AppointmentType,
    ChargeLine,
    ClinicSettings,
    Encounter,
    EncounterDiagnosis,
    InsurancePolicy,
    Patient,
    Payer,
    Provider,
    User,
)
from officeconsole.models.billing import EncounterStatus
from officeconsole.models.enums import AppointmentStatus as S
from officeconsole.services.billing.codes import CPT, HCPCS, icd10_description
from officeconsole.services.operations.export_files import ExportFolder

# A FHIR resource (or element) as JSON: values are strings, numbers, lists and nested objects.
Resource = dict[str, Any]

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
HCPCS_SYSTEM = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
NPI = "http://hl7.org/fhir/sid/us-npi"
EIN = "urn:oid:2.16.840.1.113883.4.4"
TAXONOMY = "http://nucc.org/provider-taxonomy"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ORG_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
SUBSCRIBER_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"

TYPES = ("Organization", "Practitioner", "PractitionerRole", "Patient", "Coverage", "Appointment", "Encounter",
         "Condition", "ChargeItem")
PAGE = 1000

GENDER = {"F": "female", "M": "male", "X": "other", "U": "unknown"}
APPOINTMENT_STATUS: dict[str, str] = {S.SCHEDULED: "booked", S.ARRIVED: "arrived", S.ROOMED: "checked-in",
                      S.WITH_PROVIDER: "checked-in", S.CHECKED_OUT: "fulfilled", S.NO_SHOW: "noshow",
                      S.CANCELLED: "cancelled"}
ENCOUNTER_STATUS: dict[str, str] = {S.ARRIVED: "arrived", S.ROOMED: "in-progress", S.WITH_PROVIDER: "in-progress",
                    S.CHECKED_OUT: "finished", S.NO_SHOW: "cancelled", S.CANCELLED: "cancelled",
                    S.SCHEDULED: "planned"}
NOT_BILLED = {EncounterStatus.NEEDS_CODING, EncounterStatus.READY, EncounterStatus.REJECTED}
SUBSCRIBER_ROLE = {"spouse": "SPS", "child": "PRN"}  # who the subscriber is to the patient


@dataclass
class Lookups:
    """The small tables every resource refers to, read once."""

    mrn_system: str
    clinic_name: str
    types: dict[int, str] = field(default_factory=dict)
    payers: dict[int, str] = field(default_factory=dict)
    providers: dict[int, str] = field(default_factory=dict)


def lookups(session: Session) -> Lookups:
    clinic = session.get(ClinicSettings, 1)
    npi = clinic.npi if clinic is not None and clinic.npi else "clinic"
    found = Lookups(f"urn:officeconsole:{npi}:mrn", clinic.name if clinic else "")
    found.types = dict(session.execute(select(AppointmentType.id, AppointmentType.name)).all())
    found.payers = dict(session.execute(select(Payer.id, Payer.name)).all())
    found.providers = dict(session.execute(select(Provider.id, User.full_name).join(User, User.id == Provider.user_id))
                           .all())
    return found


# ----- helpers --------------------------------------------------------------------------
def _ref(kind: str, key: object, display: str = "") -> Resource:
    ref: Resource = {"reference": f"{kind}/{key}"}
    if display:
        ref["display"] = display
    return ref


def _instant(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def _drop_empty(resource: Resource) -> Resource:
    """FHIR allows no empty strings, lists or objects: leave such elements out."""
    clean = {}
    for key, value in resource.items():
        if isinstance(value, dict):
            value = _drop_empty(value)
        elif isinstance(value, list):
            value = [_drop_empty(v) if isinstance(v, dict) else v for v in value]
            value = [v for v in value if v not in ("", None, {}, [])]
        if value not in ("", None, {}, []):
            clean[key] = value
    return clean


def _money(value: Decimal) -> Resource:
    return {"value": float(value), "currency": "USD"}


def _address(line1: str, line2: str, city: str, state: str, postal: str) -> list[Resource]:
    if not any((line1, line2, city, state, postal)):
        return []
    return [{"line": [p for p in (line1, line2) if p], "city": city, "state": state, "postalCode": postal,
             "country": "US"}]


def procedure_coding(code: str) -> Resource:
    system = CPT_SYSTEM if CPT.match(code) else HCPCS_SYSTEM if HCPCS.match(code) else ""
    return {"system": system, "code": code} if system else {"code": code}


def diagnosis_coding(code: str) -> Resource:
    return {"system": ICD10CM, "code": code, "display": icd10_description(code)}


# ----- builders -------------------------------------------------------------------------
def clinic_organization(clinic: ClinicSettings) -> Resource:
    identifiers = []
    if clinic.npi:
        identifiers.append({"system": NPI, "value": clinic.npi})
    if clinic.tax_id:
        identifiers.append({"system": EIN, "value": clinic.tax_id})
    telecom = [{"system": "phone", "value": clinic.phone}] if clinic.phone else []
    if clinic.fax:
        telecom.append({"system": "fax", "value": clinic.fax})
    if clinic.email:
        telecom.append({"system": "email", "value": clinic.email})
    return _drop_empty({
        "resourceType": "Organization", "id": "clinic", "active": True, "identifier": identifiers,
        "type": [{"coding": [{"system": ORG_TYPE, "code": "prov", "display": "Healthcare Provider"}]}],
        "name": clinic.name, "telecom": telecom,
        "address": _address(clinic.address_line1, clinic.address_line2, clinic.city, clinic.state,
                            clinic.postal_code),
    })


def payer_organization(payer: Payer) -> Resource:
    return _drop_empty({
        "resourceType": "Organization", "id": f"payer-{payer.id}", "active": payer.active,
        "identifier": [{"system": "urn:officeconsole:payer-id", "value": payer.payer_code}] if payer.payer_code else [],
        "type": [{"coding": [{"system": ORG_TYPE, "code": "pay", "display": "Payer"}]}],
        "name": payer.name, "telecom": [{"system": "phone", "value": payer.phone}] if payer.phone else [],
        "address": _address(payer.address_line1, "", payer.city, payer.state, payer.postal_code),
    })


def _person_name(full_name: str) -> Resource:
    parts = full_name.split()
    name: Resource = {"use": "official", "text": full_name}
    if len(parts) > 1:
        name["family"], name["given"] = parts[-1], parts[:-1]
    return name


def practitioner(provider: Provider, user: User) -> Resource:
    return _drop_empty({
        "resourceType": "Practitioner", "id": str(provider.id), "active": provider.active and user.active,
        "identifier": [{"system": NPI, "value": provider.npi}], "name": [_person_name(user.full_name)],
        "telecom": [t for t in ({"system": "phone", "value": user.phone} if user.phone else {},
                                {"system": "email", "value": user.email} if user.email else {}) if t],
        "qualification": [{"code": {"text": provider.credentials}}] if provider.credentials else [],
    })


def practitioner_role(provider: Provider, user: User) -> Resource:
    specialty = {"coding": [{"system": TAXONOMY, "code": provider.taxonomy}] if provider.taxonomy else [],
                 "text": provider.specialty}
    return _drop_empty({
        "resourceType": "PractitionerRole", "id": str(provider.id), "active": provider.active,
        "practitioner": _ref("Practitioner", provider.id, user.full_name),
        "organization": _ref("Organization", "clinic"),
        "code": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/practitioner-role",
                              "code": "doctor"}] if provider.credentials in ("MD", "DO") else [],
                  "text": provider.credentials or "provider"}],
        "specialty": [specialty],
    })


def patient(p: Patient, look: Lookups) -> Resource:
    names = [{"use": "official", "family": p.last_name, "given": [n for n in (p.first_name, p.middle_name) if n]}]
    if p.preferred_name:
        names.append({"use": "usual", "given": [p.preferred_name], "family": p.last_name})
    telecom = []
    if p.phone:
        telecom.append({"system": "phone", "value": p.phone, "use": "mobile" if p.preferred_contact == "sms" else "home",
                        "rank": 1 if p.preferred_contact in ("phone", "sms") else 2})
    if p.email:
        telecom.append({"system": "email", "value": p.email, "rank": 1 if p.preferred_contact == "email" else 2})
    resource = {
        "resourceType": "Patient", "id": str(p.id), "active": p.status == "active",
        "identifier": [{"use": "usual", "system": look.mrn_system, "value": p.mrn,
                        "type": {"coding": [{"system": V2_0203, "code": "MR", "display": "Medical record number"}]},
                        "assigner": {"reference": "Organization/clinic", "display": look.clinic_name}}],
        "name": names, "telecom": telecom, "gender": GENDER.get(p.sex, "unknown"), "birthDate": p.dob.isoformat(),
        "address": _address(p.address_line1, p.address_line2, p.city, p.state, p.postal_code),
        "managingOrganization": _ref("Organization", "clinic"),
    }
    if p.merged_into_id is not None:
        resource["link"] = [{"other": _ref("Patient", p.merged_into_id), "type": "replaced-by"}]
    return _drop_empty(resource)


def coverage(policy: InsurancePolicy, look: Lookups) -> Resource:
    resource: Resource = {
        "resourceType": "Coverage", "id": str(policy.id), "status": "active",
        "subscriberId": policy.member_id, "beneficiary": _ref("Patient", policy.patient_id),
        "relationship": {"coding": [{"system": SUBSCRIBER_RELATIONSHIP, "code": policy.subscriber_relationship}]},
        "period": {"start": policy.effective_from.isoformat(),
                   "end": policy.effective_to.isoformat() if policy.effective_to else None},
        "payor": [_ref("Organization", f"payer-{policy.payer_id}", look.payers.get(policy.payer_id, ""))],
        "order": policy.rank,
        "class": [{"type": {"coding": [{"system": COVERAGE_CLASS, "code": "group"}]}, "value": policy.group_number}]
        if policy.group_number else [],
    }
    if policy.subscriber_relationship == "self":
        resource["subscriber"] = _ref("Patient", policy.patient_id)
    elif policy.subscriber_name:
        role = SUBSCRIBER_ROLE.get(policy.subscriber_relationship)
        resource["contained"] = [_drop_empty({
            "resourceType": "RelatedPerson", "id": "subscriber", "patient": _ref("Patient", policy.patient_id),
            "relationship": [{"coding": [{"system": ROLE_CODE, "code": role}]}] if role else [],
            "name": [{"text": policy.subscriber_name}],
            "birthDate": policy.subscriber_dob.isoformat() if policy.subscriber_dob else None,
        })]
        resource["subscriber"] = {"reference": "#subscriber"}
    return _drop_empty(resource)


def appointment(a: Appointment, look: Lookups) -> Resource:
    return _drop_empty({
        "resourceType": "Appointment", "id": str(a.id), "status": APPOINTMENT_STATUS.get(a.status, "booked"),
        "appointmentType": {"text": look.types.get(a.type_id, "")}, "description": a.reason,
        "start": _instant(a.start_at), "end": _instant(a.end_at),
        "minutesDuration": int((a.end_at - a.start_at).total_seconds() // 60), "created": _instant(a.created_at),
        "participant": [{"actor": _ref("Patient", a.patient_id), "required": "required", "status": "accepted"},
                        {"actor": _ref("Practitioner", a.provider_id, look.providers.get(a.provider_id, "")),
                         "required": "required", "status": "accepted"}],
    })


def encounter(e: Encounter, a: Appointment, positions: Iterable[int], look: Lookups) -> Resource:
    return _drop_empty({
        "resourceType": "Encounter", "id": str(e.id), "status": ENCOUNTER_STATUS.get(a.status, "finished"),
        "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "type": [{"text": look.types.get(a.type_id, "")}],
        "subject": _ref("Patient", e.patient_id),
        "participant": [{"individual": _ref("Practitioner", e.provider_id, look.providers.get(e.provider_id, ""))}],
        "appointment": [_ref("Appointment", a.id)],
        "period": {"start": _instant(a.arrived_at or a.start_at),
                   "end": _instant(a.status_at) if a.status == S.CHECKED_OUT else None},
        "diagnosis": [{"condition": _ref("Condition", f"{e.id}-{n}"), "rank": n} for n in positions],
        "serviceProvider": _ref("Organization", "clinic"),
    })


def condition(d: EncounterDiagnosis, e: Encounter) -> Resource:
    return _drop_empty({
        "resourceType": "Condition", "id": f"{e.id}-{d.position}",
        "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis",
                                  "display": "Encounter Diagnosis"}]}],
        "code": {"coding": [diagnosis_coding(d.code)]},
        "subject": _ref("Patient", e.patient_id), "encounter": _ref("Encounter", e.id),
        "recordedDate": e.date_of_service.isoformat(),
    })


def charge_item(line: ChargeLine, e: Encounter, diagnoses: dict[int, str], look: Lookups) -> Resource:
    pointed = [diagnoses[int(p)] for p in line.diagnosis_pointers.split(",") if p.strip().isdigit()
               and int(p) in diagnoses]
    return _drop_empty({
        "resourceType": "ChargeItem", "id": str(line.id),
        "status": "billable" if e.status in NOT_BILLED else "billed",
        "code": {"coding": [procedure_coding(line.code)]},
        "subject": _ref("Patient", e.patient_id), "context": _ref("Encounter", e.id),
        "occurrenceDateTime": e.date_of_service.isoformat(),
        "performer": [{"actor": _ref("Practitioner", e.provider_id, look.providers.get(e.provider_id, ""))}],
        "performingOrganization": _ref("Organization", "clinic"),
        "quantity": {"value": line.units},
        "priceOverride": _money(line.fee * line.units),
        "reason": [{"coding": [diagnosis_coding(code)]} for code in pointed],
        "note": [{"text": f"modifiers {line.modifiers}"}] if line.modifiers else [],
    })


# ----- the bulk export --------------------------------------------------------------------
def _pages(
    session: Session, query: Select[*tuple[Any, ...]], key: InstrumentedAttribute[int]
) -> Iterator[Sequence[Row[*tuple[Any, ...]]]]:
    """`query` in pages of PAGE rows by `key` (keyset paging: bounded memory, no long cursor)."""
    last = None
    while True:
        page = query.order_by(key).limit(PAGE)
        if last is not None:
            page = page.where(key > last)
        rows = session.execute(page).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0].id
        session.expunge_all()


def _resources(session: Session, kind: str, look: Lookups) -> Iterator[Resource]:
    if kind == "Organization":
        clinic = session.get(ClinicSettings, 1)
        if clinic is not None:
            yield clinic_organization(clinic)
        for (payer,) in session.execute(select(Payer).order_by(Payer.id)):
            yield payer_organization(payer)
    elif kind in ("Practitioner", "PractitionerRole"):
        build = practitioner if kind == "Practitioner" else practitioner_role
        for provider, user in session.execute(select(Provider, User).join(User, User.id == Provider.user_id)
                                              .order_by(Provider.id)):
            yield build(provider, user)
    elif kind == "Patient":
        for rows in _pages(session, select(Patient), Patient.id):
            yield from (patient(p, look) for (p,) in rows)
    elif kind == "Coverage":
        for rows in _pages(session, select(InsurancePolicy), InsurancePolicy.id):
            yield from (coverage(p, look) for (p,) in rows)
    elif kind == "Appointment":
        for rows in _pages(session, select(Appointment), Appointment.id):
            yield from (appointment(a, look) for (a,) in rows)
    elif kind == "Encounter":
        query: Select[*tuple[Any, ...]] = select(Encounter, Appointment).join(
            Appointment, Appointment.id == Encounter.appointment_id)
        for rows in _pages(session, query, Encounter.id):
            positions = _diagnoses(session, [e.id for e, _ in rows])
            yield from (encounter(e, a, sorted(positions.get(e.id, {})), look) for e, a in rows)
    elif kind == "Condition":
        for rows in _pages(session, select(Encounter), Encounter.id):
            ids = [e.id for (e,) in rows]
            found = session.execute(select(EncounterDiagnosis).where(EncounterDiagnosis.encounter_id.in_(ids))
                                    .order_by(EncounterDiagnosis.encounter_id, EncounterDiagnosis.position)).scalars()
            by_id = {e.id: e for (e,) in rows}
            yield from (condition(d, by_id[d.encounter_id]) for d in found)
    elif kind == "ChargeItem":
        query = select(ChargeLine, Encounter).join(Encounter, Encounter.id == ChargeLine.encounter_id)
        for rows in _pages(session, query, ChargeLine.id):
            codes = _diagnoses(session, list({e.id for _, e in rows}))
            yield from (charge_item(line, e, codes.get(e.id, {}), look) for line, e in rows)


def _diagnoses(session: Session, encounter_ids: list[int]) -> dict[int, dict[int, str]]:
    """{encounter: {position: code}} for a page of encounters."""
    found: dict[int, dict[int, str]] = {}
    for d in session.execute(select(EncounterDiagnosis).where(EncounterDiagnosis.encounter_id.in_(encounter_ids)))\
            .scalars():
        found.setdefault(d.encounter_id, {})[d.position] = d.code
    return found


def write_resources(session: Session, folder: ExportFolder,
                    progress: Callable[[str, int], None] | None = None) -> None:
    look = lookups(session)
    for kind in TYPES:
        with folder.text_file(f"{kind}.ndjson", kind) as stream:
            for resource in _resources(session, kind, look):
                stream.write(json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n")
                stream.rows += 1
        if progress is not None:
            progress(kind, stream.rows)
