"""What the batch commands share: options, opening the database, signing in, printing rows.

Every command is a thin caller of the services; nothing here holds a rule.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import sys
from pathlib import Path
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from officeconsole.bootstrap import Opened, open_database
from officeconsole.services import auth
from officeconsole.services.context import ServiceContext
from officeconsole.services.errors import AuthError
from officeconsole.services.printable import printable

ENV_USER = "OFFICECONSOLE_USER"
ENV_PASSWORD = "OFFICECONSOLE_PASSWORD"
ENV_KEY_FILE = "OFFICECONSOLE_KEY_FILE"

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database: a SQLAlchemy URL or a SQLite file path "
                              "(default: $OFFICECONSOLE_DB, the config file, then the data folder)."),
]
AsOption = Annotated[
    str,
    typer.Option("--as", envvar=ENV_USER, show_envvar=True,
                 help=f"Your username; the password comes from ${ENV_PASSWORD} or a prompt."),
]


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


FormatOption = Annotated[Format, typer.Option("--format", help="How to print the rows.")]


def chosen_db(ctx: typer.Context, db: str | None) -> str | None:
    """A command's own --db wins over the one given before the command name."""
    root = ctx.find_root().obj or {}
    return db or root.get("db")


def open_db(ctx: typer.Context, db: str | None, *, upgrade: bool = True, key: bytes | None = None) -> Opened:
    """Open (and migrate) the database; an encrypted one asks for its passphrase when neither
    the OS keyring nor $OFFICECONSOLE_DB_PASSPHRASE gives its key."""
    opened = open_database(chosen_db(ctx, db), upgrade=upgrade, ask=ask_db_passphrase, key=key)
    ctx.call_on_close(opened.ctx.db.dispose)
    if opened.upgrade and opened.upgrade.backup:
        err.print(Text(f"Schema upgraded; the old database was copied to {opened.upgrade.backup}"))
    return opened


def ask_db_passphrase(note: str) -> str:
    """The prompt for an encrypted database's passphrase (the recovery code works too)."""
    if note:
        err.print(Text(note))
    return typer.prompt("Database passphrase (or recovery code)", hide_input=True)


def signed_in(opened: Opened, username: str) -> ServiceContext:
    """Log in as a person: every command is done, checked and audited as someone."""
    password = os.environ.get(ENV_PASSWORD)
    if password is None:
        password = typer.prompt(f"Password for {username}", hide_input=True)
    actor = auth.login(opened.ctx, username, password)
    return opened.ctx.as_actor(actor)


def key_signed_in(opened: Opened, key_file: Path) -> ServiceContext:
    """A scheduled job signs in with a manager's key file (`user job-key`), which only its owner
    may read: like an SSH key, a file others can read is refused."""
    from officeconsole.services import sign_in

    try:
        mode = key_file.stat().st_mode
        token = key_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise AuthError(f"Cannot read the key file {key_file}: {exc.strerror or exc}.") from None
    if sys.platform != "win32" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuthError(f"The key file {key_file} can be read by others: `chmod 600 {key_file}` first.")
    return opened.ctx.as_actor(sign_in.login_with_key(opened.ctx, token))


def new_password(label: str) -> str:
    """A password for an account being created or reset: asked twice, never echoed."""
    value = os.environ.get("OFFICECONSOLE_NEW_PASSWORD")
    if value is not None:
        return value
    return typer.prompt(label, hide_input=True, confirmation_prompt=True)


def emit(columns: Sequence[str], rows: Sequence[Sequence[object]], fmt: Format, *, title: str = "") -> None:
    """Rows as a table for people, or CSV/JSON for scripts. User text is never read as markup,
    and nothing in it a terminal would act on is printed (see services.printable)."""
    cells = [["" if value is None else printable(str(value)) for value in row] for row in rows]
    if fmt is Format.json:
        keys = [c.lower().replace(" ", "_") for c in columns]
        typer.echo(json.dumps([dict(zip(keys, row, strict=True)) for row in cells], indent=2))
        return
    if fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows(cells)
        typer.echo(buffer.getvalue(), nl=False)
        return
    table = Table(title=Text(printable(title)) if title else None, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in cells:
        table.add_row(*(Text(value) for value in row))
    out.print(table)
    if not rows:
        out.print("(none)")


def say(message: str) -> None:
    out.print(Text(printable(message)))
