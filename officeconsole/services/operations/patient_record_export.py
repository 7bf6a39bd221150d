"""One patient's record as a copy to hand over: a PDF a person can read and a FHIR R4 Bundle.

Both hold the same record: demographics, insurance, visits, diagnoses, charges and payments
(the Bundle carries payments as none of its resource types fits a desk or insurer payment to
a patient: they are in the PDF and in the clinic's CSV export). `gather` reads everything in
one read transaction into plain values; the PDF is drawn from those, the Bundle from the
same rows with the bulk export's builders, so the ids and codes are the ones the clinic's
FHIR export gives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from officeconsole.models import (
    Appointment,
    ArEntry,
    ChargeLine,
    ClinicSettings,
    Encounter,
    EncounterDiagnosis,
    InsurancePolicy,
    LedgerEntry,
    Patient,
    PatientBalance,
    Payer,
    Provider,
    User,
)
from officeconsole.models.claims import Account, ArKind
from officeconsole.services.billing.codes import icd10_description
from officeconsole.services.common.errors import NotFound
from officeconsole.services.common.money import money
from officeconsole.services.common.text import clean_text, format_phone
from officeconsole.services.formats.pdf import latin1, letter_page, letterhead
from officeconsole.services.operations import export_fhir as fhir

RANKS = {1: "Primary", 2: "Secondary", 3: "Tertiary"}
SEX = {"F": "Female", "M": "Male", "X": "Other", "U": "Unknown"}


@dataclass(frozen=True)
class Section:
    title: str
    headings: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[int, ...] = ()  # columns aligned right
    widths: tuple[float, ...] = ()  # relative column widths on the page (equal when empty)
    empty: str = "None on file."


@dataclass(frozen=True)
class RecordCopy:
    patient_id: int
    mrn: str
    name: str
    clinic: tuple[str, ...]
    prepared: dt.datetime
    details: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]
    balance: Decimal
    bundle: dict[str, Any] = field(repr=False)


def gather(session: Session, mrn: str, now: dt.datetime, tz: dt.tzinfo) -> RecordCopy:
    p = session.scalar(select(Patient).where(Patient.mrn == clean_text(mrn)))
    if p is None:
        raise NotFound(f"No patient has MRN {clean_text(mrn)}.")
    clinic = session.get(ClinicSettings, 1)
    look = fhir.lookups(session)
    local: Callable[[dt.datetime], dt.datetime] = lambda moment: moment.astimezone(tz)  # noqa: E731

    policies = session.scalars(select(InsurancePolicy).where(InsurancePolicy.patient_id == p.id)
                               .order_by(InsurancePolicy.effective_from, InsurancePolicy.rank)).all()
    visits = session.scalars(select(Appointment).where(Appointment.patient_id == p.id)
                             .order_by(Appointment.start_at)).all()
    encounters = session.scalars(select(Encounter).where(Encounter.patient_id == p.id)
                                 .order_by(Encounter.date_of_service, Encounter.id)).all()
    by_encounter = {e.id: e for e in encounters}
    diagnoses = session.scalars(select(EncounterDiagnosis).where(EncounterDiagnosis.encounter_id.in_(by_encounter))
                                .order_by(EncounterDiagnosis.encounter_id, EncounterDiagnosis.position)).all()
    lines = session.scalars(select(ChargeLine).where(ChargeLine.encounter_id.in_(by_encounter))
                            .order_by(ChargeLine.encounter_id, ChargeLine.line_no)).all()
    desk = session.scalars(select(LedgerEntry).where(LedgerEntry.patient_id == p.id)
                           .order_by(LedgerEntry.posted_at, LedgerEntry.id)).all()
    insurer = session.scalars(select(ArEntry).where(
        ArEntry.patient_id == p.id, ArEntry.account == Account.INSURER,
        ArEntry.kind.in_([ArKind.PAYMENT, ArKind.ADJUSTMENT])).order_by(ArEntry.posted_at, ArEntry.id)).all()
    balance = session.scalar(select(PatientBalance.balance).where(PatientBalance.patient_id == p.id)) or Decimal("0.00")
    provider_ids = {a.provider_id for a in visits} | {e.provider_id for e in encounters}
    providers = session.execute(select(Provider, User).join(User, User.id == Provider.user_id)
                                .where(Provider.id.in_(provider_ids)).order_by(Provider.id)).all()
    payers = session.scalars(select(Payer).where(Payer.id.in_({x.payer_id for x in policies})).order_by(Payer.id)).all()

    codes: dict[int, dict[int, str]] = {}
    for d in diagnoses:
        codes.setdefault(d.encounter_id, {})[d.position] = d.code
    dates = {e.id: e.date_of_service for e in encounters}
    place = " ".join(x for x in (p.city + ("," if p.city else ""), p.state, p.postal_code) if x)
    details = (
        ("Name", " ".join(x for x in (p.first_name, p.middle_name, p.last_name) if x)),
        ("Preferred name", p.preferred_name), ("MRN", p.mrn), ("Date of birth", f"{p.dob:%m/%d/%Y}"),
        ("Sex", SEX.get(p.sex, p.sex)), ("Phone", format_phone(p.phone)), ("E-mail", p.email),
        ("Address", ", ".join(x for x in (p.address_line1, p.address_line2, place) if x)),
        ("Contact by", p.preferred_contact), ("Status", p.status),
    )
    sections = (
        Section("Insurance", ("Order", "Payer", "Member ID", "Group", "Subscriber", "From", "To"), tuple(
            (RANKS.get(x.rank, str(x.rank)), look.payers.get(x.payer_id, ""), x.member_id, x.group_number,
             "self" if x.subscriber_relationship == "self"
             else f"{x.subscriber_name or '-'} ({x.subscriber_relationship})",
             f"{x.effective_from:%m/%d/%Y}", f"{x.effective_to:%m/%d/%Y}" if x.effective_to else "")
            for x in policies), widths=(1.1, 2.8, 1.8, 1.1, 2.2, 1.3, 1.3)),
        Section("Visits", ("Date", "Time", "Provider", "Type", "Status", "Reason"), tuple(
            (f"{local(a.start_at):%m/%d/%Y}", f"{local(a.start_at):%H:%M}", look.providers.get(a.provider_id, ""),
             look.types.get(a.type_id, ""), a.status.replace("_", " "), a.reason) for a in visits),
                widths=(1.3, 0.8, 2, 1.8, 1.4, 3)),
        Section("Diagnoses", ("Date", "Code", "Description"), tuple(
            (f"{dates[d.encounter_id]:%m/%d/%Y}", d.code, icd10_description(d.code)) for d in diagnoses),
                widths=(1.3, 1, 7.5)),
        Section("Charges", ("Date", "Code", "Modifiers", "Units", "Amount"), tuple(
            (f"{dates[x.encounter_id]:%m/%d/%Y}", x.code, x.modifiers, str(x.units), money(x.fee * x.units))
            for x in lines), numeric=(3, 4), widths=(1.3, 1, 1.2, 0.8, 1.2)),
        Section("Payments", ("Date", "From", "How", "Amount", "Note"), tuple(
            [(f"{local(x.posted_at):%m/%d/%Y}", "Patient", x.method + (f" {x.reference}" if x.reference else ""),
              money(-x.amount), x.reason or x.memo or (f"receipt {x.receipt_number}" if x.receipt_number else ""))
             for x in desk]
            + [(f"{local(x.posted_at):%m/%d/%Y}", look.payers.get(x.payer_id or 0, "Insurer"), x.kind,
                money(-x.amount), " ".join(c for c in (x.group_code, x.reason_code, x.memo) if c)) for x in insurer]),
            numeric=(3,), widths=(1.3, 2.4, 1.4, 1.2, 3)),
    )

    resources = [fhir.patient(p, look)]
    if clinic is not None:
        resources.append(fhir.clinic_organization(clinic))
    resources += [fhir.payer_organization(x) for x in payers]
    for provider, user in providers:
        resources += [fhir.practitioner(provider, user), fhir.practitioner_role(provider, user)]
    resources += [fhir.coverage(x, look) for x in policies]
    resources += [fhir.appointment(a, look) for a in visits]
    by_appointment = {a.id: a for a in visits}
    resources += [fhir.encounter(e, by_appointment[e.appointment_id], sorted(codes.get(e.id, {})), look)
                  for e in encounters]
    resources += [fhir.condition(d, by_encounter[d.encounter_id]) for d in diagnoses]
    resources += [fhir.charge_item(x, by_encounter[x.encounter_id], codes.get(x.encounter_id, {}), look)
                  for x in lines]
    bundle = {
        "resourceType": "Bundle", "id": f"record-{p.id}-{now:%Y%m%d%H%M%S}", "type": "collection",
        "timestamp": fhir._instant(now),
        "entry": [{"resource": resource} for resource in resources],
    }
    clinic_lines = (clinic.name, ", ".join(x for x in (clinic.address_line1, clinic.city,
                                                        f"{clinic.state} {clinic.postal_code}".strip()) if x),
                    format_phone(clinic.phone)) if clinic is not None else ("",)
    return RecordCopy(p.id, p.mrn, f"{p.last_name}, {p.first_name}", tuple(x for x in clinic_lines if x),
                      now, details, sections, balance, bundle)


def record_pdf(copy: RecordCopy, tz: dt.tzinfo) -> bytes:
    from fpdf.fonts import FontFace

    title = f"Patient record: {copy.name} (MRN {copy.mrn})"
    pdf = letter_page(title)
    pdf.set_creation_date(copy.prepared)
    if copy.clinic:
        letterhead(pdf, list(copy.clinic), name_size=15, size=10, height=5)
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 8, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, latin1(f"A copy of the record as of {copy.prepared.astimezone(tz):%m/%d/%Y %H:%M}."),
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 10)
    for label, value in copy.details:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(40, 5.5, latin1(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 5.5, latin1(value or "-"), new_x="LMARGIN", new_y="NEXT")
    bold = FontFace(emphasis="BOLD")
    for section in copy.sections:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 7, latin1(section.title), new_x="LMARGIN", new_y="NEXT")
        if not section.rows:
            pdf.set_font("Helvetica", "I", 9)
            pdf.cell(0, 5, section.empty, new_x="LMARGIN", new_y="NEXT")
            continue
        pdf.set_font("Helvetica", "", 8)
        aligns = ["RIGHT" if n in section.numeric else "LEFT" for n in range(len(section.headings))]
        with pdf.table(col_widths=section.widths or None, text_align=aligns, width=pdf.epw, line_height=pdf.font_size * 1.6,
                       borders_layout="HORIZONTAL_LINES", padding=1, headings_style=bold) as table:
            heading = table.row()
            for text in section.headings:
                heading.cell(latin1(text))
            for values in section.rows:
                row = table.row()
                for value in values:
                    row.cell(latin1(value))
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, latin1(f"Balance: {money(copy.balance)}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
