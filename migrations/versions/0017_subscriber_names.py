"""subscriber names in parts, Latin-letter patient names, X12 usage and submitter ID

An insurance policy's subscriber name is stored as last, first, middle and suffix (what an 837
carries in NM103/04/05/07). Existing names are split here only when the split is sure ("John
Smith Jr.", "Smith, John", "Juan de la Cruz"); the others keep their parts empty and are listed by
`officeconsole billing subscriber-names` for a person to split. A patient gets a Latin-letter
first and last name (for names typed in another script); the clinic gets the clearinghouse's
submitter ID and whether files are test or production interchanges (ISA15).

Plain ADD COLUMN (the tables have dependants).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADDED = (
    ('insurance_policy', sa.Column('subscriber_last_name', sa.String(length=100), server_default='', nullable=False)),
    ('insurance_policy', sa.Column('subscriber_first_name', sa.String(length=100), server_default='', nullable=False)),
    ('insurance_policy', sa.Column('subscriber_middle_name', sa.String(length=100), server_default='',
                                   nullable=False)),
    ('insurance_policy', sa.Column('subscriber_suffix', sa.String(length=10), server_default='', nullable=False)),
    ('patient', sa.Column('latin_first_name', sa.String(length=100), server_default='', nullable=False)),
    ('patient', sa.Column('latin_last_name', sa.String(length=100), server_default='', nullable=False)),
    ('clinic_settings', sa.Column('submitter_id', sa.String(length=15), server_default='', nullable=False)),
    ('clinic_settings', sa.Column('x12_usage', sa.String(length=1), server_default='P', nullable=False)),
)


def upgrade() -> None:
    for table, column in ADDED:
        op.add_column(table, column)
    from officeconsole.services.frontdesk.person_names import split_name

    policy = sa.table('insurance_policy', sa.column('id', sa.Integer()), sa.column('subscriber_name', sa.String()),
                      sa.column('subscriber_last_name', sa.String()), sa.column('subscriber_first_name', sa.String()),
                      sa.column('subscriber_middle_name', sa.String()), sa.column('subscriber_suffix', sa.String()))
    bind = op.get_bind()
    rows = bind.execute(sa.select(policy.c.id, policy.c.subscriber_name).where(policy.c.subscriber_name != '')).all()
    for policy_id, name in rows:
        parts = split_name(name)
        if parts is None:  # not sure: left for review (`officeconsole billing subscriber-names`)
            continue
        bind.execute(policy.update().where(policy.c.id == policy_id).values(
            subscriber_last_name=parts.last[:100], subscriber_first_name=parts.first[:100],
            subscriber_middle_name=parts.middle[:100], subscriber_suffix=parts.suffix[:10]))


def downgrade() -> None:
    for table, column in reversed(ADDED):
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f'ALTER TABLE {table} DROP COLUMN {column.name}')
        else:
            op.drop_column(table, column.name)
