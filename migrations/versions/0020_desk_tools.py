"""patient alerts and notes, visit confirmations and sent reminders, recall rules and their outcomes

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import officeconsole.db.types

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, officeconsole.db.types.UTCDateTime(), nullable=nullable)


def _user(table: str, column: str, nullable: bool = False) -> tuple[sa.Column, sa.ForeignKeyConstraint]:
    return (sa.Column(column, sa.Integer(), nullable=nullable),
            sa.ForeignKeyConstraint([column], ['app_user.id'], name=op.f(f'fk_{table}_{column}_app_user')))


def upgrade() -> None:
    op.create_table('patient_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=120), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    *_user('patient_alert', 'created_by_id'),
    _at('created_at'),
    *_user('patient_alert', 'ended_by_id', nullable=True),
    _at('ended_at', nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("text <> ''", name=op.f('ck_patient_alert_has_text')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_patient_alert_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_alert'))
    )
    op.create_index(op.f('ix_patient_alert_patient_id'), 'patient_alert', ['patient_id'], unique=False)
    op.create_table('patient_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('text', sa.String(length=2000), nullable=False),
    *_user('patient_note', 'written_by_id'),
    _at('written_at'),
    sa.CheckConstraint("text <> ''", name=op.f('ck_patient_note_has_text')),
    sa.CheckConstraint("kind IN ('general', 'phone', 'billing')", name=op.f('ck_patient_note_kind')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_patient_note_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_note'))
    )
    op.create_index('ix_patient_note_patient_written', 'patient_note', ['patient_id', 'written_at'], unique=False)
    op.create_table('visit_confirmation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('how', sa.String(length=10), nullable=False),
    *_user('visit_confirmation', 'by_id'),
    _at('at'),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('confirmed', 'left_message')", name=op.f('ck_visit_confirmation_state')),
    sa.CheckConstraint("how IN ('phone', 'text', 'email', 'in_person')", name=op.f('ck_visit_confirmation_how')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'],
                            name=op.f('fk_visit_confirmation_appointment_id_appointment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_confirmation')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_visit_confirmation_appointment_id'))
    )
    op.create_table('reminder_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    _at('at'),
    *_user('reminder_sent', 'by_id', nullable=True),
    sa.CheckConstraint("outcome IN ('sending', 'sent', 'failed')", name=op.f('ck_reminder_sent_outcome')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'],
                            name=op.f('fk_reminder_sent_appointment_id_appointment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_sent'))
    )
    op.create_index('ix_reminder_sent_appointment', 'reminder_sent', ['appointment_id', 'kind'], unique=False)
    op.create_index('uq_reminder_sent_once', 'reminder_sent', ['appointment_id', 'kind'], unique=True,
                    sqlite_where=sa.text("outcome IN ('sending', 'sent')"),
                    postgresql_where=sa.text("outcome IN ('sending', 'sent')"))
    op.create_table('recall_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('months BETWEEN 1 AND 60', name=op.f('ck_recall_rule_months')),
    sa.ForeignKeyConstraint(['type_id'], ['appointment_type.id'], name=op.f('fk_recall_rule_type_id_appointment_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recall_rule')),
    sa.UniqueConstraint('name', name=op.f('uq_recall_rule_name')),
    sa.UniqueConstraint('type_id', name=op.f('uq_recall_rule_type_id'))
    )
    op.create_table('recall_outcome',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    *_user('recall_outcome', 'by_id'),
    _at('at'),
    sa.CheckConstraint("outcome IN ('contacted', 'declined')", name=op.f('ck_recall_outcome_outcome')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_recall_outcome_patient_id_patient')),
    sa.ForeignKeyConstraint(['rule_id'], ['recall_rule.id'], name=op.f('fk_recall_outcome_rule_id_recall_rule')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recall_outcome')),
    sa.UniqueConstraint('rule_id', 'patient_id', 'due_on', 'outcome',
                        name=op.f('uq_recall_outcome_rule_id_patient_id_due_on_outcome'))
    )
    op.create_index('ix_recall_outcome_patient', 'recall_outcome', ['patient_id', 'rule_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_recall_outcome_patient', table_name='recall_outcome')
    op.drop_table('recall_outcome')
    op.drop_table('recall_rule')
    op.drop_index('uq_reminder_sent_once', table_name='reminder_sent')
    op.drop_index('ix_reminder_sent_appointment', table_name='reminder_sent')
    op.drop_table('reminder_sent')
    op.drop_table('visit_confirmation')
    op.drop_index('ix_patient_note_patient_written', table_name='patient_note')
    op.drop_table('patient_note')
    op.drop_index(op.f('ix_patient_alert_patient_id'), table_name='patient_alert')
    op.drop_table('patient_alert')
