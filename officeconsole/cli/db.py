"""`officeconsole db upgrade|current|history`: the schema, through Alembic; `db copy`: the whole clinic
into another database (services/operations/db_copy.py); `db encrypt|rekey|recover|passphrase|keyring`:
encryption at rest of a SQLite database (services/security/encryption.py)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from officeconsole.cli._common import (
    AsOption,
    DbOption,
    Format,
    FormatOption,
    ask_db_passphrase,
    chosen_db,
    emit,
    err,
    open_db,
    say,
    signed_in,
    warn_if_others_can_read,
)
from officeconsole.config import describe_url
from officeconsole.db import migrate
from officeconsole.services.security.encryption import EncryptionError, EncryptionService

if TYPE_CHECKING:
    from officeconsole.services.operations.db_copy import TableCount

db_app = typer.Typer(help="Schema revision and upgrades; a copy of the clinic into another database; encryption at rest.",
                    no_args_is_help=True)


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


@db_app.command("copy")
def copy(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", show_default=False,
                                    help="The database to copy into, empty: a postgresql+psycopg://USER@HOST/NAME "
                                         "URL or a new SQLite file path.")],
    as_user: AsOption,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    fmt: FormatOption = Format.table,
    db: DbOption = None,
) -> None:
    """Copy the whole clinic into an empty database (SQLite to PostgreSQL for several PCs, or back), then
    compare the row counts table by table and check the copy's audit chain. Exit 1 if anything differs."""
    from officeconsole.config import normalize_db_url
    from officeconsole.db.engine import cipher_key
    from officeconsole.services.operations.db_copy import CopyMismatch, DbCopyService, source_ready
    from officeconsole.services.security import db_keys

    opened = open_db(ctx, db, upgrade=False)
    source_ready(opened.ctx.db.engine)  # before signing in: an old schema is named, not tripped over
    service = DbCopyService(signed_in(opened, as_user))
    target = normalize_db_url(to)
    key = db_keys.unlock(target, ask=ask_db_passphrase)  # an encrypted SQLite target: its passphrase
    if target.startswith("sqlite:///"):
        warn_if_others_can_read(Path(target.removeprefix("sqlite:///")).parent, "the clinic's database")
    _confirm(yes, f"Copy the clinic into {describe_url(target)}? Changes made after the copy starts are not in it.")
    try:
        with err.status("Copying…") as status:
            result = service.copy(target, key=key, progress=lambda name, number, total: status.update(
                f"Copying table {number} of {total}: {name}…"))
    except CopyMismatch as exc:
        _counts(exc.tables, fmt)
        err.print(Text(f"error: {exc.message}"))
        raise typer.Exit(1) from None
    _counts(result.tables, fmt)
    chain = result.chain
    say(f"Copied {len(result.tables)} tables, {result.rows:,} rows from {result.source} to {result.target} in "
        f"{result.seconds:.1f} s: " + ("every count matches." if not result.differences
                                       else f"{len(result.differences)} tables differ."))
    if chain.intact:
        say(f"Audit chain of the copy: intact, {chain.events:,} events (the last records this copy).")
    else:
        say(f"Audit chain of the copy: broken: {chain.problem.detail if chain.problem else ''}")
    if not result.matches:
        raise typer.Exit(1)
    if cipher_key(opened.ctx.db.engine) is not None and key is None:
        err.print(Text("The copy is not encrypted at rest: "
                       + ("`officeconsole db encrypt --db ...` encrypts it." if target.startswith("sqlite")
                          else "protect the PostgreSQL server's disk and backups by the server's own means.")))
    say("Next: point every console at it (--db, $OFFICECONSOLE_DB or config.toml's [database] url) and run "
        "`officeconsole audit verify` there. The old database is unchanged: keep it until the new one has "
        "served a full day.")


def _counts(tables: Sequence[TableCount], fmt: Format) -> None:
    emit(["Table", "Source", "Copy", "Same"], [(t.table, t.source, t.target, "yes" if t.same else "NO")
                                              for t in sorted(tables, key=lambda t: t.table)], fmt)


@db_app.command("history")
def history() -> None:
    """Every schema revision this version knows, newest first."""
    for revision in migrate.script_directory().walk_revisions():
        say(f"{revision.revision}  {revision.doc or ''}".rstrip())


# ----- encryption at rest (SQLite) --------------------------------------------------------------
ENV_NEW_DB_PASSPHRASE = "OFFICECONSOLE_DB_NEW_PASSPHRASE"
YesOption = Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")]
NameOption = Annotated[str, typer.Option("--name", help="The passphrase's name (a username, 'closeout'...).")]

passphrase_app = typer.Typer(help="The passphrases that open an encrypted database.", no_args_is_help=True)
keyring_app = typer.Typer(help="Keep the database key in this OS user's keyring, or not.", no_args_is_help=True)
db_app.add_typer(passphrase_app, name="passphrase")
db_app.add_typer(keyring_app, name="keyring")


def _new_db_passphrase(label: str = "New database passphrase") -> str:
    value = os.environ.get(ENV_NEW_DB_PASSPHRASE)
    if value is None:
        value = typer.prompt(label, hide_input=True, confirmation_prompt=True)
    return value


def _confirm(yes: bool, question: str) -> None:
    if not yes and not typer.confirm(f"{question} Close every console first.", default=False):
        raise typer.Exit(1)


def _show_recovery_code(code: str) -> None:
    say("")
    say("RECOVERY CODE (shown this once): write it on paper and keep it away from this PC.")
    say("It opens the database without any passphrase, even if the key file is lost:")
    say(f"    {code}")
    say("")


def _encryption(ctx: typer.Context, db: str | None, as_user: str):
    opened = open_db(ctx, db)
    return opened, EncryptionService(signed_in(opened, as_user))


@db_app.command("encrypt")
def encrypt(ctx: typer.Context, as_user: AsOption, name: NameOption = "clinic", yes: YesOption = False,
            db: DbOption = None) -> None:
    """Encrypt the SQLite database at rest (SQLCipher) under a random key, opened by a passphrase."""
    opened, service = _encryption(ctx, db, as_user)
    service.ready(encrypted=False)  # PostgreSQL, or encrypted already: refused before anything is asked
    _confirm(yes, "Encrypt the database? No plain copy of it is kept.")
    done = service.encrypt(_new_db_passphrase(), opened.paths.backups_dir, name)
    say(f"Encrypted {done.path} ({done.tables} tables, {done.rows:,} rows checked); "
        f"the key, wrapped by the passphrase {name!r}, is in {done.keys_path}. The plain file was overwritten.")
    _show_recovery_code(done.recovery_code)
    if done.plain_copies:
        err.print(Text(f"{len(done.plain_copies)} earlier backups in {opened.paths.backups_dir} are NOT encrypted "
                       "and still hold every record: delete them, or keep them offline like the recovery code:"))
        for path in done.plain_copies:
            err.print(Text(f"  {path.name}"))
    say("Next: `officeconsole backup` (backups of the encrypted database stay encrypted).")


@db_app.command("rekey")
def rekey(ctx: typer.Context, as_user: AsOption, name: NameOption = "clinic", yes: YesOption = False,
          db: DbOption = None) -> None:
    """A new random key: the old passphrases and recovery code stop opening the database."""
    _opened, service = _encryption(ctx, db, as_user)
    service.ready(encrypted=True)
    _confirm(yes, "Re-encrypt the database under a new key?")
    done = service.rekey(_new_db_passphrase(), name)
    say(f"The database is encrypted under a new key; it opens with the passphrase {name!r}.")
    if done.removed:
        say("Passphrases of the old key, removed (set them again with `db passphrase set NAME`): "
            + ", ".join(done.removed))
    if done.keyring:
        say(f"OS keyring: {done.keyring}.")
    _show_recovery_code(done.recovery_code)
    say("The old recovery code no longer opens the database, but backups made before now are under the old "
        "key: keep the old code until they have rotated out.")


@db_app.command("recover")
def recover(ctx: typer.Context, as_user: AsOption, name: NameOption = "clinic", db: DbOption = None) -> None:
    """The key file is lost or damaged: open the database with the recovery code, set a passphrase."""
    from officeconsole.bootstrap import open_database
    from officeconsole.services.security.db_keys import parse_recovery_code

    key = parse_recovery_code(typer.prompt("Recovery code", hide_input=True))
    if key is None:
        raise EncryptionError("That is not a recovery code (14 groups of 4 letters and digits).")
    opened = open_database(chosen_db(ctx, db), key=key)
    ctx.call_on_close(opened.ctx.db.dispose)
    service = EncryptionService(signed_in(opened, as_user))
    aside = service.recover(_new_db_passphrase(), name)
    say(f"A new key file holds the passphrase {name!r}." + (f" The unreadable one was set aside as {aside}." if aside else ""))


@passphrase_app.command("list")
def passphrase_list(ctx: typer.Context, as_user: AsOption, fmt: FormatOption = Format.table,
                    db: DbOption = None) -> None:
    """The named passphrases that open the database (never the passphrases themselves)."""
    _opened, service = _encryption(ctx, db, as_user)
    emit(["Name", "Added"], [(p.name, p.added) for p in service.passphrases()], fmt)


@passphrase_app.command("set")
def passphrase_set(ctx: typer.Context, name: Annotated[str, typer.Argument(help="A username, 'closeout'...")],
                   as_user: AsOption, db: DbOption = None) -> None:
    """Add a passphrase, or change one (the database key stays the same: nothing is re-encrypted)."""
    _opened, service = _encryption(ctx, db, as_user)
    service.ready(encrypted=True)
    changed = service.set_passphrase(name, _new_db_passphrase(f"Database passphrase for {name}"))
    say(f"Passphrase {name!r} {'changed' if changed else 'added'}.")


@passphrase_app.command("remove")
def passphrase_remove(ctx: typer.Context, name: Annotated[str, typer.Argument()], as_user: AsOption,
                      db: DbOption = None) -> None:
    """Remove a passphrase (someone who left). To lock out anyone who may have copied the key: `db rekey`."""
    _opened, service = _encryption(ctx, db, as_user)
    service.remove_passphrase(name)
    say(f"Passphrase {name!r} removed. Anyone who once opened the database may still have its key: "
        "`officeconsole db rekey` changes it.")


@keyring_app.command("store")
def keyring_store(ctx: typer.Context, as_user: AsOption, db: DbOption = None) -> None:
    """Keep the key in this OS user's keyring: the console opens without asking for the passphrase."""
    _opened, service = _encryption(ctx, db, as_user)
    service.store_in_keyring()
    say("The database key is in this OS user's keyring: anyone logged in as this OS user opens the database.")


@keyring_app.command("forget")
def keyring_forget(ctx: typer.Context, as_user: AsOption, db: DbOption = None) -> None:
    """Remove the key from this OS user's keyring: the passphrase is asked again."""
    _opened, service = _encryption(ctx, db, as_user)
    removed = service.forget_keyring()
    say("Removed the database key from the OS keyring." if removed
        else "The key was not in this OS user's keyring; the console will ask for the passphrase.")
