"""Reading the schedule: a day's appointments, the providers and the appointment types.

One query per day for everyone, so the schedule screen and `schedule show` stay fast on a
large clinic (the appointment table is indexed by start time and by provider and start).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, select, type_coerce
from sqlalchemy.types import NullType

from officeconsole.models import (
    Appointment,
    AppointmentType,
    EligibilityCheck,
    Patient,
    PatientAlert,
    Provider,
    User,
    VisitConfirmation,
)
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import NotFound
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text, format_phone
from officeconsole.services.frontdesk.patient_alerts import active_alerts
from officeconsole.services.operations.closed_days import closure, day_bounds_utc
from officeconsole.services.scheduling.schedule_time import LocalTimes
from officeconsole.services.security import audit


@dataclass(frozen=True)
class ProviderRow:
    id: int
    username: str
    name: str
    colour: str
    default_minutes: int


@dataclass(frozen=True)
class TypeRow:
    id: int
    name: str
    minutes: int
    colour: str
    new_patient: bool


@dataclass(frozen=True)
class DayRow:
    """One appointment as the schedule shows it (times in the clinic's zone)."""

    id: int
    version: int
    provider_id: int
    provider_name: str
    patient_id: int
    patient_name: str
    mrn: str
    phone: str
    preferred_contact: str
    type_name: str
    type_colour: str
    start: dt.datetime
    end: dt.datetime
    status: str
    reason: str
    email: str = ""
    confirmation: str = ""  # "confirmed" or "left_message" (see services/scheduling/reminders.py), else ""
    confirmed_how: str = ""  # phone, text, email, in_person
    alerts: tuple[str, ...] = ()  # the patient's alerts in force (services/frontdesk/patient_alerts.py)
    # The payers of the patient's policies in force that day whose latest 271 answer said inactive
    # (services/frontdesk/eligibility.py): the desk asks for the new card, or bills the patient.
    inactive_coverage: tuple[str, ...] = ()

    @property
    def mark(self) -> str:
        """The schedule cell's marks: ! the patient has alerts; $ insurance came back inactive on the
        latest 271; ☑ confirmed; ☎ message left."""
        return (("!" if self.alerts else "") + (INACTIVE_MARK if self.inactive_coverage else "")
                + {"confirmed": "☑", "left_message": "☎"}.get(self.confirmation, ""))


INACTIVE_MARK = "$"  # the visit's insurance came back inactive: money to sort out before the visit


ARRIVED = ("arrived", "roomed", "with_provider", "checked_out")


@dataclass(frozen=True)
class DayPlan:
    day: dt.date
    providers: list[ProviderRow]
    hours: dict[int, list[tuple[dt.time, dt.time]]]
    rows: list[DayRow]
    booked: int  # not cancelled
    free_slots: int  # free 15-minute blocks within working hours
    arrived: int  # arrived or further along
    no_shows: int
    closed: str = ""  # "Closed by Morgan Manager at 11/23 18:02" when the close-out locked the day
    # Recurring blocks inside working time (lunch, a meeting): (start, end, label), shown as blocked.
    blocks: dict[int, list[tuple[dt.time, dt.time, str]]] = field(default_factory=dict)
    # Providers on approved time off that day (the kind: "vacation"): their booked visits need moving.
    away: dict[int, str] = field(default_factory=dict)


def day_bounds(day: dt.date, ctx: ServiceContext) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants of the clinic's local midnight to midnight (23 or 25 hours on DST days)."""
    return day_bounds_utc(day, ctx.timezone)


class ScheduleService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("schedule.view")
    def providers(self) -> list[ProviderRow]:
        with self.ctx.db.read() as session:
            rows = session.execute(
                select(Provider.id, User.username, User.full_name, Provider.colour, Provider.default_visit_minutes)
                .join(User, User.id == Provider.user_id)
                .where(Provider.active.is_(True), User.active.is_(True)).order_by(User.full_name))
            return [ProviderRow(*row) for row in rows]

    @requires("schedule.view")
    def provider_by_name(self, text: str) -> ProviderRow:
        """A provider by username or id, as typed on a command line."""
        wanted = clean_text(text).lower()
        for row in self.providers():
            if wanted in (row.username, str(row.id)):
                return row
        raise NotFound(f"No active provider is called {text!r} (use the username, e.g. drpatel).")

    @requires("schedule.view")
    def types(self) -> list[TypeRow]:
        with self.ctx.db.read() as session:
            rows = session.execute(
                select(AppointmentType.id, AppointmentType.name, AppointmentType.default_minutes,
                       AppointmentType.colour, AppointmentType.new_patient)
                .where(AppointmentType.active.is_(True)).order_by(AppointmentType.name))
            return [TypeRow(*row) for row in rows]

    @requires("schedule.view")
    def type_by_name(self, text: str) -> TypeRow:
        wanted = clean_text(text).lower()
        for row in self.types():
            if wanted in (row.name.lower(), str(row.id)):
                return row
        names = ", ".join(t.name for t in self.types())
        raise NotFound(f"No appointment type is called {text!r} (types: {names}).")

    @requires("schedule.view")
    def day(self, day: dt.date, provider_ids: list[int] | None = None) -> list[DayRow]:
        """Every appointment that starts on `day`, cancelled ones included, by time and provider."""
        start, end = day_bounds(day, self.ctx)
        query = (_ROWS.where(Appointment.start_at >= start, Appointment.start_at < end)
                 .order_by(Appointment.start_at, User.full_name))
        if provider_ids:
            query = query.where(Appointment.provider_id.in_(provider_ids))
        from officeconsole.services.frontdesk.eligibility import inactive_on  # (it reads the day's bounds from here)

        with self.ctx.db.read() as session:
            rows = session.connection().execute(query).all()  # plain rows: no ORM loading, times as stored
            # Only the day's patients with any alert or any 271 answer on file are looked up further:
            # a few, where a list of every patient of the day costs milliseconds to send.
            day_patients = select(Appointment.patient_id).where(Appointment.start_at >= start,
                                                                Appointment.start_at < end)
            flagged = set(session.scalars(select(PatientAlert.patient_id).where(
                PatientAlert.patient_id.in_(day_patients)).union(select(EligibilityCheck.patient_id).where(
                    EligibilityCheck.patient_id.in_(day_patients)))))
            patient_ids = [row.patient_id for row in rows if row.patient_id in flagged]
            alerts = active_alerts(session, patient_ids, day)
            inactive = inactive_on(session, patient_ids, day)
        return day_rows(rows, self.ctx.timezone, alerts, inactive)

    @requires("schedule.view")
    def reminder_list(self, day: dt.date, provider_ids: list[int] | None = None) -> list[DayRow]:
        """The day's booked patients with their phone and preferred contact, for reminder calls: it
        leaves the console as a file, so it is audited as an export."""
        rows = [r for r in self.day(day, provider_ids) if r.status != "cancelled"]
        with self.ctx.db.write() as session:
            audit.record(session, self.ctx.now(), self.ctx.actor, "schedule.export", entity="schedule",
                         entity_id=day.isoformat(), summary=f"reminder list {day:%m/%d/%Y}: {len(rows)} patients")
        return rows

    @requires("schedule.view")
    def for_patient(self, patient_id: int, past: int = 5) -> tuple[list[DayRow], list[DayRow]]:
        """(upcoming, recent): booked visits from now on, and the last `past` visits of any outcome."""
        now = self.ctx.now()
        mine = _ROWS.where(Appointment.patient_id == patient_id)
        with self.ctx.db.read() as session:
            upcoming = session.connection().execute(mine.where(Appointment.start_at >= now,
                                                               Appointment.status != "cancelled")
                                                    .order_by(Appointment.start_at)).all()
            recent = session.connection().execute(mine.where(Appointment.start_at < now)
                                                  .order_by(Appointment.start_at.desc()).limit(past)).all()
        zone = self.ctx.timezone
        return day_rows(upcoming, zone), day_rows(recent, zone)

    @requires("schedule.view")
    def day_plan(self, day: dt.date, provider_ids: list[int] | None = None) -> DayPlan:
        """Everything the schedule screen draws for a day: who works when, the appointments,
        and the counts in its header line."""
        from officeconsole.services.scheduling.hours_calendar import HoursCalendar

        providers = [p for p in self.providers() if not provider_ids or p.id in provider_ids]
        rows = self.day(day, [p.id for p in providers] if provider_ids else None)
        with self.ctx.db.read() as session:
            calendar = HoursCalendar(session, [p.id for p in providers], day, day)
            hours = {p.id: calendar.intervals(p.id, day) for p in providers}
            blocks = {p.id: calendar.blocks(p.id, day) for p in providers}
            away = {p.id: calendar.away[p.id, day] for p in providers if (p.id, day) in calendar.away}
            locked = closure(session, day, self.ctx.timezone)
        booked_ids = {r.provider_id for r in rows}
        shown = [p for p in providers if hours[p.id] or p.id in booked_ids]
        active = [r for r in rows if r.status not in ("cancelled", "no_show")]
        step = dt.timedelta(minutes=5)
        occupied: set[tuple[int, dt.datetime]] = set()
        for row in active:
            at = row.start
            while at < row.end:
                occupied.add((row.provider_id, at))
                at += step
        free_steps = 0
        for provider in shown:
            for start, end in hours[provider.id]:
                at = dt.datetime.combine(day, start, self.ctx.timezone)
                close = dt.datetime.combine(day, end, self.ctx.timezone)
                while at < close:
                    free_steps += (provider.id, at) not in occupied
                    at += step
        return DayPlan(
            day=day, providers=shown, hours={p.id: hours[p.id] for p in shown}, rows=rows,
            booked=len([r for r in rows if r.status != "cancelled"]),
            free_slots=free_steps // 3,
            arrived=len([r for r in rows if r.status in ARRIVED]),
            no_shows=len([r for r in rows if r.status == "no_show"]),
            closed=f"Closed by {locked.closed_by} at {locked.closed_at:%m/%d %H:%M}" if locked else "",
            blocks={p.id: blocks[p.id] for p in shown if blocks[p.id]},
            away={p.id: away[p.id] for p in shown if p.id in away},
        )


def day_rows(rows: Sequence[Row[*tuple[Any, ...]]], zone: ZoneInfo, alerts: dict[int, list[str]] | None = None,
             inactive: dict[int, list[str]] | None = None) -> list[DayRow]:
    """The schedule's rows from `_ROWS`'s plain rows in one pass: each distinct time converted once
    (a day's visits share a few dozen), and each row built without the frozen dataclass's setattr per
    field (that alone took a third of the time)."""
    convert = LocalTimes(zone)
    seen, alerts, inactive = convert.seen, alerts or {}, inactive or {}
    new, fill, none = object.__new__, object.__setattr__, ()
    out = []
    for (a_id, version, provider_id, provider_name, patient_id, last, first, mrn, phone, contact,
         type_name, colour, start_at, end_at, status, reason, email, confirmation, how) in rows:
        row = new(DayRow)
        fill(row, "__dict__", {
            "id": a_id, "version": version, "provider_id": provider_id, "provider_name": provider_name,
            "patient_id": patient_id, "patient_name": f"{last}, {first}", "mrn": mrn, "phone": format_phone(phone),
            "preferred_contact": contact, "type_name": type_name, "type_colour": colour,
            "start": seen.get(start_at) or convert(start_at), "end": seen.get(end_at) or convert(end_at),
            "status": status, "reason": reason, "email": email, "confirmation": confirmation or "",
            "confirmed_how": how or "", "alerts": tuple(alerts[patient_id]) if patient_id in alerts else none,
            "inactive_coverage": tuple(inactive[patient_id]) if patient_id in inactive else none})
        out.append(row)
    return out


# Times come as stored (no per-value type conversion): `day_rows` converts each distinct one once.
_STORED = NullType()
_ROWS = (
    select(Appointment.id, Appointment.version, Appointment.provider_id, User.full_name,
           Appointment.patient_id, Patient.last_name, Patient.first_name, Patient.mrn, Patient.phone,
           Patient.preferred_contact, AppointmentType.name, AppointmentType.colour,
           type_coerce(Appointment.start_at, _STORED).label("start_at"),
           type_coerce(Appointment.end_at, _STORED).label("end_at"), Appointment.status, Appointment.reason,
           Patient.email, VisitConfirmation.state, VisitConfirmation.how)
    .join(Provider, Provider.id == Appointment.provider_id)
    .join(User, User.id == Provider.user_id)
    .join(Patient, Patient.id == Appointment.patient_id)
    .join(AppointmentType, AppointmentType.id == Appointment.type_id)
    .outerjoin(VisitConfirmation, VisitConfirmation.appointment_id == Appointment.id)
)
