"""Reminders and confirmations.

The reminder list is a day's booked visits with each patient's phone, e-mail and preferred
contact, and whether the visit is already confirmed; a patient with neither phone nor e-mail is
listed as unreachable. It is written as one CSV (for a mail merge or a call list) or as one `.ics`
calendar file per appointment (for an e-mail or texting service), and leaves the console audited.

A visit is marked confirmed (the patient said yes: by phone, text, e-mail or in person) or left
message; the latest word is kept with who recorded it and when, and the schedule shows it.

`send_reminders` hands each reminder, as one JSON object on standard input, to a command the clinic
chooses (its SMS or e-mail gateway). Each visit is claimed before the command runs (a row that is
`sending`, unique per visit and kind), so two runs at once, or a run repeated, never send the same
reminder twice. A command that fails, or is still running after the timeout, is recorded as failed
for that visit and the rest go on; a failed one is tried again next run.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shlex
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from officeconsole.errors import OfficeError
from officeconsole.models import (
    Appointment,
    ClinicSettings,
    ReminderSent,
    VisitConfirmation,
)
from officeconsole.models.desk import CONFIRM_HOW, CONFIRM_STATES
from officeconsole.models.enums import AppointmentStatus
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, ValidationError
from officeconsole.services.common.folders import writable_folder
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import format_phone
from officeconsole.services.formats import csv_safe
from officeconsole.services.scheduling.schedule import DayRow, ScheduleService
from officeconsole.services.security import audit

REMINDER_COLUMNS = ["Name", "Phone", "E-mail", "Preferred contact", "Time", "Provider", "Type", "Confirmation",
                    "Reachable"]
DEFAULT_KIND = "day_before"
DETAIL_LENGTH = 300


class ReminderError(OfficeError):
    """The reminder files could not be written, or the command could not be used."""


def reachable(row: DayRow) -> bool:
    return bool(row.phone or row.email)


def confirmation_text(row: DayRow) -> str:
    if row.confirmation == "confirmed":
        return f"confirmed ({row.confirmed_how.replace('_', ' ')})"
    return "left message" if row.confirmation == "left_message" else ""


def reminder_cells(row: DayRow) -> tuple[str, ...]:
    """One reminder as the CSV and `schedule export` show it (in REMINDER_COLUMNS order)."""
    return (row.patient_name, row.phone, row.email, row.preferred_contact, f"{row.start:%Y-%m-%d %H:%M}",
            row.provider_name, row.type_name, confirmation_text(row), "yes" if reachable(row) else "unreachable")


def reminder_csv(rows: list[DayRow]) -> str:
    buffer = io.StringIO()
    writer = csv_safe.writer(buffer)
    writer.writerow(REMINDER_COLUMNS)
    writer.writerows(reminder_cells(r) for r in rows)
    return buffer.getvalue()


def reminder_ics(row: DayRow, clinic_name: str, clinic_phone: str) -> bytes:
    """One appointment as an iCalendar file (RFC 5545) the patient's calendar can take."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Office Console//Reminders//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"appointment-{row.id}@officeconsole")
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    event.add("dtstart", row.start)
    event.add("dtend", row.end)
    event.add("summary", f"{row.type_name} with {row.provider_name}")
    event.add("location", clinic_name)
    event.add("description", f"{clinic_name}. To change or cancel, call {clinic_phone}." if clinic_phone
              else f"{clinic_name}.")
    calendar.add_component(event)
    ical: bytes = calendar.to_ical()  # icalendar ships no type information
    return ical


@dataclass(frozen=True)
class SendOutcome:
    appointment_id: int
    patient_name: str
    outcome: str  # sent, failed, already sent, unreachable
    detail: str = ""


@dataclass
class SendResult:
    day: dt.date
    outcomes: list[SendOutcome] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(o.outcome == outcome for o in self.outcomes)


class ReminderService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("schedule.view")
    def reminders(self, day: dt.date, provider_ids: list[int] | None = None) -> list[DayRow]:
        """The day's visits still to come (booked, not yet arrived), by time: audited as an export."""
        return [r for r in ScheduleService(self.ctx).reminder_list(day, provider_ids)
                if r.status == AppointmentStatus.SCHEDULED]

    @requires("schedule.view")
    def write_reminder_files(self, day: dt.date, folder: str | Path, fmt: str = "csv",
                             provider_ids: list[int] | None = None) -> list[Path]:
        """reminders-DATE.csv, or one appointment-DATE-HHMM-ID.ics per visit, in `folder`."""
        if fmt not in ("csv", "ics"):
            raise ValidationError({"format": "Reminder files are csv or ics."})
        rows = self.reminders(day, provider_ids)
        target = writable_folder(folder, ReminderError, "the reminder files")
        if fmt == "csv":
            return [_replace(target / f"reminders-{day:%Y-%m-%d}.csv", reminder_csv(rows).encode())]
        name, phone = self._clinic()
        return [_replace(target / f"appointment-{r.start:%Y-%m-%d-%H%M}-{r.id}.ics", reminder_ics(r, name, phone))
                for r in rows]

    @requires("appointment.book")
    def mark_visit(self, appointment_id: int, state: str, how: str = "phone") -> None:
        """Record that the patient confirmed the visit, or that a message was left (the latest word counts)."""
        errors = {}
        if state not in CONFIRM_STATES:
            errors["state"] = "Mark a visit confirmed or left message."
        if how not in CONFIRM_HOW:
            errors["how"] = f"How: one of {', '.join(CONFIRM_HOW)}."
        if errors:
            raise ValidationError(errors)
        now = self.ctx.now()
        user_id = self.ctx.actor_or_fail().user_id
        with self.ctx.db.write() as session:
            visit = get_or_fail(session, Appointment, appointment_id, "appointment")
            if visit.status != AppointmentStatus.SCHEDULED:
                raise ValidationError({"appointment": "Only a visit still booked can be confirmed."})
            mark = session.scalar(select(VisitConfirmation).where(VisitConfirmation.appointment_id == visit.id))
            if mark is None:
                session.add(VisitConfirmation(appointment_id=visit.id, state=state, how=how, by_id=user_id, at=now))
            else:
                mark.state, mark.how, mark.by_id, mark.at = state, how, user_id, now
            try:
                session.flush()
            except IntegrityError:
                raise ConcurrentEdit("Someone else marked this visit just now; look again.") from None
            audit.record(session, now, self.ctx.actor, f"appointment.{state}", entity="appointment",
                         entity_id=visit.id, patient_id=visit.patient_id, summary=f"{state.replace('_', ' ')} by {how}")

    @requires("appointment.book")
    def send_reminders(self, day: dt.date, command: str, *, kind: str = DEFAULT_KIND,
                       timeout: float = 30.0) -> SendResult:
        """Pipe each of the day's reminders as JSON to `command`, once per visit and kind."""
        argv = shlex.split(command)
        if not argv:
            raise ValidationError({"send_with": "Name the command that sends reminders."})
        kind = kind.strip()[:20] or DEFAULT_KIND
        result = SendResult(day)
        clinic_name, clinic_phone = self._clinic()
        for row in self.reminders(day):
            if not reachable(row):
                result.outcomes.append(SendOutcome(row.id, row.patient_name, "unreachable", "no phone or e-mail"))
                continue
            claim = self._claim(row, kind)
            if claim is None:
                result.outcomes.append(SendOutcome(row.id, row.patient_name, "already sent"))
                continue
            message = _message(row, kind, clinic_name, clinic_phone)
            outcome, detail = _run(argv, message, timeout)
            self._settle(claim, row, kind, outcome, detail)
            result.outcomes.append(SendOutcome(row.id, row.patient_name, outcome, detail))
        return result

    def _claim(self, row: DayRow, kind: str) -> int | None:
        """A `sending` row for this visit and kind, saved before the command runs; None if one exists."""
        try:
            with self.ctx.db.write() as session:
                claim = ReminderSent(appointment_id=row.id, kind=kind, channel=row.preferred_contact,
                                     outcome="sending", at=self.ctx.now(), by_id=self.ctx.actor_or_fail().user_id)
                session.add(claim)
                session.flush()
                return claim.id
        except IntegrityError:
            return None

    def _settle(self, claim_id: int, row: DayRow, kind: str, outcome: str, detail: str) -> None:
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            claim = get_or_fail(session, ReminderSent, claim_id, "reminder")
            claim.outcome, claim.detail, claim.at = outcome, detail[:DETAIL_LENGTH], now
            audit.record(session, now, self.ctx.actor, f"reminder.{outcome}", entity="appointment", entity_id=row.id,
                         patient_id=row.patient_id, summary=f"{kind} by {row.preferred_contact}: {detail}"[:200])

    def _clinic(self) -> tuple[str, str]:
        with self.ctx.db.read() as session:
            clinic = session.get(ClinicSettings, 1)
            return (clinic.name, format_phone(clinic.phone)) if clinic else ("", "")


def _message(row: DayRow, kind: str, clinic_name: str, clinic_phone: str) -> dict[str, Any]:
    """What the command reads: one JSON object per reminder."""
    return {
        "appointment_id": row.id, "kind": kind,
        "patient": {"name": row.patient_name, "mrn": row.mrn, "phone": row.phone, "email": row.email,
                    "preferred_contact": row.preferred_contact},
        "start": row.start.isoformat(), "end": row.end.isoformat(),
        "provider": row.provider_name, "type": row.type_name,
        "clinic": {"name": clinic_name, "phone": clinic_phone},
        "text": (f"Reminder: {row.type_name} with {row.provider_name} at {clinic_name} on "
                 f"{row.start:%A %m/%d at %I:%M %p}." + (f" To change it call {clinic_phone}." if clinic_phone else "")),
    }


def _run(argv: list[str], message: dict[str, Any], timeout: float) -> tuple[str, str]:
    """("sent", what the command said) or ("failed", why)."""
    try:
        child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, start_new_session=True)
    except OSError as exc:
        return "failed", f"cannot run {argv[0]}: {exc.strerror or exc}"
    try:
        out, err = child.communicate(json.dumps(message), timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(child)
        return "failed", f"no answer within {timeout:g} seconds"
    said = " ".join((out or err or "").split())[:200]
    if child.returncode != 0:
        return "failed", f"exit {child.returncode}" + (f": {said}" if said else "")
    return "sent", said


def _stop(child: subprocess.Popen[str]) -> None:
    """End a command that hangs, and whatever it started (it runs in a process group of its own)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(child.pid, signal.SIGKILL)
        else:
            child.kill()
    except OSError:
        child.kill()
    child.communicate()


def _replace(path: Path, data: bytes) -> Path:
    staged = path.with_name(f".{path.name}.partial")
    staged.write_bytes(data)
    os.replace(staged, path)
    return path
