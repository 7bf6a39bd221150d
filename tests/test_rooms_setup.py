"""Rooms as Practice setup keeps them: added, renamed (names unique whatever their case),
retired and reinstated, by managers only, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from officeconsole.models import AuditEvent
from officeconsole.services.common.errors import NotFound, PermissionDenied, ValidationError
from officeconsole.services.practice.rooms import RoomService


def test_rename_retire_and_reinstate(ctx, manager_ctx):
    rooms = RoomService(manager_ctx)
    one, two = rooms.add_room("Exam 1"), rooms.add_room("Exam 2")
    renamed = rooms.rename_room(one.id, "  Exam   1A ")
    assert (renamed.id, renamed.name, renamed.active) == (one.id, "Exam 1A", True)
    with pytest.raises(ValidationError) as caught:
        rooms.rename_room(one.id, "exam 2")
    assert caught.value.errors == {"name": "There is a room called Exam 2 already."}
    with pytest.raises(ValidationError, match="Give the room a name"):
        rooms.rename_room(one.id, " ")
    rooms.retire_room(two.id)
    assert [r.name for r in rooms.rooms()] == ["Exam 1A"]
    assert [(r.name, r.active) for r in rooms.rooms(include_retired=True)] == [("Exam 1A", True), ("Exam 2", False)]
    with pytest.raises(ValidationError, match=r"Exam 2 already \(retired: reinstate it instead\)"):
        rooms.rename_room(one.id, "EXAM 2")
    assert rooms.reinstate_room(two.id).active
    with pytest.raises(ValidationError, match="in use already"):
        rooms.reinstate_room(two.id)
    with pytest.raises(NotFound):
        rooms.rename_room(999, "X")
    with ctx.db.read() as session:
        trail = [(e.action, e.summary) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "room").order_by(AuditEvent.id))]
    assert trail[2:] == [("room.rename", "Exam 1 -> Exam 1A"), ("room.retire", "Exam 2"),
                         ("room.reinstate", "Exam 2")]


@pytest.mark.parametrize("role", ["front_desk", "billing", "provider"])
def test_only_managers_change_rooms(manager_ctx, as_role, role):
    room = RoomService(manager_ctx).add_room("Exam 1")
    rooms = RoomService(as_role(role))
    for call, args in ((rooms.add_room, ("Exam 9",)), (rooms.rename_room, (room.id, "X")),
                       (rooms.retire_room, (room.id,)), (rooms.reinstate_room, (room.id,))):
        with pytest.raises(PermissionDenied):
            call(*args)
    assert [r.name for r in rooms.rooms()] == ["Exam 1"]
