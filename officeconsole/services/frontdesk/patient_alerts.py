"""Patient alerts and notes: what the desk must know when the patient appears, and what was said.

An alert is a short line ("needs a Spanish interpreter", "collect the balance") shown wherever the
patient appears at the desk: the booking and check-in forms, the flow board, and as a mark in the
schedule cell. It lasts until its expiry day has passed or someone ends it. A note is a dated entry
on the record (a phone call, a billing conversation) with who wrote it; notes are never changed.
Front desk, billing and managers write them; everyone signed in reads them. Every change is
audited, and so is reading a patient's notes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from officeconsole.models import Patient, PatientAlert, PatientNote, User
from officeconsole.models.desk import NOTE_KINDS
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ConcurrentEdit, ValidationError
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text, parse_date
from officeconsole.services.security import audit

ALERT_LENGTH = 120
NOTE_LENGTH = 2000
# Offered by the forms as a start; any short text is allowed.
SUGGESTED_ALERTS = ("Needs an interpreter", "Mobility: needs help", "Collect the balance",
                    "Do not book with", "Guardian must attend")


@dataclass(frozen=True)
class AlertRow:
    id: int
    version: int
    patient_id: int
    text: str
    expires_on: dt.date | None
    created_by: str
    created_at: dt.datetime  # clinic-local


@dataclass(frozen=True)
class NoteRow:
    id: int
    patient_id: int
    kind: str
    text: str
    written_by: str
    written_at: dt.datetime  # clinic-local


def active_alerts(session: Session, patient_ids: Iterable[int], today: dt.date) -> dict[int, list[str]]:
    """Each patient's alerts in force today, oldest first, in one query (for lists of patients)."""
    ids = sorted(set(patient_ids))
    found: dict[int, list[str]] = defaultdict(list)
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        rows = session.execute(select(PatientAlert.patient_id, PatientAlert.text)
                               .where(PatientAlert.patient_id.in_(chunk), _in_force(today))
                               .order_by(PatientAlert.patient_id, PatientAlert.id))
        for patient_id, text in rows:
            found[patient_id].append(text)
    return dict(found)


def _in_force(today: dt.date) -> ColumnElement[bool]:
    return (PatientAlert.ended_at.is_(None)) & or_(PatientAlert.expires_on.is_(None), PatientAlert.expires_on >= today)


class PatientAlertService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("patient.view")
    def alerts_for(self, patient_id: int) -> list[AlertRow]:
        """The patient's alerts in force today, oldest first."""
        with self.ctx.db.read() as session:
            get_or_fail(session, Patient, patient_id, "patient")
            return self._alerts(session, PatientAlert.patient_id == patient_id, _in_force(self.ctx.today()))

    @requires("patient.view")
    def alert_texts(self, patient_ids: list[int]) -> dict[int, list[str]]:
        """{patient id: alert texts in force today} for the patients shown on a desk list."""
        with self.ctx.db.read() as session:
            return active_alerts(session, patient_ids, self.ctx.today())

    @requires("patient.note")
    def add_alert(self, patient_id: int, text: str, expires_on: str | dt.date | None = None) -> AlertRow:
        cleaned = clean_text(text)
        errors = {}
        if not cleaned:
            errors["text"] = "Type the alert, e.g. Needs an interpreter."
        elif len(cleaned) > ALERT_LENGTH:
            errors["text"] = f"Keep an alert to {ALERT_LENGTH} characters; write a note for more."
        try:
            expires = parse_date(expires_on)
        except ValueError as exc:
            errors["expires_on"] = f"Expires: {exc}."
            expires = None
        if expires is not None and expires < self.ctx.today():
            errors["expires_on"] = "That day has passed."
        if errors:
            raise ValidationError(errors)
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            get_or_fail(session, Patient, patient_id, "patient")
            alert = PatientAlert(patient_id=patient_id, text=cleaned, expires_on=expires,
                                 created_by_id=self.ctx.actor_or_fail().user_id, created_at=now)
            session.add(alert)
            session.flush()
            audit.record(session, now, self.ctx.actor, "patient_alert.add", entity="patient_alert",
                         entity_id=alert.id, patient_id=patient_id,
                         summary=cleaned + (f" (until {expires:%m/%d/%Y})" if expires else ""))
            return self._alerts(session, PatientAlert.id == alert.id)[0]

    @requires("patient.note")
    def end_alert(self, alert_id: int, expected_version: int) -> None:
        """Take an alert down (the balance was collected, an interpreter is no longer needed)."""
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            alert = get_or_fail(session, PatientAlert, alert_id, "alert")
            if alert.version != expected_version:
                raise ConcurrentEdit("Someone else changed this alert; look again.")
            if alert.ended_at is not None:
                raise ValidationError({"alert": "This alert was already ended."})
            alert.ended_at, alert.ended_by_id = now, self.ctx.actor_or_fail().user_id
            try:
                session.flush()
            except StaleDataError:
                raise ConcurrentEdit("Someone else changed this alert; look again.") from None
            audit.record(session, now, self.ctx.actor, "patient_alert.end", entity="patient_alert",
                         entity_id=alert.id, patient_id=alert.patient_id, summary=alert.text)

    @requires("patient.view")
    def notes_for(self, patient_id: int, limit: int = 100) -> list[NoteRow]:
        """The patient's notes, newest first (reading them is audited)."""
        writer = aliased(User)
        with self.ctx.db.write() as session:
            get_or_fail(session, Patient, patient_id, "patient")
            rows = session.execute(
                select(PatientNote.id, PatientNote.patient_id, PatientNote.kind, PatientNote.text,
                       writer.full_name, PatientNote.written_at)
                .join(writer, writer.id == PatientNote.written_by_id)
                .where(PatientNote.patient_id == patient_id)
                .order_by(PatientNote.written_at.desc(), PatientNote.id.desc()).limit(limit)).all()
            audit.record(session, self.ctx.now(), self.ctx.actor, "patient_note.view", entity="patient",
                         entity_id=patient_id, patient_id=patient_id, summary=f"{len(rows)} notes")
            zone = self.ctx.timezone
            return [NoteRow(i, p, kind, text, name, at.astimezone(zone)) for i, p, kind, text, name, at in rows]

    @requires("patient.note")
    def add_note(self, patient_id: int, text: str, kind: str = "general") -> NoteRow:
        cleaned = clean_text(text)
        errors = {}
        if not cleaned:
            errors["text"] = "Type the note."
        elif len(cleaned) > NOTE_LENGTH:
            errors["text"] = f"A note holds up to {NOTE_LENGTH} characters."
        if kind not in NOTE_KINDS:
            errors["kind"] = f"Kind: one of {', '.join(NOTE_KINDS)}."
        if errors:
            raise ValidationError(errors)
        now = self.ctx.now()
        actor = self.ctx.actor_or_fail()
        with self.ctx.db.write() as session:
            get_or_fail(session, Patient, patient_id, "patient")
            note = PatientNote(patient_id=patient_id, kind=kind, text=cleaned, written_by_id=actor.user_id,
                               written_at=now)
            session.add(note)
            session.flush()
            audit.record(session, now, self.ctx.actor, "patient_note.add", entity="patient_note",
                         entity_id=note.id, patient_id=patient_id, summary=f"{kind} note, {len(cleaned)} characters")
            return NoteRow(note.id, patient_id, kind, cleaned, actor.full_name, now.astimezone(self.ctx.timezone))

    def _alerts(self, session: Session, *where: ColumnElement[bool]) -> list[AlertRow]:
        author = aliased(User)
        rows = session.execute(
            select(PatientAlert.id, PatientAlert.version, PatientAlert.patient_id, PatientAlert.text,
                   PatientAlert.expires_on, author.full_name, PatientAlert.created_at)
            .join(author, author.id == PatientAlert.created_by_id).where(*where).order_by(PatientAlert.id))
        zone = self.ctx.timezone
        return [AlertRow(*row[:6], row[6].astimezone(zone)) for row in rows]
