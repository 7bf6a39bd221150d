"""Printable day lists: each provider's schedule for the day, and the front desk's check-in list,
as one PDF on the clinic's letterhead (the same as receipts). It names patients, so making it is
audited as an export."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import TYPE_CHECKING

from officeconsole.models import ClinicSettings
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import format_phone
from officeconsole.services.formats.pdf import latin1, letter_page, letterhead
from officeconsole.services.scheduling.reminders import confirmation_text
from officeconsole.services.scheduling.schedule import DayRow, ScheduleService
from officeconsole.services.security import audit

if TYPE_CHECKING:
    from fpdf import FPDF

PROVIDER_COLUMNS = (("Time", 24), ("Patient", 52), ("MRN", 22), ("Type", 38), ("Status", 24), ("Confirmed", 30))
CHECK_IN_COLUMNS = (("Time", 18), ("Patient", 50), ("Provider", 36), ("Phone", 32), ("Confirmed", 28),
                    ("Arrived", 26))


class DayListService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("schedule.view")
    def day_list_pdf(self, day: dt.date, provider_ids: list[int] | None = None) -> bytes:
        rows = [r for r in ScheduleService(self.ctx).day(day, provider_ids) if r.status != "cancelled"]
        with self.ctx.db.write() as session:
            clinic = session.get(ClinicSettings, 1)
            address = ", ".join(p for p in (clinic.address_line1, clinic.city,
                                            f"{clinic.state} {clinic.postal_code}".strip()) if p) if clinic else ""
            head = [clinic.name if clinic else "", address, format_phone(clinic.phone) if clinic else ""]
            audit.record(session, self.ctx.now(), self.ctx.actor, "schedule.print", entity="schedule",
                         entity_id=day.isoformat(), summary=f"day list {day:%m/%d/%Y}: {len(rows)} visits")
        pdf = letter_page(f"Day list {day:%m/%d/%Y}")
        first = True
        for provider, visits in groupby(sorted(rows, key=lambda r: (r.provider_name, r.start)),
                                        key=lambda r: r.provider_name):
            if not first:
                pdf.add_page()
            first = False
            _page(pdf, head, f"{provider}: {day:%A %m/%d/%Y}", PROVIDER_COLUMNS,
                  [(f"{r.start:%H:%M}", r.patient_name, r.mrn, r.type_name, r.status.replace("_", " "),
                    confirmation_text(r)) for r in visits], rows_alerts=[])
        if not first:
            pdf.add_page()
        by_time = sorted(rows, key=lambda r: (r.start, r.patient_name))
        _page(pdf, head, f"Check-in list: {day:%A %m/%d/%Y}", CHECK_IN_COLUMNS,
              [(f"{r.start:%H:%M}", r.patient_name, r.provider_name, r.phone, confirmation_text(r), "[   ]")
               for r in by_time], rows_alerts=[_alerts(r) for r in by_time])
        return bytes(pdf.output())


def _alerts(row: DayRow) -> str:
    return "Alert: " + "; ".join(row.alerts) if row.alerts else ""


def _page(pdf: FPDF, head: list[str], title: str, columns: tuple[tuple[str, int], ...], rows: list[tuple[str, ...]],
          rows_alerts: list[str]) -> None:
    letterhead(pdf, [line for line in head if line] or ["Day list"])
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 9, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 9)
    for label, width in columns:
        pdf.cell(width, 6, label)
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 9)
    if not rows:
        pdf.cell(0, 6, "Nothing booked.", new_x="LMARGIN", new_y="NEXT")
    for i, row in enumerate(rows):
        for (_, width), value in zip(columns, row, strict=True):
            pdf.cell(width, 6, latin1(_fit(pdf, str(value), width)))
        pdf.ln(6)
        if i < len(rows_alerts) and rows_alerts[i]:
            pdf.set_font("Helvetica", "I", 8)
            pdf.cell(columns[0][1], 5, "")
            pdf.cell(0, 5, latin1(_fit(pdf, rows_alerts[i], 170)), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 9)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """The text cut to fit its column, with an ellipsis-like '..' when cut."""
    text = latin1(text)
    if pdf.get_string_width(text) <= width - 1:
        return text
    while text and pdf.get_string_width(text + "..") > width - 1:
        text = text[:-1]
    return text + ".."
