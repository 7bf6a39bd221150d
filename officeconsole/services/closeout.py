"""The nightly close-out: settle the day, say what is wrong, and write the day sheet.

Each step reads the day afresh and changes only what is not yet done (a visit still
"scheduled" after its time plus the grace becomes a no-show; one already marked is left),
so running it twice, or again after a crash, counts nothing twice. `dry_run` runs every
check and changes nothing. Every run is recorded with its totals.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from officeconsole.models import (
    Appointment,
    ArEntry,
    ChargeLine,
    CloseRun,
    Encounter,
    LedgerEntry,
    Patient,
    Provider,
    User,
)
from officeconsole.models.claims import Account, ArKind
from officeconsole.models.enums import AppointmentStatus as S
from officeconsole.models.ledger import EntryKind
from officeconsole.services import audit
from officeconsole.services.context import ServiceContext
from officeconsole.services.errors import OfficeError, ValidationError
from officeconsole.services.flow import Flow, FlowService
from officeconsole.services.folders import writable_folder
from officeconsole.services.money import money, parse_signed
from officeconsole.services.permissions import requires
from officeconsole.services.pdf import latin1, letter_page

ZERO = Decimal("0.00")
SEEN = (S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.CHECKED_OUT)


class CloseOutError(OfficeError):
    pass


@dataclass
class Step:
    name: str
    lines: list[str] = field(default_factory=list)
    blocking: bool = False  # the close cannot finish while this stands


@dataclass(frozen=True)
class ProviderLine:
    provider: str
    visits: int
    charges: Decimal


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

    def rows(self) -> list[tuple[str, str]]:
        rows = [("Day", f"{self.day:%m/%d/%Y}")]
        rows += [(f"Charges: {p.provider} ({p.visits} visits)", f"{p.charges:.2f}") for p in self.providers]
        rows += [("Charges: total", f"{self.charges:.2f}")]
        rows += [(f"Payments at the desk: {m}", f"{a:.2f}") for m, a in sorted(self.payments_by_method.items())]
        rows += [("Payments at the desk: total", f"{self.desk_payments:.2f}"),
                 ("Insurer payments posted", f"{self.insurer_payments:.2f}"),
                 ("Adjustments posted", f"{self.adjustments:.2f}"),
                 ("New patients", str(self.new_patients)), ("Visits", str(self.visits)),
                 ("No-shows", str(self.no_shows)), ("Cancellations", str(self.cancellations)),
                 ("No-show rate", f"{self.no_show_rate:.1%}"),
                 ("Average wait (minutes)", "" if self.average_wait is None else f"{self.average_wait:.1f}")]
        return rows


@dataclass
class CloseResult:
    day: dt.date
    dry_run: bool
    steps: list[Step]
    sheet: DaySheet
    expected: dict[str, Decimal]  # cash, card, check taken at the desk
    variance: dict[str, Decimal]  # counted - expected, for what was counted
    files: list[Path]
    run_id: int | None

    @property
    def blocked(self) -> bool:
        return any(step.blocking for step in self.steps)


class CloseOutService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("day.close")
    def close_day(self, day: dt.date | None = None, *, cash_counted: str | Decimal | None = None,
                  card_counted: str | Decimal | None = None, dry_run: bool = False, grace_minutes: int = 30,
                  missing_charges_block: bool = False, reports_dir: Path | None = None) -> CloseResult:
        today = self.ctx.today()
        day = day or today
        if day > today:
            raise ValidationError({"date": f"{day:%m/%d/%Y} has not happened yet: close a day that is over."})
        counted = {}
        for method, value in (("cash", cash_counted), ("card", card_counted)):
            if value not in (None, ""):
                counted[method] = parse_signed(value, f"{method}_counted")
                if counted[method] < 0:
                    raise ValidationError({f"{method}_counted": f"The counted {method} cannot be negative."})
        steps = [self._no_shows(day, grace_minutes, dry_run), self._missing_charges(day, missing_charges_block)]
        expected = self._desk_totals(day)
        variance = {m: counted[m] - expected.get(m, ZERO) for m in counted}
        step = Step("Payments reconciled")
        for method in ("cash", "card", "check"):
            line = f"{method.title()}: expected {money(expected.get(method, ZERO))}"
            if method in counted:
                line += f", counted {money(counted[method])}, variance {money(variance[method])}"
            step.lines.append(line)
        steps.append(step)
        sheet = self.day_sheet(day)
        files: list[Path] = []
        run_id = None
        if not dry_run:
            files = _write_sheet(sheet, writable_folder(reports_dir or Path("."), CloseOutError, "the day sheet"))
            run_id = self._record(day, steps, sheet, expected, counted, variance)
        steps.append(Step("Day sheet", [f"charges {money(sheet.charges)}, desk payments {money(sheet.desk_payments)}, "
                                        f"insurer payments {money(sheet.insurer_payments)}, visits {sheet.visits}, "
                                        f"no-shows {sheet.no_shows}"] + [str(f) for f in files]))
        return CloseResult(day, dry_run, steps, sheet, expected, variance, files, run_id)

    @requires("day.close")
    def day_sheet(self, day: dt.date) -> DaySheet:
        start, end = _bounds(day, self.ctx)
        with self.ctx.db.read() as session:
            providers = [ProviderLine(name, visits, Decimal(total or 0).quantize(Decimal("0.01")))
                         for name, visits, total in session.execute(
                             select(User.full_name, func.count(func.distinct(Encounter.id)),
                                    func.sum(ChargeLine.fee * ChargeLine.units))
                             .select_from(Encounter).join(Provider, Provider.id == Encounter.provider_id)
                             .join(User, User.id == Provider.user_id)
                             .outerjoin(ChargeLine, ChargeLine.encounter_id == Encounter.id)
                             .where(Encounter.date_of_service == day).group_by(User.full_name)
                             .order_by(User.full_name))]
            payments = self._desk_totals(day, session)
            insurer = -Decimal(session.scalar(select(func.coalesce(func.sum(ArEntry.amount), 0)).where(
                ArEntry.kind == ArKind.PAYMENT, ArEntry.account == Account.INSURER,
                ArEntry.posted_at >= start, ArEntry.posted_at < end)) or 0).quantize(Decimal("0.01"))
            adjusted = -Decimal(session.scalar(select(func.coalesce(func.sum(ArEntry.amount), 0)).where(
                ArEntry.kind == ArKind.ADJUSTMENT, ArEntry.posted_at >= start, ArEntry.posted_at < end)) or 0
                                ).quantize(Decimal("0.01"))
            new_patients = session.scalar(select(func.count()).select_from(Patient).where(
                Patient.created_at >= start, Patient.created_at < end))
            statuses = dict(session.execute(select(Appointment.status, func.count()).where(
                Appointment.start_at >= start, Appointment.start_at < end).group_by(Appointment.status)).all())
        rows, _ = FlowService(self.ctx).timeline(day)
        waits = [r.wait_minutes for r in rows if r.wait_minutes is not None]
        return DaySheet(day, providers, payments, insurer, adjusted, new_patients,
                        sum(statuses.get(s.value, 0) for s in SEEN), statuses.get(S.NO_SHOW.value, 0),
                        statuses.get(S.CANCELLED.value, 0), sum(waits) / len(waits) if waits else None)

    # ----- steps ---------------------------------------------------------------------
    def _no_shows(self, day: dt.date, grace: int, dry_run: bool) -> Step:
        """Visits still "scheduled" after their start plus the grace become no-shows."""
        step = Step(f"No-shows (after {grace} minutes' grace)")
        start, end = _bounds(day, self.ctx)
        cutoff = self.ctx.now() - dt.timedelta(minutes=grace)
        with (self.ctx.db.read() if dry_run else self.ctx.db.write()) as session:
            late = session.scalars(select(Appointment).where(
                Appointment.start_at >= start, Appointment.start_at < end, Appointment.start_at <= cutoff,
                Appointment.status == S.SCHEDULED).order_by(Appointment.start_at)).all()
            if not dry_run:
                flow = Flow(self.ctx, session)
                for visit in late:
                    flow.set_status(visit, S.NO_SHOW, detail="close-out")
            step.lines.append(f"{len(late)} {'would be marked' if dry_run else 'marked'} no-show")
        return step

    def _missing_charges(self, day: dt.date, blocking: bool) -> Step:
        step = Step("Missing charges")
        start, end = _bounds(day, self.ctx)
        with self.ctx.db.read() as session:
            seen = session.execute(select(Appointment.id, Patient.last_name, Patient.first_name, Appointment.start_at)
                                   .join(Patient, Patient.id == Appointment.patient_id)
                                   .where(Appointment.start_at >= start, Appointment.start_at < end,
                                          Appointment.status.in_(SEEN)).order_by(Appointment.start_at)).all()
            charged = set(session.scalars(select(Encounter.appointment_id).join(
                ChargeLine, ChargeLine.encounter_id == Encounter.id).where(Encounter.date_of_service == day)))
        missing = [(a, last, first, at) for a, last, first, at in seen if a not in charged]
        for _, last, first, at in missing:
            step.lines.append(f"{at.astimezone(self.ctx.timezone):%H:%M} {last}, {first}: seen, no charges")
        if not missing:
            step.lines.append("every visit seen has charges")
        step.blocking = blocking and bool(missing)
        return step

    def _desk_totals(self, day: dt.date, session=None) -> dict[str, Decimal]:
        """Desk money taken on the day by method; a void counts against its payment's method."""
        start, end = _bounds(day, self.ctx)
        query = (select(LedgerEntry.method, func.sum(LedgerEntry.amount))
                 .where(LedgerEntry.posted_at >= start, LedgerEntry.posted_at < end,
                        LedgerEntry.kind.in_([EntryKind.PAYMENT, EntryKind.VOID]))
                 .group_by(LedgerEntry.method))
        if session is None:
            with self.ctx.db.read() as own:
                rows = own.execute(query).all()
        else:
            rows = session.execute(query).all()
        return {method: -Decimal(total).quantize(Decimal("0.01")) for method, total in rows if method}

    def _record(self, day, steps, sheet, expected, counted, variance) -> int:
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            run = CloseRun(day=day, run_at=now, run_by_id=self.ctx.actor_or_fail().user_id,
                           status="blocked" if any(s.blocking for s in steps) else "done",
                           charges=sheet.charges, desk_payments=sheet.desk_payments,
                           insurer_payments=sheet.insurer_payments,
                           cash_expected=expected.get("cash", ZERO), cash_counted=counted.get("cash"),
                           card_expected=expected.get("card", ZERO), card_counted=counted.get("card"),
                           summary="; ".join(f"{s.name}: {' / '.join(s.lines)}" for s in steps)[:2000])
            session.add(run)
            session.flush()
            audit.record(session, now, self.ctx.actor, "day.close", entity="close_run", entity_id=run.id,
                         summary=f"{day:%Y-%m-%d} {run.status}: charges {money(sheet.charges)}, desk "
                                 f"{money(sheet.desk_payments)}"
                                 + "".join(f", {m} variance {money(v)}" for m, v in variance.items()))
            return run.id


def _bounds(day: dt.date, ctx: ServiceContext) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), ctx.timezone)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


def _write_sheet(sheet: DaySheet, folder: Path) -> list[Path]:
    """CSV and PDF, each written under a temporary name and renamed: a rerun replaces them whole."""
    stem = folder / f"day-sheet-{sheet.day:%Y-%m-%d}"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["item", "value"])
    writer.writerows(sheet.rows())
    files = []
    for suffix, data in ((".csv", buffer.getvalue().encode()), (".pdf", _sheet_pdf(sheet))):
        final = stem.with_suffix(suffix)
        staged = final.with_name(f".{final.name}.partial")
        staged.write_bytes(data)
        os.replace(staged, final)
        files.append(final)
    return files


def _sheet_pdf(sheet: DaySheet) -> bytes:
    pdf = letter_page(f"Day sheet {sheet.day:%Y-%m-%d}")
    pdf.set_creation_date(dt.datetime.combine(sheet.day, dt.time(), dt.UTC))  # the same day, the same file
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 10, f"Day sheet {sheet.day:%A %m/%d/%Y}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for label, value in sheet.rows()[1:]:
        pdf.cell(110, 6, latin1(label))
        pdf.cell(0, 6, latin1(value), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
