"""Writing and reading the audit trail.

`record` is called inside the same transaction as the change it describes, so a change
and its audit row are saved together or not at all. When the row is flushed it becomes the
next link of the keyed hash chain (services/security/audit_chain.py), in that same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from officeconsole.models import AuditEvent, Patient
from officeconsole.services.common.context import Actor, ServiceContext
from officeconsole.services.common.errors import NotFound
from officeconsole.services.common.permissions import requires
from officeconsole.services.security import audit_chain


def record(
    session: Session,
    at: dt.datetime,
    actor: Actor | None,
    action: str,
    *,
    entity: str = "",
    entity_id: object = "",
    patient_id: int | None = None,
    summary: str = "",
    username: str | None = None,
) -> None:
    session.add(
        AuditEvent(
            at=at,
            user_id=actor.user_id if actor else None,
            username=(actor.username if actor else username) or "",
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            patient_id=patient_id,
            summary=summary[:2000],
        )
    )


@dataclass(frozen=True)
class Event:
    """One audit row for `record_many`: what `record` takes besides the session, time and actor."""

    action: str
    entity: str = ""
    entity_id: object = ""
    patient_id: int | None = None
    summary: str = ""


def record_many(session: Session, at: dt.datetime, actor: Actor | None, events: list[Event]) -> None:
    """Many audit rows at once (a bulk import), in the caller's transaction: each is the next link
    of the hash chain in the order given, exactly as `record` would make it, and all of them are
    written with one multi-row INSERT instead of one flushed object each."""
    if not events:
        return
    session.flush()  # rows `record` added before these take their numbers first
    user_id, username = (actor.user_id, actor.username or "") if actor else (None, "")
    rows = [_Link(at, user_id, username, e.action, e.entity, str(e.entity_id), e.patient_id, e.summary[:2000])
            for e in events]
    audit_chain.append(session, rows)  # numbered and hashed as the flush hook does for `record`'s rows
    table = cast(Table, AuditEvent.__table__)  # declarative types it as a FromClause; it is the class's Table
    session.execute(insert(table), [vars(row) for row in rows])
    session.flush()  # the chain head, moved on by append


@dataclass
class _Link:
    """An audit row's columns, as `audit_chain.append` reads and fills them."""

    at: dt.datetime
    user_id: int | None
    username: str
    action: str
    entity: str
    entity_id: str
    patient_id: int | None
    summary: str
    seq: int = 0
    prev_hash: str = ""
    hash: str = ""


def describe_changes(before: Mapping[str, object], after: Mapping[str, object]) -> str:
    """"field: old -> new" for each changed field, the summary an auditor reads."""
    parts = [
        f"{key}: {before.get(key)!s} -> {value!s}"
        for key, value in after.items()
        if before.get(key) != value
    ]
    return "; ".join(parts) or "no changes"


@dataclass(frozen=True)
class AuditRow:
    at: dt.datetime
    username: str
    action: str
    entity: str
    entity_id: str
    patient_mrn: str
    summary: str


class AuditService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("audit.view")
    def list(
        self,
        *,
        patient_mrn: str | None = None,
        since: dt.date | None = None,
        limit: int = 200,
    ) -> list[AuditRow]:
        with self.ctx.db.read() as session:
            query = (
                select(AuditEvent, Patient.mrn)
                .outerjoin(Patient, Patient.id == AuditEvent.patient_id)
                .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                .limit(limit)
            )
            if patient_mrn:
                patient_id = session.scalar(select(Patient.id).where(Patient.mrn == patient_mrn))
                if patient_id is None:
                    raise NotFound(f"No patient has MRN {patient_mrn}.")
                query = query.where(AuditEvent.patient_id == patient_id)
            if since:
                start = dt.datetime.combine(since, dt.time(), self.ctx.timezone)
                query = query.where(AuditEvent.at >= start)
            return [
                AuditRow(
                    at=event.at,
                    username=event.username,
                    action=event.action,
                    entity=event.entity,
                    entity_id=event.entity_id,
                    patient_mrn=mrn or "",
                    summary=event.summary,
                )
                for event, mrn in session.execute(query)
            ]
