"""What a patient owes: one definition, read by the account screen, check-in, check-out,
receipts, statements, patient aging and the CLI.

A patient owes their share of their visits (what was billed to them: self-pay charges and what
insurers transferred to them as patient responsibility, less what was written off of that share)
and any opening balance, less what they paid at the desk, plus what was given back to them (a
voided payment is a refund). Every entry that moves a patient's balance is in `ar_entry` (the
patient's account) or `ledger_entry`; these are the same entries the running balance in
`patient_balance` is kept from.

What is paid or written off for a visit clears that visit first (as its statement line shows);
the rest (payments on account, more than a visit's share) clears the oldest debt first. What is
left unpaid is the newest debt, and the oldest debt still unpaid gives the age ("oldest unpaid
95 days"). Amounts are summed as integer cents in SQL, exact on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Integer, Select, SQLColumnExpression, cast, func, select
from sqlalchemy.orm import Session

from officeconsole.models import ArEntry, Encounter, LedgerEntry, PatientBalance
from officeconsole.models.claims import Account
from officeconsole.services.common.money import money

if TYPE_CHECKING:
    from officeconsole.services.common.context import ServiceContext

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PatientOwes:
    patient_id: int
    as_of: dt.date
    balance: Decimal  # positive: the patient owes; negative: a credit
    share: Decimal  # their share of their visits (and opening balance), less write-offs
    paid: Decimal  # paid at the desk, less refunds (a voided payment)
    debts: tuple[tuple[dt.date, Decimal], ...] = field(default=())  # still unpaid, by the day it arose, oldest first
    collected: Decimal = ZERO  # of a credit: paid for visits not billed yet (a copay taken at check-in)

    @property
    def oldest(self) -> dt.date | None:
        """The day the oldest debt still unpaid arose (a visit's date of service)."""
        return self.debts[0][0] if self.debts else None

    @property
    def oldest_days(self) -> int | None:
        return None if self.oldest is None else max((self.as_of - self.oldest).days, 0)

    @property
    def state(self) -> str:
        """"owed", "credit" or "" (settled)."""
        return "owed" if self.balance > 0 else "credit" if self.balance < 0 else ""

    @property
    def age_words(self) -> str:
        """The oldest unpaid debt's age: "95 days", "1 day" ("" when nothing is owed)."""
        days = self.oldest_days
        return "" if days is None else "1 day" if days == 1 else f"{days} days"

    def describe(self) -> str:
        """The balance as the desk says it: "$225.00 owed, oldest unpaid 95 days"."""
        if self.balance < 0:
            if self.collected >= -self.balance:  # a copay taken before the visit's claim is settled
                return f"{money(-self.balance)} copay collected, on account until the visit is billed"
            if self.collected:
                return f"{money(-self.balance)} credit ({money(self.collected)} of it collected for visits not billed yet)"
            return f"{money(-self.balance)} credit"
        if not self.balance:
            return "nothing owed"
        return f"{money(self.balance)} owed" + (f", oldest unpaid {self.age_words}" if self.age_words else "")


def cents(amount: SQLColumnExpression[Any]) -> SQLColumnExpression[int]:
    """An amount as whole cents in SQL: exact sums on SQLite (which keeps NUMERIC as REAL) and PostgreSQL."""
    return cast(func.round(amount * 100), Integer)


def from_cents(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def owed(session: Session, as_of: dt.date, timezone: dt.tzinfo, *,
         patients: Iterable[int] | Select[int] | None = None, posted_before: dt.datetime | None = None,
         through: LedgerEntry | None = None) -> dict[int, PatientOwes]:
    """What each patient owes on `as_of`, by patient id; a patient without entries is left out.

    `patients`: None for every patient, a list of ids, or a select of ids. `posted_before` leaves
    out entries posted from then on (a past day's figures); `through` leaves out what was posted
    after that desk entry (the balance a receipt shows)."""
    dated: dict[int, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))  # debts and credits of a visit
    credit: dict[int, int] = defaultdict(int)  # credits of no visit: they clear the oldest debt first
    share: dict[int, int] = defaultdict(int)
    paid: dict[int, int] = defaultdict(int)
    billed: dict[int, set[dt.date]] = defaultdict(set)  # days with a share billed to the patient
    ahead: dict[int, int] = defaultdict(int)  # paid for a visit not billed yet (no visit record yet)

    def among(column: SQLColumnExpression[int]) -> list[ColumnElement[bool]]:
        return [] if patients is None else [column.in_(patients)]

    ar_scope = [ArEntry.account == Account.PATIENT, ArEntry.service_date <= as_of, *among(ArEntry.patient_id)]
    desk_scope = [*among(LedgerEntry.patient_id)]
    if posted_before is not None:
        ar_scope.append(ArEntry.posted_at < posted_before)
        desk_scope.append(LedgerEntry.posted_at < posted_before)
    if through is not None:
        ar_scope.append(ArEntry.posted_at <= through.posted_at)
        desk_scope.append((LedgerEntry.posted_at < through.posted_at)
                          | ((LedgerEntry.posted_at == through.posted_at) & (LedgerEntry.id <= through.id)))
    for patient_id, day, amount in session.execute(  # the patient's share of each day's visits, less write-offs
            select(ArEntry.patient_id, ArEntry.service_date, func.sum(cents(ArEntry.amount)))
            .where(*ar_scope).group_by(ArEntry.patient_id, ArEntry.service_date)):
        dated[patient_id][day] += int(amount or 0)
        share[patient_id] += int(amount or 0)
        billed[patient_id].add(day)
    desk_cents = cents(LedgerEntry.amount)
    for_visit = LedgerEntry.appointment_id.is_not(None)
    for patient_id, day, visit, _kind, total in session.execute(  # desk entries: paid for a visit (its day), or not
            select(LedgerEntry.patient_id, Encounter.date_of_service, for_visit, LedgerEntry.kind, func.sum(desk_cents))
            .outerjoin(Encounter, Encounter.appointment_id == LedgerEntry.appointment_id)
            .where(LedgerEntry.kind != "opening", *desk_scope)
            .group_by(LedgerEntry.patient_id, Encounter.date_of_service, for_visit, LedgerEntry.kind)):
        total = int(total or 0)
        paid[patient_id] -= total  # payments less refunds (a void gives a payment back)
        if day is not None and day <= as_of:
            dated[patient_id][day] += total
        else:
            credit[patient_id] -= total
            if visit:
                ahead[patient_id] -= total
    for patient_id, posted_at, total in session.execute(  # opening balances: few, one a patient
            select(LedgerEntry.patient_id, LedgerEntry.posted_at, desk_cents)
            .where(LedgerEntry.kind == "opening", *desk_scope)):
        share[patient_id] += int(total)
        if total > 0:  # a debt from the day it was brought in
            dated[patient_id][posted_at.astimezone(timezone).date()] += int(total)
        else:
            credit[patient_id] -= int(total)
    result = {}
    for patient_id in set(dated) | set(credit):
        debts: list[tuple[dt.date, int]] = []
        left = credit.get(patient_id, 0)
        waiting = ahead.get(patient_id, 0)
        for day, net in sorted(dated.get(patient_id, {}).items()):
            if net > 0:
                debts.append((day, net))
            else:
                left -= net  # a day's credit (paid ahead, written off) clears the oldest debt too
                if day not in billed[patient_id]:
                    waiting -= net  # paid for a visit whose share is not billed yet
        total = sum(owing for _day, owing in debts) - left
        unpaid = []
        for day, owing in debts:  # credits clear the oldest debt first
            used = min(left, owing) if left > 0 else 0
            left -= used
            if owing - used:
                unpaid.append((day, from_cents(owing - used)))
        result[patient_id] = PatientOwes(patient_id, as_of, from_cents(total), from_cents(share.get(patient_id, 0)),
                                         from_cents(paid.get(patient_id, 0)), tuple(unpaid),
                                         from_cents(min(max(waiting, 0), -total)) if total < 0 else ZERO)
    return result


def patient_owes(session: Session, ctx: ServiceContext, patient_id: int, *,
                 through: LedgerEntry | None = None) -> PatientOwes:
    """What one patient owes today (or right after the desk entry `through`)."""
    today = ctx.today()
    found = owed(session, today, ctx.timezone, patients=[patient_id], through=through)
    return found.get(patient_id) or PatientOwes(patient_id, today, ZERO, ZERO, ZERO)


def owing_patients() -> Select[int]:
    """The patients whose running balance is not zero (a partial index keeps them few to find)."""
    return select(PatientBalance.patient_id).where(PatientBalance.balance != 0)
