"""Reopening a closed day: a manager, a reason, an audit entry; the lock itself is in closed_days."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from officeconsole.models import ClosedDay
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.operations.closed_days import Closure, closure
from officeconsole.services.security import audit


class DayLockService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("day.close")
    def closure(self, day: dt.date) -> Closure | None:
        with self.ctx.db.read() as session:
            return closure(session, day, self.ctx.timezone)

    @requires("day.reopen")
    def reopen(self, day: dt.date, reason: str) -> Closure:
        """Lift the lock so the day can be corrected; the close must then be run again."""
        reason = clean_text(reason)
        if len(reason) < 5:
            raise ValidationError({"reason": "Say why the day is reopened (at least 5 characters): it is audited."})
        now = self.ctx.now()
        with self.ctx.db.write() as session:
            found = closure(session, day, self.ctx.timezone)
            if found is None:
                raise ValidationError({"date": f"{day:%m/%d/%Y} is not closed: there is nothing to reopen."})
            row = session.scalars(select(ClosedDay).where(ClosedDay.day == day,
                                                          ClosedDay.reopened_at.is_(None))).one()
            row.reopened_at = now
            row.reopened_by_id = self.ctx.actor_or_fail().user_id
            row.reopen_reason = reason[:200]
            audit.record(session, now, self.ctx.actor, "day.reopen", entity="closed_day", entity_id=row.id,
                         summary=f"{day:%Y-%m-%d} reopened: {reason[:150]}")
        return found


