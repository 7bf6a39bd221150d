"""The front desk's own records: patient alerts and notes, visit confirmations, reminders sent,
recall rules and what the desk did about each patient due."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from officeconsole.db.base import Base

CONFIRM_STATES = ("confirmed", "left_message")
CONFIRM_HOW = ("phone", "text", "email", "in_person")
NOTE_KINDS = ("general", "phone", "billing")
REMINDER_OUTCOMES = ("sending", "sent", "failed")
RECALL_OUTCOMES = ("contacted", "declined")


def _among(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PatientAlert(Base):
    """A short warning shown wherever the patient appears at the desk, until it expires or is ended."""

    __tablename__ = "patient_alert"
    __table_args__ = (CheckConstraint("text <> ''", name="has_text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    text: Mapped[str] = mapped_column(String(120))
    expires_on: Mapped[dt.date | None] = mapped_column(Date)  # shown through this day; None: until ended
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime]
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    ended_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class PatientNote(Base):
    """A dated note on the record (a phone call, a billing conversation), with who wrote it."""

    __tablename__ = "patient_note"
    __table_args__ = (
        CheckConstraint("text <> ''", name="has_text"),
        CheckConstraint(_among("kind", NOTE_KINDS), name="kind"),
        Index("ix_patient_note_patient_written", "patient_id", "written_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    kind: Mapped[str] = mapped_column(String(10), default="general")
    text: Mapped[str] = mapped_column(String(2000))
    written_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    written_at: Mapped[dt.datetime]


class VisitConfirmation(Base):
    """Whether the patient confirmed the visit (or a message was left), how and by whom: the latest word."""

    __tablename__ = "visit_confirmation"
    __table_args__ = (
        CheckConstraint(_among("state", CONFIRM_STATES), name="state"),
        CheckConstraint(_among("how", CONFIRM_HOW), name="how"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), unique=True)
    state: Mapped[str] = mapped_column(String(12))
    how: Mapped[str] = mapped_column(String(10))
    by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[dt.datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class ReminderSent(Base):
    """One try at sending a reminder through the clinic's command. A visit has at most one try of a
    kind that is sending or sent (so it is never sent twice); failed tries may be many."""

    __tablename__ = "reminder_sent"
    __table_args__ = (
        CheckConstraint(_among("outcome", REMINDER_OUTCOMES), name="outcome"),
        Index("uq_reminder_sent_once", "appointment_id", "kind", unique=True,
              sqlite_where=text("outcome IN ('sending', 'sent')"),
              postgresql_where=text("outcome IN ('sending', 'sent')")),
        Index("ix_reminder_sent_appointment", "appointment_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"))
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))  # phone, sms, email, mail: the patient's preference
    outcome: Mapped[str] = mapped_column(String(8))
    detail: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[dt.datetime]
    by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class RecallRule(Base):
    """Patients whose last visit of this type is `months` old are due for another."""

    __tablename__ = "recall_rule"
    __table_args__ = (CheckConstraint("months BETWEEN 1 AND 60", name="months"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id"), unique=True)
    months: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class RecallOutcome(Base):
    """What the desk did about a patient due under a rule: contacted, or the patient declined."""

    __tablename__ = "recall_outcome"
    __table_args__ = (
        CheckConstraint(_among("outcome", RECALL_OUTCOMES), name="outcome"),
        UniqueConstraint("rule_id", "patient_id", "due_on", "outcome"),
        Index("ix_recall_outcome_patient", "patient_id", "rule_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("recall_rule.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    due_on: Mapped[dt.date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(200), default="")
    by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[dt.datetime]
