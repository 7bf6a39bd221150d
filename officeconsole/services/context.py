"""What every service call carries: the database, the clock and the signed-in person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from officeconsole.db.database import Database
from officeconsole.models.enums import Role
from officeconsole.services.clock import Clock, SystemClock
from officeconsole.services.closed_days import refuse_changes_in_closed_days
from officeconsole.services.errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    full_name: str
    role: Role


@dataclass
class ServiceContext:
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    actor: Actor | None = None
    _timezone: ZoneInfo | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # Every write, whichever service makes it, is checked against the days the close locked.
        self.db.on_write_flush(refuse_changes_in_closed_days)

    def actor_or_fail(self) -> Actor:
        if self.actor is None:
            raise PermissionDenied("Please log in first.")
        return self.actor

    def as_actor(self, actor: Actor | None) -> ServiceContext:
        return ServiceContext(self.db, self.clock, actor, self._timezone)

    @property
    def timezone(self) -> ZoneInfo:
        """Read once (when the database opens, see `bootstrap`), then kept; before the clinic is set
        up the default zone is used and not kept, so the wizard's choice is seen at once."""
        if self._timezone is None:
            from officeconsole.services.clinic import DEFAULT_TIMEZONE, stored_timezone

            with self.db.read() as session:
                stored = stored_timezone(session)
            if stored is None:
                return ZoneInfo(DEFAULT_TIMEZONE)
            self._timezone = stored
        return self._timezone

    def now(self) -> dt.datetime:
        return self.clock.now()

    def today(self) -> dt.date:
        """Today's date where the clinic is, not where the server is."""
        return self.clock.now().astimezone(self.timezone).date()
