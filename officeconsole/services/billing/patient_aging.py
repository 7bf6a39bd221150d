"""Patient aging in one statement: what each patient owes, by the age of the debt still unpaid,
added up in the database (the same SQL on SQLite and PostgreSQL).

The rule is patient_balance.owed's, the one the desk, statements and the CLI read: a visit's
entries (its share, what was paid or written off for it) net on its date of service; the
credits (days that net to a credit, desk money for no visit or for a visit after the day asked
for, an opening credit) clear the oldest debt first, so what the patient owes is what is left
of the newest debts. The buckets are runs of days, so the same holds bucket by bucket: of the
newest bucket's debts the patient still owes up to the balance, of the next bucket up to what
the balance leaves over, and so on. Two grouped passes (a patient's days, then the patient)
give every figure; nothing is sorted by date.

An opening balance that is a debt is dated by the clinic's local day of its posting, which
SQL cannot tell across time zones on SQLite: the few patients with one are flagged by the
statement and aged by patient_balance.owed itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    SQLColumnExpression,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from officeconsole.models import ArEntry, Encounter, LedgerEntry
from officeconsole.models.claims import Account
from officeconsole.services.frontdesk.patient_balance import cents

EDGES = (30, 60, 90, 120)  # the aging buckets' upper ends in days (120+ after)
OPENING = "opening"


@dataclass(frozen=True)
class PatientAging:
    """Every patient's aging added up, in cents: what patients who owe owe by bucket, the
    credits, the largest balances and credits, and the patients aged in Python instead."""

    buckets: tuple[int, ...]
    owing_count: int
    credit: int  # negative
    credit_count: int
    owing: list[tuple[int, tuple[int, ...]]]  # (patient, buckets), the largest first
    credits: list[tuple[int, int]]  # (patient, balance), the largest credit first
    by_hand: list[int]  # patients with an opening debt: left out of everything above


def patient_aging(session: Session, as_of: dt.date, limit: int, *, patients: Select[int] | None = None,
                  posted_before: dt.datetime | None = None) -> PatientAging:
    """`patients`: a select of the patients to read (None: every patient); `posted_before`
    leaves out what was posted from then on (a past day's aging)."""

    def among(column: SQLColumnExpression[int]) -> list[ColumnElement[bool]]:
        return [] if patients is None else [column.in_(patients)]

    posted_ar = [] if posted_before is None else [ArEntry.posted_at < posted_before]
    posted_desk = [] if posted_before is None else [LedgerEntry.posted_at < posted_before]
    visit_day = Encounter.date_of_service
    moves = union_all(
        select(ArEntry.patient_id.label("p"), ArEntry.service_date.label("day"), cents(ArEntry.amount).label("c"),
               literal_column("0", Integer).label("o"))
        .where(ArEntry.account == Account.PATIENT, ArEntry.service_date <= as_of, *among(ArEntry.patient_id),
               *posted_ar),
        select(LedgerEntry.patient_id, case((visit_day <= as_of, visit_day), else_=cast(null(), Date)),
               cents(LedgerEntry.amount), case((LedgerEntry.kind == OPENING, 1), else_=0))
        .outerjoin(Encounter, Encounter.appointment_id == LedgerEntry.appointment_id)
        .where(*among(LedgerEntry.patient_id), *posted_desk),
    ).subquery("moves")
    days = (select(moves.c.p, moves.c.day, func.sum(moves.c.c).label("net"),
                   func.max(case(((moves.c.o == 1) & (moves.c.c > 0), 1), else_=0)).label("o"))
            .group_by(moves.c.p, moves.c.day).subquery("days"))
    bucket = case(*((days.c.day >= as_of - dt.timedelta(days=edge), n) for n, edge in enumerate(EDGES)),
                  else_=len(EDGES))
    debt = case((days.c.day.is_not(None) & (days.c.net > 0), days.c.net), else_=0)
    sums = (select(days.c.p, func.sum(days.c.net).label("bal"), func.max(days.c.o).label("o"),
                   *(func.sum(case((bucket == n, debt), else_=0)).label(f"d{n}") for n in range(len(EDGES) + 1)))
            .group_by(days.c.p).subquery("sums"))
    debts = [sums.c[f"d{n}"] for n in range(len(EDGES) + 1)]
    unpaid = []
    for n, owing in enumerate(debts):  # the balance is what is left of the newest debts
        left = sums.c.bal - sum(debts[1:n], debts[0]) if n else sums.c.bal
        unpaid.append(case((left <= 0, 0), (left < owing, left), else_=owing).label(f"b{n}"))
    per = select(sums.c.p, sums.c.bal, sums.c.o, *unpaid).cte("per")
    b = [per.c[f"b{n}"] for n in range(len(EDGES) + 1)]
    owes, owed_to = (per.c.bal > 0) & (per.c.o == 0), (per.c.bal < 0) & (per.c.o == 0)
    zero = literal_column("0", Integer)

    def part(tag: str, *columns: ColumnElement[Any], where: ColumnElement[bool],
             order: tuple[ColumnElement[Any], ...] = (), top: int | None = None) -> Select[*tuple[Any, ...]]:
        shape = [literal_column(f"'{tag}'").label("tag"), *columns, *([zero] * (7 - len(columns)))]
        query = select(*(c.label(f"v{n}") if n else c for n, c in enumerate(shape))).where(where)
        return query.order_by(*order).limit(top).subquery().select() if top is not None else query

    rows = session.execute(union_all(
        part("t", zero, *(func.coalesce(func.sum(c), 0) for c in b), func.count(), where=owes),
        part("c", zero, func.coalesce(func.sum(per.c.bal), 0), func.count(), where=owed_to),
        part("o", per.c.p, *b, where=owes, order=(sum(b[1:], b[0]).desc(), per.c.p), top=limit),
        part("k", per.c.p, per.c.bal, where=owed_to, order=(per.c.bal, per.c.p), top=limit),
        part("x", per.c.p, where=per.c.o == 1),
    )).all()
    found: dict[str, list[Any]] = {"o": [], "k": [], "x": []}
    totals, owing_count, credit = (0,) * len(b), 0, (0, 0)
    for tag, *values in rows:
        values = [int(v or 0) for v in values]
        if tag == "t":
            totals, owing_count = tuple(values[1:6]), values[6]
        elif tag == "c":
            credit = (values[1], values[2])
        elif tag == "o":
            found["o"].append((values[0], tuple(values[1:6])))
        elif tag == "k":
            found["k"].append((values[0], values[1]))
        else:
            found["x"].append(values[0])
    return PatientAging(totals, owing_count, credit[0], credit[1], found["o"], found["k"],
                        found["x"])


def opening_debts(patients: Select[int] | None = None, posted_before: dt.datetime | None = None) -> Select[int]:
    """A select of the patients (among `patients`, posted before `posted_before`) with an
    opening balance that is a debt: the ones patient_aging leaves to patient_balance.owed."""
    return select(LedgerEntry.patient_id).where(
        LedgerEntry.kind == OPENING, LedgerEntry.amount > 0,
        *([] if patients is None else [LedgerEntry.patient_id.in_(patients)]),
        *([] if posted_before is None else [LedgerEntry.posted_at < posted_before]))
