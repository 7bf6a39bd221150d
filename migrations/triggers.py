"""Triggers that make a table append-only on both engines (audit_event, ledger_entry)."""

from __future__ import annotations

from alembic import op


def create_append_only(table: str) -> None:
    message = f"{table} is append-only"
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
        return
    op.execute(
        f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
    )


def drop_append_only(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        return
    op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")


def create_audit_guard() -> None:
    create_append_only("audit_event")


def drop_audit_guard() -> None:
    drop_append_only("audit_event")


def add_reference_column(table: str, column: str, target: str, name: str) -> None:
    """A nullable integer column pointing at `target.id`, without rebuilding `table`.

    SQLite's batch mode would copy the table and drop the original, which its own
    dependants' foreign keys forbid; a plain ADD COLUMN with a named REFERENCES works.
    """
    import sqlalchemy as sa

    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER CONSTRAINT {name} REFERENCES {target} (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, target, [column], ["id"])


def drop_reference_column(table: str, column: str, name: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")  # SQLite 3.35+, no rebuild
    else:
        op.drop_constraint(name, table, type_="foreignkey")
        op.drop_column(table, column)


def create_closed_day_guard(table: str, column: str = "posted_at") -> None:
    """Refuse rows of `table` dated (by `column`) inside a day the close-out locked.

    The services refuse first with a readable message; this is the floor under them, for
    money tables, so no code path can post into a closed day.
    """
    message = f"{table}: that day is closed"
    inside = (f"SELECT 1 FROM closed_day c WHERE c.reopened_at IS NULL "
              f"AND NEW.{column} >= c.starts_at AND NEW.{column} < c.ends_at")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE TRIGGER {table}_closed_day BEFORE INSERT ON {table} "
                   f"WHEN EXISTS ({inside}) BEGIN SELECT RAISE(ABORT, '{message}'); END")
        return
    op.execute(
        f"CREATE FUNCTION {table}_closed_day() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN IF EXISTS ({inside}) THEN RAISE EXCEPTION '{message}'; END IF; RETURN NEW; END $$"
    )
    op.execute(f"CREATE TRIGGER {table}_closed_day BEFORE INSERT ON {table} "
               f"FOR EACH ROW EXECUTE FUNCTION {table}_closed_day()")


def drop_closed_day_guard(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_closed_day")
        return
    op.execute(f"DROP TRIGGER IF EXISTS {table}_closed_day ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {table}_closed_day()")
