"""What the batch commands share: options, opening the database, signing in, printing rows.

Every command is a thin caller of the services; nothing here holds a rule.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from officeconsole.bootstrap import Opened, open_database
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import AuthError, ValidationError
from officeconsole.services.common.printable import printable
from officeconsole.services.common.text import parse_day_words
from officeconsole.services.formats import csv_safe
from officeconsole.services.security import auth

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

DAY_WORDS = "YYYY-MM-DD, MM/DD/YYYY, today, tomorrow, yesterday, +N/-N days or a weekday (mon)"


def day_option(text: str | None, service_ctx: ServiceContext, option: str) -> dt.date | None:
    """A date option's value in the clinic's days (see `parse_day_words`); None when not given."""
    if text is None or not text.strip():
        return None
    try:
        return parse_day_words(text, service_ctx.today())
    except ValueError as exc:
        raise ValidationError({option.lstrip("-").replace("-", "_"): f"{option}: {exc}."}) from None


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
    return _remember(opened.ctx.as_actor(actor))


def key_signed_in(opened: Opened, key_file: Path) -> ServiceContext:
    """A scheduled job signs in with a manager's key file (`user job-key`), which only its owner
    may read: like an SSH key, a file others can read is refused."""
    from officeconsole.services.security import sign_in

    try:
        mode = key_file.stat().st_mode
        token = key_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise AuthError(f"Cannot read the key file {key_file}: {exc.strerror or exc}.") from None
    if sys.platform != "win32" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuthError(f"The key file {key_file} can be read by others: `chmod 600 {key_file}` first.")
    return _remember(opened.ctx.as_actor(sign_in.login_with_key(opened.ctx, token)))


# The person the running command signed in as, and the command: a refusal for lack of permission
# is written to that clinic's audit trail (`record_refusal`, called where errors become messages).
_signed_in: list[tuple[ServiceContext, str]] = []


def _remember(ctx: ServiceContext) -> ServiceContext:
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover - an older Typer on plain Click
        from click import get_current_context
    current = get_current_context(silent=True)
    command = " ".join(current.command_path.split()[1:]) if current is not None else ""
    _signed_in[:] = [(ctx, command)]
    return ctx


def forget_signed_in() -> None:
    _signed_in.clear()


def record_refusal(message: str) -> None:
    """Audit a command refused for lack of permission: who, which command, what was refused. A trail
    that cannot be written does not hide the refusal itself (the error log keeps why)."""
    if not _signed_in:
        return
    ctx, command = _signed_in.pop()
    from officeconsole import error_log
    from officeconsole.services.security import audit

    try:
        with ctx.db.write() as session:
            audit.record(session, ctx.now(), ctx.actor, "permission.denied", entity="command", entity_id=command,
                         summary=message)
    except Exception as exc:  # noqa: BLE001 - the refusal is what the person reads
        error_log.record(exc)
    finally:
        # The command's own connections are closed by now; this one must not outlive it either
        # (an open connection reads as "the database is in use" to a rekey or restore that follows).
        ctx.db.dispose()


def warn_if_others_can_read(folder: Path, what: str) -> None:
    """A folder given for patient data that other accounts on this PC can list: said, not refused
    (the files in it are owner-only)."""
    from officeconsole.services.common.folders import others_can_read

    if others_can_read(folder):
        err.print(Text(f"warning: other accounts on this PC can list {folder}, which holds {what}: "
                       f"`chmod 700 {folder}`, or choose a folder only you can open."))


def new_password(label: str) -> str:
    """A password for an account being created or reset: asked twice, never echoed."""
    value = os.environ.get("OFFICECONSOLE_NEW_PASSWORD")
    if value is not None:
        return value
    return typer.prompt(label, hide_input=True, confirmation_prompt=True)


@dataclass(frozen=True)
class Moment:
    """A clinic-time instant shown to people as `shown` ("10:05"), given to scripts in full with its
    offset ("2026-11-23T10:05:00-05:00")."""

    value: dt.datetime
    shown: str = "%H:%M"


def _cell(value: object) -> str:
    """A value as people read it: times in clinic time without the offset, money with two decimals."""
    if value is None:
        return ""
    if isinstance(value, Moment):
        return value.value.strftime(value.shown)
    if isinstance(value, dt.datetime):
        return f"{value:%m/%d/%Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%m/%d/%Y}"
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return printable(str(value))


def _json_value(value: object) -> object:
    """A value as scripts read it: numbers as numbers, times as ISO 8601 with their offset."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Moment):
        return value.value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes")
    return printable(str(value))


def emit(columns: Sequence[str], rows: Sequence[Sequence[object]], fmt: Format, *, title: str = "") -> None:
    """Rows as a table for people, or CSV/JSON for scripts. User text is never read as markup,
    and nothing in it a terminal would act on is printed (see services.printable)."""
    if fmt is Format.json:
        keys = [c.lower().replace(" ", "_") for c in columns]
        typer.echo(json.dumps([dict(zip(keys, map(_json_value, row), strict=True)) for row in rows], indent=2))
        return
    cells = [[_cell(value) for value in row] for row in rows]
    if fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv_safe.writer(buffer)
        writer.writerow(columns)
        writer.writerows(cells)
        typer.echo(buffer.getvalue(), nl=False)
        return
    # A rule under the header and no vertical lines: two cells of space between columns instead of three,
    # which is what lets a seven-column day fit 80 columns without cutting words.
    table = Table(title=Text(printable(title)) if title else None, title_justify="left", box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False, collapse_padding=True)
    # Each column no narrower than its longest word (up to 20) when that fits the terminal: Rich then
    # wraps at spaces instead of cutting "Follow-up" into "Follo" / "w-up" at 80 columns.
    longest = [min(20, max((len(word) for text in [column, *(row[n] for row in cells)] for word in text.split()),
                           default=1)) for n, column in enumerate(columns)]
    mins: list[int | None] = list(longest)
    width = shutil.get_terminal_size().columns  # $COLUMNS, else the terminal, else 80: read at each call
    while sum(m or 4 for m in mins) + 2 * len(columns) > width and any(mins):
        widest = max(range(len(mins)), key=lambda n: mins[n] or 0)
        mins[widest] = None  # free text (a reason, a note) wraps first, even inside a long word
    for column, least in zip(columns, mins, strict=True):
        table.add_column(column, overflow="fold", min_width=least)
    for row in cells:
        table.add_row(*(Text(value) for value in row))
    out.width = width  # the console was built at import: follow the terminal (or $COLUMNS) as it is now
    out.print(table)
    if not rows:
        out.print("(none)")


def say(message: str) -> None:
    out.print(Text(printable(message)))
