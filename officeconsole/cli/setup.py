"""`officeconsole setup init|check`: a clinic from an empty database, and what it still needs.

`setup init` does the first-start wizard's job from a script; `setup check` prints the setup
checklist (before you can book, before you can bill) and exits 1 while anything is missing.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from officeconsole.cli._common import AsOption, DbOption, new_password, open_db, say, signed_in
from officeconsole.services.common.errors import SetupError
from officeconsole.services.practice.setup_check import CheckItem, SetupCheckService, SetupStatus
from officeconsole.services.security import auth
from officeconsole.services.security.auth import SetupInput

setup_app = typer.Typer(help="Set up a new clinic and see what it still needs.", no_args_is_help=True)

# The command that fixes each checklist line, beside the console's Practice setup key.
COMMANDS = {"c": "officeconsole clinic set", "p": "officeconsole provider add|edit",
            "t": "officeconsole appointment-type add", "h": "officeconsole hours set",
            "y": "officeconsole payer add", "f": "officeconsole fees add"}


class CheckFormat(StrEnum):
    table = "table"
    json = "json"


@setup_app.command("init")
def init(
    ctx: typer.Context,
    clinic: Annotated[str, typer.Option("--clinic", help="The clinic's name.")],
    timezone: Annotated[str, typer.Option("--timezone", help="Its time zone, e.g. America/Chicago.")],
    manager: Annotated[str, typer.Option("--manager", help="The first manager's username, e.g. rboss.")],
    manager_name: Annotated[str, typer.Option("--manager-name", help="The first manager's full name.")],
    db: DbOption = None,
) -> None:
    """Create the clinic and its first manager on an empty database (what the console's first-start
    wizard does). The password comes from $OFFICECONSOLE_NEW_PASSWORD or is asked twice."""
    opened = open_db(ctx, db)
    if not auth.needs_setup(opened.ctx.db):
        raise SetupError("This database is set up already: sign in with --as and change it instead.")
    password = new_password(f"Password for {manager}")
    actor = auth.setup_clinic(opened.ctx, SetupInput(clinic, timezone, manager, manager_name, password, password))
    say(f"Clinic {clinic.strip()!r} set up; {actor.username} is its manager. "
        f"Next: `officeconsole setup check --as {actor.username}` lists what to set up before booking and billing.")


@setup_app.command("check")
def check(
    ctx: typer.Context,
    as_user: AsOption,
    db: DbOption = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", help="How to print the checklist.")] = CheckFormat.table,
) -> None:
    """What the clinic still needs before it can book and before it can bill, each with the key
    that fixes it in the console's Practice setup (F10) and the command that does; exits 1 while
    anything is missing."""
    status = SetupCheckService(signed_in(open_db(ctx, db), as_user)).check()
    if fmt is CheckFormat.json:
        typer.echo(json.dumps(_as_json(status), indent=2))
    else:
        _print(status)
    if status.missing:
        raise typer.Exit(1)


def _line(item: CheckItem) -> str:
    line = f"  {'✓' if item.done else '✗'} {item.label}: {item.detail}"
    if not item.done:
        line += f"  (fix: F10 then {item.key}, or {COMMANDS[item.key]})"
    return line


def _print(status: SetupStatus) -> None:
    for title, items, ready in (("Before you can book", status.before_booking, status.ready_to_book),
                                ("Before you can bill", status.before_billing, status.ready_to_bill)):
        say(f"{title}{': ready' if ready else ''}")
        for item in items:
            say(_line(item))
    missing = len(status.missing)
    say("Everything is set up." if not missing else f"{missing} thing(s) still to set up.")


def _as_json(status: SetupStatus) -> dict:
    def items(rows: tuple[CheckItem, ...]) -> list[dict]:
        return [{"label": i.label, "done": i.done, "key": i.key, "detail": i.detail,
                 "command": "" if i.done else COMMANDS[i.key]} for i in rows]

    return {"ready_to_book": status.ready_to_book, "ready_to_bill": status.ready_to_bill,
            "before_booking": items(status.before_booking), "before_billing": items(status.before_billing)}
