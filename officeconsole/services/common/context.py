"""What every service call carries: the database, the clock and the signed-in person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from officeconsole.db.database import Database
from officeconsole.models.enums import Role
from officeconsole.services.common.clock import Clock, SystemClock
from officeconsole.services.common.errors import PermissionDenied
from officeconsole.services.operations.closed_days import refuse_changes_in_closed_days
from officeconsole.services.practice.clinic import DEFAULT_TIMEZONE, stored_timezone
from officeconsole.services.security.audit_chain import chain_new_events

# What every write does, whichever service makes it, in this order: refused when it touches a day the
# close locked; its audit rows numbered and hashed into the chain.
WRITE_HOOKS = (refuse_changes_in_closed_days, chain_new_events)


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    full_name: str
    role: Role


class ClinicZone:
    """The clinic's time zone, shared by a context and every context made from it (`as_actor`):
    read when the database opens (`bootstrap`) and set again when the clinic is set up
    or its zone changed, so no screen waits on the database for it on the UI thread."""

    def __init__(self, zone: ZoneInfo | None = None) -> None:
        self._zone = zone

    @property
    def known(self) -> bool:
        """False before the clinic is set up (and before `load` for a context made by hand)."""
        return self._zone is not None

    def load(self, db: Database) -> None:
        with db.read() as session:
            self._zone = stored_timezone(session)

    def set(self, name: str) -> None:
        self._zone = ZoneInfo(name)

    def get(self, db: Database) -> ZoneInfo:
        """The zone; read now if no one has yet, and the default zone before the clinic is set up."""
        if self._zone is None:
            self.load(db)
        return self._zone or ZoneInfo(DEFAULT_TIMEZONE)


@dataclass
class ServiceContext:
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    actor: Actor | None = None
    zone: ClinicZone = field(default_factory=ClinicZone, repr=False)

    def __post_init__(self) -> None:
        for hook in WRITE_HOOKS:
            self.db.on_write_flush(hook)

    def actor_or_fail(self) -> Actor:
        if self.actor is None:
            raise PermissionDenied("Please log in first.")
        return self.actor

    def as_actor(self, actor: Actor | None) -> ServiceContext:
        return ServiceContext(self.db, self.clock, actor, self.zone)

    @property
    def timezone(self) -> ZoneInfo:
        """The clinic's zone (see `ClinicZone`)."""
        return self.zone.get(self.db)

    def now(self) -> dt.datetime:
        return self.clock.now()

    def today(self) -> dt.date:
        """Today's date where the clinic is, not where the server is."""
        return self.clock.now().astimezone(self.timezone).date()
