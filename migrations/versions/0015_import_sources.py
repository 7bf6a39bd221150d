"""import sources and opening balances

Moving in from another system: import_source maps each imported record's (source system, kind,
source ID) to the local row, so a file imported twice changes nothing; a ledger entry may be an
opening balance (what the patient owed, or was owed, the day the practice moved in).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 13:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import officeconsole.db.types
from officeconsole.migrations.triggers import create_append_only, create_closed_day_guard

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('import_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('source_id', sa.String(length=100), nullable=False),
    sa.Column('local_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('imported_at', officeconsole.db.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('patients', 'policies', 'appointments', 'balances')",
                       name=op.f('ck_import_source_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_source')),
    sa.UniqueConstraint('source', 'kind', 'source_id', name='uq_import_source_source_id')
    )
    with op.batch_alter_table('import_source', schema=None) as batch_op:
        batch_op.create_index('ix_import_source_local', ['kind', 'local_id'], unique=False)
    # ledger_entry is referenced only by itself (a void names its payment): rebuilt for the new kind.
    _ledger_kinds("kind IN ('payment', 'void', 'opening')")


def _ledger_kinds(check: str) -> None:
    """Replace ledger_entry's kind check. SQLite rebuilds the table, which drops its triggers: they
    are made again (append-only, and no money posted into a closed day)."""
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_constraint('kind', type_='check')
        batch_op.create_check_constraint('kind', check)
    if op.get_bind().dialect.name == "sqlite":
        create_append_only('ledger_entry')
        create_closed_day_guard('ledger_entry')


def downgrade() -> None:
    _ledger_kinds("kind IN ('payment', 'void')")
    with op.batch_alter_table('import_source', schema=None) as batch_op:
        batch_op.drop_index('ix_import_source_local')
    op.drop_table('import_source')
