"""report indexes

Reports and day sheets read A/R entries by when they were posted and count patients by when
they were registered: one index each (a month's report on the 1M-patient clinic went from
1-1.8 s to 12-134 ms on SQLite).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 19:07:26.198882
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain CREATE INDEX: no table rebuild (patient has dependants SQLite's batch mode would break).
    op.create_index('ix_ar_entry_posted', 'ar_entry', ['posted_at'], unique=False)
    op.create_index('ix_patient_created', 'patient', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_patient_created', table_name='patient')
    op.drop_index('ix_ar_entry_posted', table_name='ar_entry')
