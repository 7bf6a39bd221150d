"""coordination of benefits, corrected and void claims

A claim now says which payer it bills (claim_sequence: P primary, S secondary, T tertiary), how
it is sent (claim_frequency, CLM05-3: 1 original, 7 a corrected claim, 8 a void) and, for a
correction or a void, the payer's claim control number it replaces (REF*F8, from the 835's
CLP07). A payer can be marked as getting claims by crossover from the primary (Medicare to a
supplement): the secondary is then expected, not sent. Every adjustment a remittance gave
(CAS group, reason, amount, per line or for the claim) is kept, so a secondary claim's 2320 and
2430 loops repeat the primary's adjudication exactly.

Plain ADD COLUMN and one new table (the tables changed have dependants and triggers).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADDED = (
    ('encounter', sa.Column('claim_sequence', sa.String(length=1), server_default='P', nullable=False)),
    ('encounter', sa.Column('claim_frequency', sa.String(length=1), server_default='1', nullable=False)),
    ('encounter', sa.Column('replaces_claim_number', sa.String(length=50), server_default='', nullable=False)),
    ('payer', sa.Column('crossover', sa.Boolean(), server_default=sa.false(), nullable=False)),
)


def upgrade() -> None:
    for table, column in ADDED:
        op.add_column(table, column)
    op.create_table(
        'remit_adjustment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('remit_claim_id', sa.Integer(), nullable=False),
        sa.Column('remit_line_id', sa.Integer(), nullable=True),
        sa.Column('group_code', sa.String(length=2), nullable=False),
        sa.Column('reason_code', sa.String(length=5), nullable=False),
        sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.CheckConstraint("group_code IN ('CO', 'PR', 'OA', 'PI', 'CR')",
                           name=op.f('ck_remit_adjustment_group_code')),
        sa.ForeignKeyConstraint(['remit_claim_id'], ['remit_claim.id'],
                                name=op.f('fk_remit_adjustment_remit_claim_id_remit_claim')),
        sa.ForeignKeyConstraint(['remit_line_id'], ['remit_line.id'],
                                name=op.f('fk_remit_adjustment_remit_line_id_remit_line')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_remit_adjustment')),
    )
    op.create_index(op.f('ix_remit_adjustment_remit_claim_id'), 'remit_adjustment', ['remit_claim_id'])
    op.create_index(op.f('ix_remit_adjustment_remit_line_id'), 'remit_adjustment', ['remit_line_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_remit_adjustment_remit_line_id'), table_name='remit_adjustment')
    op.drop_index(op.f('ix_remit_adjustment_remit_claim_id'), table_name='remit_adjustment')
    op.drop_table('remit_adjustment')
    for table, column in reversed(ADDED):
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f'ALTER TABLE {table} DROP COLUMN {column.name}')
        else:
            op.drop_column(table, column.name)
