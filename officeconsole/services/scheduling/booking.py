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
from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import (
    Appointment,
    AppointmentEvent,
    AppointmentSeries,
    AppointmentType,
    BookedSlot,
    Patient,
    Provider,
    ProviderAppointmentType,
    User,
)
from officeconsole.models.enums import AppointmentStatus, PatientStatus
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import (
    ConcurrentEdit,
    NeedsOverride,
    NotFound,
    OfficeError,
    SeriesConflicts,
    SlotTaken,
    ValidationError,
)
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.operations.closed_days import refuse_closed
from officeconsole.services.scheduling.hours import WEEKDAYS, HoursCalendar
from officeconsole.services.scheduling.schedule_time import (
    TimeProblem,
    check_steps,
    local_instant,
    parse_day,
    parse_time,
    steps,
)
from officeconsole.services.security import audit
from officeconsole.services.staffing.credentials import lapsed_licence

INACTIVE = (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)
MAX_OCCURRENCES = 52


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

    @classmethod
    def of(cls, a: Appointment) -> AppointmentView:
        return cls(a.id, a.version, a.patient_id, a.provider_id, a.type_id, a.start_at, a.end_at, a.status,
                   a.reason, a.override_reason)


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
        with self.ctx.db.write() as session:
            return AppointmentView.of(Booker(self.ctx, session).book(data))

    @requires("appointment.book")
    def closed_notice(self, day: str | dt.date) -> str:
        """Why nothing can be booked on `day` (the close-out locked it), or "": the form says so as it
        opens, not only when the desk saves."""
        try:
            wanted = parse_day(day)
        except (ValidationError, ValueError):
            return ""
        with self.ctx.db.read() as session:
            try:
                refuse_closed(session, [wanted])
            except OfficeError as exc:
                return exc.message
        return ""

    @requires("appointment.book")
    def check(self, data: BookingInput) -> list[str]:
        """Everything that would stop `book(data)` now, saving nothing (the form checks again as
        the desk corrects it, so a message goes as soon as its cause does)."""
        with self.ctx.db.read() as session:
            booker = Booker(self.ctx, session)
            try:
                _patient, provider, _kind, when = booker._inputs(data)
                refuse_closed(session, [when.day])
                booker._refuse_absence(provider, when.day)
            except OfficeError as exc:
                return [exc.message]
            return [message for message, _soft in booker.problems(data)]

    @requires("appointment.book")
    def book_series(self, data: BookingInput, occurrences: int | str, every_weeks: int | str = 1) -> list[AppointmentView]:
        """A recurring booking (weekly x 6, fortnightly x 4): every date is checked first and
        either all are booked or none, with every date's problem listed in the refusal."""
        try:
            count, every = int(occurrences), int(every_weeks)
        except (TypeError, ValueError):
            raise ValidationError({"occurrences": "Repeats and weeks apart must be whole numbers."}) from None
        if not 2 <= count <= MAX_OCCURRENCES:
            raise ValidationError({"occurrences": f"A series has 2 to {MAX_OCCURRENCES} appointments."})
        if not 1 <= every <= 12:
            raise ValidationError({"every_weeks": "Weeks apart: 1 to 12."})
        first = parse_day(data.day)
        dates = [first + dt.timedelta(weeks=every * i) for i in range(count)]
        with self.ctx.db.write() as session:
            booker = Booker(self.ctx, session)
            conflicts: list[tuple[dt.date, str]] = []
            overridable = True
            for day in dates:
                for message, soft in booker.problems(replace(data, day=day)):
                    conflicts.append((day, message))
                    overridable = overridable and soft
            if conflicts:
                raise SeriesConflicts(conflicts, overridable)
            series = AppointmentSeries(every_weeks=every, occurrences=count, created_at=self.ctx.now(),
                                       created_by_id=self.ctx.actor_or_fail().user_id)
            session.add(series)
            session.flush()
            return [AppointmentView.of(booker.book(replace(data, day=day), series_id=series.id)) for day in dates]

    @requires("appointment.book")
    def move(self, appointment_id: int, expected_version: int, day: str | dt.date, start: str | dt.time,
             *, provider_id: int | None = None, minutes: int | None = None, override_reason: str = "",
             fold: int | None = None) -> AppointmentView:
        """Reschedule to a new time (and perhaps provider); the old time is freed at once."""
        with self.ctx.db.write() as session:
            return AppointmentView.of(Booker(self.ctx, session).move(
                appointment_id, expected_version, day, start, provider_id=provider_id, minutes=minutes,
                override_reason=override_reason, fold=fold))

    @requires("appointment.book")
    def cancel(self, appointment_id: int, expected_version: int, reason: str, note: str = "") -> AppointmentView:
        """Cancel with a reason; the appointment stays on record and its time is free again."""
        try:
            why = CancelReason(reason)
        except ValueError:
            raise ValidationError({"reason": "Reason must be patient_cancelled, clinic_cancelled or late_cancel."}) from None
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            booker = Booker(self.ctx, session)
            appointment = booker.current(appointment_id, expected_version)
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
            booker.event(appointment, "cancelled", from_status=previous, to_status=AppointmentStatus.CANCELLED,
                         reason=why.value, detail=clean_text(note, 500))
            audit.record(session, now, self.ctx.actor, "appointment.cancel", entity="appointment",
                         entity_id=appointment.id, patient_id=appointment.patient_id,
                         summary=why.label + (f": {clean_text(note, 200)}" if note else ""))
            return AppointmentView.of(appointment)

    @requires("schedule.view")
    def history(self, appointment_id: int) -> list[tuple[dt.datetime, str, str, str, str]]:
        """(when, who, action, reason, detail) for each event, oldest first. A change of status names
        the status it moved to ("arrived", "checked out"): "status" alone tells the desk nothing."""
        with self.ctx.db.read() as session:
            rows = session.execute(
                select(AppointmentEvent.at, User.username, AppointmentEvent.action, AppointmentEvent.to_status,
                       AppointmentEvent.reason, AppointmentEvent.detail)
                .outerjoin(User, User.id == AppointmentEvent.user_id)
                .where(AppointmentEvent.appointment_id == appointment_id)
                .order_by(AppointmentEvent.at, AppointmentEvent.id))
            return [(at, who or "", to.replace("_", " ") if action == "status" and to else action, reason, detail)
                    for at, who, action, to, reason, detail in rows]


class Booker:
    """The booking rules inside a caller's transaction.

    BookingService wraps each call in its own transaction; the waitlist uses it to book (or
    move) and close its entry in one. Callers have checked permissions already.
    """

    def __init__(self, ctx: ServiceContext, session: Session) -> None:
        self.ctx = ctx
        self.session = session

    def book(self, data: BookingInput, series_id: int | None = None) -> Appointment:
        session, now = self.session, self.ctx.now()
        override = clean_text(data.override_reason, 200)
        patient, provider, kind, when = self._inputs(data)
        refuse_closed(session, [when.day])  # before asking for an override that could not help
        self._refuse_absence(provider, when.day)
        self._check(provider, patient.id, when, override, now, ignore=None)
        appointment = Appointment(
            patient_id=patient.id, provider_id=provider.id, type_id=kind.id, start_at=when.start,
            end_at=when.end, status=AppointmentStatus.SCHEDULED, reason=clean_text(data.reason, 500),
            override_reason=override, created_by_id=self.ctx.actor_or_fail().user_id, created_at=now,
            series_id=series_id)
        session.add(appointment)
        session.flush()
        _claim(session, appointment)
        self.event(appointment, "booked", to_status=AppointmentStatus.SCHEDULED,
                   detail=override and f"override: {override}")
        audit.record(session, now, self.ctx.actor, "appointment.book", entity="appointment",
                     entity_id=appointment.id, patient_id=patient.id,
                     summary=f"{when.day:%Y-%m-%d} {when.local_start:%H:%M}-{when.local_end:%H:%M} "
                             f"with {provider.user.full_name}, {kind.name}" + (f"; override: {override}" if override else "")
                             + (f"; series {series_id}" if series_id else ""))
        return appointment

    def problems(self, data: BookingInput) -> list[tuple[str, bool]]:
        """Everything that would stop `book(data)`, as (message, can be overridden), saving nothing."""
        try:
            patient, provider, _kind, when = self._inputs(data)
        except (ValidationError, NotFound) as exc:
            return [(str(exc), False)]
        found = [(m, True) for m in self._soft(provider, patient.id, when, self.ctx.now(), ignore=None)]
        if data.override_reason.strip():
            found = []
        taken = self._taken_by(provider, when, ignore=None)
        if taken:
            found.append((taken, False))
        return found

    def move(self, appointment_id: int, expected_version: int, day: str | dt.date, start: str | dt.time,
             *, provider_id: int | None = None, minutes: int | None = None, override_reason: str = "",
             fold: int | None = None) -> Appointment:
        session, now = self.session, self.ctx.now()
        override = clean_text(override_reason, 200)
        appointment = self.current(appointment_id, expected_version)
        if appointment.status in (*INACTIVE, AppointmentStatus.CHECKED_OUT):
            raise ValidationError({"status": f"This appointment is {appointment.status.replace('_', ' ')}: "
                                             "book a new one instead of moving it."})
        provider = get_or_fail(session, Provider, provider_id or appointment.provider_id, "provider")
        length = minutes or int((appointment.end_at - appointment.start_at).total_seconds() // 60)
        when = _when(self.ctx, day, start, length, fold)
        refuse_closed(session, [when.day, appointment.start_at.astimezone(self.ctx.timezone).date()])
        self._refuse_absence(provider, when.day)
        self._check(provider, appointment.patient_id, when, override, now, ignore=appointment.id)
        # Clinic time and names, like every summary a person reads (not UTC and row ids).
        was = get_or_fail(session, Provider, appointment.provider_id, "provider")
        before = f"{appointment.start_at.astimezone(self.ctx.timezone):%Y-%m-%d %H:%M} with {was.user.full_name}"
        session.execute(delete(BookedSlot).where(BookedSlot.appointment_id == appointment.id))
        appointment.provider_id, appointment.start_at, appointment.end_at = provider.id, when.start, when.end
        if override:
            appointment.override_reason = override
        try:
            session.flush()
        except StaleDataError:
            raise ConcurrentEdit("appointment") from None
        _claim(session, appointment)
        detail = f"from {before} to {when.day:%Y-%m-%d} {when.local_start:%H:%M} with {provider.user.full_name}"
        self.event(appointment, "moved", detail=detail + (f"; override: {override}" if override else ""))
        audit.record(session, now, self.ctx.actor, "appointment.move", entity="appointment",
                     entity_id=appointment.id, patient_id=appointment.patient_id, summary=detail)
        return appointment

    def current(self, appointment_id: int, expected_version: int) -> Appointment:
        appointment = get_or_fail(self.session, Appointment, appointment_id, "appointment")
        if appointment.version != expected_version:
            raise ConcurrentEdit("appointment")
        return appointment

    def event(self, appointment: Appointment, action: str, *, from_status: str = "", to_status: str = "",
              reason: str = "", detail: str = "") -> None:
        self.session.add(AppointmentEvent(
            appointment_id=appointment.id, at=self.ctx.now(), user_id=self.ctx.actor_or_fail().user_id,
            action=action, from_status=from_status, to_status=to_status, reason=reason, detail=detail))

    # ----- rules ---------------------------------------------------------------------
    def _inputs(self, data: BookingInput) -> tuple[Patient, Provider, AppointmentType, _When]:
        session = self.session
        patient = get_or_fail(session, Patient, data.patient_id, "patient")
        if patient.status == PatientStatus.MERGED:
            raise ValidationError({"patient_id": "This record was merged into another: book the surviving record."})
        provider = get_or_fail(session, Provider, data.provider_id, "provider")
        kind = get_or_fail(session, AppointmentType, data.type_id, "appointment type")
        _refuse_unbookable(session, provider, kind)
        minutes = kind.default_minutes if data.minutes in (None, "") else data.minutes
        return patient, provider, kind, _when(self.ctx, data.day, data.start, minutes, data.fold)

    def _refuse_absence(self, provider: Provider, day: dt.date) -> None:
        """Approved time off is not a soft rule: no reason books over it."""
        away = HoursCalendar(self.session, [provider.id], day, day).away.get((provider.id, day))
        if away:
            raise ValidationError({"provider_id": f"{provider.user.full_name} is off on {day:%a %m/%d/%Y} "
                                                  f"(approved {away}): choose another provider or day."})

    def _check(self, provider: Provider, patient_id: int, when: _When, override: str, now: dt.datetime,
               ignore: int | None) -> None:
        problems = self._soft(provider, patient_id, when, now, ignore)
        if problems and not override:
            raise NeedsOverride(problems)
        taken = self._taken_by(provider, when, ignore)
        if taken:
            raise SlotTaken(taken)

    def _soft(self, provider: Provider, patient_id: int, when: _When, now: dt.datetime,
              ignore: int | None) -> list[str]:
        """The rules a person may set aside with a reason."""
        session = self.session
        problems: list[str] = []
        name = provider.user.full_name
        calendar = HoursCalendar(session, [provider.id], when.day, when.day)
        intervals = calendar.intervals(provider.id, when.day)
        end_local = when.local_end if when.local_end != dt.time(0) else dt.time(23, 59, 59)
        # A recurring block (lunch, a meeting) is refused like time outside working hours.
        blocked = [b for b in calendar.blocks(provider.id, when.day) if b[0] < end_local and when.local_start < b[1]]
        if blocked:
            start, end, label = blocked[0]
            problems.append(f"{when.local_start:%H:%M}-{when.local_end:%H:%M} is in {name}'s {label} "
                            f"({start:%H:%M}-{end:%H:%M}).")
        elif not intervals:
            problems.append(f"{name} does not work on {WEEKDAYS[when.day.weekday()]} {when.day:%m/%d/%Y}.")
        elif not any(start <= when.local_start and end_local <= end for start, end in intervals):
            hours = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in intervals)
            problems.append(f"{when.local_start:%H:%M}-{when.local_end:%H:%M} is outside {name}'s hours ({hours}).")
        if when.start < now:
            problems.append("That time is in the past.")
        lapsed = lapsed_licence(session, provider.user_id, when.day)
        if lapsed:
            problems.append(f"{name}: {lapsed}.")
        clash = session.scalar(
            select(Appointment).where(
                Appointment.patient_id == patient_id, Appointment.status.not_in(INACTIVE),
                Appointment.start_at < when.end, Appointment.end_at > when.start,
                Appointment.id != (ignore or 0)))
        if clash is not None:
            other = get_or_fail(session, Provider, clash.provider_id, "provider")
            local = clash.start_at.astimezone(self.ctx.timezone)
            problems.append(f"The patient is already booked at {local:%H:%M} with {other.user.full_name}.")
        return problems

    def _taken_by(self, provider: Provider, when: _When, ignore: int | None) -> str:
        """Why the provider cannot take this time (another booking), or "" when free."""
        taken = self.session.scalar(
            select(BookedSlot.appointment_id).where(
                BookedSlot.provider_id == provider.id, BookedSlot.slot_start.in_(steps(when.start, when.end)),
                BookedSlot.appointment_id != (ignore or 0)).limit(1))
        if taken is None:
            return ""
        other = get_or_fail(self.session, Appointment, taken, "appointment")
        zone = self.ctx.timezone
        return (f"{provider.user.full_name} already has an appointment "
                f"{other.start_at.astimezone(zone):%H:%M}-{other.end_at.astimezone(zone):%H:%M} in that time.")


def _when(ctx: ServiceContext, day: str | dt.date, start: str | dt.time, minutes: int | str,
          fold: int | None) -> _When:
    date = parse_day(day)
    try:
        local_start = parse_time(start)
        length = int(minutes)
        check_steps(local_start, length)
        begin = dt.datetime.combine(date, local_start)
        finish = begin + dt.timedelta(minutes=length)
        if finish.date() != date and finish.time() != dt.time(0):
            raise TimeProblem("An appointment cannot run past midnight.")
        start_at = local_instant(date, local_start, ctx.timezone, fold)
        end_at = (local_instant(date, finish.time(), ctx.timezone, fold)
                  if finish.date() == date else
                  local_instant(finish.date(), dt.time(0), ctx.timezone))
    except (TimeProblem, ValueError) as exc:
        raise ValidationError({"start": str(exc) if isinstance(exc, TimeProblem) else f"Length: {exc}."}) from None
    if end_at <= start_at:
        raise ValidationError({"start": "The appointment must end after it starts."})
    return _When(start_at, end_at, date, local_start, finish.time())


def _claim(session: Session, appointment: Appointment) -> None:
    """Take the appointment's 5-minute steps; a unique-key clash means someone else was first."""
    session.add_all(BookedSlot(provider_id=appointment.provider_id, slot_start=at, appointment_id=appointment.id)
                    for at in steps(appointment.start_at, appointment.end_at))
    try:
        session.flush()
    except IntegrityError:
        raise SlotTaken("Someone else has just booked that time: choose another.") from None


def _refuse_unbookable(session: Session, provider: Provider, kind: AppointmentType) -> None:
    """A new booking needs a provider and a type in use, and a type the provider sees (a provider
    with a list of types sees only those). Moving an appointment keeps its type, retired or not."""
    if not provider.active:
        raise ValidationError({"provider_id": f"{provider.user.full_name} is no longer a provider here (retired): "
                                              "choose another provider."})
    if not kind.active:
        raise ValidationError({"type_id": f"{kind.name} is retired: choose another appointment type."})
    seen = set(session.scalars(select(ProviderAppointmentType.type_id)
                               .where(ProviderAppointmentType.provider_id == provider.id)))
    if seen and kind.id not in seen:
        raise ValidationError({"type_id": f"{provider.user.full_name} does not see {kind.name} visits: "
                                          "choose another type or provider."})
