"""The biller's KPIs over a range of the clinic's days, each counted in the database (grouped
queries over indexed ranges: nothing is loaded claim by claim). The definitions live here once;
the manager's dashboard (services/kpi) calls the same functions for its net collection rate,
denial rate and days in A/R, and docs/billing-kpi.md says the same to users.

- Clean-claim rate: of the claims first marked ready in the range (their first "claim.ready"
  audit event), the share that went out on that first pass and were never sent back: not
  marked ready a second time before the first batch that carried them (the export's scrub or
  the 837 validator held them back, or an edit sent them back to coding) and never rejected
  (999, 277CA or by hand: a "claim.rejected" event). The scrubber's findings are not stored, so
  a claim the biller fixed *before* its first successful "mark ready" cannot be told apart from
  one that was clean at once: it counts as clean; claims that never became ready are not counted.
- First-pass acceptance rate (277CA): of the claims whose first claim-level 277CA answer was
  posted in the range, the share where that first answer was "accepted" (items matched to a
  claim of ours; unmatched items are left out).
- Denial rate: service lines denied / service lines on the remittances posted in the range
  (a line is denied when the payer paid nothing for a reason other than the contract or the
  patient's share: remit_line.denial). By CARC group and reason: the denied lines carrying each
  group and reason (CO-50, PR-96...; contractual 45/253 and PR patient-share lines are not
  reasons for a denial), against every line remitted; a line denied for two reasons counts under
  each. By payer: the payer's denied lines / the payer's lines remitted.
- Gross collection rate: collections / charges. Net collection rate: collections / (charges -
  contractual adjustments (group CO) posted in the range). Collections: desk payments (voids
  netted) and insurer payments posted in the range; charges: fee x units of the encounters
  with a date of service in the range.
- Days in A/R: what insurers and patients owe at the range's last day / the average day's
  charges over the 90 days before it (services/billing/receivables.py, the A/R aging's figure).
- A/R over 90 days: of what insurers and patients owe at the range's last day (patient credits
  left out), the share more than 90 days old (the aging's 91-120 and 120+ buckets).

Rates are floats from 0 to 1, unrounded (shown to 0.1%); money is Decimal to the cent; days
in A/R are Decimal to 0.1 day. A figure with nothing to count is None (shown "—"): nothing is
ever divided by zero.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, SQLColumnExpression, String, and_, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from officeconsole.models import ArEntry, AuditEvent, Payer
from officeconsole.models.acks import AckKind, AckOutcome, ClaimAck, ClaimAckItem
from officeconsole.models.claims import ArKind, ClaimBatch, ClaimBatchItem, RemitAdjustment, RemitLine, Remittance
from officeconsole.services.billing.receivables import BUCKETS, Aging, ReceivablesService
from officeconsole.services.billing.remit_inputs import CONTRACTUAL, describe
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.permissions import requires
from officeconsole.services.reporting import report_queries as q
from officeconsole.services.reporting.report_model import cents_to_money, rate

OVER_90 = tuple(n for n, b in enumerate(BUCKETS) if b in ("91-120", "120+"))  # the aging's buckets past 90 days
ZERO = Decimal("0.00")


# ----- the grouped queries (bucket n holds [edges[n], edges[n+1])) ------------------------
def _in(column: SQLColumnExpression[dt.datetime], edges: list[dt.datetime]) -> ColumnElement[bool]:
    return and_(column >= edges[0], column < edges[-1])


def clean_claims(session: Session, edges: list[dt.datetime]) -> dict[int, tuple[int, int]]:
    """bucket -> (claims first marked ready then, of which clean): see the module's definition."""
    ready, again, rejected = aliased(AuditEvent), aliased(AuditEvent), aliased(AuditEvent)
    first = (select(ready.entity_id.label("e"), func.min(ready.at).label("at"))
             .where(ready.entity == "encounter", ready.action == "claim.ready")
             .group_by(ready.entity_id).subquery())
    sent = (select(cast(ClaimBatchItem.encounter_id, String(40)).label("e"),
                   func.min(ClaimBatch.created_at).label("at"))
            .join(ClaimBatch, ClaimBatch.id == ClaimBatchItem.batch_id)
            .group_by(ClaimBatchItem.encounter_id).subquery())
    went = (select(first.c.e, first.c.at, sent.c.at.label("sent_at"))
            .outerjoin(sent, sent.c.e == first.c.e).where(_in(first.c.at, edges)).subquery())
    readied_again = exists().where(again.entity == "encounter", again.action == "claim.ready",
                                   again.entity_id == went.c.e, again.at > went.c.at,
                                   or_(went.c.sent_at.is_(None), again.at <= went.c.sent_at))
    was_rejected = exists().where(rejected.entity == "encounter", rejected.action == "claim.rejected",
                                  rejected.entity_id == went.c.e)
    flagged = (select(q.day_of(went.c.at, edges).label("b"),
                      case((readied_again | was_rejected, 0), else_=1).label("ok")).select_from(went).subquery())
    return {b: (int(n), int(ok or 0)) for b, n, ok in session.execute(
        select(flagged.c.b, func.count(), func.sum(flagged.c.ok)).group_by(flagged.c.b))}


def first_pass(session: Session, edges: list[dt.datetime]) -> dict[int, tuple[int, int]]:
    """bucket -> (claims whose first 277CA answer was posted then, of which accepted)."""
    answered = (select(ClaimAckItem.encounter_id.label("e"), ClaimAck.posted_at.label("at"),
                       ClaimAckItem.outcome.label("outcome"),
                       func.row_number().over(partition_by=ClaimAckItem.encounter_id,
                                              order_by=(ClaimAck.posted_at, ClaimAckItem.id)).label("n"))
                .join(ClaimAck, ClaimAck.id == ClaimAckItem.ack_id)
                .where(ClaimAck.kind == AckKind.X277CA, ClaimAckItem.encounter_id.is_not(None),
                       ClaimAckItem.outcome.in_([AckOutcome.ACCEPTED, AckOutcome.REJECTED])).subquery())
    firsts = (select(q.day_of(answered.c.at, edges).label("b"),
                     case((answered.c.outcome == AckOutcome.ACCEPTED, 1), else_=0).label("ok"))
              .where(answered.c.n == 1, _in(answered.c.at, edges)).subquery())
    return {b: (int(n), int(ok or 0)) for b, n, ok in session.execute(
        select(firsts.c.b, func.count(), func.sum(firsts.c.ok)).group_by(firsts.c.b))}


def remit_lines(session: Session, edges: list[dt.datetime]) -> dict[int, tuple[int, int]]:
    """bucket -> (service lines on remittances posted then, lines denied)."""
    denied = case((RemitLine.denial != "", 1), else_=0)
    sub = (select(q.day_of(Remittance.posted_at, edges).label("b"), denied.label("d")).select_from(Remittance)
           .join(RemitLine, RemitLine.remittance_id == Remittance.id)
           .where(_in(Remittance.posted_at, edges)).subquery())
    return {b: (int(n), int(d or 0)) for b, n, d in session.execute(
        select(sub.c.b, func.count(), func.sum(sub.c.d)).group_by(sub.c.b))}


def denials_by_reason(session: Session, edges: list[dt.datetime]) -> dict[tuple[str, str], int]:
    """(CARC group, reason) -> denied lines (remittances posted in the range) carrying it."""
    rows = session.execute(
        select(RemitAdjustment.group_code, RemitAdjustment.reason_code,
               func.count(func.distinct(RemitLine.id)))
        .select_from(Remittance).join(RemitLine, RemitLine.remittance_id == Remittance.id)
        .join(RemitAdjustment, RemitAdjustment.remit_line_id == RemitLine.id)
        .where(_in(Remittance.posted_at, edges), RemitLine.denial != "", RemitAdjustment.group_code != "PR",
               RemitAdjustment.reason_code.not_in(sorted(CONTRACTUAL)))
        .group_by(RemitAdjustment.group_code, RemitAdjustment.reason_code))
    return {(g, r): int(n) for g, r, n in rows}


def denials_by_group(session: Session, edges: list[dt.datetime]) -> dict[str, int]:
    """CARC group -> denied lines carrying a denial reason of that group."""
    rows = session.execute(
        select(RemitAdjustment.group_code, func.count(func.distinct(RemitLine.id)))
        .select_from(Remittance).join(RemitLine, RemitLine.remittance_id == Remittance.id)
        .join(RemitAdjustment, RemitAdjustment.remit_line_id == RemitLine.id)
        .where(_in(Remittance.posted_at, edges), RemitLine.denial != "", RemitAdjustment.group_code != "PR",
               RemitAdjustment.reason_code.not_in(sorted(CONTRACTUAL)))
        .group_by(RemitAdjustment.group_code))
    return {g: int(n) for g, n in rows}


def denials_by_payer(session: Session, edges: list[dt.datetime]) -> dict[str, tuple[int, int]]:
    """payer name -> (lines remitted in the range, lines denied)."""
    denied = case((RemitLine.denial != "", 1), else_=0)
    rows = session.execute(
        select(Payer.name, func.count(), func.sum(denied)).select_from(Remittance)
        .join(RemitLine, RemitLine.remittance_id == Remittance.id).join(Payer, Payer.id == Remittance.payer_id)
        .where(_in(Remittance.posted_at, edges)).group_by(Payer.name))
    return {name: (int(n), int(d or 0)) for name, n, d in rows}


def contractual(session: Session, edges: list[dt.datetime]) -> dict[int, int]:
    """bucket -> contractual adjustments (group code CO) posted then, in cents, as positive figures."""
    sub = (select(q.day_of(ArEntry.posted_at, edges).label("b"), q.cents(ArEntry.amount).label("c"))
           .where(_in(ArEntry.posted_at, edges), ArEntry.kind.concat("") == ArKind.ADJUSTMENT,  # by posting time
                  ArEntry.group_code == "CO")
           .subquery())
    return {b: -int(c) for b, c in session.execute(select(sub.c.b, func.sum(sub.c.c)).group_by(sub.c.b))}


def collections(session: Session, edges: list[dt.datetime], *, insurer: bool = True) -> Counter[int]:
    """bucket -> collections in cents: desk payments (voids netted) and, with `insurer`, insurer
    payments posted then."""
    collected: Counter[int] = Counter()
    for (b, _method), total in q.desk_money(session, edges).items():
        collected[b] += total
    if insurer:
        for (b, _provider, kind), total in q.insurer_money(session, edges).items():
            if kind == ArKind.PAYMENT:
                collected[b] += total
    return collected


def charged(session: Session, days: list[dt.date]) -> Counter[int]:
    """bucket [days[n], days[n+1]) -> charges in cents by date of service (fee x units)."""
    found: Counter[int] = Counter()
    for (day, _provider), (_visits, total) in q.charges(session, days[0], days[-1] - dt.timedelta(days=1)).items():
        found[bisect.bisect_right(days, day) - 1] += total
    return found


def gross_collection_rate(collected: int | Decimal, charges: int | Decimal) -> float | None:
    """Collections / charges (any one unit: cents or dollars); None without charges."""
    return float(collected / charges) if charges > 0 else None


def net_collection_rate(collected: int | Decimal, charges: int | Decimal, contract: int | Decimal) -> float | None:
    """Collections / (charges - contractual adjustments); None when that is nothing."""
    base = charges - contract
    return float(collected / base) if base > 0 else None


def ar_over_90(aging: Aging) -> tuple[Decimal, Decimal, float | None]:
    """(owed, of which over 90 days, the share) from an A/R aging: insurers' and owing patients'
    buckets, patient credits left out."""
    rows = [r.buckets for r in aging.payers] + [aging.patient_buckets]
    owed = sum((sum(b, ZERO) for b in rows), ZERO)
    old = sum((b[n] for b in rows for n in OVER_90), ZERO)
    return owed, old, (float(old / owed) if owed > 0 else None)


# ----- the service ---------------------------------------------------------------------
@dataclass(frozen=True)
class DenialRow:
    by: str  # "group", "reason" or "payer"
    name: str  # "CO", "CO-50 Not medically necessary", the payer's name
    denied: int  # denied lines
    lines: int  # lines remitted (every payer's for a group or reason; the payer's own for a payer)

    @property
    def rate(self) -> float | None:
        return rate(self.denied, self.lines)


@dataclass(frozen=True)
class BillingKpis:
    first: dt.date
    last: dt.date
    claims_ready: int  # first marked ready in the range
    clean_claims: int
    acknowledged: int  # first 277CA answer in the range
    accepted_first: int
    lines: int  # service lines remitted
    denied: int
    denials: tuple[DenialRow, ...]
    charges: Decimal
    collections: Decimal
    contractual: Decimal
    ar_owed: Decimal  # at the range's last day
    ar_over_90: Decimal
    ar_over_90_rate: float | None
    days_in_ar: Decimal | None

    @property
    def clean_claim_rate(self) -> float | None:
        return rate(self.clean_claims, self.claims_ready)

    @property
    def first_pass_acceptance(self) -> float | None:
        return rate(self.accepted_first, self.acknowledged)

    @property
    def denial_rate(self) -> float | None:
        return rate(self.denied, self.lines)

    @property
    def gross_collection_rate(self) -> float | None:
        return gross_collection_rate(self.collections, self.charges)

    @property
    def net_collection_rate(self) -> float | None:
        return net_collection_rate(self.collections, self.charges, self.contractual)


@dataclass(frozen=True)
class MonthRates:
    month: dt.date  # its first day
    clean_claim_rate: float | None
    first_pass_acceptance: float | None
    denial_rate: float | None
    gross_collection_rate: float | None
    net_collection_rate: float | None


class BillingKpiService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def _edges(self, days: list[dt.date]) -> list[dt.datetime]:
        zone = self.ctx.timezone
        return [dt.datetime.combine(d, dt.time(0), zone).astimezone(dt.UTC) for d in days]

    @requires("report.view")
    def kpis(self, first: dt.date, last: dt.date) -> BillingKpis:
        """Every billing KPI over the clinic's days `first` to `last` (the module's definitions);
        the receivables figures are as of `last`."""
        if first > last:
            raise ValidationError({"from": f"The range starts on {first:%m/%d/%Y}, after it ends "
                                           f"({last:%m/%d/%Y}): swap the dates."})
        days = [first, last + dt.timedelta(days=1)]
        edges = self._edges(days)
        with self.ctx.db.read() as session:
            ready, clean = clean_claims(session, edges).get(0, (0, 0))
            answered, accepted = first_pass(session, edges).get(0, (0, 0))
            lines, denied = remit_lines(session, edges).get(0, (0, 0))
            groups, reasons = denials_by_group(session, edges), denials_by_reason(session, edges)
            payers = denials_by_payer(session, edges)
            charges, collected = charged(session, days)[0], collections(session, edges)[0]
            contract = contractual(session, edges).get(0, 0)
        rows = [DenialRow("group", g, n, lines) for g, n in sorted(groups.items(), key=lambda x: (-x[1], x[0]))]
        rows += [DenialRow("reason", describe(g, r), n, lines)
                 for (g, r), n in sorted(reasons.items(), key=lambda x: (-x[1], x[0]))]
        rows += [DenialRow("payer", p, d, n) for p, (n, d) in sorted(payers.items(), key=lambda x: (-x[1][1], x[0]))]
        aging = ReceivablesService(self.ctx).aging(last, patients=0)
        owed, old, old_rate = ar_over_90(aging)
        return BillingKpis(first, last, ready, clean, answered, accepted, lines, denied, tuple(rows),
                           cents_to_money(charges), cents_to_money(collected), cents_to_money(contract),
                           owed, old, old_rate, aging.days_in_ar)

    @requires("report.view")
    def monthly(self, months: list[dt.date]) -> tuple[MonthRates, ...]:
        """The rates per calendar month: `months` are the edges (first days, the last one the
        month after), as services/reporting/kpi/periods.months_back gives them. One set of grouped queries."""
        edges = self._edges(months)
        with self.ctx.db.read() as session:
            ready, answered = clean_claims(session, edges), first_pass(session, edges)
            remits, contract = remit_lines(session, edges), contractual(session, edges)
            charges, collected = charged(session, months), collections(session, edges)
        found = []
        for b, month in enumerate(months[:-1]):
            r, a, lines = ready.get(b, (0, 0)), answered.get(b, (0, 0)), remits.get(b, (0, 0))
            found.append(MonthRates(month, rate(r[1], r[0]), rate(a[1], a[0]), rate(lines[1], lines[0]),
                                    gross_collection_rate(collected[b], charges[b]),
                                    net_collection_rate(collected[b], charges[b], contract.get(b, 0))))
        return tuple(found)


__all__ = ["BillingKpiService", "BillingKpis", "DenialRow", "MonthRates", "ar_over_90", "charged", "clean_claims",
           "collections", "contractual", "denials_by_group", "denials_by_payer", "denials_by_reason", "first_pass",
           "gross_collection_rate", "net_collection_rate", "remit_lines"]
