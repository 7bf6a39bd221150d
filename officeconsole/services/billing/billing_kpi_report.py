"""The billing KPIs (billing_kpi.py) as a report's parts: the figures with what they count, the
denials by CARC group, reason and payer, and the last twelve months' rates with three charts.

The figures section mixes rates, money and days, so its cells are text as people read them
("66.7%", "$1,250.00", "41.3 days"; "—" when there is nothing to count); the other sections
are typed, so their CSV and JSON keep plain numbers.
"""

from __future__ import annotations

from officeconsole.services.billing.billing_kpi import BillingKpis, MonthRates
from officeconsole.services.common.money import money
from officeconsole.services.reporting.report_model import COUNT, PERCENT, TEXT, Column, Section, Series

NOTHING = "—"
NOTES = (
    "Clean-claim rate: claims first marked ready in the range that went out on that first pass and were never "
    "sent back (not marked ready again before they were first sent, never rejected by a 999, a 277CA or by "
    "hand). Scrubber findings are not stored: a claim fixed before its first successful mark-ready counts as "
    "clean, and claims never marked ready are not counted.",
    "First-pass acceptance: claims whose first 277CA answer came in the range and said accepted / claims whose "
    "first 277CA answer came in the range.",
    "Denial rate: denied service lines / lines on the remittances posted in the range. By group and reason: "
    "denied lines carrying it (a line with two reasons counts under each) / every line remitted. By payer: the "
    "payer's denied lines / the payer's lines.",
    "Gross collection rate: collections (desk payments with voids netted, insurer payments, posted in the range) "
    "/ charges (fee x units, date of service in the range). Net: collections / (charges - contractual "
    "adjustments (CO) posted in the range).",
    "Days in A/R: owed by insurers and patients at the range's end / the average day's charges over the 90 days "
    "before it. A/R over 90 days: the share of what insurers and patients owe at the range's end (credits left "
    "out) that is more than 90 days old.",
)


def _pct(value: float | None) -> str:
    return NOTHING if value is None else f"{value:.1%}"


def billing_kpi_report(k: BillingKpis, months: tuple[MonthRates, ...]
                       ) -> tuple[tuple[Section, ...], tuple[str, ...], tuple[Series, ...]]:
    days = NOTHING if k.days_in_ar is None else f"{k.days_in_ar} days"
    figures = (
        ("Clean-claim rate", _pct(k.clean_claim_rate), f"{k.clean_claims} clean", f"{k.claims_ready} claims ready"),
        ("First-pass acceptance (277CA)", _pct(k.first_pass_acceptance), f"{k.accepted_first} accepted",
         f"{k.acknowledged} claims answered"),
        ("Denial rate", _pct(k.denial_rate), f"{k.denied} lines denied", f"{k.lines} lines remitted"),
        ("Gross collection rate", _pct(k.gross_collection_rate), f"{money(k.collections)} collected",
         f"{money(k.charges)} charged"),
        ("Net collection rate", _pct(k.net_collection_rate), f"{money(k.collections)} collected",
         f"{money(k.charges - k.contractual)} charged less contractual"),
        ("Days in A/R", days, f"{money(k.ar_owed)} owed", f"as of {k.last:%m/%d/%Y}"),
        ("A/R over 90 days", _pct(k.ar_over_90_rate), f"{money(k.ar_over_90)} over 90 days",
         f"{money(k.ar_owed)} owed"),
    )
    sections = [
        Section("Figures", (Column("Figure", TEXT), Column("Value", TEXT), Column("Counted", TEXT),
                            Column("Out of", TEXT)), figures),
        Section("Denials by CARC group, reason and payer",
                (Column("By", TEXT), Column("Group, reason or payer", TEXT), Column("Denied lines", COUNT),
                 Column("Lines", COUNT), Column("Denial rate", PERCENT)),
                tuple((r.by, r.name, r.denied, r.lines, r.rate) for r in k.denials)),
        Section("Last 12 months", (Column("Month", TEXT), Column("Clean-claim rate", PERCENT),
                                   Column("First-pass acceptance", PERCENT), Column("Denial rate", PERCENT),
                                   Column("Gross collection rate", PERCENT), Column("Net collection rate", PERCENT)),
                tuple((f"{m.month:%m/%Y}", m.clean_claim_rate, m.first_pass_acceptance, m.denial_rate,
                       m.gross_collection_rate, m.net_collection_rate) for m in months)),
    ]
    series = tuple(_trend(title, months, key) for title, key in (
        ("Clean-claim rate per month", "clean_claim_rate"), ("Denial rate per month", "denial_rate"),
        ("Net collection rate per month", "net_collection_rate")))
    return tuple(sections), NOTES, series


def _trend(title: str, months: tuple[MonthRates, ...], key: str) -> Series:
    """A line over the months that have something to count (a month with nothing is left out)."""
    shown = [(f"{m.month:%b}", getattr(m, key)) for m in months if getattr(m, key) is not None]
    return Series(title, tuple(x for x, _ in shown), tuple(float(v) for _, v in shown), PERCENT, "line")


__all__ = ["NOTES", "billing_kpi_report"]
