"""practice setup

What a manager sets up from an empty database: the clinic's fax, e-mail, taxonomy and default
place of service; a provider's taxonomy, billing NPI choice and the appointment types they see;
an appointment type's default procedure code; payers' addresses; versions for concurrent edits;
and working-hours templates with an effective date and recurring blocks (lunch, meetings).

Columns on tables with dependants are plain ADD COLUMN (SQLite's batch rebuild would break
them); working_hours has none, so it is rebuilt for its new unique key.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADDED = (
    ('clinic_settings', sa.Column('fax', sa.String(length=20), server_default='', nullable=False)),
    ('clinic_settings', sa.Column('email', sa.String(length=254), server_default='', nullable=False)),
    ('clinic_settings', sa.Column('taxonomy', sa.String(length=10), server_default='', nullable=False)),
    ('clinic_settings', sa.Column('place_of_service', sa.String(length=2), server_default='11', nullable=False)),
    ('provider', sa.Column('taxonomy', sa.String(length=10), server_default='', nullable=False)),
    ('provider', sa.Column('bills_own_npi', sa.Boolean(), server_default=sa.false(), nullable=False)),
    ('provider', sa.Column('version', sa.Integer(), server_default='1', nullable=False)),
    ('appointment_type', sa.Column('default_code', sa.String(length=5), server_default='', nullable=False)),
    ('appointment_type', sa.Column('version', sa.Integer(), server_default='1', nullable=False)),
    ('payer', sa.Column('address_line1', sa.String(length=255), server_default='', nullable=False)),
    ('payer', sa.Column('city', sa.String(length=100), server_default='', nullable=False)),
    ('payer', sa.Column('state', sa.String(length=2), server_default='', nullable=False)),
    ('payer', sa.Column('postal_code', sa.String(length=10), server_default='', nullable=False)),
    ('payer', sa.Column('version', sa.Integer(), server_default='1', nullable=False)),
)


def upgrade() -> None:
    for table, column in ADDED:
        op.add_column(table, column)
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:  # a solo practitioner's SSN
        batch_op.alter_column('tax_id', existing_type=sa.String(length=10), type_=sa.String(length=11))
    op.create_table('provider_appointment_type',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_provider_appointment_type_provider_id_provider')),
    sa.ForeignKeyConstraint(['type_id'], ['appointment_type.id'], name=op.f('fk_provider_appointment_type_type_id_appointment_type')),
    sa.PrimaryKeyConstraint('provider_id', 'type_id', name=op.f('pk_provider_appointment_type'))
    )
    with op.batch_alter_table('working_hours', schema=None) as batch_op:
        batch_op.add_column(sa.Column('effective_from', sa.Date(), server_default='2000-01-01', nullable=False))
        batch_op.add_column(sa.Column('kind', sa.String(length=5), server_default='work', nullable=False))
        batch_op.add_column(sa.Column('label', sa.String(length=60), server_default='', nullable=False))
        batch_op.drop_constraint('uq_working_hours_provider_id_weekday_start_time', type_='unique')
        batch_op.create_unique_constraint(
            'uq_working_hours_template',
            ['provider_id', 'effective_from', 'kind', 'weekday', 'start_time'])
        batch_op.create_check_constraint('kind', "kind IN ('work', 'block')")


def downgrade() -> None:
    op.execute("DELETE FROM working_hours WHERE kind = 'block'")
    op.execute("DELETE FROM working_hours WHERE effective_from <> "
                "(SELECT max(w.effective_from) FROM working_hours w WHERE w.provider_id = working_hours.provider_id)")
    with op.batch_alter_table('working_hours', schema=None) as batch_op:
        batch_op.drop_constraint('kind', type_='check')
        batch_op.drop_constraint('uq_working_hours_template', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_working_hours_provider_id_weekday_start_time'),
                                          ['provider_id', 'weekday', 'start_time'])
        batch_op.drop_column('label')
        batch_op.drop_column('kind')
        batch_op.drop_column('effective_from')
    op.drop_table('provider_appointment_type')
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.alter_column('tax_id', existing_type=sa.String(length=11), type_=sa.String(length=10))
    for table, column in reversed(ADDED):
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f'ALTER TABLE {table} DROP COLUMN {column.name}')
        else:
            op.drop_column(table, column.name)
