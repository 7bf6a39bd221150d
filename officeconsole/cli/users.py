"""`officeconsole user add|list|disable|reset-password`: staff accounts, for managers."""

from __future__ import annotations

from typing import Annotated

import typer

from officeconsole.cli._common import AsOption, DbOption, Format, FormatOption, emit, new_password, open_db, say, signed_in
from officeconsole.models.enums import Role
from officeconsole.services.auth import UserService

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
