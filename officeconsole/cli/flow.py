"""`officeconsole flow --date D`: the day's timeline with waits; `officeconsole room
add|list|rename|retire|reinstate|wait-threshold`."""

from __future__ import annotations

from typing import Annotated

import typer

from officeconsole.cli._common import (
    AsOption,
    DbOption,
    Format,
    FormatOption,
    Moment,
    day_option,
    emit,
    open_db,
    say,
    signed_in,
)
from officeconsole.services.common.errors import NotFound
from officeconsole.services.frontdesk.flow import FlowService, RoomRow, status_label
from officeconsole.services.practice.rooms import RoomService

room_app = typer.Typer(help="Exam rooms patients are roomed in.", no_args_is_help=True)
STEPS = (("arrived", "Arrived"), ("roomed", "Roomed"), ("with_provider", "Provider"), ("checked_out", "Out"))


def flow(
    ctx: typer.Context,
    as_user: AsOption,
    date: Annotated[str | None, typer.Option("--date", help="Day: a date, today, tomorrow, +N, or a weekday such as mon (default: today).")] = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The day's visits step by step, each wait (arrival to provider), and each provider's waits."""
    service = FlowService(signed_in(open_db(ctx, db), as_user))
    day = day_option(date, service.ctx, "--date") or service.ctx.today()
    rows, waits = service.timeline(day)
    emit(["Time", "Provider", "Patient", "Status", *(label for _, label in STEPS), "Wait (min)"],
         [(Moment(r.start), r.provider_name, r.patient_name, status_label(r.status),
           *(Moment(r.steps[key]) if key in r.steps else None for key, _ in STEPS),
           r.wait_minutes) for r in rows],
         fmt, title=f"Patient flow, {day:%A %m/%d/%Y}: {len(rows)} visits")
    if fmt is Format.table:
        emit(["Provider", "Seen", "Average wait (min)", "Longest wait (min)"],
             [(w.provider_name, w.seen, "" if w.average_wait is None else f"{w.average_wait:.1f}",
               "" if w.longest_wait is None else w.longest_wait) for w in waits],
             fmt, title="Waits by provider (arrival to provider)")


@room_app.command("list")
def list_rooms(
    ctx: typer.Context,
    as_user: AsOption,
    show_all: Annotated[bool, typer.Option("--all", help="Retired rooms too (with an Active column).")] = False,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Rooms in use, in board order (with --all, the retired ones too)."""
    rows = RoomService(signed_in(open_db(ctx, db), as_user)).rooms(include_retired=show_all)
    if show_all:
        emit(["Room", "Active"], [(r.name, "yes" if r.active else "retired") for r in rows], fmt)
    else:
        emit(["Room"], [(r.name,) for r in rows], fmt)


RoomArgument = Annotated[str, typer.Argument(help="The room's name (any case).")]


def find_room(service: RoomService, name: str) -> RoomRow:
    wanted = " ".join(name.split()).lower()
    rooms = service.rooms(include_retired=True)
    found = next((r for r in rooms if r.name.lower() == wanted), None)
    if found is None:
        raise NotFound(f"No room is called {name!r} (rooms: {', '.join(r.name for r in rooms) or 'none yet'}).")
    return found


@room_app.command("rename")
def rename_room(ctx: typer.Context, room: RoomArgument, new_name: Annotated[str, typer.Argument(help="New name.")],
                as_user: AsOption, db: DbOption = None) -> None:
    """Rename a room (managers); its visits go with it."""
    service = RoomService(signed_in(open_db(ctx, db), as_user))
    row = service.rename_room(find_room(service, room).id, new_name)
    say(f"Renamed room {room} to {row.name}.")


@room_app.command("retire")
def retire_room(ctx: typer.Context, room: RoomArgument, as_user: AsOption, db: DbOption = None) -> None:
    """Take a room off the flow board (managers); past visits keep it."""
    service = RoomService(signed_in(open_db(ctx, db), as_user))
    row = find_room(service, room)
    service.retire_room(row.id)
    say(f"Retired room {row.name}.")


@room_app.command("reinstate")
def reinstate_room(ctx: typer.Context, room: RoomArgument, as_user: AsOption, db: DbOption = None) -> None:
    """Put a retired room back on the flow board (managers)."""
    service = RoomService(signed_in(open_db(ctx, db), as_user))
    row = service.reinstate_room(find_room(service, room).id)
    say(f"Reinstated room {row.name}.")


@room_app.command("add")
def add_room(ctx: typer.Context, name: Annotated[str, typer.Argument(help="e.g. 'Exam 3'")], as_user: AsOption,
             db: DbOption = None) -> None:
    """Add a room (managers)."""
    row = RoomService(signed_in(open_db(ctx, db), as_user)).add_room(name)
    say(f"Added room {row.name}.")


@room_app.command("wait-threshold")
def wait_threshold(ctx: typer.Context, minutes: Annotated[int, typer.Argument(help="Minutes, 1 to 240.")],
                   as_user: AsOption, db: DbOption = None) -> None:
    """How long a patient may wait before the flow board flags them (managers)."""
    value = RoomService(signed_in(open_db(ctx, db), as_user)).set_wait_threshold(minutes)
    say(f"The flow board now flags waits over {value} minutes.")
