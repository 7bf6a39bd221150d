"""`officeconsole db upgrade|current|history`: the schema, through Alembic."""

from __future__ import annotations

import typer

from officeconsole.cli._common import DbOption, open_db, say
from officeconsole.db import migrate

db_app = typer.Typer(help="Schema revision and upgrades.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(ctx: typer.Context, db: DbOption = None) -> None:
    """Bring the schema to the newest revision (a backup copy first when it holds data)."""
    opened = open_db(ctx, db, upgrade=False)
    result = migrate.upgrade(opened.ctx.db.engine, opened.paths.backups_dir)
    if result.before == result.after:
        say(f"Already at {result.after}.")
        return
    say(f"Upgraded from {result.before or 'an empty database'} to {result.after}.")
    if result.backup:
        say(f"The previous database was copied to {result.backup}.")


@db_app.command("current")
def current(ctx: typer.Context, db: DbOption = None) -> None:
    """The database's schema revision and whether the code is newer."""
    opened = open_db(ctx, db, upgrade=False)
    revision = migrate.ensure_known_revision(opened.ctx.db.engine)
    head = migrate.head_revision()
    if revision is None:
        say(f"empty database (newest revision is {head})")
    else:
        say(f"{revision}" + (" (head)" if revision == head else f" (newest is {head})"))


@db_app.command("history")
def history() -> None:
    """Every schema revision this version knows, newest first."""
    for revision in migrate.script_directory().walk_revisions():
        say(f"{revision.revision}  {revision.doc or ''}".rstrip())
