"""Accounts receivable: who owes what, and for how long; write-offs and billing the patient.

Insurer balances age by date of service (every entry of a claim carries it), so one
grouped scan of `ar_entry` gives aging by payer. Patient balances net their desk payments
against their share of claims, oldest first, so a credit clears the oldest debt.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Integer, case, cast, func, literal, select, union_all

from officeconsole.models import ArEntry, Encounter, LedgerEntry, Patient, PatientBalance, Payer
from officeconsole.models.billing import EncounterStatus as St
from officeconsole.models.claims import Account, ArKind
from officeconsole.services import audit
from officeconsole.services.ar_book import ArBook
from officeconsole.services.booking import get_or_fail
from officeconsole.services.context import ServiceContext
from officeconsole.services.errors import ValidationError
from officeconsole.services.money import money
from officeconsole.services.permissions import requires
from officeconsole.services.remit_inputs import REASONS
from officeconsole.services.text import clean_text

BUCKETS = ("0-30", "31-60", "61-90", "91-120", "120+")
OPEN = [s.value for s in St if s != St.CLOSED]
NO_AGE = -1  # desk payments: credits, whatever their date
_EDGES = (30, 60, 90, 120)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class AgingRow:
    key: int
    name: str
    buckets: tuple[Decimal, ...]

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, ZERO)


@dataclass(frozen=True)
class Aging:
    as_of: dt.date
    payers: list[AgingRow]
    patients: list[AgingRow]  # the largest balances first (up to the limit asked for)
    days_in_ar: Decimal | None  # None: no charges in the last 90 days
    patient_sum: Decimal = ZERO  # every patient's balance, beyond the rows listed too

    def totals(self, rows: list[AgingRow]) -> tuple[Decimal, ...]:
        return tuple(sum((r.buckets[i] for r in rows), ZERO) for i in range(len(BUCKETS)))

    @property
    def insurer_total(self) -> Decimal:
        return sum((r.total for r in self.payers), ZERO)

    @property
    def patient_total(self) -> Decimal:
        return self.patient_sum


def _bucket_case(column, as_of: dt.date):
    return case(*((column >= as_of - dt.timedelta(days=edge), n) for n, edge in enumerate(_EDGES)), else_=len(_EDGES))


class ReceivablesService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("ar.view")
    def aging(self, as_of: dt.date | None = None, patients: int = 200) -> Aging:
        as_of = as_of or self.ctx.today()
        with self.ctx.db.read() as session:
            payer_rows = self._payers(session, as_of)
            patient_rows, patient_total = self._patients(session, as_of, patients)
            since = as_of - dt.timedelta(days=90)
            charged = _d(session.scalar(select(func.sum(ArEntry.amount)).where(
                ArEntry.kind.in_([ArKind.CHARGE, ArKind.REVERSAL]), ArEntry.service_date > since,
                ArEntry.service_date <= as_of)))
            outstanding = sum((r.total for r in payer_rows), ZERO) + patient_total
            days = (outstanding / (charged / 90)).quantize(Decimal("0.1")) if charged > 0 else None
            return Aging(as_of, payer_rows, patient_rows, days, patient_total)

    @requires("ar.adjust")
    def write_off(self, encounter_id: int, reason_code: str, memo: str, request_key: str) -> Decimal:
        """Write off what the insurer still owes on a claim (a lost appeal, a timely-filing denial)."""
        reason = clean_text(reason_code).upper()
        why = clean_text(memo, 200)
        errors = {}
        if not reason or len(reason) > 5:
            errors["reason_code"] = "Give the adjustment reason code (e.g. 50, 97, 29)."
        if not why:
            errors["memo"] = "Say why the balance is written off."
        if errors:
            raise ValidationError(errors)
        return self._clear(encounter_id, request_key, "write_off", reason, why)

    @requires("ar.adjust")
    def bill_patient(self, encounter_id: int, request_key: str) -> Decimal:
        """Move what the insurer did not pay onto the patient's account (e.g. a non-covered service)."""
        return self._clear(encounter_id, request_key, "bill_patient", "", "")

    def _clear(self, encounter_id: int, request_key: str, action: str, reason: str, why: str) -> Decimal:
        key = clean_text(request_key, 40)
        if not key:
            raise ValidationError({"request_key": "The form's request key is missing (reopen it)."})
        with self.ctx.db.write() as session:
            encounter = get_or_fail(session, Encounter, encounter_id, "encounter")
            book = ArBook(self.ctx, session)
            done = session.scalar(select(func.sum(ArEntry.amount)).where(ArEntry.request_key.like(f"{key}:%"),
                                                                         ArEntry.account == Account.INSURER))
            if done is not None:  # the same form pressed twice: the first run stands
                return -_d(done)
            if encounter.status not in (St.DENIED, St.PARTIALLY_PAID, St.PAID, St.ACCEPTED, St.SUBMITTED):
                raise ValidationError({"state": f"A {encounter.status.replace('_', ' ')} claim has no insurer "
                                                "balance to clear."})
            owed = book.balance(encounter).insurer
            if owed <= 0:
                raise ValidationError({"state": "The insurer owes nothing on this claim."})
            payer_id = session.scalar(select(ArEntry.payer_id).where(  # the payer the claim was charged to
                ArEntry.encounter_id == encounter.id, ArEntry.account == Account.INSURER,
                ArEntry.kind == ArKind.CHARGE).order_by(ArEntry.id.desc()).limit(1))
            label = f"{reason} {REASONS.get(reason, '')}".strip()
            if action == "write_off":
                book.post(encounter, f"{key}:out", Account.INSURER, ArKind.ADJUSTMENT, -owed, payer_id=payer_id,
                          group="CO", reason=reason, memo=f"Write-off {label}: {why}")
            else:
                book.post(encounter, f"{key}:out", Account.INSURER, ArKind.TRANSFER, -owed, payer_id=payer_id,
                          memo="Billed to the patient")
                book.post(encounter, f"{key}:in", Account.PATIENT, ArKind.TRANSFER, owed,
                          memo="Not paid by insurance")
            encounter.status = St.CLOSED if book.balance(encounter).patient <= 0 else St.PAID
            encounter.updated_at = self.ctx.now()
            session.flush()
            audit.record(session, self.ctx.now(), self.ctx.actor, f"ar.{action}", entity="encounter",
                         entity_id=encounter.id, patient_id=encounter.patient_id,
                         summary=f"{money(owed)}{' ' + label + ': ' + why if why else ' to the patient'}")
            return owed

    # ----- the two sides -----------------------------------------------------------------
    def _payers(self, session, as_of: dt.date) -> list[AgingRow]:
        """What insurers owe, by payer and age. A closed claim owes the insurer nothing (closing
        requires it, and nothing posts to a closed claim), so today's aging reads only the open
        ones; aging as of a past day reads every entry posted by its end."""
        bucket = _bucket_case(ArEntry.service_date, as_of)
        by_payer: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO] * len(BUCKETS))
        scope = [ArEntry.account == Account.INSURER, ArEntry.service_date <= as_of]
        if as_of >= self.ctx.today():
            scope.append(ArEntry.encounter_id.in_(select(Encounter.id).where(Encounter.status.in_(OPEN))))
        else:
            scope.append(ArEntry.posted_at < _day_end(as_of, self.ctx.timezone))
        for payer_id, b, amount in session.execute(
                select(ArEntry.payer_id, bucket, func.sum(ArEntry.amount)).where(*scope)
                .group_by(ArEntry.payer_id, bucket)):
            by_payer[payer_id][b] += _d(amount)
        names = dict(session.execute(select(Payer.id, Payer.name)).all())
        return sorted((AgingRow(pid, names.get(pid, "?"), tuple(v)) for pid, v in by_payer.items() if any(v)),
                      key=lambda r: r.name)

    def _patients(self, session, as_of: dt.date, limit: int) -> tuple[list[AgingRow], Decimal]:
        """What patients owe, by age: their shares less their payments, a credit clearing the
        oldest debt first. Returns the largest `limit` balances and the total of all.

        The database nets every patient first (one pass, in SQL) so that only patients with a
        balance are aged; amounts travel as integer cents, exact on both engines."""
        owed: dict[int, list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        credit: dict[int, int] = defaultdict(int)
        for patient_id, b, debit, paid in self._patient_moves(session, as_of):
            if b == NO_AGE:
                credit[patient_id] -= int(debit or 0) + int(paid or 0)  # desk payments less their voids
            else:
                owed[patient_id][b] += int(debit or 0)
                credit[patient_id] -= int(paid or 0)
        rows, total = [], 0
        for patient_id in set(owed) | set(credit):
            buckets = owed.get(patient_id) or [0] * len(BUCKETS)
            left = credit.get(patient_id, 0)
            for i in range(len(BUCKETS) - 1, -1, -1):  # credits clear the oldest debt first
                used = min(left, buckets[i]) if left > 0 else 0
                buckets[i] -= used
                left -= used
            if left:
                buckets[0] -= left  # an unused credit (or a refund owed) shows as current
            if any(buckets):
                rows.append((patient_id, buckets))
                total += sum(buckets)
        rows.sort(key=lambda r: -sum(r[1]))
        rows = rows[:limit]
        names = {pid: f"{last}, {first}" for pid, last, first in session.execute(
            select(Patient.id, Patient.last_name, Patient.first_name).where(Patient.id.in_([r[0] for r in rows])))}
        return ([AgingRow(pid, names.get(pid, "?"), tuple(_from_cents(c) for c in b)) for pid, b in rows],
                _from_cents(total))


    def _patient_moves(self, session, as_of: dt.date):
        """(patient, bucket, debits, credits) in cents for every patient with a balance; desk
        payments come with bucket NO_AGE. Today's aging finds those patients through their running
        balance (a partial index of the few who owe); a past day's nets every patient in SQL."""
        bucket = _bucket_case(ArEntry.service_date, as_of)
        debit = lambda amount: func.sum(_cents(case((amount > 0, amount), else_=0)))  # noqa: E731
        credit = lambda amount: func.sum(_cents(case((amount < 0, amount), else_=0)))  # noqa: E731
        if as_of >= self.ctx.today():
            owing = select(PatientBalance.patient_id).where(PatientBalance.balance != 0)
            yield from session.execute(
                select(ArEntry.patient_id, bucket, debit(ArEntry.amount), credit(ArEntry.amount))
                .where(ArEntry.account == Account.PATIENT, ArEntry.patient_id.in_(owing),
                       ArEntry.service_date <= as_of).group_by(ArEntry.patient_id, bucket))
            yield from session.execute(
                select(LedgerEntry.patient_id, literal(NO_AGE), debit(LedgerEntry.amount), credit(LedgerEntry.amount))
                .where(LedgerEntry.patient_id.in_(owing)).group_by(LedgerEntry.patient_id))
            return
        end = _day_end(as_of, self.ctx.timezone)
        moves = union_all(
            select(ArEntry.patient_id.label("patient_id"), bucket.label("b"), _cents(ArEntry.amount).label("c"))
            .where(ArEntry.account == Account.PATIENT, ArEntry.service_date <= as_of, ArEntry.posted_at < end),
            select(LedgerEntry.patient_id, literal(NO_AGE), _cents(LedgerEntry.amount))
            .where(LedgerEntry.posted_at < end)).subquery()
        per = (select(moves.c.patient_id, moves.c.b, func.sum(case((moves.c.c > 0, moves.c.c), else_=0)).label("debit"),
                      func.sum(case((moves.c.c < 0, moves.c.c), else_=0)).label("credit"))
               .group_by(moves.c.patient_id, moves.c.b).subquery())
        netted = select(per, func.sum(per.c.debit + per.c.credit).over(partition_by=per.c.patient_id)
                        .label("net")).subquery()
        yield from session.execute(select(netted.c.patient_id, netted.c.b, netted.c.debit, netted.c.credit)
                                   .where(netted.c.net != 0))


def _day_end(day: dt.date, timezone) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), timezone)


def _cents(amount):
    """An amount as whole cents in SQL: exact sums on SQLite (which keeps NUMERIC as REAL) and PostgreSQL."""
    return cast(func.round(amount * 100), Integer)


def _from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _d(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))
