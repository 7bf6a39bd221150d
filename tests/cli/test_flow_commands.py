"""`officeconsole flow` (the day's timeline and waits) and `officeconsole room`."""

from __future__ import annotations

import datetime as dt
import json

from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService
from officeconsole.services.frontdesk.flow import FlowService
from officeconsole.services.practice.rooms import RoomService
from officeconsole.services.scheduling.booking import BookingInput

from tests.conftest import NOW


def test_flow_prints_each_visit_with_its_wait(cli, db_url, sched, clock, desk_ctx, manager_ctx):
    room = RoomService(manager_ctx).add_room("Exam 1")
    visit = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], NOW.date(), "10:20"))
    arrived = CheckInService(desk_ctx).check_in(CheckInInput(visit.id, visit.version))
    clock.advance(dt.timedelta(minutes=9))
    roomed = FlowService(desk_ctx).advance(arrived.appointment_id, arrived.version, room.id)
    clock.advance(dt.timedelta(minutes=8))
    FlowService(desk_ctx).advance(roomed.appointment_id, roomed.version)
    result = cli("--db", db_url, "flow", "--as", "desk", "--date", "2026-11-23", "--format", "json")
    assert result.exit_code == 0, result.text
    [row] = json.loads(result.stdout)
    # Scripts get clinic time with its offset and numbers as numbers; people get "10:09".
    assert (row["patient"], row["arrived"], row["roomed"], row["provider"], row["wait_(min)"]) == (
        "Testperson, Ann", "2026-11-23T10:00:00-05:00", "2026-11-23T10:09:00-05:00", "2026-11-23T10:17:00-05:00", 17)
    table = cli("--db", db_url, "flow", "--as", "desk", "--date", "2026-11-23")
    assert "Waits by provider" in table.stdout and "17" in table.stdout and "10:09" in table.stdout
    bad = cli("--db", db_url, "flow", "--as", "desk", "--date", "31/02/2026")
    assert bad.exit_code == 1 and bad.stderr.startswith("error: ") and "Traceback" not in bad.text


def test_rooms_and_threshold(cli, db_url, clinic):
    assert cli("--db", db_url, "room", "add", "Exam 9", "--as", "manager").exit_code == 0
    again = cli("--db", db_url, "room", "add", "exam 9", "--as", "manager")
    assert again.exit_code == 1 and "already" in again.stderr
    listed = cli("--db", db_url, "room", "list", "--as", "desk", "--format", "csv")
    assert listed.stdout.splitlines() == ["Room", "Exam 9"]
    denied = cli("--db", db_url, "room", "wait-threshold", "20", "--as", "desk")
    assert denied.exit_code == 1 and "Permission denied" in denied.stderr
    assert "20 minutes" in cli("--db", db_url, "room", "wait-threshold", "20", "--as", "manager").stdout
