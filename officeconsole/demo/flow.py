"""Generated trips through the clinic: arrival, room, provider, check-out, as events.

Each visit that got under way gets the status events a real day leaves behind (a few minutes'
wait, a room, the provider, out), so the flow board, `officeconsole flow` and the waits in
reports have something true to show. Rooms are never double-occupied: a patient who would
need a room while all are taken is still waiting in the lobby.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from officeconsole.models.enums import AppointmentStatus as S

ORDER = (S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.CHECKED_OUT)


def visit_flow(rng: random.Random, rows: list[dict], now: dt.datetime, free_rooms: list[int]) -> Iterator[dict]:
    """Fill in each started visit's times (and room, taken from `free_rooms`) in `rows`;
    yield its status events. Every row gets the flow columns, so a batch inserts as one."""
    for row in rows:
        row.setdefault("room_id", None)
        row.setdefault("arrived_at", None)
        row.setdefault("status_at", None)
    for row in sorted(rows, key=lambda r: r["start_at"]):
        status = row["status"]
        if status not in ORDER:
            continue
        start, end = row["start_at"], row["end_at"]
        times = {S.ARRIVED: start - dt.timedelta(minutes=rng.randint(0, 15))}
        times[S.ROOMED] = times[S.ARRIVED] + dt.timedelta(minutes=rng.randint(2, 25))
        times[S.WITH_PROVIDER] = times[S.ROOMED] + dt.timedelta(minutes=rng.randint(2, 15))
        times[S.CHECKED_OUT] = max(end, times[S.WITH_PROVIDER] + dt.timedelta(minutes=10)) + dt.timedelta(
            minutes=rng.randint(0, 10))
        reached = ORDER[: ORDER.index(status) + 1]
        if any(times[step] > now for step in reached):  # today: keep every step in the past
            reached = tuple(step for step in reached if times[step] <= now) or (S.ARRIVED,)
            times[S.ARRIVED] = min(times[S.ARRIVED], now)
        in_room = reached[-1] in (S.ROOMED, S.WITH_PROVIDER)
        if in_room and not free_rooms:
            reached = (S.ARRIVED,)  # every room is taken: still in the lobby
        if in_room and free_rooms:
            row["room_id"] = free_rooms.pop(0)
        row["status"] = reached[-1].value
        row["arrived_at"] = times[S.ARRIVED]
        row["status_at"] = times[reached[-1]]
        previous = S.SCHEDULED
        for step in reached:
            yield {"appointment_id": row["id"], "at": times[step], "user_id": row["created_by_id"],
                   "action": "status", "from_status": previous.value, "to_status": step.value,
                   "reason": "", "detail": ""}
            previous = step
