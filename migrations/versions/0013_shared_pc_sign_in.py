"""shared-PC sign-in

A PIN, the day's first password login, failed attempts, lockout and a scheduled job's key on
app_user; the idle
lock, password and PIN lengths and the lockout rule in clinic_settings (plain ADD COLUMN:
app_user has dependants SQLite's batch rebuild would break).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import officeconsole.db.types

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USER_COLUMNS = ('pin_hash', 'password_at', 'failed_logins', 'last_failed_at', 'locked_until', 'job_key_hash')
SETTINGS = (('idle_lock_minutes', '5'), ('min_password_length', '8'), ('min_pin_length', '4'),
            ('lockout_attempts', '5'), ('lockout_minutes', '15'))


def upgrade() -> None:
    op.add_column('app_user', sa.Column('pin_hash', sa.String(length=255), server_default='', nullable=False))
    op.add_column('app_user', sa.Column('password_at', officeconsole.db.types.UTCDateTime(), nullable=True))
    op.add_column('app_user', sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
    op.add_column('app_user', sa.Column('last_failed_at', officeconsole.db.types.UTCDateTime(), nullable=True))
    op.add_column('app_user', sa.Column('locked_until', officeconsole.db.types.UTCDateTime(), nullable=True))
    op.add_column('app_user', sa.Column('job_key_hash', sa.String(length=255), server_default='', nullable=False))
    for name, default in SETTINGS:
        op.add_column('clinic_settings', sa.Column(name, sa.Integer(), server_default=default, nullable=False))


def downgrade() -> None:
    for table, columns in (('clinic_settings', [name for name, _ in SETTINGS]), ('app_user', USER_COLUMNS)):
        for column in reversed(columns):
            if op.get_bind().dialect.name == 'sqlite':
                op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')  # SQLite 3.35+, no rebuild
            else:
                op.drop_column(table, column)
