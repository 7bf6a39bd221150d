"""remittance detail

What an 835 says beyond the money, kept with the remittance: per claim the payer's status, its
own claim number (CLP07) and remark codes (remit_claim); per line the remark codes (LQ); per
remittance the provider-level adjustments (PLB: interest, take-backs, balances forwarded).

remit_line has no dependants but is referenced by nothing either way: its column is a plain
ADD COLUMN, like 0014's.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('remit_line', sa.Column('remark_codes', sa.String(length=100), server_default='', nullable=False))
    op.create_table('remit_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('remittance_id', sa.Integer(), nullable=False),
    sa.Column('encounter_id', sa.Integer(), nullable=False),
    sa.Column('status_code', sa.String(length=2), nullable=False),
    sa.Column('payer_claim_number', sa.String(length=50), nullable=False),
    sa.Column('billed', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('paid', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('patient_responsibility', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('remark_codes', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounter.id'], name=op.f('fk_remit_claim_encounter_id_encounter')),
    sa.ForeignKeyConstraint(['remittance_id'], ['remittance.id'],
                            name=op.f('fk_remit_claim_remittance_id_remittance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remit_claim'))
    )
    op.create_index(op.f('ix_remit_claim_encounter_id'), 'remit_claim', ['encounter_id'], unique=False)
    op.create_index(op.f('ix_remit_claim_remittance_id'), 'remit_claim', ['remittance_id'], unique=False)
    op.create_table('remit_provider_adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('remittance_id', sa.Integer(), nullable=False),
    sa.Column('reason_code', sa.String(length=2), nullable=False),
    sa.Column('reference', sa.String(length=50), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['remittance_id'], ['remittance.id'],
                            name=op.f('fk_remit_provider_adjustment_remittance_id_remittance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remit_provider_adjustment'))
    )
    op.create_index(op.f('ix_remit_provider_adjustment_remittance_id'), 'remit_provider_adjustment',
                    ['remittance_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_remit_provider_adjustment_remittance_id'), table_name='remit_provider_adjustment')
    op.drop_table('remit_provider_adjustment')
    op.drop_index(op.f('ix_remit_claim_remittance_id'), table_name='remit_claim')
    op.drop_index(op.f('ix_remit_claim_encounter_id'), table_name='remit_claim')
    op.drop_table('remit_claim')
    with op.batch_alter_table('remit_line', schema=None) as batch_op:
        batch_op.drop_column('remark_codes')
