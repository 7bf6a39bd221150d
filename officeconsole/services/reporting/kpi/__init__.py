"""The manager's dashboard: today at a glance, a period against the one before and the same
period a year earlier, and a twelve-month trend; `officeconsole report kpi` gives the same
figures as a table, CSV, JSON or PDF.

Every figure is defined once, here (FIGURES, and docs/kpi.md says the same to users):

- Visits: appointments in the period that got as far as arrival.
- Booked: every appointment in the period, cancelled ones included.
- New patients: patients registered in the period.
- No-show rate: no-shows / (visits + no-shows).
- Late-cancel rate: visits cancelled less than 24 hours before their time / booked.
- Average and 90th-percentile wait: from the later of arrival and the booked time to the
  provider coming in, in minutes (an early arrival does not count as waiting); visits that
  never reached the provider are left out. 90th percentile by nearest rank.
- Scheduling accuracy: of the visits that reached the provider, the share where the provider
  came in within 15 minutes (before or after) of the booked time.
- Booked with an override: visits (not cancelled) booked or moved with a rule set aside
  (outside working hours, in the past, over the patient's other booking).
- Reschedules: moves of the visits booked for the period.
- Provider utilisation: minutes booked (visits not cancelled, no-shows included) / working
  minutes (each provider's hours, as services/scheduling/hours.py reads them: templates less blocks,
  exceptions, holidays and approved time off), per provider and for all of them.
- Charges: fee x units of the encounters with a date of service in the period.
- Collections: desk payments (voids netted) and insurer payments posted in the period.
- Net collection rate: collections / (charges - contractual adjustments (group code CO)
  posted in the period).
- Denial rate: service lines denied / service lines on the remittances posted in the period.
- Days in A/R: what insurers and patients owe at the period's end / the average day's charges
  over the 90 days before it (the A/R aging's figure, services/billing/receivables.py).
  Collections, net collection rate, denial rate and days in A/R are the billing KPIs' own
  definitions: the dashboard calls services/billing/billing_kpi.py for them.
- Per desk user: check-ins (visits of the period moved to "arrived") and desk payments taken;
  per biller: claims worked (claims on which the user posted anything to A/R).

A figure with nothing to count (no visits, no charges) is None and reads "—": nothing is
divided by zero. Each figure's change is "up", "down" or "same" against the previous period.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from officeconsole.models import Provider
from officeconsole.models.enums import AppointmentStatus as S
from officeconsole.services.billing import billing_kpi as bk
from officeconsole.services.billing.receivables import ReceivablesService
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.permissions import requires
from officeconsole.services.reporting import report_queries as q
from officeconsole.services.reporting.kpi import queries as kq
from officeconsole.services.reporting.kpi.periods import (
    PERIODS,
    Span,
    choose_span,
    kind_of,
    months_back,
    previous,
    step,
    year_before,
)
from officeconsole.services.reporting.report_model import (
    COUNT,
    MINUTES,
    MONEY,
    PERCENT,
    SEEN,
    cents_to_money,
    rate,
    wait_stats,
)
from officeconsole.services.scheduling.hours import HoursCalendar

DAYS = "days"  # a figure counted in days (days in A/R)
__all__ = ["FIGURES", "PERIODS", "Comparison", "Dashboard", "Kpi", "KpiService", "Span", "Today", "kind_of", "step"]


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    kind: str  # COUNT, PERCENT (0-1), MINUTES, MONEY or DAYS
    better: int  # 1: higher is better, -1: lower is better, 0: neither


FIGURES: tuple[Kpi, ...] = (
    Kpi("visits", "Visits", COUNT, 1),
    Kpi("booked", "Booked", COUNT, 0),
    Kpi("new_patients", "New patients", COUNT, 1),
    Kpi("no_show_rate", "No-show rate", PERCENT, -1),
    Kpi("late_cancel_rate", "Late-cancel rate", PERCENT, -1),
    Kpi("wait_average", "Average wait (min)", MINUTES, -1),
    Kpi("wait_p90", "90th pct wait (min)", MINUTES, -1),
    Kpi("on_time", "Scheduling accuracy", PERCENT, 1),
    Kpi("overrides", "Booked with an override", COUNT, -1),
    Kpi("reschedules", "Reschedules", COUNT, -1),
    Kpi("utilisation", "Provider utilisation", PERCENT, 1),
    Kpi("charges", "Charges", MONEY, 1),
    Kpi("collections", "Collections", MONEY, 1),
    Kpi("net_collection_rate", "Net collection rate", PERCENT, 1),
    Kpi("denial_rate", "Denial rate", PERCENT, -1),
    Kpi("days_in_ar", "Days in A/R", DAYS, -1),
)
BY_KEY = {f.key: f for f in FIGURES}
AR_FIGURES = ("collections", "net_collection_rate", "denial_rate", "days_in_ar")  # left out by with_ar=False
TREND = ("visits", "no_show_rate", "wait_average", "utilisation", "charges", "collections")


@dataclass(frozen=True)
class Comparison:
    figure: Kpi
    now: object
    before: object
    year_ago: object

    @property
    def change(self) -> str:
        """"up", "down" or "same" against the previous period; "" when either has nothing."""
        return _change(self.now, self.before)

    @property
    def year_change(self) -> str:
        return _change(self.now, self.year_ago)

    @property
    def verdict(self) -> int:
        """1 better, -1 worse, 0 neither (or no change) against the previous period."""
        return {"up": 1, "down": -1}.get(self.change, 0) * self.figure.better


def _change(now: Any, before: Any) -> str:  # two figures of one kind (a count, an amount or a rate), or None
    if now is None or before is None:
        return ""
    return "up" if now > before else "down" if now < before else "same"


@dataclass(frozen=True)
class Today:
    day: dt.date
    booked: int  # appointments today, not cancelled
    arrived: int  # arrived or further
    waiting: int  # arrived and not yet with the provider
    longest_wait: int | None  # minutes, the longest of those waiting now
    seen: int  # with the provider or checked out
    no_shows: int
    collected: Decimal  # taken at the desk today, voids netted


@dataclass(frozen=True)
class Dashboard:
    kind: str  # week, month, quarter or custom
    span: Span
    before: Span
    year_ago: Span
    today: Today | None  # when the period runs to today
    rows: tuple[Comparison, ...]
    providers: tuple[tuple[Any, ...], ...]  # (name, visits, charges, booked minutes, working minutes, utilisation)
    desk: tuple[tuple[Any, ...], ...]  # (name, check-ins, payments, taken)
    billers: tuple[tuple[Any, ...], ...]  # (name, claims worked)
    months: tuple[dt.date, ...]  # the trend's months (their first days)
    trend: dict[str, tuple[Any, ...]]  # figure key -> a value per month (None: nothing to count)
    complete: bool = True  # False: read with_ar=False, AR_FIGURES and claims worked still to come

    def row(self, key: str) -> Comparison:
        return next(r for r in self.rows if r.figure.key == key)


class KpiService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("report.view")
    def dashboard(self, kind: str = "month", start: dt.date | None = None, end: dt.date | None = None,
                  *, with_ar: bool = True, with_trend: bool = True) -> Dashboard:
        """The figures of a period (by default this month to date) beside the previous period
        and the same period last year. `with_ar=False` leaves out (None) the figures read from
        the A/R entries (AR_FIGURES and claims worked: the longest to read), so a screen can show
        the rest first; `with_trend=False` leaves the trend out."""
        today = self.ctx.today()
        span = choose_span(kind, start, end, today)
        before, year_ago = previous(kind, span), year_before(span)
        with self.ctx.db.read() as session:
            providers = list(session.scalars(select(Provider.id)))
            measured = [self._measure(session, [s.start, s.end + dt.timedelta(days=1)], providers, with_ar)[0]
                        for s in (span, before, year_ago)]
            people = self._people(session, span, providers, with_ar)
            months: list[dt.date] = []
            trend: dict[str, tuple[Any, ...]] = {}
            if with_trend:
                months = months_back(span.end)
                per_month = self._measure(session, months, providers, with_ar)
                trend = {key: tuple(m[key] for m in per_month) for key in TREND}
                months = months[:-1]
            shown_today = self._today(session) if span.end == today else None
        if with_ar:  # the three days summed together (one pass over the entries)
            days = ReceivablesService(self.ctx).days_in_ar_each([s.end for s in (span, before, year_ago)])
            for figures, days_in_ar in zip(measured, days, strict=True):
                figures["days_in_ar"] = days_in_ar
        rows = tuple(Comparison(f, *(m.get(f.key) for m in measured)) for f in FIGURES)
        return Dashboard(kind, span, before, year_ago, shown_today, rows, *people, tuple(months), trend, with_ar)

    # ----- the figures -------------------------------------------------------------------
    def _edges(self, days: list[dt.date]) -> list[dt.datetime]:
        zone = self.ctx.timezone
        return [dt.datetime.combine(d, dt.time(0), zone).astimezone(dt.UTC) for d in days]

    def _measure(self, session: Session, days: list[dt.date], providers: list[int], with_ar: bool = True
                 ) -> list[dict[str, object]]:
        """Every figure but days in A/R for each bucket [days[n], days[n+1]), in one set of
        grouped queries whatever the number of buckets."""
        edges = self._edges(days)
        buckets = range(len(days) - 1)
        statuses: dict[int, Counter[str]] = defaultdict(Counter)
        for (b, _provider, status), n in q.appointment_counts(session, edges).items():
            statuses[b][status] += n
        waits = kq.waits(session, edges)
        late, moved, overridden = (kq.late_cancels(session, edges), kq.reschedules(session, edges),
                                   kq.overrides(session, edges))
        new = q.new_patients(session, edges)
        booked: Counter[int] = Counter()
        for (b, _provider), minutes in kq.booked_minutes(session, edges).items():
            booked[b] += minutes
        working = _working_minutes(session, providers, days)
        # The billing figures are defined once, in services/billing/billing_kpi.py.
        charged = bk.charged(session, days)
        collected = bk.collections(session, edges, insurer=with_ar)
        contractual, remits = (bk.contractual(session, edges), bk.remit_lines(session, edges)) if with_ar else ({}, {})
        found: list[dict[str, object]] = []
        for b in buckets:
            counts = statuses[b]
            visits, no_shows, every = sum(counts[s] for s in SEEN), counts[S.NO_SHOW], sum(counts.values())
            waited: Counter[int] = Counter()
            punctual = reached = 0
            for (m, on_time), n in waits[b].items():
                waited[m] += n
                reached += n
                punctual += n if on_time else 0
            stats = wait_stats(waited)
            work = sum(w[b] for w in working.values())
            lines, denied = remits.get(b, (0, 0))
            found.append({
                "visits": visits, "booked": every, "new_patients": new.get(b, 0),
                "no_show_rate": rate(no_shows, visits + no_shows), "late_cancel_rate": rate(late.get(b, 0), every),
                "wait_average": stats.average, "wait_p90": stats.p90, "on_time": rate(punctual, reached),
                "overrides": overridden.get(b, 0), "reschedules": moved.get(b, 0),
                "utilisation": rate(booked[b], work), "charges": cents_to_money(charged[b]),
                "collections": cents_to_money(collected[b]),
                "net_collection_rate": bk.net_collection_rate(collected[b], charged[b], contractual.get(b, 0)),
                "denial_rate": rate(denied, lines), "days_in_ar": None,
            })
            if not with_ar:
                found[-1].update(dict.fromkeys(AR_FIGURES))
        return found

    def _people(self, session: Session, span: Span, providers: list[int], with_ar: bool = True
                ) -> tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]:
        """Per provider: visits, charges, utilisation; per desk user: check-ins and payments;
        per biller: claims worked."""
        days = [span.start, span.end + dt.timedelta(days=1)]
        edges = self._edges(days)
        names = q.provider_names(session)
        visits: Counter[int] = Counter()
        charged: Counter[int] = Counter()
        for (_day, provider), (n, total) in q.charges(session, span.start, span.end).items():
            visits[provider] += n
            charged[provider] += total
        booked = {p: m for (_b, p), m in kq.booked_minutes(session, edges).items()}
        working = {p: w[0] for p, w in _working_minutes(session, providers, days).items()}
        shown = sorted({p for p in (*visits, *booked, *(p for p, w in working.items() if w))},
                       key=lambda p: names.get(p, "?"))
        by_provider = tuple((names.get(p, "?"), visits[p], cents_to_money(charged[p]), booked.get(p, 0),
                             working.get(p, 0), rate(booked.get(p, 0), working.get(p, 0))) for p in shown)
        checked, paid, worked = (kq.check_ins(session, edges), kq.payments_by_user(session, edges),
                                 kq.claims_worked(session, edges) if with_ar else {})
        users = kq.user_names(session, {*checked, *paid, *worked})
        desk = tuple(sorted((users.get(u, "?"), checked.get(u, 0), paid.get(u, (0, 0))[0],
                             cents_to_money(paid.get(u, (0, 0))[1])) for u in {*checked, *paid} if u is not None))
        billers = tuple(sorted((users.get(u, "?"), n) for u, n in worked.items() if u is not None))
        return by_provider, desk, billers

    def _today(self, session: Session) -> Today:
        day = self.ctx.today()
        edges = self._edges([day, day + dt.timedelta(days=1)])
        counts: Counter[str] = Counter()
        for (_b, _provider, status), n in q.appointment_counts(session, edges).items():
            counts[status] += n
        waiting, since = kq.waiting_now(session, edges[0], edges[1])
        longest = max(0, int((self.ctx.now() - since).total_seconds() // 60)) if since is not None else None
        collected = sum(q.desk_money(session, edges).values())
        return Today(day, sum(counts.values()) - counts[S.CANCELLED], sum(counts[s] for s in SEEN), waiting,
                     longest, counts[S.WITH_PROVIDER] + counts[S.CHECKED_OUT], counts[S.NO_SHOW],
                     cents_to_money(collected))


def _working_minutes(session: Session, providers: list[int], days: list[dt.date]) -> dict[int, list[int]]:
    """provider -> working minutes in each bucket [days[n], days[n+1]) (services/scheduling/hours.py's
    answer: templates less blocks, exceptions, holidays, approved time off)."""
    last = days[-1] - dt.timedelta(days=1)
    calendar = HoursCalendar(session, providers, days[0], last)
    found = {p: [0] * (len(days) - 1) for p in providers}
    for b in range(len(days) - 1):
        day = days[b]
        while day < days[b + 1]:
            for p in providers:
                for start, end in calendar.intervals(p, day):
                    found[p][b] += (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
            day += dt.timedelta(days=1)
    return found
