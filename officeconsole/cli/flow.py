"""`officeconsole flow --date D`: the day's timeline with waits; `officeconsole room add|list`."""

from __future__ import annotations

from typing import Annotated

import typer

from officeconsole.cli._common import AsOption, DbOption, Format, FormatOption, emit, open_db, say, signed_in
from officeconsole.services.errors import ValidationError
from officeconsole.services.flow import FlowService, status_label
from officeconsole.services.rooms import RoomService
from officeconsole.services.text import parse_date

room_app = typer.Typer(help="Exam rooms patients are roomed in.", no_args_is_help=True)
STEPS = (("arrived", "Arrived"), ("roomed", "Roomed"), ("with_provider", "Provider"), ("checked_out", "Out"))


def flow(
    ctx: typer.Context,
    as_user: AsOption,
    date: Annotated[str | None, typer.Option("--date", help="Day (YYYY-MM-DD or MM/DD/YYYY); default today.")] = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The day's visits step by step, each wait (arrival to provider), and each provider's waits."""
    service = FlowService(signed_in(open_db(ctx, db), as_user))
    try:
        day = parse_date(date) if date else service.ctx.today()
    except ValueError as exc:
        raise ValidationError({"date": f"--date: {exc}."}) from None
    rows, waits = service.timeline(day)
    emit(["Time", "Provider", "Patient", "Status", *(label for _, label in STEPS), "Wait (min)"],
         [(f"{r.start:%H:%M}", r.provider_name, r.patient_name, status_label(r.status),
           *(f"{r.steps[key]:%H:%M}" if key in r.steps else "" for key, _ in STEPS),
           "" if r.wait_minutes is None else r.wait_minutes) for r in rows],
         fmt, title=f"Patient flow, {day:%A %m/%d/%Y}: {len(rows)} visits")
    if fmt is Format.table:
        emit(["Provider", "Seen", "Average wait (min)", "Longest wait (min)"],
             [(w.provider_name, w.seen, "" if w.average_wait is None else f"{w.average_wait:.1f}",
               "" if w.longest_wait is None else w.longest_wait) for w in waits],
             fmt, title="Waits by provider (arrival to provider)")


@room_app.command("list")
def list_rooms(ctx: typer.Context, as_user: AsOption, db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """Rooms in use, in board order."""
    rows = RoomService(signed_in(open_db(ctx, db), as_user)).rooms()
    emit(["Room"], [(r.name,) for r in rows], fmt)


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
