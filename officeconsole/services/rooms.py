"""The clinic's rooms and the flow board's waiting threshold: the manager's settings for flow."""

from __future__ import annotations

from sqlalchemy import func, select

from officeconsole.models import ClinicSettings, Room
from officeconsole.services import audit
from officeconsole.services.booking import get_or_fail
from officeconsole.services.context import ServiceContext
from officeconsole.services.errors import ValidationError
from officeconsole.services.flow import RoomRow
from officeconsole.services.permissions import requires
from officeconsole.services.text import clean_text


class RoomService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("flow.view")
    def rooms(self) -> list[RoomRow]:
        with self.ctx.db.read() as session:
            return [RoomRow(r.id, r.name) for r in session.scalars(
                select(Room).where(Room.active.is_(True)).order_by(Room.sort_order, Room.name))]

    @requires("clinic.manage")
    def add_room(self, name: str) -> RoomRow:
        label = clean_text(name, 40)
        if not label:
            raise ValidationError({"name": "Give the room a name, e.g. Exam 1."})
        with self.ctx.db.write() as session:
            existing = session.scalar(select(Room).where(func.lower(Room.name) == label.lower()))
            if existing is not None and existing.active:
                raise ValidationError({"name": f"There is a room called {existing.name} already."})
            if existing is not None:
                existing.active = True
                room = existing
            else:
                order = session.scalar(select(func.coalesce(func.max(Room.sort_order), 0))) + 1
                room = Room(name=label, sort_order=order, active=True)
                session.add(room)
            session.flush()
            audit.record(session, self.ctx.now(), self.ctx.actor, "room.add", entity="room", entity_id=room.id,
                         summary=room.name)
            return RoomRow(room.id, room.name)

    @requires("clinic.manage")
    def retire_room(self, room_id: int) -> None:
        """Out of use from now on; past visits keep their room."""
        with self.ctx.db.write() as session:
            room = get_or_fail(session, Room, room_id, "room")
            room.active = False
            audit.record(session, self.ctx.now(), self.ctx.actor, "room.retire", entity="room", entity_id=room.id,
                         summary=room.name)

    @requires("clinic.manage")
    def set_wait_threshold(self, minutes: int | str) -> int:
        try:
            value = int(minutes)
        except (TypeError, ValueError):
            raise ValidationError({"minutes": "Minutes: a whole number such as 15."}) from None
        if not 1 <= value <= 240:
            raise ValidationError({"minutes": "Choose 1 to 240 minutes."})
        with self.ctx.db.write() as session:
            settings = session.get(ClinicSettings, 1)
            settings.wait_threshold_minutes = value
            audit.record(session, self.ctx.now(), self.ctx.actor, "clinic.wait_threshold", entity="clinic",
                         entity_id=1, summary=f"{value} minutes")
            return value
