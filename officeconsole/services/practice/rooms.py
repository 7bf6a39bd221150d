"""The clinic's rooms and the flow board's waiting threshold: the manager's settings for flow.

Rooms are retired, never deleted (past visits keep their room), and can be reinstated. The room
table has no version column: a rename is last-write-wins, audited with the old and new name.
"""

from __future__ import annotations

from sqlalchemy import func, select

from officeconsole.models import Room
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.lookup import get_or_fail
from officeconsole.services.common.permissions import requires
from officeconsole.services.common.text import clean_text
from officeconsole.services.frontdesk.flow import RoomRow
from officeconsole.services.practice.clinic import clinic_row
from officeconsole.services.security import audit


class RoomService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @requires("flow.view")
    def rooms(self, include_retired: bool = False) -> list[RoomRow]:
        """Rooms in use in board order; with `include_retired`, the retired ones too."""
        query = select(Room).order_by(Room.sort_order, Room.name)
        if not include_retired:
            query = query.where(Room.active.is_(True))
        with self.ctx.db.read() as session:
            return [RoomRow(r.id, r.name, r.active) for r in session.scalars(query)]

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
                order = session.execute(select(func.coalesce(func.max(Room.sort_order), 0))).scalar_one() + 1
                room = Room(name=label, sort_order=order, active=True)
                session.add(room)
            session.flush()
            audit.record(session, self.ctx.now(), self.ctx.actor, "room.add", entity="room", entity_id=room.id,
                         summary=room.name)
            return RoomRow(room.id, room.name, room.active)

    @requires("clinic.manage")
    def rename_room(self, room_id: int, name: str) -> RoomRow:
        """A new name for a room; its visits, past and present, go with it."""
        label = clean_text(name, 40)
        if not label:
            raise ValidationError({"name": "Give the room a name, e.g. Exam 1."})
        with self.ctx.db.write() as session:
            room = get_or_fail(session, Room, room_id, "room")
            other = session.scalar(select(Room).where(func.lower(Room.name) == label.lower(), Room.id != room.id))
            if other is not None:
                retired = "" if other.active else " (retired: reinstate it instead)"
                raise ValidationError({"name": f"There is a room called {other.name} already{retired}."})
            old = room.name
            if old != label:
                room.name = label
                session.flush()
                audit.record(session, self.ctx.now(), self.ctx.actor, "room.rename", entity="room",
                             entity_id=room.id, summary=f"{old} -> {label}")
            return RoomRow(room.id, room.name, room.active)

    @requires("clinic.manage")
    def retire_room(self, room_id: int) -> None:
        """Out of use from now on; past visits keep their room."""
        with self.ctx.db.write() as session:
            room = get_or_fail(session, Room, room_id, "room")
            room.active = False
            audit.record(session, self.ctx.now(), self.ctx.actor, "room.retire", entity="room", entity_id=room.id,
                         summary=room.name)

    @requires("clinic.manage")
    def reinstate_room(self, room_id: int) -> RoomRow:
        """A retired room back on the flow board."""
        with self.ctx.db.write() as session:
            room = get_or_fail(session, Room, room_id, "room")
            if room.active:
                raise ValidationError({"name": f"{room.name} is in use already."})
            room.active = True
            audit.record(session, self.ctx.now(), self.ctx.actor, "room.reinstate", entity="room",
                         entity_id=room.id, summary=room.name)
            return RoomRow(room.id, room.name, room.active)

    @requires("clinic.manage")
    def set_wait_threshold(self, minutes: int | str) -> int:
        try:
            value = int(minutes)
        except (TypeError, ValueError):
            raise ValidationError({"minutes": "Minutes: a whole number such as 15."}) from None
        if not 1 <= value <= 240:
            raise ValidationError({"minutes": "Choose 1 to 240 minutes."})
        with self.ctx.db.write() as session:
            settings = clinic_row(session)
            settings.wait_threshold_minutes = value
            audit.record(session, self.ctx.now(), self.ctx.actor, "clinic.wait_threshold", entity="clinic",
                         entity_id=1, summary=f"{value} minutes")
            return value
