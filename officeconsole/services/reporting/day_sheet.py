"""The day sheet: what a day produced and took in, read from the database and written as CSV + PDF.

The close-out writes it when it locks a day, and reports show it for any day. It is read
only from rows dated in the day (visits by date of service, money by when it was posted),
so once the day is locked it cannot change and a rerun writes the same bytes. A closed day's
sheet also carries the audit chain's event number and full hash as they stood when the day
was locked (the close's own audit event): an anchor for `officeconsole audit verify --anchor`.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from officeconsole.models import (
    Appointment,
    ArEntry,
    ChargeLine,
    ClinicSettings,
    ClosedDay,
    CloseRun,
    Encounter,
    LedgerEntry,
    Patient,
    Provider,
    Refund,
    User,
)
from officeconsole.models.billing import EncounterStatus
from officeconsole.models.claims import Account, ArKind
from officeconsole.models.enums import AppointmentStatus as S
from officeconsole.models.ledger import EntryKind
from officeconsole.models.refunds import RefundStatus
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.money import money
from officeconsole.services.formats import csv_safe
from officeconsole.services.formats.pdf import latin1, letter_page, letterhead
from officeconsole.services.frontdesk.flow import FlowService
from officeconsole.services.operations.closed_days import day_bounds_utc
from officeconsole.services.security.audit_chain import ChainPoint, close_point

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
SEEN = (S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.CHECKED_OUT)


@dataclass(frozen=True)
class ProviderLine:
    provider: str
    visits: int
    charges: Decimal


@dataclass(frozen=True)
class DrawerCount:
    """What the close counted for one method against what the desk took."""
    method: str  # cash or card
    expected: Decimal
    counted: Decimal

    @property
    def variance(self) -> Decimal:
        return self.counted - self.expected


@dataclass
class DaySheet:
    day: dt.date
    providers: list[ProviderLine]
    payments_by_method: dict[str, Decimal]  # desk payments (voids netted), by method
    insurer_payments: Decimal
    adjustments: Decimal
    new_patients: int
    visits: int
    no_shows: int
    cancellations: int
    average_wait: float | None  # minutes, arrival to provider
    audit: ChainPoint | None = None  # the audit chain when the day was locked (None: not closed)
    clinic: str = ""  # the clinic's name, at the head of the printed sheet
    drawer: list[DrawerCount] = field(default_factory=list)  # what the day's close counted
    refunds: Decimal = ZERO  # refunds approved and paid out, to patients and insurers

    @property
    def charges(self) -> Decimal:
        return sum((p.charges for p in self.providers), ZERO)

    @property
    def desk_payments(self) -> Decimal:
        return sum(self.payments_by_method.values(), ZERO)

    @property
    def no_show_rate(self) -> float:
        booked = self.visits + self.no_shows
        return self.no_shows / booked if booked else 0.0

    def rows(self) -> list[tuple[str, str | Decimal]]:
        """The sheet's lines in order: amounts as Decimals, the rest as text."""
        rows: list[tuple[str, str | Decimal]] = [("Day", f"{self.day:%m/%d/%Y}"), ("Clinic", self.clinic)]
        rows += [(f"Charges: {p.provider} ({p.visits} visit{'' if p.visits == 1 else 's'})", p.charges)
                 for p in self.providers]
        rows += [("Charges: total", self.charges)]
        rows += [(f"Payments at the desk: {m}", a) for m, a in sorted(self.payments_by_method.items())]
        rows += [("Payments at the desk: total", self.desk_payments),
                 ("Insurer payments posted", self.insurer_payments),
                 ("Adjustments posted", self.adjustments)]
        if self.refunds:
            rows += [("Refunds paid out", self.refunds)]
        for count in self.drawer:
            rows += [(f"Drawer: {count.method} expected", count.expected),
                     (f"Drawer: {count.method} counted", count.counted),
                     (f"Drawer: {count.method} variance", count.variance)]
        if not self.drawer:
            rows += [("Drawer", "not counted")]
        rows += [("New patients", str(self.new_patients)), ("Visits", str(self.visits)),
                 ("No-shows", str(self.no_shows)), ("Cancellations", str(self.cancellations)),
                 ("No-show rate", f"{self.no_show_rate:.1%}"),
                 ("Average wait (minutes)", "" if self.average_wait is None else f"{self.average_wait:.1f}")]
        if self.audit is not None:
            rows += [("Audit chain event", str(self.audit.seq)), ("Audit chain hash", self.audit.hash)]
        return rows


def read_day_sheet(ctx: ServiceContext, day: dt.date, session: Session | None = None) -> DaySheet:
    """The day sheet of `day` (in `session` when given, so a close can read it in its own transaction)."""
    if session is None:
        with ctx.db.read() as own:
            return read_day_sheet(ctx, day, own)
    start, end = day_bounds_utc(day, ctx.timezone)
    providers = [ProviderLine(name, visits, Decimal(total or 0).quantize(CENT))
                 for name, visits, total in session.execute(
                     select(User.full_name, func.count(func.distinct(Encounter.id)),
                            func.sum(ChargeLine.fee * ChargeLine.units))
                     .select_from(Encounter).join(Provider, Provider.id == Encounter.provider_id)
                     .join(User, User.id == Provider.user_id)
                     .outerjoin(ChargeLine, ChargeLine.encounter_id == Encounter.id)
                     .where(served_on(day)).group_by(User.full_name)
                     .order_by(User.full_name))]
    payments = desk_totals(session, start, end)
    insurer, adjusted = posted_insurer_money(session, start, end)
    new_patients = session.execute(select(func.count()).select_from(Patient).where(
        Patient.created_at >= start, Patient.created_at < end)).scalar_one()
    statuses = dict(session.execute(select(Appointment.status, func.count()).where(
        Appointment.start_at >= start, Appointment.start_at < end).group_by(Appointment.status)).all())
    rows, _ = FlowService(ctx).timeline(day)
    waits = [r.wait_minutes for r in rows if r.wait_minutes is not None]
    return DaySheet(day, providers, payments, insurer, adjusted, new_patients,
                    sum(statuses.get(s.value, 0) for s in SEEN), statuses.get(S.NO_SHOW.value, 0),
                    statuses.get(S.CANCELLED.value, 0), sum(waits) / len(waits) if waits else None,
                    close_point(session, day), session.scalar(select(ClinicSettings.name)) or "",
                    drawer_counts(session, day), refunds_paid(session, start, end))


def served_on(day: dt.date) -> ColumnElement[bool]:
    """Encounters whose date of service is `day`, through the (status, date of service) index: every
    status is named so the index can serve the date (nothing indexes the date alone, and a scan
    reads every visit ever billed: seconds at a million patients)."""
    return Encounter.status.in_(list(EncounterStatus)) & (Encounter.date_of_service == day)


def refunds_paid(session: Session, start: dt.datetime, end: dt.datetime) -> Decimal:
    """Refunds approved (and so posted) between `start` and `end`."""
    total = session.scalar(select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.status == RefundStatus.APPROVED, Refund.decided_at >= start, Refund.decided_at < end))
    return Decimal(total or 0).quantize(CENT)


def drawer_counts(session: Session, day: dt.date) -> list[DrawerCount]:
    """The drawer as the close that locked `day` counted it (none while the day is open)."""
    run = session.scalar(select(CloseRun).join(ClosedDay, ClosedDay.close_run_id == CloseRun.id)
                         .where(ClosedDay.day == day, ClosedDay.reopened_at.is_(None)))
    if run is None:
        return []
    return [DrawerCount(method, expected, counted) for method, expected, counted in (
        ("cash", run.cash_expected, run.cash_counted), ("card", run.card_expected, run.card_counted))
        if counted is not None]


def desk_totals(session: Session, start: dt.datetime, end: dt.datetime) -> dict[str, Decimal]:
    """Desk money taken between `start` and `end` by method; a void counts against its payment's
    method, a refund paid from the drawer (cash) or to a card against its method. Summed, never
    de-duplicated: two equal payments by one patient are two payments."""
    drawer_refund = (LedgerEntry.kind == EntryKind.REFUND) & LedgerEntry.method.in_(["cash", "card"])
    rows = session.execute(select(LedgerEntry.method, func.sum(LedgerEntry.amount))
                           .where(LedgerEntry.posted_at >= start, LedgerEntry.posted_at < end,
                                  LedgerEntry.kind.in_([EntryKind.PAYMENT, EntryKind.VOID]) | drawer_refund)
                           .group_by(LedgerEntry.method)).all()
    return {method: -Decimal(total).quantize(CENT) for method, total in rows if method}


def posted_insurer_money(session: Session, start: dt.datetime, end: dt.datetime) -> tuple[Decimal, Decimal]:
    """(insurer payments, adjustments) posted between `start` and `end`, as positive amounts.

    One pass over the day's entries, with the posted date the only condition an index can serve:
    a plan on the kind index instead (SQLite's choice without statistics) walks every payment ever
    posted, seconds at a million patients."""
    row = session.execute(insurer_money_query(start, end)).one()
    return -Decimal(row[0] or 0).quantize(CENT), -Decimal(row[1] or 0).quantize(CENT)


def insurer_money_query(start: dt.datetime, end: dt.datetime) -> Select[Decimal, Decimal]:
    paid = case(((ArEntry.kind == ArKind.PAYMENT) & (ArEntry.account == Account.INSURER), ArEntry.amount), else_=0)
    adjusted = case((ArEntry.kind == ArKind.ADJUSTMENT, ArEntry.amount), else_=0)
    return (select(func.coalesce(func.sum(paid), 0), func.coalesce(func.sum(adjusted), 0))
            .where(ArEntry.posted_at >= start, ArEntry.posted_at < end))


def write_sheet(sheet: DaySheet, folder: Path) -> list[Path]:
    """CSV and PDF, each written under a temporary name and renamed: a rerun replaces them whole."""
    stem = folder / f"day-sheet-{sheet.day:%Y-%m-%d}"
    buffer = io.StringIO()
    writer = csv_safe.writer(buffer)
    writer.writerow(["item", "value"])
    writer.writerows((label, f"{value:.2f}" if isinstance(value, Decimal) else value) for label, value in sheet.rows())
    files = []
    for suffix, data in ((".csv", buffer.getvalue().encode()), (".pdf", sheet_pdf(sheet))):
        final = stem.with_suffix(suffix)
        staged = final.with_name(f".{final.name}.partial")
        staged.write_bytes(data)
        os.replace(staged, final)
        files.append(final)
    return files


def sheet_pdf(sheet: DaySheet) -> bytes:
    """The printed sheet: the clinic's name, then each line with money as money ($1,250.00)."""
    pdf = letter_page(f"Day sheet {sheet.day:%Y-%m-%d}")
    pdf.set_creation_date(dt.datetime.combine(sheet.day, dt.time(), dt.UTC))  # the same day, the same file
    letterhead(pdf, [sheet.clinic or "Day sheet"], name_size=15, size=10)
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 8, f"Day sheet {sheet.day:%A %m/%d/%Y}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for label, value in sheet.rows()[2:]:
        shown = money(value) if isinstance(value, Decimal) else value
        if len(shown) > 40:  # the audit chain hash: the whole of it, on a line of its own
            pdf.cell(0, 6, latin1(label), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Courier", "", 9)
            pdf.cell(0, 6, latin1(shown), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 10)
            continue
        pdf.cell(110, 6, latin1(label))
        pdf.cell(0, 6, latin1(shown), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
