"""finer planner statistics on the patient name keys (PostgreSQL)

With the default 100 histogram buckets, PostgreSQL estimated a common surname prefix such as
"park" at 10-25 matches where a large clinic holds 3,000, and chose to fetch and sort every
match (20-40 ms) instead of walking the name index to the page's LIMIT (under 1 ms). 500 buckets
give estimates close enough for the ordered index scan. SQLite's planner has no such setting.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 20:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("last_key", "first_key")


def _set(target: int) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE patient " + ", ".join(
        f"ALTER COLUMN {column} SET STATISTICS {target}" for column in _COLUMNS))
    op.execute(f"ANALYZE patient ({', '.join(_COLUMNS)})")


def upgrade() -> None:
    _set(500)


def downgrade() -> None:
    _set(-1)  # the server's default again
