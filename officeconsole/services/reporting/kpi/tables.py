"""The dashboard as a `Report` (report_model.py): what `officeconsole report kpi` prints and
saves as CSV, JSON or PDF, with the same figures the screen shows.

Figures are grouped by how they read (counts, rates, minutes, money, days) so every column
holds one kind of value and a CSV or JSON keeps plain numbers. "Change" is "up", "down" or
"same" against the previous period; an empty cell has nothing to count.
"""

from __future__ import annotations

from officeconsole.services.reporting.kpi import BY_KEY, DAYS, TREND, Dashboard
from officeconsole.services.reporting.report_model import (
    COUNT,
    MINUTES,
    MONEY,
    PERCENT,
    TEXT,
    Column,
    Report,
    Section,
    Series,
)

TITLE = "Practice KPIs"
GROUPS = ((COUNT, "Visits and patients"), (PERCENT, "Rates"), (MINUTES, "Waits"), (MONEY, "Money"),
          (DAYS, "Receivables"))
NOTES = (
    "Visits: arrived or further. Booked: every appointment, cancelled ones included. No-show rate: no-shows / "
    "(visits + no-shows). Late-cancel rate: cancelled less than 24 hours before the visit / booked.",
    "Wait: from the later of arrival and the booked time to the provider coming in (an early arrival does not "
    "count as waiting). Scheduling accuracy: visits where the provider came in within 15 minutes of the booked "
    "time / visits that reached the provider. Override: booked or moved with a rule set aside.",
    "Utilisation: minutes booked (no-shows included) / the providers' working minutes. Collections: desk "
    "(voids netted) and insurer payments posted. Net collection rate: collections / (charges - contractual "
    "adjustments). Denial rate: denied lines / lines remitted. Days in A/R: owed at the period's end / the "
    "average day's charges over the 90 days before.",
    "Change: up, down or same against the previous period. An empty figure has nothing to count.",
)


def kpi_report(dashboard: Dashboard, clinic: tuple[str, ...]) -> Report:
    d = dashboard
    sections = []
    if d.today is not None:
        t = d.today
        sections.append(Section("Today", (
            Column("Booked", COUNT), Column("Arrived", COUNT), Column("Waiting", COUNT),
            Column("Longest wait (min)", COUNT), Column("Seen", COUNT), Column("No-shows", COUNT),
            Column("Collected", MONEY)),
            ((t.booked, t.arrived, t.waiting, t.longest_wait, t.seen, t.no_shows, t.collected),)))
    for kind, title in GROUPS:
        value_kind = COUNT if kind == DAYS else kind
        rows = tuple((r.figure.label, r.now, r.before, r.change, r.year_ago, r.year_change)
                     for r in d.rows if r.figure.kind == kind)
        if rows:
            sections.append(Section(title, (
                Column("Figure", TEXT), Column(d.span.text, value_kind), Column(d.before.text, value_kind),
                Column("Change", TEXT), Column(d.year_ago.text, value_kind), Column("vs last year", TEXT)), rows))
    sections.append(Section("By provider", (
        Column("Provider", TEXT), Column("Visits", COUNT), Column("Charges", MONEY), Column("Booked min", COUNT),
        Column("Working min", COUNT), Column("Utilisation", PERCENT)), d.providers))
    sections.append(Section("By desk user", (
        Column("User", TEXT), Column("Check-ins", COUNT), Column("Payments", COUNT), Column("Taken", MONEY)),
        d.desk))
    sections.append(Section("By biller", (Column("User", TEXT), Column("Claims worked", COUNT)), d.billers))
    if d.months:
        columns = (Column("Month", TEXT), *(Column(BY_KEY[k].label, BY_KEY[k].kind) for k in TREND))
        sections.append(Section("Last 12 months", columns,
                                tuple((f"{m:%m/%Y}", *(d.trend[k][n] for k in TREND)) for n, m in enumerate(d.months))))
    return Report("kpi", TITLE, d.span.start, d.span.end,
                  f"{d.span.text}, against {d.before.text} and {d.year_ago.text}", tuple(sections), NOTES,
                  trend_series(d), clinic)


def trend_series(dashboard: Dashboard) -> tuple[Series, ...]:
    """The twelve-month charts: visits, the no-show rate, the average wait, collections."""
    labels = tuple(f"{m:%b}" for m in dashboard.months)
    found = []
    for key, style in (("visits", "bar"), ("no_show_rate", "line"), ("wait_average", "line"), ("collections", "bar")):
        values = dashboard.trend.get(key, ())
        shown = [(label, float(v)) for label, v in zip(labels, values, strict=True) if v is not None]
        found.append(Series(BY_KEY[key].label + " per month", tuple(x for x, _ in shown),
                            tuple(v for _, v in shown), BY_KEY[key].kind, style))
    return tuple(found)

