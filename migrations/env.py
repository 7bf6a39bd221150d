"""Alembic environment: our models, our engine settings, one transaction for the whole run."""

from __future__ import annotations

from alembic import context

from officeconsole import models
from officeconsole.config import resolve_db_url
from officeconsole.db.engine import make_engine

config = context.config
target_metadata = models.Base.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite ALTERs become copy-and-move; a no-op on PostgreSQL
        compare_type=True,
        transaction_per_migration=False,  # a failed run leaves the old schema whole
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or resolve_db_url()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported: run them against a database.")
run_migrations_online()
