"""Practice reports over a range of the clinic's days: the day sheet, production by provider,
payments by method, no-shows, wait times and A/R aging.

Each report is a plain frozen `Report`: sections of typed rows with a totals row, what the
columns mean, and per-day series for the console's charts. Every figure is aggregated in the
database (report_queries.py), so a month costs a few indexed range scans whatever the size of
the clinic's history. The definitions are the close-out day sheet's (a test checks one day
against it): visits are appointments that got as far as arrival, money counts on the day it
was posted, charges on the date of service.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from officeconsole.models import ClinicSettings
from officeconsole.models.claims import ArKind
from officeconsole.models.enums import AppointmentStatus as S
from officeconsole.models.ledger import PaymentMethod
from officeconsole.services.billing.receivables import BUCKETS, ReceivablesService
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import OfficeError, ValidationError
from officeconsole.services.common.folders import writable_folder
from officeconsole.services.common.money import money
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import format_phone, plural
from officeconsole.services.reporting import report_queries as q
from officeconsole.services.reporting.report_files import file_name, report_csv, report_json, report_pdf
from officeconsole.services.reporting.report_model import (
    COUNT,
    DATE,
    MINUTES,
    MONEY,
    PERCENT,
    SEEN,
    TEXT,
    Column,
    Report,
    Section,
    Series,
    cents_to_money,
    day_label,
    days_in,
    rate,
    wait_stats,
)
from officeconsole.services.reporting.report_visits import no_show_parts, wait_parts
from officeconsole.services.security import audit

REPORTS: dict[str, tuple[str, str]] = {
    "day-sheet": ("Day sheet", "each day's visits, no-shows, new patients, charges, money taken and average wait"),
    "production": ("Production by provider", "visits and charges by date of service; insurer payments and "
                                             "adjustments posted on each provider's claims"),
    "payments": ("Payments by method", "desk payments by cash, card and check (voids netted) and insurer "
                                       "payments, per day"),
    "no-shows": ("No-shows", "booked, seen, no-show and cancelled per day and per provider, with rates"),
    "wait-times": ("Wait times", "arrival to the provider: average, median and 90th percentile per day and "
                                 "provider"),
    "aging": ("A/R aging", "what insurers and patients owe, by age, as of the last day of the range"),
    "kpi": ("Practice KPIs", "the manager's dashboard: the range against the one before and a year earlier, "
                             "with 12 months of trend (month to date by default)"),
    "billing-kpi": ("Billing KPIs", "clean-claim and first-pass acceptance rates, denials by reason and payer, "
                                    "collection rates, days in A/R and A/R over 90 days, with 12 months of trend"),
}
DEFAULT_DAYS = 30  # --to today, --from 29 days earlier: the last 30 days including today
METHODS = [m.value for m in PaymentMethod]
FILE_FORMATS = {"csv": lambda r: report_csv(r).encode(), "json": lambda r: report_json(r).encode(), "pdf": report_pdf}


class ReportError(OfficeError):
    pass


def default_range(today: dt.date) -> tuple[dt.date, dt.date]:
    return today - dt.timedelta(days=DEFAULT_DAYS - 1), today


class ReportService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("report.view")
    def run(self, name: str, start: dt.date | None = None, end: dt.date | None = None) -> Report:
        builders = {"day-sheet": self.day_sheets, "production": self.production, "payments": self.payments,
                    "no-shows": self.no_shows, "wait-times": self.wait_times, "aging": self.ar_aging,
                    "kpi": self.kpi, "billing-kpi": self.billing_kpi}
        if name not in builders:
            raise ValidationError({"name": f"There is no report {name!r}: choose one of {', '.join(REPORTS)}."})
        report = builders[name](start, end)
        with self.ctx.db.write() as session:  # reports name patients and carry money: who ran what is kept
            audit.record(session, self.ctx.now(), self.ctx.actor, "report.run", entity="report", entity_id=name,
                         summary=f"{report.title} {report.start:%m/%d/%Y}-{report.end:%m/%d/%Y}")
        return report

    @requires("report.view")
    def day_sheets(self, start: dt.date | None = None, end: dt.date | None = None) -> Report:
        """One row per day, as the close-out's day sheet counts it, and the range's total."""
        start, end = self._range(start, end)
        days = days_in(start, end)
        edges = q.day_edges(start, end, self.ctx.timezone)
        with self.ctx.db.read() as session:
            statuses: dict[int, Counter[str]] = defaultdict(Counter)
            for (i, _provider, status), n in q.appointment_counts(session, edges).items():
                statuses[i][status] += n
            charged: Counter[int] = Counter()
            for (day, _provider), (_visits, total) in q.charges(session, start, end).items():
                charged[(day - start).days] += total
            desk: Counter[int] = Counter()
            for (i, _method), total in q.desk_money(session, edges).items():
                desk[i] += total
            insurer: dict[int, Counter[str]] = defaultdict(Counter)
            for (i, _provider, kind), total in q.insurer_money(session, edges).items():
                insurer[i][kind] += total
            new = q.new_patients(session, edges)
            waits: dict[int, Counter[int]] = defaultdict(Counter)
            for (i, _provider, minutes), n in q.waits(session, edges).items():
                waits[i][minutes] += n
            clinic = _clinic(session)
        rows: list[tuple[Any, ...]] = []
        every_wait: Counter[int] = Counter()
        for i, day in enumerate(days):
            seen = sum(statuses[i][s] for s in SEEN)
            no_shows = statuses[i][S.NO_SHOW]
            every_wait.update(waits[i])
            rows.append((day, seen, no_shows, statuses[i][S.CANCELLED], rate(no_shows, seen + no_shows),
                         new.get(i, 0), charged[i], desk[i], insurer[i][ArKind.PAYMENT],
                         insurer[i][ArKind.ADJUSTMENT], wait_stats(waits[i]).average))
        totals: list[Any] = ["Total", *(sum(r[k] for r in rows) for k in (1, 2, 3)), None, sum(r[5] for r in rows),
                  *(sum(r[k] for r in rows) for k in (6, 7, 8, 9)), wait_stats(every_wait).average]
        totals[4] = rate(totals[2], totals[1] + totals[2])
        rows = [_money_cells(r, (6, 7, 8, 9)) for r in rows]
        total_cells = _money_cells(tuple(totals), (6, 7, 8, 9))
        columns = (Column("Day", DATE), Column("Visits", COUNT), Column("No-shows", COUNT),
                   Column("Cancelled", COUNT), Column("No-show %", PERCENT), Column("New patients", COUNT),
                   Column("Charges", MONEY), Column("Desk paid", MONEY), Column("Insurers paid", MONEY),
                   Column("Adjustments", MONEY), Column("Avg wait", MINUTES))
        labels = tuple(day_label(d) for d in days)
        rated = [(day_label(r[0]), r[4]) for r in rows if r[4] is not None]
        series = (Series("Visits per day", labels, tuple(float(r[1]) for r in rows), COUNT),
                  Series("No-show rate", tuple(x for x, _ in rated), tuple(v for _, v in rated), PERCENT, "line"),
                  Series("Collections per day", labels, tuple(float(r[7] + r[8]) for r in rows), MONEY))
        notes = ("Visits: appointments that day that got as far as arrival. No-show %: no-shows / (visits + "
                 "no-shows). New patients: registered that day.",
                 "Charges: fee x units of the visits with that date of service. Desk paid: taken at the desk that "
                 "day, voids netted on the day of the void. Insurers paid and adjustments: posted that day.",
                 "Avg wait: arrival to the provider coming in, in minutes.")
        return self._report("day-sheet", start, end, clinic, (Section("By day", columns, tuple(rows), total_cells),),
                            notes, series)

    @requires("report.view")
    def production(self, start: dt.date | None = None, end: dt.date | None = None) -> Report:
        """What each provider produced: visits and charges by date of service in the range, and
        the insurer payments and adjustments posted in the range on that provider's claims
        (whatever their date of service). Desk payments name no provider, so are not split."""
        start, end = self._range(start, end)
        days = days_in(start, end)
        edges = q.day_edges(start, end, self.ctx.timezone)
        with self.ctx.db.read() as session:
            names = q.provider_names(session)
            visits: Counter[int] = Counter()
            charged: Counter[int] = Counter()
            per_day: Counter[int] = Counter()
            for (day, provider), (n, total) in q.charges(session, start, end).items():
                visits[provider] += n
                charged[provider] += total
                per_day[(day - start).days] += total
            posted: dict[int, Counter[str]] = defaultdict(Counter)
            for (_i, provider, kind), total in q.insurer_money(session, edges, by_provider=True).items():
                posted[provider][kind] += total
            clinic = _clinic(session)
        providers = sorted(set(visits) | set(posted), key=lambda p: names.get(p, "?"))
        rows = [(names.get(p, "?"), visits[p], charged[p], round(charged[p] / visits[p]) if visits[p] else None,
                 posted[p][ArKind.PAYMENT], posted[p][ArKind.ADJUSTMENT]) for p in providers]
        n, total = sum(visits.values()), sum(charged.values())
        totals = ("Total", n, total, round(total / n) if n else None, sum(r[4] for r in rows), sum(r[5] for r in rows))
        rows = [_money_cells(r, (2, 3, 4, 5)) for r in rows]
        columns = (Column("Provider", TEXT), Column("Visits", COUNT), Column("Charges", MONEY),
                   Column("Per visit", MONEY), Column("Insurer payments", MONEY), Column("Adjustments", MONEY))
        notes = ("Visits and charges: encounters with a date of service in the range, charges at fee x units "
                 "(before any contractual adjustment).",
                 "Insurer payments and adjustments: posted in the range on the provider's claims, whatever their "
                 "date of service. Desk payments name no provider: see the payments report.")
        series = (Series("Charges per day (date of service)", tuple(day_label(d) for d in days),
                         tuple(float(cents_to_money(per_day[i])) for i in range(len(days))), MONEY),)
        return self._report("production", start, end, clinic,
                            (Section("By provider", columns, tuple(rows), _money_cells(totals, (2, 3, 4, 5))),),
                            notes, series)

    @requires("report.view")
    def payments(self, start: dt.date | None = None, end: dt.date | None = None) -> Report:
        """Money taken per day: desk payments by method and insurer payments. Every entry is
        summed: two equal payments by one patient on one day are two payments."""
        start, end = self._range(start, end)
        days = days_in(start, end)
        edges = q.day_edges(start, end, self.ctx.timezone)
        with self.ctx.db.read() as session:
            desk = q.desk_money(session, edges)
            insurer: Counter[int] = Counter()
            for (i, _provider, kind), total in q.insurer_money(session, edges).items():
                if kind == ArKind.PAYMENT:
                    insurer[i] += total
            clinic = _clinic(session)
        rows: list[tuple[Any, ...]] = []
        for i, day in enumerate(days):
            by_method = [desk.get((i, m), 0) for m in METHODS]
            rows.append((day, *by_method, sum(by_method), insurer[i], sum(by_method) + insurer[i]))
        width = len(METHODS) + 3
        totals = ("Total", *(sum(r[k] for r in rows) for k in range(1, width + 1)))
        money_at = tuple(range(1, width + 1))
        columns = (Column("Day", DATE), *(Column(PaymentMethod(m).label, MONEY) for m in METHODS),
                   Column("Desk total", MONEY), Column("Insurers", MONEY), Column("Total", MONEY))
        notes = ("Desk payments count on the day they were taken; a void counts against its payment's method on "
                 "the day of the void. Insurer payments: posted that day (EOBs and 835s).",)
        series = (Series("Collections per day", tuple(day_label(d) for d in days),
                         tuple(float(cents_to_money(r[-1])) for r in rows), MONEY),)
        shown = tuple(_money_cells(r, money_at) for r in rows if any(r[1:]))
        return self._report("payments", start, end, clinic,
                            (Section("By day", columns, shown, _money_cells(totals, money_at)),), notes, series)

    @requires("report.view")
    def no_shows(self, start: dt.date | None = None, end: dt.date | None = None) -> Report:
        """Booked, seen, no-shows and cancelled per day and per provider, with the rates."""
        start, end = self._range(start, end)
        with self.ctx.db.read() as session:
            edges = q.day_edges(start, end, self.ctx.timezone)
            counts = q.appointment_counts(session, edges) | q.confirmed_no_shows(session, edges)
            names, clinic = q.provider_names(session), _clinic(session)
        return self._report("no-shows", start, end, clinic, *no_show_parts(counts, names, days_in(start, end)))

    @requires("report.view")
    def wait_times(self, start: dt.date | None = None, end: dt.date | None = None) -> Report:
        """Arrival to the provider per day and per provider: average, median, 90th percentile."""
        start, end = self._range(start, end)
        with self.ctx.db.read() as session:
            found = q.waits(session, q.day_edges(start, end, self.ctx.timezone))
            names, clinic = q.provider_names(session), _clinic(session)
        return self._report("wait-times", start, end, clinic, *wait_parts(found, names, days_in(start, end)))

    @requires("report.view")
    def ar_aging(self, start: dt.date | None = None, end: dt.date | None = None) -> Report:
        """Accounts receivable as of the range's last day (the A/R screen's figures)."""
        start, end = self._range(start, end)
        aging = ReceivablesService(self.ctx).aging(end)
        with self.ctx.db.read() as session:
            clinic = _clinic(session)
        buckets = tuple(Column(b, MONEY) for b in BUCKETS)
        columns = (*buckets, Column("Total", MONEY))
        totals = aging.totals(aging.payers)
        sections = [Section("Insurance, by payer", (Column("Payer", TEXT), *columns),
                            tuple((r.name, *r.buckets, r.total) for r in aging.payers),
                            ("Total", *totals, sum(totals, Decimal("0.00"))))]
        # Every patient's totals, not only the rows listed; credits are their own line, not aged.
        credits = ((f"Credits ({plural(aging.credit_count, 'patient')})", *(Decimal("0.00"),) * len(BUCKETS),
                    aging.patient_credit),) if aging.credit_count else ()
        sections.append(Section("Patients, largest balances first", (Column("Patient", TEXT), *columns),
                                tuple((r.name, *r.buckets, r.total) for r in aging.patients) + credits,
                                ("Total, every patient", *aging.patient_buckets, aging.patient_total)))
        days = "n/a (no charges in 90 days)" if aging.days_in_ar is None else str(aging.days_in_ar)
        listed = (f" (the {len(aging.patients)} largest of {aging.owing_count} listed)"
                  if len(aging.patients) < aging.owing_count else "")
        notes = (f"Insurers owe {money(aging.insurer_total)}; patients owe {money(aging.patient_owed)}{listed}, "
                 f"less {money(-aging.patient_credit)} in credits. Days in A/R: {days}.",
                 "Insurer balances age from the date of service; patient credits clear their oldest debt first.")
        series = (Series("Insurance A/R by age", BUCKETS, tuple(float(v) for v in totals), MONEY),
                  Series("Patient A/R by age", BUCKETS, tuple(float(v) for v in aging.patient_buckets), MONEY))
        return Report("aging", REPORTS["aging"][0], start, end, f"as of {end:%m/%d/%Y}", tuple(sections), notes,
                      series, clinic)

    @requires("report.view")
    def kpi(self, start: dt.date | None = None, end: dt.date | None = None) -> Report:
        """The dashboard's figures (services/kpi): the month to date unless the range says otherwise."""
        from officeconsole.services.reporting.kpi import KpiService, kind_of
        from officeconsole.services.reporting.kpi.tables import kpi_report

        dashboard = KpiService(self.ctx).dashboard(kind_of(start, end, self.ctx.today()), start, end)
        with self.ctx.db.read() as session:
            clinic = _clinic(session)
        return kpi_report(dashboard, clinic)

    @requires("report.view")
    def billing_kpi(self, start: dt.date | None = None, end: dt.date | None = None) -> Report:
        """The billing KPIs (services/billing/billing_kpi.py) over the range, and each month's rates over the
        twelve months up to its end."""
        from officeconsole.services.billing.billing_kpi import BillingKpiService
        from officeconsole.services.billing.billing_kpi_report import billing_kpi_report
        from officeconsole.services.reporting.kpi.periods import months_back

        start, end = self._range(start, end)
        service = BillingKpiService(self.ctx)
        figures, months = service.kpis(start, end), service.monthly(months_back(end))
        with self.ctx.db.read() as session:
            clinic = _clinic(session)
        return self._report("billing-kpi", start, end, clinic, *billing_kpi_report(figures, months))

    @requires("report.view")
    def export(self, report: Report, fmt: str, folder: Path | str, filename: str | None = None) -> Path:
        """Write the report as CSV or PDF (under a temporary name, renamed once the export is
        audited: reports name patients and carry money)."""
        if fmt not in FILE_FORMATS:
            raise ValidationError({"format": f"Reports export as csv, json or pdf, not {fmt!r}."})
        path = writable_folder(folder, ReportError, "the report") / (filename or file_name(report, fmt))
        staged = path.with_name(f".{path.name}.partial")
        try:
            staged.write_bytes(FILE_FORMATS[fmt](report))
            with self.ctx.db.write() as session:
                audit.record(session, self.ctx.now(), self.ctx.actor, "report.export", entity="report",
                             entity_id=report.name, summary=f"{report.title}, {report.period} -> {path}")
            os.replace(staged, path)
        except OSError as exc:
            raise ReportError(f"Cannot write the report to {path}: {exc.strerror or exc}.") from None
        finally:
            staged.unlink(missing_ok=True)
        return path

    # ----- shared ----------------------------------------------------------------------
    def _range(self, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
        today = self.ctx.today()
        end = end or today
        start = start or default_range(end)[0]
        for field, day in (("to", end), ("from", start)):
            if day > today:
                raise ValidationError({field: f"{day:%m/%d/%Y} has not happened yet: a report ends today at "
                                              "the latest."})
        if start > end:
            raise ValidationError({"from": f"The range starts on {start:%m/%d/%Y}, after it ends "
                                           f"({end:%m/%d/%Y}): swap the dates."})
        return start, end

    def _report(self, name: str, start: dt.date, end: dt.date, clinic: tuple[str, ...],
                sections: tuple[Section, ...], notes: tuple[str, ...], series: tuple[Series, ...]) -> Report:
        period = f"{start:%m/%d/%Y}" if start == end else f"{start:%m/%d/%Y} to {end:%m/%d/%Y}"
        return Report(name, REPORTS[name][0], start, end, period, sections, notes, series, clinic)


def _money_cells(row: tuple[Any, ...], at: tuple[int, ...]) -> tuple[Any, ...]:
    return tuple(cents_to_money(v) if k in at and v is not None else v for k, v in enumerate(row))


def _clinic(session: Session) -> tuple[str, ...]:
    """The letterhead: name, address, phone."""
    clinic = session.get(ClinicSettings, 1)
    if clinic is None:
        return ()
    address = ", ".join(p for p in (clinic.address_line1, clinic.city,
                                    f"{clinic.state} {clinic.postal_code}".strip()) if p)
    return tuple(line for line in (clinic.name, address, format_phone(clinic.phone)) if line)
