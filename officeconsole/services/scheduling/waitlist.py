"""The waitlist: patients who want an earlier (or any) slot, matched to time that frees up.

A request names the patient, the kind of visit, and preferences (provider or any, weekdays,
morning or afternoon, a date range). When the schedule shows a day, `waitlist_matches` lists
each waiting request that a free slot on that day would satisfy (earlier than the booking the
patient already has); `take_slot` books it, or moves that booking, and closes the request in
one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import Appointment, AppointmentType, Patient, Provider, User, WaitlistEntry
from officeconsole.models.enums import AppointmentStatus
from officeconsole.models.waitlist import WaitlistStatus
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, ValidationError
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text, format_phone, parse_date
from officeconsole.services.scheduling.booking import AppointmentView, Booker, BookingInput
from officeconsole.services.scheduling.schedule_time import TimeProblem, parse_weekdays, weekdays_text
from officeconsole.services.scheduling.slot_finder import PARTS, Slot, SlotFinder, SlotQuery
from officeconsole.services.security import audit

ACTIVE = (AppointmentStatus.SCHEDULED,)


@dataclass
class WaitlistInput:
    patient_id: int | None = None
    type_id: int | None = None
    provider_id: int | None = None  # None: any provider
    appointment_id: int | None = None  # the booking to bring forward, if any
    weekdays: str | set[int] | list[str] = field(default_factory=set)
    part: str = "any"
    earliest: str | dt.date | None = None
    latest: str | dt.date | None = None
    note: str = ""


@dataclass(frozen=True)
class WaitlistRow:
    id: int
    version: int
    patient_id: int
    patient_name: str
    mrn: str
    phone: str
    provider_id: int | None
    provider_name: str
    type_id: int
    type_name: str
    minutes: int
    weekdays: frozenset[int]
    part: str
    earliest: dt.date | None
    latest: dt.date | None
    note: str
    appointment_id: int | None
    appointment_start: dt.datetime | None  # clinic-local; None when there is no booking (or it lapsed)
    created_at: dt.datetime  # clinic-local

    @property
    def wants(self) -> str:
        """The preferences in a few words, for lists."""
        parts = [self.provider_name, weekdays_text(set(self.weekdays))]
        if self.part != "any":
            parts.append(self.part + "s")
        if self.earliest or self.latest:
            parts.append(f"{self.earliest or dt.date.min:%m/%d}-{self.latest or dt.date.max:%m/%d}"
                         .replace("01/01-", "to ").replace("-12/31", " on"))
        return ", ".join(parts)

    def covers(self, day: dt.date) -> bool:
        return ((not self.weekdays or day.weekday() in self.weekdays)
                and (self.earliest is None or self.earliest <= day)
                and (self.latest is None or day <= self.latest))


@dataclass(frozen=True)
class WaitlistMatch:
    entry: WaitlistRow
    slot: Slot


class WaitlistService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("appointment.book")
    def add_to_waitlist(self, data: WaitlistInput) -> WaitlistRow:
        errors: dict[str, str] = {}
        try:
            weekdays = parse_weekdays(data.weekdays)
        except TimeProblem as exc:
            errors["weekdays"] = str(exc)
            weekdays = set()
        if data.part not in PARTS:
            errors["part"] = "Part of day: any, morning or afternoon."
        dates = {}
        for name in ("earliest", "latest"):
            try:
                dates[name] = parse_date(getattr(data, name))
            except ValueError as exc:
                errors[name] = f"Date: {exc}."
        earliest, latest = dates.get("earliest"), dates.get("latest")
        if earliest and latest and latest < earliest:
            errors["latest"] = "The range ends before it starts."
        elif latest and latest < self.ctx.today():
            errors["latest"] = "That date has passed."
        if errors:
            raise ValidationError(errors)
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            patient = get_or_fail(session, Patient, data.patient_id, "patient")
            kind = get_or_fail(session, AppointmentType, data.type_id, "appointment type")
            if data.provider_id is not None:
                get_or_fail(session, Provider, data.provider_id, "provider")
            if data.appointment_id is not None:
                booking = get_or_fail(session, Appointment, data.appointment_id, "appointment")
                if booking.patient_id != patient.id:
                    raise ValidationError({"appointment_id": "That appointment is another patient's."})
                if booking.status not in ACTIVE or booking.start_at <= now:
                    raise ValidationError({"appointment_id": "Only a booking still ahead can be brought forward."})
            same = session.scalar(select(WaitlistEntry.id).where(
                WaitlistEntry.patient_id == patient.id, WaitlistEntry.status == WaitlistStatus.WAITING,
                WaitlistEntry.type_id == kind.id,
                WaitlistEntry.appointment_id.is_(None) if data.appointment_id is None
                else WaitlistEntry.appointment_id == data.appointment_id))
            if same is not None:
                raise ValidationError({"patient_id": "This patient is already on the waitlist for that visit."})
            entry = WaitlistEntry(
                patient_id=patient.id, type_id=kind.id, provider_id=data.provider_id,
                appointment_id=data.appointment_id, weekdays=",".join(str(d) for d in sorted(weekdays)),
                part=data.part, earliest=earliest, latest=latest, note=clean_text(data.note, 200),
                status=WaitlistStatus.WAITING, created_by_id=self.ctx.actor_or_fail().user_id, created_at=now)
            session.add(entry)
            session.flush()
            audit.record(session, now, self.ctx.actor, "waitlist.add", entity="waitlist_entry", entity_id=entry.id,
                         patient_id=patient.id, summary=f"{kind.name}; {weekdays_text(weekdays)}, {data.part}")
            return self._rows(session, WaitlistEntry.id == entry.id)[0]

    @requires("schedule.view")
    def waiting(self) -> list[WaitlistRow]:
        """Every open request, oldest first (first come, first offered)."""
        with self.ctx.db.read() as session:
            return self._rows(session, WaitlistEntry.status == WaitlistStatus.WAITING)

    @requires("appointment.book")
    def remove_from_waitlist(self, entry_id: int, expected_version: int, reason: str = "") -> None:
        """Close a request without booking (the patient no longer wants it, say)."""
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            entry = self._open_entry(session, entry_id, expected_version)
            entry.status, entry.closed_at = WaitlistStatus.REMOVED, now
            entry.closed_by_id, entry.closed_reason = self.ctx.actor_or_fail().user_id, clean_text(reason, 200)
            _flush(session)
            audit.record(session, now, self.ctx.actor, "waitlist.remove", entity="waitlist_entry", entity_id=entry.id,
                         patient_id=entry.patient_id, summary=clean_text(reason, 200) or "removed")

    @requires("schedule.view")
    def waitlist_matches(self, day: dt.date) -> list[WaitlistMatch]:
        """Waiting requests that a free slot on `day` would satisfy, each with its earliest such slot.

        Requests with the same provider, length and part of day share one slot search.
        """
        entries = [e for e in self.waiting() if e.covers(day)]
        finder = SlotFinder(self.ctx)
        found: dict[tuple[int | None, int, str], list[Slot]] = {}
        matches = []
        for entry in entries:
            key = (entry.provider_id, entry.minutes, entry.part)
            if key not in found:
                found[key] = finder.find(SlotQuery(minutes=entry.minutes, provider_id=entry.provider_id, after=day,
                                                   until=day, part=entry.part, count=100))
            slot = next((s for s in found[key]
                         if entry.appointment_start is None or s.start < entry.appointment_start), None)
            if slot is not None:
                matches.append(WaitlistMatch(entry, slot))
        return matches

    @requires("appointment.book")
    def take_slot(self, entry_id: int, expected_version: int, provider_id: int, start: dt.datetime) -> AppointmentView:
        """Give the request this slot: move the patient's booking there (or book one) and close it."""
        now = self.ctx.now()
        local = start.astimezone(self.ctx.timezone)
        with self.ctx.db.write() as session:
            entry = self._open_entry(session, entry_id, expected_version)
            booker = Booker(self.ctx, session)
            booking = session.get(Appointment, entry.appointment_id) if entry.appointment_id else None
            if booking is not None and booking.status in ACTIVE:
                appointment = booker.move(booking.id, booking.version, local.date(), local.time(),
                                          provider_id=provider_id, fold=local.fold)
            else:
                appointment = booker.book(BookingInput(
                    patient_id=entry.patient_id, provider_id=provider_id, type_id=entry.type_id, day=local.date(),
                    start=local.time(), reason=entry.note or "From the waitlist", fold=local.fold))
            entry.status, entry.closed_at = WaitlistStatus.BOOKED, now
            entry.closed_by_id, entry.booked_appointment_id = self.ctx.actor_or_fail().user_id, appointment.id
            _flush(session)
            audit.record(session, now, self.ctx.actor, "waitlist.book", entity="waitlist_entry", entity_id=entry.id,
                         patient_id=entry.patient_id, summary=f"appointment {appointment.id} at {local:%Y-%m-%d %H:%M}")
            return AppointmentView.of(appointment)

    # ----- helpers -------------------------------------------------------------------
    def _open_entry(self, session: Session, entry_id: int, expected_version: int) -> WaitlistEntry:
        entry = get_or_fail(session, WaitlistEntry, entry_id, "waitlist entry")
        if entry.version != expected_version:
            raise ConcurrentEdit("waitlist entry")
        if entry.status != WaitlistStatus.WAITING:
            raise ValidationError({"status": f"This request is {entry.status} already."})
        return entry

    def _rows(self, session: Session, condition: ColumnElement[bool]) -> list[WaitlistRow]:
        doctor = aliased(User)
        booking = aliased(Appointment)
        rows = session.execute(
            select(WaitlistEntry, Patient.last_name, Patient.first_name, Patient.mrn, Patient.phone,
                   doctor.full_name, AppointmentType.name, AppointmentType.default_minutes,
                   booking.start_at, booking.status)
            .join(Patient, Patient.id == WaitlistEntry.patient_id)
            .join(AppointmentType, AppointmentType.id == WaitlistEntry.type_id)
            .outerjoin(Provider, Provider.id == WaitlistEntry.provider_id)
            .outerjoin(doctor, doctor.id == Provider.user_id)
            .outerjoin(booking, booking.id == WaitlistEntry.appointment_id)
            .where(condition).order_by(WaitlistEntry.created_at, WaitlistEntry.id))
        zone = self.ctx.timezone
        out = []
        for e, last, first, mrn, phone, doctor_name, type_name, minutes, booked_at, booked_status in rows:
            lapsed = booked_at is None or booked_status not in ACTIVE
            out.append(WaitlistRow(
                e.id, e.version, e.patient_id, f"{last}, {first}", mrn, format_phone(phone), e.provider_id,
                doctor_name or "Any provider", e.type_id, type_name, minutes,
                frozenset(int(d) for d in e.weekdays.split(",") if d), e.part, e.earliest, e.latest, e.note,
                e.appointment_id, None if lapsed else booked_at.astimezone(zone), e.created_at.astimezone(zone)))
        return out


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise ConcurrentEdit("waitlist entry") from None

