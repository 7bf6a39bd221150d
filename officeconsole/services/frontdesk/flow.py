"""The patient's path through the clinic today: arrived, roomed, with the provider, checked out.

Every step is an appointment_event (who, when, from, to), so waits and the day's timeline can
be replayed later; the appointment keeps the latest step's time and the arrival time so the
flow board reads one row per patient. A mistaken step is undone by another event, never by
deleting one. The board polls `changes` with the last event id it saw: one indexed look-up
when nothing happened, and only the touched appointments when something did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import (
    Appointment,
    AppointmentEvent,
    AppointmentType,
    ClinicSettings,
    Patient,
    Provider,
    Room,
    User,
)
from officeconsole.models.enums import AppointmentStatus as S
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, ValidationError
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.permissions import requires
from officeconsole.services.scheduling.booking import Booker
from officeconsole.services.scheduling.schedule import day_bounds
from officeconsole.services.security import audit

NEXT = {S.SCHEDULED: S.ARRIVED, S.ARRIVED: S.ROOMED, S.ROOMED: S.WITH_PROVIDER, S.WITH_PROVIDER: S.CHECKED_OUT}
ON_BOARD = (S.SCHEDULED, S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.CHECKED_OUT, S.NO_SHOW)
WAITING = (S.ARRIVED, S.ROOMED)  # the clock runs on the patient's wait until the provider comes
STATUS_ACTIONS = ("status", "undo")
DEFAULT_THRESHOLD = 15
# A status event as replayed: (when, action, from status, to status).
StatusEvent = tuple[dt.datetime, str, str, str]


def status_label(status: str) -> str:
    return {"with_provider": "With provider", "checked_out": "Checked out", "no_show": "No-show"}.get(
        status, status.replace("_", " ").capitalize())


@dataclass(frozen=True)
class RoomRow:
    id: int
    name: str
    active: bool = True


@dataclass(frozen=True)
class FlowRow:
    appointment_id: int
    version: int
    patient_id: int
    patient_name: str
    mrn: str
    provider_id: int
    provider_name: str
    type_name: str
    start: dt.datetime  # clinic-local
    status: str
    status_at: dt.datetime | None  # UTC: when the current step began (None while scheduled)
    arrived_at: dt.datetime | None  # UTC
    seen_at: dt.datetime | None  # UTC: when the provider came (the wait stops)
    room_name: str

    def minutes_in_status(self, now: dt.datetime) -> int | None:
        if self.status_at is None or self.status in (S.SCHEDULED, S.NO_SHOW, S.CHECKED_OUT):
            return None
        return int((now - self.status_at).total_seconds() // 60)

    def wait_minutes(self, now: dt.datetime) -> int | None:
        """From arrival until the provider came in (or until now, while still waiting)."""
        if self.arrived_at is None:
            return None
        end = now if self.status in WAITING else self.seen_at or self.status_at or now
        return max(0, int((end - self.arrived_at).total_seconds() // 60))


@dataclass(frozen=True)
class FlowBoard:
    day: dt.date
    rows: list[FlowRow]
    last_event_id: int
    threshold_minutes: int
    rooms: list[RoomRow]


@dataclass(frozen=True)
class FlowChanges:
    rows: list[FlowRow]  # the appointments touched since, as they are now (if still on the board)
    last_event_id: int
    touched: frozenset[int] = frozenset()  # every appointment touched: one missing from rows left the board


@dataclass(frozen=True)
class TimelineRow:
    appointment_id: int
    patient_name: str
    provider_name: str
    start: dt.datetime  # local
    status: str
    steps: dict[str, dt.datetime]  # status -> local time it was reached
    wait_minutes: int | None  # arrival to with provider


@dataclass(frozen=True)
class ProviderWaits:
    provider_name: str
    seen: int
    average_wait: float | None
    longest_wait: int | None


class FlowService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # ----- reading ---------------------------------------------------------------------
    @requires("flow.view")
    def board(self, day: dt.date | None = None) -> FlowBoard:
        day = day or self.ctx.today()
        start, end = day_bounds(day, self.ctx)
        with self.ctx.db.read() as session:
            last = session.execute(select(func.coalesce(func.max(AppointmentEvent.id), 0))).scalar_one()
            rows = Flow(self.ctx, session).rows(Appointment.start_at >= start, Appointment.start_at < end)
            settings = session.get(ClinicSettings, 1)
            rooms = [RoomRow(r.id, r.name) for r in session.scalars(
                select(Room).where(Room.active.is_(True)).order_by(Room.sort_order, Room.name))]
            threshold = settings.wait_threshold_minutes if settings else DEFAULT_THRESHOLD
            return FlowBoard(day, rows, last, threshold, rooms)

    @requires("flow.view")
    def changes(self, day: dt.date, since_event_id: int) -> FlowChanges:
        """What happened since the board last looked: nothing costs one index probe."""
        with self.ctx.db.lookup() as session:
            last = session.execute(select(func.coalesce(func.max(AppointmentEvent.id), 0))).scalar_one()
            if last <= since_event_id:
                return FlowChanges([], since_event_id)
            touched = set(session.scalars(select(AppointmentEvent.appointment_id)
                                          .where(AppointmentEvent.id > since_event_id,
                                                 AppointmentEvent.id <= last)))
            start, end = day_bounds(day, self.ctx)
            rows = Flow(self.ctx, session).rows(Appointment.id.in_(touched), Appointment.start_at >= start,
                                                Appointment.start_at < end) if touched else []
            return FlowChanges(rows, last, frozenset(touched))

    @requires("flow.view")
    def timeline(self, day: dt.date) -> tuple[list[TimelineRow], list[ProviderWaits]]:
        """Each visit's steps replayed from its events, and each provider's waits."""
        start, end = day_bounds(day, self.ctx)
        zone = self.ctx.timezone
        with self.ctx.db.read() as session:
            visits = session.execute(
                select(Appointment.id, Patient.last_name, Patient.first_name, User.full_name,
                       Appointment.start_at, Appointment.status)
                .join(Patient, Patient.id == Appointment.patient_id)
                .join(Provider, Provider.id == Appointment.provider_id).join(User, User.id == Provider.user_id)
                .where(Appointment.start_at >= start, Appointment.start_at < end,
                       Appointment.status != S.CANCELLED)
                .order_by(Appointment.start_at, User.full_name)).all()
            events: dict[int, list[StatusEvent]] = {}
            for appointment_id, at, action, from_status, to_status in session.execute(
                    select(AppointmentEvent.appointment_id, AppointmentEvent.at, AppointmentEvent.action,
                           AppointmentEvent.from_status, AppointmentEvent.to_status)
                    .join(Appointment, Appointment.id == AppointmentEvent.appointment_id)
                    .where(Appointment.start_at >= start, Appointment.start_at < end,
                           AppointmentEvent.action.in_(STATUS_ACTIONS))
                    .order_by(AppointmentEvent.at, AppointmentEvent.id)):
                events.setdefault(appointment_id, []).append((at, action, from_status, to_status))
        rows: list[TimelineRow] = []
        waits: dict[str, list[int]] = {}
        for appointment_id, last, first, provider, start_at, status in visits:
            steps = _replay(events.get(appointment_id, []))
            arrived, seen = steps.get(S.ARRIVED), steps.get(S.WITH_PROVIDER)
            wait = int((seen - arrived).total_seconds() // 60) if arrived and seen else None
            waits.setdefault(provider, [])
            if wait is not None:
                waits[provider].append(wait)
            rows.append(TimelineRow(appointment_id, f"{last}, {first}", provider, start_at.astimezone(zone), status,
                                    {k: v.astimezone(zone) for k, v in steps.items()}, wait))
        summary = [ProviderWaits(name, len(w), sum(w) / len(w) if w else None, max(w) if w else None)
                   for name, w in sorted(waits.items())]
        return rows, summary

    # ----- steps -----------------------------------------------------------------------
    @requires("flow.update")
    def advance(self, appointment_id: int, expected_version: int, room_id: int | None = None) -> FlowRow:
        """One step on: arrived, roomed (in `room_id`), with provider. Check-in and check-out
        have their own forms; a plain arrival from the board is allowed for a quick desk."""
        with self.ctx.db.write() as session:
            flow = Flow(self.ctx, session)
            visit = flow.today_visit(appointment_id, expected_version)
            following = NEXT.get(S(visit.status))
            if following is None or following == S.CHECKED_OUT:
                word = "check them out" if following == S.CHECKED_OUT else "nothing follows"
                raise ValidationError({"status": f"This patient is {status_label(visit.status).lower()}: {word}."})
            if following == S.ROOMED:
                flow.room(visit, room_id)
            flow.set_status(visit, following)
            return flow.row(visit.id)

    @requires("flow.update")
    def undo(self, appointment_id: int, expected_version: int) -> FlowRow:
        """Take back the last step (a mistaken key press); the undo is itself an event."""
        with self.ctx.db.write() as session:
            visit = get_or_fail(session, Appointment, appointment_id, "appointment")
            if visit.version != expected_version:
                raise ConcurrentEdit("appointment")
            history = list(session.execute(
                select(AppointmentEvent.at, AppointmentEvent.action, AppointmentEvent.from_status,
                       AppointmentEvent.to_status)
                .where(AppointmentEvent.appointment_id == visit.id, AppointmentEvent.action.in_(STATUS_ACTIONS))
                .order_by(AppointmentEvent.at, AppointmentEvent.id)))
            stack = _stack(history)
            if not stack:
                raise ValidationError({"status": "There is no step to undo for this patient."})
            at, previous, current = stack.pop()
            if current != visit.status:
                raise ConcurrentEdit("appointment")
            now = self.ctx.now()
            visit.status = previous
            visit.status_at = stack[-1][0] if stack else None
            if current == S.ARRIVED:
                visit.arrived_at = None
            if current == S.ROOMED:
                visit.room_id = None
            _flush(session)
            Booker(self.ctx, session).event(visit, "undo", from_status=current, to_status=previous,
                                            detail=f"undo of {status_label(current).lower()} at {at:%H:%M}Z")
            audit.record(session, now, self.ctx.actor, "appointment.undo_step", entity="appointment",
                         entity_id=visit.id, patient_id=visit.patient_id,
                         summary=f"{status_label(current)} -> {status_label(previous)}")
            return Flow(self.ctx, session).row(visit.id)

    @requires("flow.update")
    def mark_no_show(self, appointment_id: int, expected_version: int) -> FlowRow:
        with self.ctx.db.write() as session:
            flow = Flow(self.ctx, session)
            visit = flow.today_visit(appointment_id, expected_version)
            if visit.status != S.SCHEDULED:
                raise ValidationError({"status": "Only a patient who has not arrived can be a no-show."})
            if visit.start_at > self.ctx.now():
                raise ValidationError({"status": "The appointment has not started yet."})
            flow.set_status(visit, S.NO_SHOW)
            return flow.row(visit.id)


class Flow:
    """The steps inside a caller's transaction (check-in and check-out take payments with them)."""

    def __init__(self, ctx: ServiceContext, session: Session) -> None:
        self.ctx = ctx
        self.session = session

    def today_visit(self, appointment_id: int, expected_version: int) -> Appointment:
        visit = get_or_fail(self.session, Appointment, appointment_id, "appointment")
        if visit.version != expected_version:
            raise ConcurrentEdit("appointment")
        if visit.status == S.CANCELLED:
            raise ValidationError({"status": "This appointment was cancelled: book a new one (a walk-in) instead."})
        local = visit.start_at.astimezone(self.ctx.timezone)
        if local.date() != self.ctx.today():
            raise ValidationError({"status": f"This appointment is on {local:%m/%d/%Y}: only today's visits "
                                             "move through the clinic."})
        return visit

    def set_status(self, visit: Appointment, status: S, detail: str = "") -> None:
        now = self.ctx.now()
        previous = visit.status
        visit.status, visit.status_at = status, now
        if status == S.ARRIVED:
            visit.arrived_at = now
        _flush(self.session)
        Booker(self.ctx, self.session).event(visit, "status", from_status=previous, to_status=status, detail=detail)
        audit.record(self.session, now, self.ctx.actor, f"appointment.{status.value}", entity="appointment",
                     entity_id=visit.id, patient_id=visit.patient_id,
                     summary=f"{status_label(previous)} -> {status_label(status)}" + (f"; {detail}" if detail else ""))

    def room(self, visit: Appointment, room_id: int | None) -> None:
        if room_id is None:
            raise ValidationError({"room_id": "Choose a room for the patient."})
        room = get_or_fail(self.session, Room, room_id, "room")
        if not room.active:
            raise ValidationError({"room_id": f"{room.name} is not in use."})
        busy = self.session.scalar(
            select(Patient.last_name).join(Appointment, Appointment.patient_id == Patient.id)
            .where(Appointment.room_id == room.id, Appointment.status.in_((S.ROOMED, S.WITH_PROVIDER)),
                   Appointment.id != visit.id))
        if busy is not None:
            raise ValidationError({"room_id": f"{room.name} is taken ({busy}): choose another room."})
        visit.room_id = room.id

    def row(self, appointment_id: int) -> FlowRow:
        return self.rows(Appointment.id == appointment_id)[0]

    def rows(self, *conditions: ColumnElement[bool]) -> list[FlowRow]:
        # When the provider came in: only looked up for visits that got that far.
        seen = case((Appointment.status.in_((S.WITH_PROVIDER, S.CHECKED_OUT)),
                     select(func.max(AppointmentEvent.at))
                     .where(AppointmentEvent.appointment_id == Appointment.id, AppointmentEvent.action == "status",
                            AppointmentEvent.to_status == S.WITH_PROVIDER)
                     .correlate(Appointment).scalar_subquery()), else_=None)
        query = (select(Appointment.id, Appointment.version, Appointment.patient_id, Patient.last_name,
                        Patient.first_name, Patient.mrn, Appointment.provider_id, User.full_name, AppointmentType.name,
                        Appointment.start_at, Appointment.status, Appointment.status_at, Appointment.arrived_at,
                        Room.name, seen)
                 .join(Patient, Patient.id == Appointment.patient_id)
                 .join(Provider, Provider.id == Appointment.provider_id).join(User, User.id == Provider.user_id)
                 .join(AppointmentType, AppointmentType.id == Appointment.type_id)
                 .outerjoin(Room, Room.id == Appointment.room_id)
                 .where(Appointment.status.in_(ON_BOARD), *conditions)
                 .order_by(Appointment.start_at, User.full_name))
        zone = self.ctx.timezone
        return [FlowRow(a_id, version, patient_id, f"{last}, {first}", mrn, provider_id, provider, kind,
                        start_at.astimezone(zone), status, status_at, arrived_at, seen_at, room or "")
                for (a_id, version, patient_id, last, first, mrn, provider_id, provider, kind, start_at, status,
                     status_at, arrived_at, room, seen_at) in self.session.execute(query)]


def _stack(history: Iterable[StatusEvent]) -> list[tuple[dt.datetime, str, str]]:
    """Replay status events: each step pushes (when, from, to); each undo pops the last."""
    stack: list[tuple[dt.datetime, str, str]] = []
    for at, action, from_status, to_status in history:
        if action == "undo":
            if stack:
                stack.pop()
        else:
            stack.append((at, from_status, to_status))
    return stack


def _replay(history: Iterable[StatusEvent]) -> dict[str, dt.datetime]:
    """The time each status still in effect was reached."""
    return {to_status: at for at, _from, to_status in _stack(history)}


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise ConcurrentEdit("appointment") from None
    except IntegrityError:
        raise ValidationError({"room_id": "That room was just taken from another console: choose another."}) from None
