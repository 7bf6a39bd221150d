"""Patient statements: what each visit cost, what insurance paid, what the patient paid and owes.

One statement per patient whose balance is over the threshold, as text (to read or print from
the console) and as PDF (fpdf2, core fonts). Producing them is audited: they carry PHI.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from officeconsole.models import ArEntry, ChargeLine, Encounter, LedgerEntry, Patient
from officeconsole.models.claims import Account, ArKind
from officeconsole.models.ledger import EntryKind
from officeconsole.services.billing.receivables import ReceivablesService
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.money import money, parse_signed
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import format_phone
from officeconsole.services.formats.pdf import latin1, letter_page, letterhead
from officeconsole.services.frontdesk.ledger import OPENING_MEMO
from officeconsole.services.frontdesk.patient_balance import PatientOwes, patient_owes
from officeconsole.services.practice.clinic import clinic_row
from officeconsole.services.security import audit

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class StatementLine:
    day: dt.date
    description: str
    charges: Decimal
    insurance: Decimal  # paid and adjusted by insurance (shown as a credit)
    patient_paid: Decimal

    @property
    def patient_share(self) -> Decimal:
        return self.charges - self.insurance - self.patient_paid


@dataclass(frozen=True)
class Statement:
    patient_id: int
    patient_name: str
    address: list[str]
    clinic: list[str]
    as_of: dt.date
    lines: list[StatementLine]
    balance: Decimal
    owes: PatientOwes | None = None  # the balance with the age of its oldest unpaid debt

    @property
    def due_note(self) -> str:
        if self.owes is None or self.owes.oldest is None or self.balance <= 0:
            return ""
        return f"oldest unpaid since {self.owes.oldest:%m/%d/%Y} ({self.owes.oldest_days} days)"

    def text(self) -> str:
        rows = [f"{'Date':<10}  {'Description':<34} {'Charges':>10} {'Insurance':>10} {'You paid':>10} {'Balance':>10}"]
        for line in self.lines:
            rows.append(f"{line.day:%m/%d/%Y}  {line.description[:34]:<34} {money(line.charges):>10} "
                        f"{money(-line.insurance):>10} {money(-line.patient_paid):>10} {money(line.patient_share):>10}")
        return ("\n".join(self.clinic) + f"\n\nSTATEMENT as of {self.as_of:%m/%d/%Y}\n\n" + "\n".join(self.address)
                + "\n\n" + "\n".join(rows) + f"\n\nAMOUNT DUE: {money(self.balance)}\n"
                + (f"({self.due_note})\n" if self.due_note else ""))


@dataclass(frozen=True)
class StatementFile:
    patient_id: int
    patient_name: str
    balance: Decimal
    text_path: Path
    pdf_path: Path


class StatementService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("ar.view")
    def statement(self, patient_id: int) -> Statement:
        today = self.ctx.today()
        with self.ctx.db.write() as session:
            patient = session.get(Patient, patient_id)
            if patient is None:
                raise ValidationError({"patient": f"No patient has id {patient_id}."})
            clinic = clinic_row(session)
            lines = []
            visits = set()
            for e in session.scalars(select(Encounter).where(Encounter.patient_id == patient_id)
                                     .order_by(Encounter.date_of_service)):
                visits.add(e.appointment_id)
                charged = _d(session.scalar(select(func.sum(ArEntry.amount)).where(
                    ArEntry.encounter_id == e.id, ArEntry.kind.in_([ArKind.CHARGE, ArKind.REVERSAL]))))
                pending = _d(session.scalar(select(func.sum(ArEntry.amount)).where(
                    ArEntry.encounter_id == e.id, ArEntry.account == Account.INSURER)))
                # The patient's share: billed to them (self-pay) or moved to them by the insurer.
                share = _d(session.scalar(select(func.sum(ArEntry.amount)).where(
                    ArEntry.encounter_id == e.id, ArEntry.account == Account.PATIENT,
                    ArEntry.kind != ArKind.ADJUSTMENT)))
                paid = -_d(session.scalar(select(func.sum(LedgerEntry.amount))
                                          .where(LedgerEntry.appointment_id == e.appointment_id)))
                codes = ", ".join(session.scalars(select(ChargeLine.code).where(ChargeLine.encounter_id == e.id)
                                                  .order_by(ChargeLine.line_no)))
                description = f"Visit: {codes or 'not yet billed'}"
                if pending:
                    description += " (insurance pending)"
                line = StatementLine(e.date_of_service, description, charged, charged - share, paid)
                if line.charges or line.patient_paid:
                    lines.append(line)
                for day, memo, amount in session.execute(  # write-offs of the patient's share, as credits
                        select(ArEntry.service_date, ArEntry.memo, ArEntry.amount).where(
                            ArEntry.encounter_id == e.id, ArEntry.account == Account.PATIENT,
                            ArEntry.kind == ArKind.ADJUSTMENT).order_by(ArEntry.id)):
                    lines.append(StatementLine(day, memo or "Adjustment", _d(amount), ZERO, ZERO))
            for opening in session.scalars(select(LedgerEntry).where(
                    LedgerEntry.patient_id == patient_id, LedgerEntry.kind == EntryKind.OPENING)):
                day = opening.posted_at.astimezone(self.ctx.timezone).date()
                lines.insert(0, StatementLine(day, opening.memo or OPENING_MEMO, opening.amount, ZERO, ZERO))
            on_account = -_d(session.scalar(select(func.sum(LedgerEntry.amount)).where(
                LedgerEntry.patient_id == patient_id, LedgerEntry.kind != EntryKind.OPENING,
                LedgerEntry.appointment_id.is_(None) | LedgerEntry.appointment_id.not_in(visits or [-1]))))
            if on_account:
                lines.append(StatementLine(today, "Payments on account", ZERO, ZERO, on_account))
            owes = patient_owes(session, self.ctx, patient_id)
            balance = owes.balance  # what the lines add up to: the desk's figure too
            audit.record(session, self.ctx.now(), self.ctx.actor, "statement.view", entity="patient",
                         entity_id=patient.id, patient_id=patient.id, summary=f"balance {money(balance)}")
            address = [f"{patient.first_name} {patient.last_name}", patient.address_line1, patient.address_line2,
                       f"{patient.city}, {patient.state} {patient.postal_code}".strip(", ")]
            clinic_lines = [clinic.name, ", ".join(p for p in (clinic.address_line1, clinic.city,
                                                               f"{clinic.state} {clinic.postal_code}") if p),
                            format_phone(clinic.phone)]
            return Statement(patient.id, f"{patient.last_name}, {patient.first_name}", [a for a in address if a],
                             clinic_lines, today, lines, balance, owes)

    @requires("ar.view")
    def write_statements(self, out_dir: Path | str, threshold: str | Decimal = "10") -> list[StatementFile]:
        """A text and a PDF statement for every patient owing more than `threshold`; rerunning overwrites."""
        limit = parse_signed(threshold, "threshold")
        folder = Path(out_dir).expanduser()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValidationError({"out": f"Cannot write to {folder}: {exc.strerror or exc}."}) from None
        aging = ReceivablesService(self.ctx).aging(patients=100_000)
        files = []
        for row in aging.patients:
            if row.total <= limit:
                continue
            statement = self.statement(row.key)
            if statement.balance <= limit:
                continue
            stem = folder / f"statement-{statement.as_of:%Y%m%d}-{row.key}"
            text_path, pdf_path = stem.with_suffix(".txt"), stem.with_suffix(".pdf")
            try:
                text_path.write_text(statement.text(), encoding="utf-8")
                pdf_path.write_bytes(statement_pdf(statement))
            except OSError as exc:
                raise ValidationError({"out": f"Cannot write to {folder}: {exc.strerror or exc}."}) from None
            files.append(StatementFile(row.key, statement.patient_name, statement.balance, text_path, pdf_path))
        return files


def statement_pdf(statement: Statement) -> bytes:
    pdf = letter_page(f"Statement {statement.patient_name}")
    letterhead(pdf, statement.clinic, name_size=15, size=10, height=5)
    for line in statement.address:
        pdf.cell(0, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 8, f"Statement as of {statement.as_of:%m/%d/%Y}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 9)
    widths = (22, 70, 24, 24, 24, 24)
    for width, title in zip(widths, ("Date", "Description", "Charges", "Insurance", "You paid", "Balance"),
                            strict=True):
        pdf.cell(width, 6, title, align="L" if title in ("Date", "Description") else "R")
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for entry in statement.lines:
        values = (f"{entry.day:%m/%d/%Y}", entry.description[:42], money(entry.charges), money(-entry.insurance),
                  money(-entry.patient_paid), money(entry.patient_share))
        for n, (width, value) in enumerate(zip(widths, values, strict=True)):
            pdf.cell(width, 6, latin1(value), align="L" if n < 2 else "R")
        pdf.ln()
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, f"Amount due: {money(statement.balance)}", new_x="LMARGIN", new_y="NEXT")
    if statement.due_note:
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(0, 6, statement.due_note.capitalize(), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _d(value: Decimal | int | None) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))
