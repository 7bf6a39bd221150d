"""`officeconsole info`: where everything lives and which schema the database has."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.text import Text
from sqlalchemy.engine import make_url

from officeconsole.cli._common import DbOption, chosen_db, out
from officeconsole.config import ENV_DB, Paths, describe_url, resolve_db_url
from officeconsole.db import migrate
from officeconsole.db.engine import check_connection, make_engine
from officeconsole.services.common.errors import DatabaseLocked, OfficeError, WrongDatabaseKey
from officeconsole.services.security import audit_chain, db_keys


def info(ctx: typer.Context, db: DbOption = None) -> None:
    """Print the database, config, reports and backups locations and the schema revision.

    Nothing is created or migrated, so it also works on a database that will not open.
    """
    paths = Paths.discover()
    url = resolve_db_url(chosen_db(ctx, db), paths=paths)
    lines = [
        ("Database", describe_url(url)),
        ("Config file", f"{paths.config_file}" + ("" if paths.config_file.exists() else " (not present)")),
        ("Reports", str(paths.reports_dir)),
        ("Backups", str(paths.backups_dir)),
        ("Data folder", str(paths.data_dir)),
        (f"${ENV_DB}", "set" if os.environ.get(ENV_DB) else "not set"),
    ]
    audit_key = audit_chain.key_path()
    lines.append(("Audit key", f"{audit_key}" + (" (back it up apart from the database)" if audit_key.exists()
                                                 else " (not present: made with the first audit event)")))
    problem = None
    parsed = make_url(url)
    sqlite_file = db_keys.sqlite_path(url)
    keys = db_keys.encrypted_keys(sqlite_file) if sqlite_file else None
    if keys is not None:
        lines.append(("Encryption", f"SQLCipher; key file {keys.path}"
                      + ("; key in the OS keyring" if keys.keyring else "")))
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists():
        schema = "no database yet: it is created and migrated on first start"
    else:
        engine = None
        try:
            engine = make_engine(url, key=db_keys.unlock(url))  # an encrypted one: keyring or environment only
            check_connection(engine)
            current = migrate.ensure_known_revision(engine)
            head = migrate.head_revision()
            if current is None:
                schema = f"empty (code is at {head})"
            elif current == head:
                schema = f"{current} (up to date)"
            else:
                schema = f"{current} (code is at {head}: upgraded on next start or by `officeconsole db upgrade`)"
        except WrongDatabaseKey as exc:
            schema, problem = "unknown", exc
        except DatabaseLocked:  # no key at hand: info asks for no passphrase
            schema = f"not read: encrypted, and neither the OS keyring nor ${db_keys.ENV_DB_PASSPHRASE} gave its key"
        except OfficeError as exc:
            schema, problem = "unknown", exc
        finally:
            if engine is not None:
                engine.dispose()
    lines.append(("Schema", schema))
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        out.print(Text(f"{label:<{width}}  {value}"))
    if problem is not None:
        raise problem
