"""Recalls: patients due for their next visit of a kind, to fill the schedule from.

A rule a manager sets names an appointment type and a number of months ("Annual physical every
12 months", "Diabetes follow-up every 3 months"). A patient is due when their last visit of that
type that was seen (checked out) is that many months old; the list shows those due now or within
the coming days, with no visit of that type booked ahead, with their phone and last visit, most
overdue first. The desk books from it, or marks the patient contacted (still listed, with the
day) or declined (left off the list until their next visit of that type). Inactive and merged
patients are never listed. Reading the list is audited.

Managers keep the rules (Practice setup -> Recall rules, or `officeconsole recall set`): one rule
per appointment type and per name, 1 to 60 months, for a type in use; a retired rule recalls
nobody and can be reinstated. Every change is audited.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import (
    Appointment,
    AppointmentType,
    Patient,
    RecallOutcome,
    RecallRule,
)
from officeconsole.models.desk import RECALL_OUTCOMES
from officeconsole.models.enums import AppointmentStatus, PatientStatus
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, NotFound, ValidationError
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text, format_phone
from officeconsole.services.operations.closed_days import day_bounds_utc
from officeconsole.services.security import audit

MAX_ROWS = 5000


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier), the month's last day when it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class RuleRow:
    id: int
    version: int
    name: str
    type_id: int
    type_name: str
    months: int
    active: bool


@dataclass(frozen=True)
class RecallRow:
    rule_id: int
    rule_name: str
    type_id: int
    patient_id: int
    patient_name: str
    mrn: str
    phone: str
    email: str
    last_visit: dt.date
    due_on: dt.date
    contacted_on: dt.date | None  # the latest "contacted" since the last visit
    dob: dt.date | None = None

    @property
    def id(self) -> int:  # with display_name, mrn and dob: what the booking form's patient picker takes
        return self.patient_id

    @property
    def display_name(self) -> str:
        return self.patient_name

    def overdue_days(self, today: dt.date) -> int:
        return (today - self.due_on).days


MIN_MONTHS, MAX_MONTHS = 1, 60


@dataclass(frozen=True)
class RuleInput:
    """A rule as typed: its name, the appointment type's id (blank when none was chosen) and the
    months between visits (a number, or the text typed)."""

    name: str
    type_id: int | str | None
    months: int | str


def _parse_rule(data: RuleInput) -> tuple[str, int | None, int, dict[str, str]]:
    """(name, type id, months, a message per bad field); the database's rules are checked later."""
    errors: dict[str, str] = {}
    name = clean_text(data.name, 60)
    if not name:
        errors["name"] = "Name the rule, e.g. Annual physical."
    type_id: int | None = None
    if data.type_id in (None, ""):
        errors["type_id"] = "Choose the appointment type it recalls for."
    else:
        try:
            type_id = int(data.type_id)
        except ValueError:
            errors["type_id"] = "Choose the appointment type from the list."
    months = 0
    typed = str(data.months).strip()
    if not typed:
        errors["months"] = "How many months between visits? e.g. 12 for a yearly physical."
    elif not (typed.isascii() and typed.isdigit()):
        errors["months"] = f"{typed!r} is not a whole number of months (e.g. 3 or 12)."
    else:
        months = int(typed)
        if not MIN_MONTHS <= months <= MAX_MONTHS:
            errors["months"] = f"Every {MIN_MONTHS} to {MAX_MONTHS} months (5 years at most), not {months}."
    return name, type_id, months, errors


def _check_rule(session: Session, name: str, type_id: int | None, errors: dict[str, str], rule_id: int | None,
                *, active: bool) -> AppointmentType:
    """The rule's appointment type, once the name is free (whatever its case), the type exists, is
    in use (for a rule in use) and has no other rule. Every problem is reported at once."""
    errors = dict(errors)
    others = select(RecallRule).where(RecallRule.id != rule_id) if rule_id is not None else select(RecallRule)
    if name:
        same = session.scalars(others.where(func.lower(RecallRule.name) == name.lower()).limit(1)).first()
        if same is not None:
            errors["name"] = f"Another recall rule is called {same.name!r}."
    kind = session.get(AppointmentType, type_id) if type_id is not None else None
    if type_id is None and session.scalar(select(AppointmentType.id).where(AppointmentType.active.is_(True))
                                          .limit(1)) is None:
        errors["type_id"] = "No appointment types yet: add one first under Appointment types."
    elif type_id is not None and kind is None:
        errors["type_id"] = f"No appointment type has id {type_id}: choose one from the list."
    elif kind is not None:
        taken = session.scalars(others.where(RecallRule.type_id == kind.id).limit(1)).first()
        if taken is not None:
            errors["type_id"] = (f"{kind.name} has a recall rule already ({taken.name!r}"
                                 f"{'' if taken.active else ', retired'}): edit that one instead.")
        elif active and not kind.active:
            errors["type_id"] = f"{kind.name} is retired: reinstate it under Appointment types first."
    if errors:
        raise ValidationError(errors)
    assert kind is not None
    return kind


def _rule(session: Session, rule_id: int, expected_version: int) -> RecallRule:
    rule = session.get(RecallRule, rule_id)
    if rule is None:
        raise NotFound(f"No recall rule has id {rule_id}.")
    if rule.version != expected_version:
        raise ConcurrentEdit("recall rule")
    return rule


def _type_name(session: Session, type_id: int) -> str:
    kind = session.get(AppointmentType, type_id)
    return kind.name if kind is not None else str(type_id)


def _rule_row(rule: RecallRule, kind: AppointmentType) -> RuleRow:
    return RuleRow(rule.id, rule.version, rule.name, kind.id, kind.name, rule.months, rule.active)


def _rules(session: Session, include_retired: bool) -> list[RuleRow]:
    query = (select(RecallRule.id, RecallRule.version, RecallRule.name, RecallRule.type_id, AppointmentType.name,
                    RecallRule.months, RecallRule.active)
             .join(AppointmentType, AppointmentType.id == RecallRule.type_id)
             .order_by(func.lower(RecallRule.name)))
    if not include_retired:
        query = query.where(RecallRule.active.is_(True))
    return [RuleRow(*row) for row in session.execute(query)]


class RecallService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("schedule.view")
    def recall_rules(self, include_retired: bool = True) -> list[RuleRow]:
        """The rules by name; without `include_retired`, only those in use."""
        with self.ctx.db.read() as session:
            return _rules(session, include_retired)

    @requires("schedule.manage")
    def add_rule(self, data: RuleInput) -> RuleRow:
        """A new rule, in use at once. One rule per appointment type, and one per name."""
        name, type_id, months, errors = _parse_rule(data)
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            kind = _check_rule(session, name, type_id, errors, None, active=True)
            rule = RecallRule(name=name, type_id=kind.id, months=months, active=True)
            session.add(rule)
            self._flush(session, name)
            audit.record(session, now, self.ctx.actor, "recall_rule.add", entity="recall_rule", entity_id=rule.id,
                         summary=f"{name}: {kind.name} every {months} months")
            return _rule_row(rule, kind)

    @requires("schedule.manage")
    def update_rule(self, rule_id: int, expected_version: int, data: RuleInput) -> RuleRow:
        """Change a rule's name, type or interval; the list follows at once (those already marked
        contacted or declined keep their mark)."""
        name, type_id, months, errors = _parse_rule(data)
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            rule = _rule(session, rule_id, expected_version)
            kind = _check_rule(session, name, type_id, errors, rule.id, active=rule.active)
            before = {"name": rule.name, "type": _type_name(session, rule.type_id), "months": rule.months}
            rule.name, rule.type_id, rule.months = name, kind.id, months
            self._flush(session, name)
            audit.record(session, now, self.ctx.actor, "recall_rule.update", entity="recall_rule", entity_id=rule.id,
                         summary=f"{before['name']}: " + audit.describe_changes(
                             before, {"name": name, "type": kind.name, "months": months}))
            return _rule_row(rule, kind)

    @requires("schedule.manage")
    def retire_rule(self, rule_id: int, expected_version: int) -> RuleRow:
        """Nobody is recalled under it any more; what the desk marked is kept. It can be reinstated."""
        return self._set_active(rule_id, expected_version, False)

    @requires("schedule.manage")
    def reinstate_rule(self, rule_id: int, expected_version: int) -> RuleRow:
        """In use again (its appointment type must be in use)."""
        return self._set_active(rule_id, expected_version, True)

    def _set_active(self, rule_id: int, expected_version: int, active: bool) -> RuleRow:
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            rule = _rule(session, rule_id, expected_version)
            kind = session.get(AppointmentType, rule.type_id)
            assert kind is not None  # a foreign key
            if rule.active == active:
                raise ValidationError({"active": f"{rule.name} is {'in use' if active else 'retired'} already."})
            if active and not kind.active:
                raise ValidationError({"active": f"{kind.name} is a retired appointment type: reinstate it "
                                                 "under Appointment types first."})
            rule.active = active
            self._flush(session, rule.name)
            audit.record(session, now, self.ctx.actor, "recall_rule.reinstate" if active else "recall_rule.retire",
                         entity="recall_rule", entity_id=rule.id, summary=rule.name)
            return _rule_row(rule, kind)

    @requires("schedule.manage")
    def set_recall_rule(self, name: str, type_id: int, months: int, active: bool = True) -> RuleRow:
        """Add the rule for this appointment type, or change the one it has (one rule per type);
        `active` switches it on or off. What `officeconsole recall set` does."""
        existing = next((r for r in self.recall_rules() if r.type_id == type_id), None)
        data = RuleInput(name, type_id, months)
        if existing is None:
            row = self.add_rule(data)
        else:
            row = self.update_rule(existing.id, existing.version, data)
        if row.active != active:
            row = self._set_active(row.id, row.version, active)
        return row

    @staticmethod
    def _flush(session: Session, name: str) -> None:
        try:
            session.flush()
        except IntegrityError:  # another desk saved the same name or type meanwhile
            raise ValidationError({"name": f"Another recall rule is called {name!r} or recalls for that type."}) \
                from None
        except StaleDataError:
            raise ConcurrentEdit("recall rule") from None

    @requires("schedule.view")
    def recall_list(self, within_days: int = 30, rule_id: int | None = None) -> list[RecallRow]:
        """Patients due (or due within `within_days`) under each active rule, most overdue first."""
        today = self.ctx.today()
        horizon = today + dt.timedelta(days=max(0, within_days))
        now = self.ctx.now()
        found: list[RecallRow] = []
        with self.ctx.db.write() as session:
            rules = session.scalars(select(RecallRule).where(RecallRule.active.is_(True),
                                                             *([RecallRule.id == rule_id] if rule_id else []))
                                    .order_by(RecallRule.name)).all()
            for rule in rules:
                # Seen on or before this day, the next visit is due by the horizon.
                latest_day = add_months(horizon, -rule.months)
                cutoff = day_bounds_utc(latest_day, self.ctx.timezone)[1]
                last = (select(Appointment.patient_id, func.max(Appointment.start_at).label("last"))
                        .where(Appointment.type_id == rule.type_id,
                               Appointment.status == AppointmentStatus.CHECKED_OUT)
                        .group_by(Appointment.patient_id).subquery())
                booked_ahead = exists().where(
                    Appointment.patient_id == last.c.patient_id, Appointment.type_id == rule.type_id,
                    Appointment.start_at >= now, Appointment.status == AppointmentStatus.SCHEDULED)
                declined = exists().where(
                    RecallOutcome.rule_id == rule.id, RecallOutcome.patient_id == last.c.patient_id,
                    RecallOutcome.outcome == "declined", RecallOutcome.at > last.c.last)
                contacted = (select(func.max(RecallOutcome.at))
                             .where(RecallOutcome.rule_id == rule.id, RecallOutcome.patient_id == last.c.patient_id,
                                    RecallOutcome.outcome == "contacted", RecallOutcome.at > last.c.last)
                             .scalar_subquery())
                rows = session.execute(
                    select(Patient.id, Patient.last_name, Patient.first_name, Patient.mrn, Patient.phone,
                           Patient.email, last.c.last, contacted, Patient.dob)
                    .join(last, last.c.patient_id == Patient.id)
                    .where(last.c.last < cutoff, Patient.status == PatientStatus.ACTIVE, ~booked_ahead, ~declined)
                    .order_by(last.c.last).limit(MAX_ROWS))
                zone = self.ctx.timezone
                kind_name = _type_name(session, rule.type_id)
                for pid, last_name, first, mrn, phone, email, seen_at, contacted_at, dob in rows:
                    seen = seen_at.astimezone(zone).date()
                    due = add_months(seen, rule.months)
                    if due > horizon:
                        continue
                    found.append(RecallRow(rule.id, rule.name or kind_name, rule.type_id, pid, f"{last_name}, {first}",
                                           mrn, format_phone(phone), email, seen, due,
                                           contacted_at.astimezone(zone).date() if contacted_at else None, dob))
            found.sort(key=lambda r: (r.due_on, r.patient_name))
            audit.record(session, now, self.ctx.actor, "recall.list", entity="recall_rule",
                         entity_id=rule_id or "", summary=f"recall list: {len(found)} patients due by {horizon:%m/%d/%Y}")
        return found

    @requires("appointment.book")
    def mark_recall(self, rule_id: int, patient_id: int, outcome: str, note: str = "") -> None:
        """The patient was contacted (kept on the list, with the day) or declined (taken off it)."""
        if outcome not in RECALL_OUTCOMES:
            raise ValidationError({"outcome": "Mark contacted or declined."})
        due = next((r for r in self.recall_list(within_days=366, rule_id=rule_id) if r.patient_id == patient_id), None)
        if due is None:
            raise NotFound("That patient is not on the recall list for this rule.")
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            same = session.scalar(select(RecallOutcome).where(
                RecallOutcome.rule_id == rule_id, RecallOutcome.patient_id == patient_id,
                RecallOutcome.due_on == due.due_on, RecallOutcome.outcome == outcome))
            if same is None:
                session.add(RecallOutcome(rule_id=rule_id, patient_id=patient_id, due_on=due.due_on, outcome=outcome,
                                          note=clean_text(note, 200), by_id=self.ctx.actor_or_fail().user_id, at=now))
            else:  # contacted again: the latest day counts
                same.at, same.note, same.by_id = now, clean_text(note, 200), self.ctx.actor_or_fail().user_id
            try:
                session.flush()
            except IntegrityError:
                raise ConcurrentEdit("recall list entry") from None
            audit.record(session, now, self.ctx.actor, f"recall.{outcome}", entity="recall_rule", entity_id=rule_id,
                         patient_id=patient_id, summary=f"{due.rule_name}, due {due.due_on:%m/%d/%Y}")
