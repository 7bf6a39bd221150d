"""Recalls: patients due for their next visit of a kind, to fill the schedule from.

A rule a manager sets names an appointment type and a number of months ("Annual physical every
12 months", "Diabetes follow-up every 3 months"). A patient is due when their last visit of that
type that was seen (checked out) is that many months old; the list shows those due now or within
the coming days, with no visit of that type booked ahead, with their phone and last visit, most
overdue first. The desk books from it, or marks the patient contacted (still listed, with the
day) or declined (left off the list until their next visit of that type). Inactive and merged
patients are never listed. Reading the list is audited.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
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
from officeconsole.services import audit
from officeconsole.services.booking import get_or_fail
from officeconsole.services.closed_days import day_bounds_utc
from officeconsole.services.context import ServiceContext
from officeconsole.services.errors import ConcurrentEdit, NotFound, ValidationError
from officeconsole.services.permissions import requires
from officeconsole.services.text import clean_text, format_phone

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


class RecallService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("schedule.view")
    def recall_rules(self) -> list[RuleRow]:
        with self.ctx.db.read() as session:
            rows = session.execute(
                select(RecallRule.id, RecallRule.version, RecallRule.name, RecallRule.type_id, AppointmentType.name,
                       RecallRule.months, RecallRule.active)
                .join(AppointmentType, AppointmentType.id == RecallRule.type_id).order_by(RecallRule.name))
            return [RuleRow(*row) for row in rows]

    @requires("schedule.manage")
    def set_recall_rule(self, name: str, type_id: int, months: int, active: bool = True) -> RuleRow:
        """Add the rule for this appointment type, or change it (one rule per type)."""
        cleaned = clean_text(name, 60)
        errors = {}
        if not cleaned:
            errors["name"] = "Name the rule, e.g. Annual physical."
        if not isinstance(months, int) or not 1 <= months <= 60:
            errors["months"] = "Every 1 to 60 months."
        if errors:
            raise ValidationError(errors)
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            kind = get_or_fail(session, AppointmentType, type_id, "appointment type")
            rule = session.scalar(select(RecallRule).where(RecallRule.type_id == kind.id))
            if rule is None:
                rule = RecallRule(name=cleaned, type_id=kind.id, months=months, active=active)
                session.add(rule)
            else:
                rule.name, rule.months, rule.active = cleaned, months, active
            try:
                session.flush()
            except IntegrityError:
                raise ValidationError({"name": "Another rule has that name."}) from None
            except StaleDataError:
                raise ConcurrentEdit("Someone else changed this rule; look again.") from None
            audit.record(session, now, self.ctx.actor, "recall_rule.set", entity="recall_rule", entity_id=rule.id,
                         summary=f"{cleaned}: {kind.name} every {months} months{'' if active else ' (off)'}")
        return next(r for r in self.recall_rules() if r.name == cleaned)

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
                kind_name = session.get(AppointmentType, rule.type_id).name
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
                raise ConcurrentEdit("Someone else marked this patient just now; look again.") from None
            audit.record(session, now, self.ctx.actor, f"recall.{outcome}", entity="recall_rule", entity_id=rule_id,
                         patient_id=patient_id, summary=f"{due.rule_name}, due {due.due_on:%m/%d/%Y}")
