"""Receipts for payments taken at the desk: the same lines as text (screen, CLI) and as PDF.

The PDF is drawn with fpdf2 (pure Python, no system libraries) on the shared letterhead (pdf.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from officeconsole.models import LedgerEntry, Patient
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.money import money
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import format_phone
from officeconsole.services.formats.pdf import latin1, letter_page, letterhead
from officeconsole.services.frontdesk.ledger import LedgerService
from officeconsole.services.frontdesk.patient_balance import patient_owes
from officeconsole.services.practice.clinic import clinic_row
from officeconsole.services.security import audit


@dataclass(frozen=True)
class Receipt:
    number: str
    clinic: list[str]  # name, address, phone
    lines: list[tuple[str, str]]  # label, value

    def text(self) -> str:
        width = max(len(label) for label, _ in self.lines)
        body = "\n".join(f"{label:<{width}}  {value}" for label, value in self.lines)
        return "\n".join(self.clinic) + f"\n\nRECEIPT {self.number}\n\n" + body + "\n"


class ReceiptService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("account.view")
    def receipt(self, entry_id: int) -> Receipt:
        """A payment's receipt, with the account balance as it stood after it."""
        entry = LedgerService(self.ctx).entry(entry_id)
        if entry.receipt_number is None:
            raise ValidationError({"entry": "Only a payment has a receipt."})
        with self.ctx.db.write() as session:
            clinic = clinic_row(session)
            patient = get_or_fail(session, Patient, entry.patient_id, "patient")
            posted = session.get(LedgerEntry, entry.id)
            balance = patient_owes(session, self.ctx, entry.patient_id, through=posted).balance
            audit.record(session, self.ctx.now(), self.ctx.actor, "receipt.view", entity="ledger_entry",
                         entity_id=entry.id, patient_id=patient.id, summary=entry.receipt_number)
            address = ", ".join(p for p in (clinic.address_line1, clinic.city,
                                            f"{clinic.state} {clinic.postal_code}".strip()) if p)
            lines = [
                ("Date", f"{entry.posted_at:%m/%d/%Y %H:%M}"),
                ("Patient", f"{patient.last_name}, {patient.first_name} (MRN {patient.mrn})"),
                ("For", entry.memo),
                ("Amount paid", money(entry.received)),
                ("Method", entry.method.title() + (f" {entry.reference}" if entry.reference else "")),
                ("Received by", entry.posted_by),
                ("Balance after", _balance(balance)),
            ]
            if entry.voided:
                lines.append(("Status", "VOIDED"))
            return Receipt(entry.receipt_number, [clinic.name, address, format_phone(clinic.phone)], lines)

    @requires("account.view")
    def receipt_pdf(self, entry_id: int) -> bytes:
        receipt = self.receipt(entry_id)
        pdf = letter_page(f"Receipt {receipt.number}")
        letterhead(pdf, receipt.clinic)
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 10, f"Receipt {receipt.number}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for label, value in receipt.lines:
            pdf.cell(45, 7, latin1(label))
            pdf.cell(0, 7, latin1(value), new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())


def _balance(amount: Decimal) -> str:
    return money(amount) + (" (credit)" if amount < 0 else " (owed)" if amount > 0 else "")
