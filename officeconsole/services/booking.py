"""Booking, moving and cancelling appointments, with the rules that keep a schedule honest.

Hard rules (never set aside): 5-minute steps, within one local day, a time that exists,
and no two appointments for one provider at once. The last is kept by the database: each
appointment owns a booked_slot row per 5-minute step, keyed by (provider, step), so of two
consoles booking the same time one insert fails whatever the timing.

Soft rules (set aside with a reason, which is stored and audited): within the provider's
working hours and not on a holiday, not in the past, and not at the same time as the
patient's appointment with someone else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import Appointment, AppointmentEvent, AppointmentType, BookedSlot, Patient, Provider, User
from officeconsole.models.enums import AppointmentStatus, PatientStatus
from officeconsole.services import audit
from officeconsole.services.context import ServiceContext
from officeconsole.services.errors import (
    ConcurrentEdit,
    NeedsOverride,
    NotFound,
    SlotTaken,
    ValidationError,
)
from officeconsole.services.hours import WEEKDAYS, working_intervals
from officeconsole.services.permissions import requires
from officeconsole.services.schedule_time import (
    TimeProblem,
    check_steps,
    local_instant,
    parse_day,
    parse_time,
    steps,
)
from officeconsole.services.text import clean_text

INACTIVE = (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)


class CancelReason(StrEnum):
    PATIENT = "patient_cancelled"
    CLINIC = "clinic_cancelled"
    LATE = "late_cancel"

    @property
    def label(self) -> str:
        return {"patient_cancelled": "Patient cancelled", "clinic_cancelled": "Clinic cancelled",
                "late_cancel": "Late cancel"}[self.value]


@dataclass
class BookingInput:
    """What the booking form or `schedule book` hands in, as typed."""

    patient_id: int | None = None
    provider_id: int | None = None
    type_id: int | None = None
    day: str | dt.date = ""
    start: str | dt.time = ""
    minutes: int | str | None = None  # the type's default length when None
    reason: str = ""
    override_reason: str = ""
    fold: int | None = None  # which 01:30 on the fall-back day


@dataclass(frozen=True)
class AppointmentView:
    id: int
    version: int
    patient_id: int
    provider_id: int
    type_id: int
    start_at: dt.datetime
    end_at: dt.datetime
    status: str
    reason: str
    override_reason: str


def _view(a: Appointment) -> AppointmentView:
    return AppointmentView(a.id, a.version, a.patient_id, a.provider_id, a.type_id, a.start_at, a.end_at,
                           a.status, a.reason, a.override_reason)


@dataclass(frozen=True)
class _When:
    start: dt.datetime
    end: dt.datetime
    day: dt.date
    local_start: dt.time
    local_end: dt.time


class BookingService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("appointment.book")
    def book(self, data: BookingInput) -> AppointmentView:
        now = self.ctx.now()
        override = clean_text(data.override_reason, 200)
        with self.ctx.db.write() as session:
            patient = _get(session, Patient, data.patient_id, "patient")
            if patient.status == PatientStatus.MERGED:
                raise ValidationError({"patient_id": "This record was merged into another: book the surviving record."})
            provider = _get(session, Provider, data.provider_id, "provider")
            kind = _get(session, AppointmentType, data.type_id, "appointment type")
            minutes = kind.default_minutes if data.minutes in (None, "") else data.minutes
            when = self._when(data.day, data.start, minutes, data.fold)
            self._soft_rules(session, provider, patient.id, when, override, now, ignore=None)
            appointment = Appointment(
                patient_id=patient.id, provider_id=provider.id, type_id=kind.id, start_at=when.start,
                end_at=when.end, status=AppointmentStatus.SCHEDULED, reason=clean_text(data.reason, 500),
                override_reason=override, created_by_id=self.ctx.actor_or_fail().user_id, created_at=now)
            session.add(appointment)
            session.flush()
            _claim(session, appointment)
            self._event(session, appointment, "booked", to_status=AppointmentStatus.SCHEDULED,
                        detail=override and f"override: {override}")
            audit.record(session, now, self.ctx.actor, "appointment.book", entity="appointment",
                         entity_id=appointment.id, patient_id=patient.id,
                         summary=f"{when.day:%Y-%m-%d} {when.local_start:%H:%M}-{when.local_end:%H:%M} "
                                 f"provider {provider.id}, {kind.name}" + (f"; override: {override}" if override else ""))
            return _view(appointment)

    @requires("appointment.book")
    def move(self, appointment_id: int, expected_version: int, day: str | dt.date, start: str | dt.time,
             *, provider_id: int | None = None, minutes: int | None = None, override_reason: str = "",
             fold: int | None = None) -> AppointmentView:
        """Reschedule to a new time (and perhaps provider); the old time is freed at once."""
        now = self.ctx.now()
        override = clean_text(override_reason, 200)
        with self.ctx.db.write() as session:
            appointment = self._current(session, appointment_id, expected_version)
            if appointment.status in (*INACTIVE, AppointmentStatus.CHECKED_OUT):
                raise ValidationError({"status": f"This appointment is {appointment.status.replace('_', ' ')}: "
                                                 "book a new one instead of moving it."})
            provider = _get(session, Provider, provider_id or appointment.provider_id, "provider")
            length = minutes or int((appointment.end_at - appointment.start_at).total_seconds() // 60)
            when = self._when(day, start, length, fold)
            self._soft_rules(session, provider, appointment.patient_id, when, override, now, ignore=appointment.id)
            before = f"{appointment.start_at:%Y-%m-%d %H:%M}Z provider {appointment.provider_id}"
            session.execute(delete(BookedSlot).where(BookedSlot.appointment_id == appointment.id))
            appointment.provider_id, appointment.start_at, appointment.end_at = provider.id, when.start, when.end
            if override:
                appointment.override_reason = override
            try:
                session.flush()
            except StaleDataError:
                raise ConcurrentEdit("appointment") from None
            _claim(session, appointment)
            detail = f"from {before} to {when.day:%Y-%m-%d} {when.local_start:%H:%M} provider {provider.id}"
            self._event(session, appointment, "moved", detail=detail + (f"; override: {override}" if override else ""))
            audit.record(session, now, self.ctx.actor, "appointment.move", entity="appointment",
                         entity_id=appointment.id, patient_id=appointment.patient_id, summary=detail)
            return _view(appointment)

    @requires("appointment.book")
    def cancel(self, appointment_id: int, expected_version: int, reason: str, note: str = "") -> AppointmentView:
        """Cancel with a reason; the appointment stays on record and its time is free again."""
        try:
            why = CancelReason(reason)
        except ValueError:
            raise ValidationError({"reason": "Reason must be patient_cancelled, clinic_cancelled or late_cancel."}) from None
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            appointment = self._current(session, appointment_id, expected_version)
            if appointment.status in INACTIVE or appointment.status == AppointmentStatus.CHECKED_OUT:
                raise ValidationError({"status": f"This appointment is {appointment.status.replace('_', ' ')}: "
                                                 "it cannot be cancelled."})
            previous = appointment.status
            appointment.status = AppointmentStatus.CANCELLED
            session.execute(delete(BookedSlot).where(BookedSlot.appointment_id == appointment.id))
            try:
                session.flush()
            except StaleDataError:
                raise ConcurrentEdit("appointment") from None
            self._event(session, appointment, "cancelled", from_status=previous,
                        to_status=AppointmentStatus.CANCELLED, reason=why.value, detail=clean_text(note, 500))
            audit.record(session, now, self.ctx.actor, "appointment.cancel", entity="appointment",
                         entity_id=appointment.id, patient_id=appointment.patient_id,
                         summary=why.label + (f": {clean_text(note, 200)}" if note else ""))
            return _view(appointment)

    @requires("schedule.view")
    def history(self, appointment_id: int) -> list[tuple[dt.datetime, str, str, str, str]]:
        """(when, who, action, reason, detail) for each event, oldest first."""
        with self.ctx.db.read() as session:
            rows = session.execute(
                select(AppointmentEvent.at, User.username, AppointmentEvent.action, AppointmentEvent.reason,
                       AppointmentEvent.detail)
                .outerjoin(User, User.id == AppointmentEvent.user_id)
                .where(AppointmentEvent.appointment_id == appointment_id)
                .order_by(AppointmentEvent.at, AppointmentEvent.id))
            return [(at, who or "", action, reason, detail) for at, who, action, reason, detail in rows]

    # ----- rules ---------------------------------------------------------------------
    def _when(self, day: str | dt.date, start: str | dt.time, minutes: int | str, fold: int | None) -> _When:
        date = parse_day(day)
        try:
            local_start = parse_time(start)
            length = int(minutes)
            check_steps(local_start, length)
            begin = dt.datetime.combine(date, local_start)
            finish = begin + dt.timedelta(minutes=length)
            if finish.date() != date and finish.time() != dt.time(0):
                raise TimeProblem("An appointment cannot run past midnight.")
            start_at = local_instant(date, local_start, self.ctx.timezone, fold)
            end_at = (local_instant(date, finish.time(), self.ctx.timezone, fold)
                      if finish.date() == date else
                      local_instant(finish.date(), dt.time(0), self.ctx.timezone))
        except (TimeProblem, ValueError) as exc:
            raise ValidationError({"start": str(exc) if isinstance(exc, TimeProblem) else f"Length: {exc}."}) from None
        if end_at <= start_at:
            raise ValidationError({"start": "The appointment must end after it starts."})
        return _When(start_at, end_at, date, local_start, finish.time())

    def _soft_rules(self, session: Session, provider: Provider, patient_id: int, when: _When,
                    override: str, now: dt.datetime, ignore: int | None) -> None:
        problems: list[str] = []
        name = provider.user.full_name
        intervals = working_intervals(session, provider.id, when.day)
        end_local = when.local_end if when.local_end != dt.time(0) else dt.time(23, 59, 59)
        if not intervals:
            problems.append(f"{name} does not work on {WEEKDAYS[when.day.weekday()]} {when.day:%m/%d/%Y}.")
        elif not any(start <= when.local_start and end_local <= end for start, end in intervals):
            hours = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in intervals)
            problems.append(f"{when.local_start:%H:%M}-{when.local_end:%H:%M} is outside {name}'s hours ({hours}).")
        if when.start < now:
            problems.append("That time is in the past.")
        clash = session.scalar(
            select(Appointment).where(
                Appointment.patient_id == patient_id, Appointment.status.not_in(INACTIVE),
                Appointment.start_at < when.end, Appointment.end_at > when.start,
                Appointment.id != (ignore or 0)))
        if clash is not None:
            other = session.get(Provider, clash.provider_id)
            local = clash.start_at.astimezone(self.ctx.timezone)
            problems.append(f"The patient is already booked at {local:%H:%M} with {other.user.full_name}.")
        if problems and not override:
            raise NeedsOverride(problems)
        taken = session.scalar(
            select(BookedSlot.appointment_id).where(
                BookedSlot.provider_id == provider.id, BookedSlot.slot_start.in_(steps(when.start, when.end)),
                BookedSlot.appointment_id != (ignore or 0)).limit(1))
        if taken is not None:
            raise SlotTaken(f"{name} already has an appointment in that time.")

    def _current(self, session: Session, appointment_id: int, expected_version: int) -> Appointment:
        appointment = _get(session, Appointment, appointment_id, "appointment")
        if appointment.version != expected_version:
            raise ConcurrentEdit("appointment")
        return appointment

    def _event(self, session: Session, appointment: Appointment, action: str, *, from_status: str = "",
               to_status: str = "", reason: str = "", detail: str = "") -> None:
        session.add(AppointmentEvent(
            appointment_id=appointment.id, at=self.ctx.now(), user_id=self.ctx.actor_or_fail().user_id,
            action=action, from_status=from_status, to_status=to_status, reason=reason, detail=detail))


def _claim(session: Session, appointment: Appointment) -> None:
    """Take the appointment's 5-minute steps; a unique-key clash means someone else was first."""
    session.add_all(BookedSlot(provider_id=appointment.provider_id, slot_start=at, appointment_id=appointment.id)
                    for at in steps(appointment.start_at, appointment.end_at))
    try:
        session.flush()
    except IntegrityError:
        raise SlotTaken("Someone else has just booked that time: choose another.") from None


def _get(session: Session, model, key: int | None, what: str):
    row = session.get(model, key) if key is not None else None
    if row is None:
        raise NotFound(f"No {what} has id {key}." if key is not None else f"Choose a {what}.")
    return row
