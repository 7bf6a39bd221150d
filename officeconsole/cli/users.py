"""`officeconsole user add|list|disable|reset-password|unlock|sign-in-rules|job-key`: staff accounts,
the clinic's sign-in rules and scheduled jobs' key files, for managers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from officeconsole.cli._common import (
    AsOption,
    DbOption,
    Format,
    FormatOption,
    emit,
    new_password,
    open_db,
    say,
    signed_in,
)
from officeconsole.models.enums import Role
from officeconsole.services.security.auth import UserService
from officeconsole.services.security.sign_in import LABELS, LIMITS, SignInService

user_app = typer.Typer(help="Staff accounts (managers and admins).", no_args_is_help=True)


def _service(ctx: typer.Context, db: str | None, as_user: str) -> UserService:
    return UserService(signed_in(open_db(ctx, db), as_user))


@user_app.command("list")
def list_users(ctx: typer.Context, as_user: AsOption, db: DbOption = None,
               fmt: FormatOption = Format.table) -> None:
    """Every account with its role and whether it can log in."""
    rows = _service(ctx, db, as_user).list()
    emit(["Username", "Name", "Role", "Active"],
         [(u.username, u.full_name, u.role.label, "yes" if u.active else "no") for u in rows], fmt)


@user_app.command("add")
def add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name: lower case, e.g. jsmith.")],
    as_user: AsOption,
    name: Annotated[str, typer.Option("--name", help="Full name as shown in the console.")],
    role: Annotated[Role, typer.Option("--role", help="What the account may do.")],
    db: DbOption = None,
) -> None:
    """Add an account; its password is asked twice (or taken from $OFFICECONSOLE_NEW_PASSWORD)."""
    service = _service(ctx, db, as_user)
    row = service.add(username, name, role.value, new_password(f"Password for {username}"))
    say(f"Added {row.username} ({row.full_name}, {row.role.label}).")


@user_app.command("disable")
def disable(ctx: typer.Context, username: str, as_user: AsOption, db: DbOption = None) -> None:
    """Stop an account from logging in (its history stays)."""
    _service(ctx, db, as_user).disable(username)
    say(f"Disabled {username.strip().lower()}.")


@user_app.command("reset-password")
def reset_password(ctx: typer.Context, username: str, as_user: AsOption, db: DbOption = None) -> None:
    """Set a new password for an account."""
    service = _service(ctx, db, as_user)
    service.reset_password(username, new_password(f"New password for {username}"))
    say(f"Password reset for {username.strip().lower()}.")


@user_app.command("unlock")
def unlock(ctx: typer.Context, username: str, as_user: AsOption, db: DbOption = None) -> None:
    """End an account's lockout after too many failed sign-ins, without changing its password."""
    say(_service(ctx, db, as_user).unlock(username))


def _rule(flag: str, key: str):
    low, high = LIMITS[key]
    return Annotated[str | None, typer.Option(flag, help=f"{LABELS[key]} ({low}-{high}).")]


IdleOption = _rule("--idle-minutes", "idle_lock_minutes")
PasswordLengthOption = _rule("--password-length", "min_password_length")
PinLengthOption = _rule("--pin-length", "min_pin_length")
AttemptsOption = _rule("--attempts", "lockout_attempts")
LockoutOption = _rule("--lockout-minutes", "lockout_minutes")


@user_app.command("sign-in-rules")
def sign_in_rules(
    ctx: typer.Context,
    as_user: AsOption,
    idle_minutes: IdleOption = None,
    password_length: PasswordLengthOption = None,
    pin_length: PinLengthOption = None,
    attempts: AttemptsOption = None,
    lockout_minutes: LockoutOption = None,
    db: DbOption = None,
) -> None:
    """Show or change the idle lock, the shortest password and PIN, and the lockout rule."""
    service = SignInService(signed_in(open_db(ctx, db), as_user))
    changes = {"idle_lock_minutes": idle_minutes, "min_password_length": password_length,
               "min_pin_length": pin_length, "lockout_attempts": attempts, "lockout_minutes": lockout_minutes}
    changes = {key: value for key, value in changes.items() if value is not None}
    rules = service.set_rules(**changes) if changes else service.rules()
    for key in LIMITS:
        say(f"{LABELS[key]}: {getattr(rules, key)}")


@user_app.command("job-key")
def job_key(
    ctx: typer.Context,
    as_user: AsOption,
    out_file: Annotated[Path | None, typer.Option("--out", help="Where to write the key (readable only by you).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    revoke: Annotated[bool, typer.Option("--revoke", help="Make your key stop working.")] = False,
    db: DbOption = None,
) -> None:
    """A key file for the scheduled close-out (`close-day --key-file FILE`), signing in as you;
    making a new one revokes the old."""
    service = SignInService(signed_in(open_db(ctx, db), as_user))
    if revoke:
        service.revoke_job_key()
        say("Your job key is revoked: a scheduled close using it will be refused.")
        return
    if out_file is None:
        raise typer.BadParameter("give --out FILE (or --revoke)", param_hint="--out")
    if out_file.exists() and not force:
        raise typer.BadParameter(f"{out_file} exists: --force replaces it", param_hint="--out")
    token = service.make_job_key()
    descriptor = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    os.chmod(out_file, 0o600)
    say(f"Wrote {out_file} (readable only by you). Schedule: `officeconsole close-day --key-file {out_file}`")
