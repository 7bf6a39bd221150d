"""Time off: anyone asks for their own days, the manager approves or denies.

An approved absence of a provider empties their working hours for those days: the slot
finder skips them and booking is refused (hours.HoursCalendar, booking.Booker). Approving
lists the appointments already booked in it, which the desk must move; asking for days that
are booked warns the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import Appointment, Patient, Provider, Shift, TimeOff, User
from officeconsole.models.enums import Role
from officeconsole.models.roster import TimeOffKind, TimeOffStatus
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, PermissionDenied, ValidationError
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.permissions import allowed, requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.operations.closed_days import day_bounds_utc
from officeconsole.services.scheduling.booking import INACTIVE
from officeconsole.services.scheduling.schedule_time import parse_day
from officeconsole.services.security import audit


@dataclass(frozen=True)
class Booked:
    """An appointment inside an absence: what the desk must move."""

    appointment_id: int
    start: dt.datetime  # clinic time
    patient: str
    phone: str
    status: str


@dataclass(frozen=True)
class TimeOffView:
    id: int
    version: int
    user_id: int
    person: str
    first_day: dt.date
    last_day: dt.date
    kind: str
    status: str
    note: str
    decided_by: str
    decision_note: str
    booked: list[Booked]  # the person's appointments in those days (providers only)
    shifts_removed: int = 0  # rota shifts on those days taken off when it was approved

    @property
    def days(self) -> str:
        if self.first_day == self.last_day:
            return f"{self.first_day:%a %m/%d/%Y}"
        return f"{self.first_day:%a %m/%d} - {self.last_day:%a %m/%d/%Y}"


class TimeOffService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("roster.view")
    def requests(self, status: str | None = None, since: dt.date | None = None) -> list[TimeOffView]:
        """Requests (pending first, then by first day), from `since` on (default: 30 days ago)."""
        since = since or self.ctx.today() - dt.timedelta(days=30)
        decider = aliased(User)
        with self.ctx.db.read() as session:
            query = (select(TimeOff, User.full_name, decider.full_name).join(User, User.id == TimeOff.user_id)
                     .outerjoin(decider, decider.id == TimeOff.decided_by_id).where(TimeOff.last_day >= since)
                     .order_by(TimeOff.status != TimeOffStatus.REQUESTED, TimeOff.first_day, User.full_name))
            if status:
                query = query.where(TimeOff.status == status)
            return [self._view(session, row, name, decided or "") for row, name, decided in session.execute(query)]

    @requires("timeoff.request")
    def request(self, user_id: int, first_day: str | dt.date, last_day: str | dt.date | None, kind: str,
                note: str = "") -> TimeOffView:
        """Ask for days off (one's own; a manager may enter it for anyone). The view lists any
        appointments already booked in those days."""
        actor = self.ctx.actor_or_fail()
        first = parse_day(first_day, "first_day")
        last = parse_day(last_day, "last_day") if last_day not in (None, "") else first
        errors = {}
        if last < first:
            errors["last_day"] = f"The last day ({last:%m/%d/%Y}) is before the first ({first:%m/%d/%Y})."
        elif (last - first).days > 92:
            errors["last_day"] = "Ask for at most three months at a time."
        if kind not in {k.value for k in TimeOffKind}:
            errors["kind"] = "Choose the kind: " + ", ".join(k.value for k in TimeOffKind) + "."
        if errors:
            raise ValidationError(errors)
        if user_id != actor.user_id and not allowed(actor.role, "timeoff.decide"):
            raise PermissionDenied("Permission denied: you can ask for your own time off only.")
        with self.ctx.db.write() as session:
            person = get_or_fail(session, User, user_id, "staff member")
            overlap = session.scalar(select(TimeOff).where(
                TimeOff.user_id == person.id, TimeOff.status.in_([TimeOffStatus.REQUESTED, TimeOffStatus.APPROVED]),
                TimeOff.first_day <= last, TimeOff.last_day >= first))
            if overlap is not None:
                raise ValidationError({"first_day": f"{person.full_name} already has time off {overlap.status} "
                                                    f"{overlap.first_day:%m/%d}-{overlap.last_day:%m/%d/%Y}."})
            row = TimeOff(user_id=person.id, first_day=first, last_day=last, kind=kind,
                          status=TimeOffStatus.REQUESTED, note=clean_text(note, 200), requested_by_id=actor.user_id,
                          requested_at=self.ctx.now())
            session.add(row)
            session.flush()
            audit.record(session, self.ctx.now(), self.ctx.actor, "timeoff.request", entity="time_off",
                         entity_id=row.id, summary=f"{person.full_name} {first:%Y-%m-%d}..{last:%Y-%m-%d} {kind}")
            return self._view(session, row, person.full_name, "")

    @requires("timeoff.decide")
    def approve(self, request_id: int, expected_version: int, note: str = "") -> TimeOffView:
        return self._decide(request_id, expected_version, TimeOffStatus.APPROVED, note)

    @requires("timeoff.decide")
    def deny(self, request_id: int, expected_version: int, note: str) -> TimeOffView:
        if not clean_text(note):
            raise ValidationError({"note": "Say why the request is denied: the person will read it."})
        return self._decide(request_id, expected_version, TimeOffStatus.DENIED, note)

    @requires("timeoff.request")
    def cancel_request(self, request_id: int, expected_version: int) -> TimeOffView:
        actor = self.ctx.actor_or_fail()
        with self.ctx.db.write() as session:
            row = self._current(session, request_id, expected_version)
            if row.user_id != actor.user_id and not allowed(actor.role, "timeoff.decide"):
                raise PermissionDenied("Permission denied: you can cancel your own time off only.")
            if row.status in (TimeOffStatus.DENIED, TimeOffStatus.CANCELLED):
                raise ValidationError({"status": f"This request is {row.status} already."})
            row.status = TimeOffStatus.CANCELLED
            return self._save(session, row, "timeoff.cancel")

    def _decide(self, request_id: int, expected_version: int, status: str, note: str) -> TimeOffView:
        with self.ctx.db.write() as session:
            row = self._current(session, request_id, expected_version)
            if row.status != TimeOffStatus.REQUESTED:
                raise ValidationError({"status": f"This request was {row.status} already."})
            row.status = status
            row.decided_by_id = self.ctx.actor_or_fail().user_id
            row.decided_at = self.ctx.now()
            row.decision_note = clean_text(note, 200)
            removed = 0
            if status == TimeOffStatus.APPROVED:  # someone away is not on the rota: coverage must see the hole
                deleted = session.execute(delete(Shift).where(
                    Shift.user_id == row.user_id, Shift.day >= row.first_day, Shift.day <= row.last_day))
                removed = cast(CursorResult[Any], deleted).rowcount  # a DELETE's result is a CursorResult
            view = self._save(session, row, f"timeoff.{'approve' if status == TimeOffStatus.APPROVED else 'deny'}",
                              f"; {removed} shifts taken off the rota" if removed else "")
            return replace(view, shifts_removed=removed)

    def _current(self, session: Session, request_id: int, expected_version: int) -> TimeOff:
        row = get_or_fail(session, TimeOff, request_id, "time-off request")
        if row.version != expected_version:
            raise ConcurrentEdit("time-off request")
        return row

    def _save(self, session: Session, row: TimeOff, action: str, more: str = "") -> TimeOffView:
        try:
            session.flush()
        except StaleDataError:
            raise ConcurrentEdit("time-off request") from None
        person = get_or_fail(session, User, row.user_id, "user")
        view = self._view(session, row, person.full_name, self.ctx.actor_or_fail().full_name)
        audit.record(session, self.ctx.now(), self.ctx.actor, action, entity="time_off", entity_id=row.id,
                     summary=f"{person.full_name} {row.first_day:%Y-%m-%d}..{row.last_day:%Y-%m-%d} {row.status}"
                             + (f"; {len(view.booked)} appointments to move" if view.booked else "") + more)
        return view

    def _view(self, session: Session, row: TimeOff, person: str, decided_by: str) -> TimeOffView:
        return TimeOffView(row.id, row.version, row.user_id, person, row.first_day, row.last_day, row.kind,
                           row.status, row.note, decided_by, row.decision_note,
                           booked_in(session, self.ctx, row.user_id, row.first_day, row.last_day))


def booked_in(session: Session, ctx: ServiceContext, user_id: int, first: dt.date, last: dt.date) -> list[Booked]:
    """The provider's live appointments between `first` and `last` (none for other staff)."""
    person = session.get(User, user_id)
    if person is None or person.role != Role.PROVIDER:
        return []
    start, _ = day_bounds_utc(first, ctx.timezone)
    _, end = day_bounds_utc(last, ctx.timezone)
    rows = session.execute(
        select(Appointment.id, Appointment.start_at, Patient.last_name, Patient.first_name, Patient.phone,
               Appointment.status)
        .join(Provider, Provider.id == Appointment.provider_id).join(Patient, Patient.id == Appointment.patient_id)
        .where(Provider.user_id == user_id, Appointment.start_at >= start, Appointment.start_at < end,
               Appointment.status.not_in(INACTIVE)).order_by(Appointment.start_at)).all()
    return [Booked(a, at.astimezone(ctx.timezone), f"{last_name}, {first_name}", phone, status)
            for a, at, last_name, first_name, phone, status in rows]
