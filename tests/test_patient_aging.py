"""Patient aging summed in the database (services/billing/patient_aging.py) against a plain walk through
every patient's entries, written here from the rule: a visit's entries net on its date of
service, credits clear the oldest debt first, an opening debt dates from the clinic's day it was
posted. On a copy of the small demo (copays, insurer payments with the patient's share, denials
written off or billed to the patient, statement payments, refunds) with opening balances, a
patient write-off and payments on account added; today, days past and days ahead."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from officeconsole.db.database import Database
from officeconsole.models import ArEntry, Encounter, LedgerEntry, User
from officeconsole.services.billing.receivables import ReceivablesService
from officeconsole.services.common.clock import FixedClock
from officeconsole.services.common.context import Actor, ServiceContext
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key
from officeconsole.services.frontdesk.patient_balance import owed

from tests.conftest import NOW

EDGES = (30, 60, 90, 120)
ZERO = D("0.00")


def _bucket(as_of: dt.date, day: dt.date) -> int:
    days = (as_of - day).days
    return next((n for n, edge in enumerate(EDGES) if days <= edge), len(EDGES))


def by_hand(session, as_of: dt.date, zone, posted_before: dt.datetime | None):
    """patient -> (balance, buckets), every patient with entries, one entry at a time."""
    visit_day = dict(session.execute(select(Encounter.appointment_id, Encounter.date_of_service)).all())
    dated: dict[int, dict[dt.date, D]] = defaultdict(lambda: defaultdict(D))
    undated: dict[int, D] = defaultdict(D)
    for patient, day, amount, posted in session.execute(
            select(ArEntry.patient_id, ArEntry.service_date, ArEntry.amount, ArEntry.posted_at)
            .where(ArEntry.account == "patient")):
        if day <= as_of and (posted_before is None or posted < posted_before):
            dated[patient][day] += D(amount)
    for patient, kind, amount, posted, visit in session.execute(
            select(LedgerEntry.patient_id, LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.posted_at,
                   LedgerEntry.appointment_id)):
        if posted_before is not None and posted >= posted_before:
            continue
        day = posted.astimezone(zone).date() if kind == "opening" and amount > 0 else visit_day.get(visit)
        if day is not None and day <= as_of:
            dated[patient][day] += D(amount)
        else:
            undated[patient] += D(amount)
    found = {}
    for patient in set(dated) | set(undated):
        days = sorted(dated[patient].items())
        balance = sum((net for _, net in days), undated[patient])
        pool = -undated[patient] - sum(net for _, net in days if net <= 0)  # every credit, to clear debts
        buckets = [ZERO] * (len(EDGES) + 1)
        for day, net in days:
            if net <= 0:
                continue
            cleared = min(max(pool, ZERO), net)
            pool -= cleared
            buckets[_bucket(as_of, day)] += net - cleared
        found[patient] = (balance.quantize(D("0.01")), tuple(b.quantize(D("0.01")) for b in buckets))
    return found


@pytest.fixture(scope="module")
def clinic(small_demo):
    """The small demo with opening balances (a debt, a credit), a patient write-off and payments
    on account (one partial, one more than owed) added."""
    url = small_demo.copy("patient_aging")
    database = Database.from_url(url)
    ctx = ServiceContext(database, FixedClock(NOW))
    with database.read() as session:
        users = {row.role: Actor(row.id, row.username, row.full_name, row.role) for row in session.execute(
            select(User.id, User.username, User.full_name, User.role))}
        owing = session.execute(  # visits on which patients owe, the largest first
            select(ArEntry.encounter_id, ArEntry.patient_id, func.sum(ArEntry.amount))
            .where(ArEntry.account == "patient").group_by(ArEntry.encounter_id, ArEntry.patient_id)
            .having(func.sum(ArEntry.amount) > 0).order_by(func.sum(ArEntry.amount).desc())).all()
        quiet = list(session.scalars(select(LedgerEntry.patient_id).distinct()))
    manager, desk = ctx.as_actor(users["manager"]), ctx.as_actor(users["front_desk"])
    assert len(owing) >= 3, "the demo should leave visits owing"
    (written, first, _), (_, partly, share), (_, over, _) = owing[:3]
    ReceivablesService(manager).write_off_patient(written, "Hardship", new_request_key(), "5.00")
    ledger = LedgerService(desk)
    ledger.post_payment(PaymentInput(partly, D(share) / 2, "cash", request_key=new_request_key()))
    ledger.post_payment(PaymentInput(over, "900", "card", request_key=new_request_key()))
    import_as = LedgerService(manager)
    import_as.post_opening_balance(first, D("80.00"), NOW.date() - dt.timedelta(days=400), new_request_key())
    import_as.post_opening_balance(quiet[-1], D("-35.00"), NOW.date(), new_request_key())
    yield ctx.as_actor(users["manager"])
    database.dispose()


@pytest.mark.parametrize("shift", [0, -1, -6, 45, 130])
def test_patient_aging_is_the_entries_walked_one_by_one(clinic, shift):
    ctx = clinic
    as_of = ctx.today() + dt.timedelta(days=shift)
    aging = ReceivablesService(ctx).aging(as_of, patients=10_000)
    past = as_of < ctx.today()
    posted_before = (dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), ctx.timezone) if past else None)
    with ctx.db.read() as session:
        expected = by_hand(session, as_of, ctx.timezone, posted_before)
        desk = owed(session, as_of, ctx.timezone, posted_before=posted_before)  # what the desk shows
    owing = sorted(((p, b) for p, (bal, b) in expected.items() if bal > 0), key=lambda r: (-sum(r[1]), r[0]))
    credits = sorted(((p, bal) for p, (bal, _) in expected.items() if bal < 0), key=lambda r: (r[1], r[0]))
    assert [(r.key, r.buckets) for r in aging.patients] == owing
    assert [(r.key, r.credit) for r in aging.credits] == credits
    assert (aging.owing_count, aging.credit_count) == (len(owing), len(credits))
    assert aging.patient_buckets == tuple(sum((b[n] for _, b in owing), ZERO) for n in range(len(EDGES) + 1))
    assert aging.patient_credit == sum((c for _, c in credits), ZERO)
    assert {r.key: r.total for r in aging.patients + aging.credits} == {
        p: o.balance for p, o in desk.items() if o.balance}
    assert owing or credits
    if shift == 0:
        assert owing and credits
    if shift == 130:  # the opening debt and the demo's visits have aged past the first bucket
        assert sum(aging.patient_buckets[1:]) > 0


def test_days_in_ar_on_several_days_at_once_is_each_days_aging(clinic):
    """The dashboard reads three days' days in A/R in one pass over the entries: each is that
    day's aging's own figure (past days, today, a day ahead, in any order, one repeated)."""
    ctx = clinic
    today = ctx.today()
    days = [today - dt.timedelta(days=n) for n in (1, 0, 6, 30, 1, -10)]
    each = ReceivablesService(ctx).days_in_ar_each(days)
    assert each == [ReceivablesService(ctx).aging(day, patients=0).days_in_ar for day in days]
    assert any(figure is not None and figure > 0 for figure in each)
