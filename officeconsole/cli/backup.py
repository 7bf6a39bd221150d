"""`officeconsole backup [--to DIR] [--encrypt]` and `officeconsole restore FILE`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from officeconsole.cli._common import (
    AsOption,
    DbOption,
    ask_db_passphrase,
    chosen_db,
    err,
    open_db,
    say,
    signed_in,
    warn_if_others_can_read,
)
from officeconsole.config import resolve_db_url
from officeconsole.services.operations.backup_files import Rotation, is_encrypted
from officeconsole.services.operations.backups import (
    BackupError,
    BackupKeyMismatch,
    BackupService,
    nothing_to_protect,
    record_restore,
)
from officeconsole.services.operations.backups import restore as restore_database
from officeconsole.services.security import db_keys

ENV_PASSPHRASE = "OFFICECONSOLE_BACKUP_PASSPHRASE"
ENV_RECOVERY_CODE = "OFFICECONSOLE_AUDIT_RECOVERY_CODE"


def _passphrase(confirm: bool) -> str:
    value = os.environ.get(ENV_PASSPHRASE)
    if value is None:
        value = typer.prompt("Backup passphrase", hide_input=True, confirmation_prompt=confirm)
    if len(value) < 8:
        raise BackupError("A backup passphrase has at least 8 characters.")
    return value


def backup(
    ctx: typer.Context,
    as_user: AsOption,
    to: Annotated[Path | None, typer.Option("--to", help="Folder (default: the backups folder).")] = None,
    encrypt: Annotated[bool, typer.Option("--encrypt", help=f"Encrypt with a passphrase (${ENV_PASSPHRASE} or asked).")] = False,
    keep_daily: Annotated[int, typer.Option("--keep-daily", min=1)] = 14,
    keep_weekly: Annotated[int, typer.Option("--keep-weekly", min=0)] = 8,
    keep_monthly: Annotated[int, typer.Option("--keep-monthly", min=0)] = 12,
    db: DbOption = None,
) -> None:
    """A verified copy of the database, safe while consoles are open; older copies are rotated."""
    opened = open_db(ctx, db)
    service = BackupService(signed_in(opened, as_user))
    passphrase = _passphrase(confirm=True) if encrypt else None
    result = service.backup(to or opened.paths.backups_dir, passphrase, Rotation(keep_daily, keep_weekly, keep_monthly))
    if to is not None:
        warn_if_others_can_read(result.path.parent, "backups")
    rows = sum(result.rows.values())
    say(f"Backup {result.path} ({result.size / 1e6:.1f} MB{', encrypted' if result.encrypted else ''}) verified: "
        f"{len(result.rows)} tables, {rows:,} rows; {result.megabytes_per_second:.0f} MB/s.")
    if result.key_carried_by:
        say(f"The audit key travels with it, wrapped: a restore on a new PC takes the "
            f"{' or the '.join(result.key_carried_by)}.")
    else:
        err.print(Text(f"warning: {result.key_problem}"))
    if result.removed:
        say(f"Rotated out {len(result.removed)} older backups.")


def restore(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A backup made by `officeconsole backup`.")],
    as_user: Annotated[str | None, typer.Option("--as", envvar="OFFICECONSOLE_USER",
                                                help="A manager (not needed when the database cannot be opened).")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    db: DbOption = None,
) -> None:
    """Replace the database with a backup; the current one is set aside first, not deleted."""
    url = resolve_db_url(chosen_db(ctx, db))
    actor = None
    # An encrypted database: its passphrase first (a wrong one stops here, even over a damaged file).
    key = db_keys.unlock(url, ask=ask_db_passphrase)
    if not nothing_to_protect(url, key):  # a working database: only a manager replaces it
        if not as_user:
            raise BackupError("Sign in as a manager with --as to restore over a working database.")
        opened = open_db(ctx, db, key=key)
        try:
            actor = signed_in(opened, as_user).actor
        finally:
            opened.ctx.db.dispose()
    else:
        err.print("The current database is missing or is not a readable database: restoring without sign-in.",
                  markup=False)
    passphrase = _passphrase(confirm=False) if file.is_file() and is_encrypted(file) else None
    if not yes and not typer.confirm(f"Replace the database with {file.name}? Close every console first.",
                                     default=False):
        raise typer.Exit(1)
    from officeconsole.services.security import audit_key_travel as travel

    unwrapped: dict[str, bytes] = {}

    def audit_key_first(staged: Path, staged_key: bytes | None) -> None:
        """Before the database is replaced: a PC without the backup trail's key unwraps it now."""
        trail = travel.trail_key_id_in_file(staged, staged_key)
        if travel.needs_key(trail):
            unwrapped[trail] = _unwrap_key(travel, file, trail, passphrase)

    try:
        aside = restore_database(url, file, passphrase, actor, key=key, before_replace=audit_key_first)
    except BackupKeyMismatch as exc:
        err.print(Text(exc.message))
        code = typer.prompt("Recovery code of the key the backup was made under", hide_input=True)
        backup_key = db_keys.parse_recovery_code(code)
        if backup_key is None:
            raise BackupError("That is not a recovery code.") from None
        aside = restore_database(url, file, passphrase, actor, key=key, backup_key=backup_key,
                                 before_replace=audit_key_first)
    say(f"Restored {file.name}." + (f" The previous database was set aside as {aside}." if aside else ""))
    for trail, secret in unwrapped.items():
        path = travel.install(secret, trail)
        say(f"The audit key was put back at {path}: the restored trail can be added to and checked.")
    if not unwrapped:
        _put_audit_key_back(ctx, db, key, file, passphrase)  # a server database: checked once it is back
    restored = open_db(ctx, db, key=key)
    try:
        record_restore(restored.ctx, actor, file, aside)
    finally:
        restored.ctx.db.dispose()


def _unwrap_key(travel, file: Path, trail: str, passphrase: str | None) -> bytes:
    carried = travel.wraps_in(file)
    code = None
    if carried and not (passphrase and travel.BY_PASSPHRASE in carried):
        code = os.environ.get(ENV_RECOVERY_CODE) or typer.prompt(
            "This PC lacks the clinic's audit key. Audit recovery code (from the clinic's papers)", hide_input=True)
    return travel.unwrap(file, trail, passphrase=passphrase, code=code)


def _put_audit_key_back(ctx: typer.Context, db: str | None, key: bytes | None, file: Path,
                        passphrase: str | None) -> None:
    """After a PostgreSQL restore (the dump is read only by the server): the key checked and put back."""
    from officeconsole.services.security import audit_key_travel as travel

    opened = open_db(ctx, db, key=key)
    try:
        trail = travel.trail_key_id(opened.ctx.db)
    finally:
        opened.ctx.db.dispose()
    if travel.needs_key(trail):
        path = travel.install(_unwrap_key(travel, file, trail, passphrase), trail)
        say(f"The audit key was put back at {path}: the restored trail can be added to and checked.")
