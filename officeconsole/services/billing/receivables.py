"""Accounts receivable: who owes what, and for how long; write-offs and billing the patient.

Insurer balances age by date of service (every entry of a claim carries it), so one
grouped scan of `ar_entry` gives aging by payer. Patient balances are what
`patient_balance.owed` says each patient owes (the figure the desk, statements and the CLI
show), aged by the debt still unpaid: a credit clears the oldest debt first. A patient in
credit is not aged: credits are listed and totalled on their own.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Case, ColumnElement, SQLColumnExpression, case, func, select
from sqlalchemy.orm import Session

from officeconsole.models import ArEntry, Encounter, LedgerEntry, Patient, Payer
from officeconsole.models.billing import EncounterStatus as St
from officeconsole.models.claims import Account, ArKind
from officeconsole.services.billing.ar_book import ArBook
from officeconsole.services.billing.patient_aging import opening_debts, patient_aging
from officeconsole.services.billing.remit_inputs import REASONS
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.money import money, parse_amount
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.frontdesk.patient_balance import cents, from_cents, owed, owing_patients
from officeconsole.services.security import audit

BUCKETS = ("0-30", "31-60", "61-90", "91-120", "120+")
OPEN = [s.value for s in St if s != St.CLOSED]
_EDGES = (30, 60, 90, 120)
ZERO = Decimal("0.00")
PATIENT_WRITE_OFF = "WO"  # the reason code of a write-off of the patient's share (not a payer's CARC)


@dataclass(frozen=True)
class AgingRow:
    key: int
    name: str
    buckets: tuple[Decimal, ...]
    credit: Decimal = ZERO  # a patient in credit: what the practice owes them (negative), not aged

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, self.credit)


@dataclass(frozen=True)
class Aging:
    as_of: dt.date
    payers: list[AgingRow]
    patients: list[AgingRow]  # patients who owe, the largest balances first (up to the limit asked for)
    days_in_ar: Decimal | None  # None: no charges in the last 90 days
    patient_buckets: tuple[Decimal, ...] = (ZERO,) * len(BUCKETS)  # every patient who owes, listed or not
    patient_credit: Decimal = ZERO  # every credit, together (negative)
    credits: list[AgingRow] = field(default_factory=list)  # patients in credit, the largest first (up to the limit)
    credit_count: int = 0  # patients in credit, listed or not
    owing_count: int = 0  # patients who owe, listed or not

    def totals(self, rows: list[AgingRow]) -> tuple[Decimal, ...]:
        return tuple(sum((r.buckets[i] for r in rows), ZERO) for i in range(len(BUCKETS)))

    @property
    def insurer_total(self) -> Decimal:
        return sum((r.total for r in self.payers), ZERO)

    @property
    def patient_owed(self) -> Decimal:
        """What every patient who owes owes, together."""
        return sum(self.patient_buckets, ZERO)

    @property
    def patient_total(self) -> Decimal:
        """Patients' balances net: what they owe less the credits."""
        return self.patient_owed + self.patient_credit


def _bucket_case(column: SQLColumnExpression[dt.date], as_of: dt.date) -> Case[int]:
    return case(*((column >= as_of - dt.timedelta(days=edge), n) for n, edge in enumerate(_EDGES)), else_=len(_EDGES))


class ReceivablesService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("ar.view")
    def aging(self, as_of: dt.date | None = None, patients: int = 200) -> Aging:
        as_of = as_of or self.ctx.today()
        with self.ctx.db.read() as session:
            payer_rows = self._payers(session, as_of)
            patient_rows, credit_rows, (buckets, credit, credit_count, owing_count) = self._patients(
                session, as_of, patients)
            patient_total = sum(buckets, credit)
            outstanding = sum((r.total for r in payer_rows), ZERO) + patient_total
            days = _days_in_ar(session, as_of, outstanding)
            return Aging(as_of, payer_rows, patient_rows, days, buckets, credit, credit_rows, credit_count,
                         owing_count)

    @requires("ar.view")
    def days_in_ar(self, as_of: dt.date | None = None) -> Decimal | None:
        """The aging's days in A/R without the aging (see days_in_ar_each)."""
        return self.days_in_ar_each([as_of or self.ctx.today()])[0]

    @requires("ar.view")
    def days_in_ar_each(self, days: list[dt.date]) -> list[Decimal | None]:
        """The aging's days in A/R on each of `days`, without the aging: what is outstanding is
        the sum of the same entries the aging buckets (a patient's balance is the sum of their
        entries, however the debts and credits among them pair off), so a day costs a few sums
        instead of every patient's history. Past days are summed together in one pass over the
        entries (the dashboard reads three days), each day its entries posted by its end."""
        today = self.ctx.today()
        owed_cents: dict[dt.date, int] = {}
        with self.ctx.db.read() as session:
            for as_of in sorted({d for d in days if d >= today}):
                insurer = [ArEntry.account == Account.INSURER, ArEntry.service_date <= as_of,
                           *self._insurer_scope(as_of)]
                patient = [ArEntry.account == Account.PATIENT, ArEntry.service_date <= as_of]
                owed_cents[as_of] = sum(int(session.scalar(select(func.sum(cents(column))).where(*scope)) or 0)
                                        for column, scope in ((ArEntry.amount, insurer), (ArEntry.amount, patient),
                                                              (LedgerEntry.amount, [])))
            past = sorted({d for d in days if d < today})
            if past:
                ends = [_day_end(d, self.ctx.timezone) for d in past]
                # No WHERE: one plain scan of each table, whatever the days (an index on either
                # column alone would be read for nearly every row, then the row looked up).
                entries = session.execute(select(*(
                    func.coalesce(func.sum(case(((ArEntry.service_date <= d) & (ArEntry.posted_at < end),
                                                 cents(ArEntry.amount)), else_=0)), 0)
                    for d, end in zip(past, ends, strict=True)))).one()
                desk = session.execute(select(*(
                    func.coalesce(func.sum(case((LedgerEntry.posted_at < end, cents(LedgerEntry.amount)), else_=0)), 0)
                    for end in ends))).one()
                owed_cents.update({d: int(a) + int(b) for d, a, b in zip(past, entries, desk, strict=True)})
            return [_days_in_ar(session, d, from_cents(owed_cents[d])) for d in days]

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

    @requires("ar.adjust")
    def write_off_patient(self, encounter_id: int, memo: str, request_key: str,
                          amount: str | Decimal | None = None) -> Decimal:
        """Write off what the patient owes on a visit, or `amount` of it (a small balance, a
        hardship, a courtesy): a credit on the patient's account, shown on their statement. The
        same request key again returns the first write-off."""
        why = clean_text(memo, 200)
        key = clean_text(request_key, 40)
        errors = {}
        if not why:
            errors["memo"] = "Say why the patient's balance is written off."
        if not key:
            errors["request_key"] = "The form's request key is missing (reopen it)."
        wanted = None
        if amount not in (None, ""):
            try:
                wanted = parse_amount(amount)
            except ValidationError as exc:
                errors.update(exc.errors)
        if errors:
            raise ValidationError(errors)
        with self.ctx.db.write() as session:
            encounter = get_or_fail(session, Encounter, encounter_id, "encounter")
            earlier = session.scalar(select(ArEntry.amount).where(ArEntry.request_key == f"{key}:patient"))
            if earlier is not None:  # the same form pressed twice: the first run stands
                return -_d(earlier)
            book = ArBook(self.ctx, session)
            owing = book.balance(encounter).patient
            if owing <= 0:
                raise ValidationError({"amount": "The patient owes nothing on this visit."})
            if wanted is not None and wanted > owing:
                raise ValidationError({"amount": f"The patient owes {money(owing)} on this visit: write off at "
                                                 "most that."})
            cleared = wanted or owing
            book.post(encounter, f"{key}:patient", Account.PATIENT, ArKind.ADJUSTMENT, -cleared,
                      reason=PATIENT_WRITE_OFF, memo=f"Write-off: {why}")
            balance = book.balance(encounter)
            if encounter.status == St.PAID and balance.insurer == 0 and balance.patient <= 0:
                encounter.status = St.CLOSED
                encounter.updated_at = self.ctx.now()
            session.flush()
            audit.record(session, self.ctx.now(), self.ctx.actor, "ar.write_off_patient", entity="encounter",
                         entity_id=encounter.id, patient_id=encounter.patient_id,
                         summary=f"{money(cleared)} of the patient's share written off: {why}")
            return cleared

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
    def _payers(self, session: Session, as_of: dt.date) -> list[AgingRow]:
        """What insurers owe, by payer and age. A closed claim owes the insurer nothing (closing
        requires it, and nothing posts to a closed claim), so today's aging reads only the open
        ones; aging as of a past day reads every entry posted by its end."""
        bucket = _bucket_case(ArEntry.service_date, as_of)
        by_payer: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO] * len(BUCKETS))
        scope = [ArEntry.account == Account.INSURER, ArEntry.service_date <= as_of, *self._insurer_scope(as_of)]
        for payer_id, b, amount in session.execute(
                select(ArEntry.payer_id, bucket, func.sum(ArEntry.amount)).where(*scope)
                .group_by(ArEntry.payer_id, bucket)):
            by_payer[payer_id][b] += _d(amount)
        names = dict(session.execute(select(Payer.id, Payer.name)).all())
        return sorted((AgingRow(pid, names.get(pid, "?"), tuple(v)) for pid, v in by_payer.items() if any(v)),
                      key=lambda r: r.name)

    def _insurer_scope(self, as_of: dt.date) -> list[ColumnElement[bool]]:
        if as_of >= self.ctx.today():
            return [ArEntry.encounter_id.in_(select(Encounter.id).where(Encounter.status.in_(OPEN)))]
        return [ArEntry.posted_at < _day_end(as_of, self.ctx.timezone)]

    def _patients(self, session: Session, as_of: dt.date, limit: int
                  ) -> tuple[list[AgingRow], list[AgingRow], tuple[Any, ...]]:
        """What patients owe, by age of the debt still unpaid (patient_balance.owed's rule: the one
        definition the desk, statements and the CLI read too), added up in the database
        (services/billing/patient_aging.py). Returns the `limit` largest balances owed, the `limit`
        largest credits, and the buckets and credits of every patient.

        Today's aging reads only patients whose running balance is not zero (a partial index of
        the few who owe); a past day's reads every patient's entries posted by its end."""
        if as_of >= self.ctx.today():
            scope: dict[str, Any] = {"patients": owing_patients()}
        else:
            scope = {"posted_before": _day_end(as_of, self.ctx.timezone)}
        aged = patient_aging(session, as_of, limit, **scope)
        every = [from_cents(c) for c in aged.buckets]
        owing = [(pid, tuple(from_cents(c) for c in b), ZERO) for pid, b in aged.owing]
        credits = [(pid, (ZERO,) * len(BUCKETS), from_cents(c)) for pid, c in aged.credits]
        owing_count, credit_count, credit_total = aged.owing_count, aged.credit_count, from_cents(aged.credit)
        if aged.by_hand:  # an opening debt is dated by the clinic's local day: patient_balance.owed ages them
            for patient_id, owes in owed(session, as_of, self.ctx.timezone,
                                         patients=opening_debts(scope.get("patients"), scope.get("posted_before")),
                                         posted_before=scope.get("posted_before")).items():
                if owes.balance > 0:
                    buckets = [ZERO] * len(BUCKETS)
                    for day, amount in owes.debts:
                        buckets[_bucket((as_of - day).days)] += amount
                    owing.append((patient_id, tuple(buckets), ZERO))
                    every = [a + b for a, b in zip(every, buckets, strict=True)]
                    owing_count += 1
                elif owes.balance < 0:
                    credits.append((patient_id, (ZERO,) * len(BUCKETS), owes.balance))
                    credit_count += 1
                    credit_total += owes.balance
            owing.sort(key=lambda r: (-sum(r[1]), r[0]))
            credits.sort(key=lambda r: (r[2], r[0]))
        shown = owing[:limit] + credits[:limit]
        names = {pid: f"{last}, {first}" for pid, last, first in session.execute(
            select(Patient.id, Patient.last_name, Patient.first_name).where(Patient.id.in_([r[0] for r in shown])))}
        rows = [AgingRow(pid, names.get(pid, "?"), b, credit) for pid, b, credit in shown]
        listed = len(owing[:limit])
        return rows[:listed], rows[listed:], (tuple(every), credit_total, credit_count, owing_count)


def _days_in_ar(session: Session, as_of: dt.date, outstanding: Decimal) -> Decimal | None:
    """Outstanding over the average day's charges of the 90 days to `as_of`."""
    since = as_of - dt.timedelta(days=90)
    charged = _d(session.scalar(select(func.sum(ArEntry.amount)).where(
        ArEntry.kind.in_([ArKind.CHARGE, ArKind.REVERSAL]), ArEntry.service_date > since,
        ArEntry.service_date <= as_of)))
    return (outstanding / (charged / 90)).quantize(Decimal("0.1")) if charged > 0 else None


def _day_end(day: dt.date, timezone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), timezone)


def _bucket(days: int) -> int:
    return next((n for n, edge in enumerate(_EDGES) if days <= edge), len(_EDGES))


def _d(value: Decimal | int | None) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))
