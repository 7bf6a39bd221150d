"""acknowledgements (999/277CA), eligibility answers (271) and refunds

claim_ack keeps each acknowledgement file read (once: its digest is unique) and claim_ack_item
what it said of each batch or claim; eligibility_check keeps each policy's 271 answer; refund
keeps each refund asked for and its manager's decision. ledger_entry gains the kind 'refund'
(a credit given back): it is referenced only by itself, so SQLite rebuilds it as 0015 did.
A step down drops what the older schema cannot hold: the refunds posted leave the ledger (the
patients' running balances give the credit back), as 0014's step down drops lunch blocks.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import officeconsole.db.types
from officeconsole.migrations.triggers import create_append_only, create_closed_day_guard, drop_append_only

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUND_SHAPE = "kind <> 'refund' OR (amount > 0 AND method <> '' AND reason <> '')"


def upgrade() -> None:
    _ledger_kinds("kind IN ('payment', 'void', 'opening', 'refund')", refund_shape=True)
    op.create_table('claim_ack',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=5), nullable=False),
    sa.Column('file_digest', sa.String(length=64), nullable=False),
    sa.Column('interchange', sa.String(length=9), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('posted_at', officeconsole.db.types.UTCDateTime(), nullable=False),
    sa.Column('posted_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('999', '277CA')", name=op.f('ck_claim_ack_kind')),
    sa.ForeignKeyConstraint(['posted_by_id'], ['app_user.id'], name=op.f('fk_claim_ack_posted_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_ack')),
    sa.UniqueConstraint('file_digest', name=op.f('uq_claim_ack_file_digest'))
    )
    op.create_table('eligibility_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('checked_on', sa.Date(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('plan_begin', sa.Date(), nullable=True),
    sa.Column('plan_end', sa.Date(), nullable=True),
    sa.Column('copay', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('deductible', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('deductible_remaining', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('plan_name', sa.String(length=60), nullable=False),
    sa.Column('message', sa.String(length=200), nullable=False),
    sa.Column('trace', sa.String(length=50), nullable=False),
    sa.Column('file_digest', sa.String(length=64), nullable=False),
    sa.Column('posted_at', officeconsole.db.types.UTCDateTime(), nullable=False),
    sa.Column('posted_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_eligibility_check_patient_id_patient')),
    sa.ForeignKeyConstraint(['policy_id'], ['insurance_policy.id'], name=op.f('fk_eligibility_check_policy_id_insurance_policy')),
    sa.ForeignKeyConstraint(['posted_by_id'], ['app_user.id'], name=op.f('fk_eligibility_check_posted_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eligibility_check')),
    sa.UniqueConstraint('file_digest', 'policy_id', name=op.f('uq_eligibility_check_file_digest_policy_id'))
    )
    with op.batch_alter_table('eligibility_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eligibility_check_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_eligibility_check_policy', ['policy_id', 'checked_on', 'id'], unique=False)
    op.create_table('claim_ack_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ack_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('encounter_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=50), nullable=False),
    sa.Column('outcome', sa.String(length=9), nullable=False),
    sa.Column('codes', sa.String(length=100), nullable=False),
    sa.Column('message', sa.String(length=264), nullable=False),
    sa.Column('payer_claim_number', sa.String(length=50), nullable=False),
    sa.Column('moved', sa.Boolean(), nullable=False),
    sa.CheckConstraint("outcome IN ('accepted', 'rejected', 'unmatched')", name=op.f('ck_claim_ack_item_outcome')),
    sa.ForeignKeyConstraint(['ack_id'], ['claim_ack.id'], name=op.f('fk_claim_ack_item_ack_id_claim_ack')),
    sa.ForeignKeyConstraint(['batch_id'], ['claim_batch.id'], name=op.f('fk_claim_ack_item_batch_id_claim_batch')),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounter.id'], name=op.f('fk_claim_ack_item_encounter_id_encounter')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_ack_item'))
    )
    with op.batch_alter_table('claim_ack_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_ack_item_ack_id'), ['ack_id'], unique=False)
        batch_op.create_index('ix_claim_ack_item_encounter', ['encounter_id', 'ack_id'], unique=False)
    op.create_table('refund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=7), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('encounter_id', sa.Integer(), nullable=True),
    sa.Column('payer_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('method', sa.String(length=5), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=9), nullable=False),
    sa.Column('requested_at', officeconsole.db.types.UTCDateTime(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', officeconsole.db.types.UTCDateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_note', sa.String(length=200), nullable=False),
    sa.Column('ledger_entry_id', sa.Integer(), nullable=True),
    sa.Column('ar_entry_id', sa.Integer(), nullable=True),
    sa.Column('request_key', sa.String(length=60), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("method IN ('check', 'card', 'cash', 'eft')", name=op.f('ck_refund_method')),
    sa.CheckConstraint("reason <> ''", name=op.f('ck_refund_has_reason')),
    sa.CheckConstraint("source <> 'insurer' OR (payer_id IS NOT NULL AND encounter_id IS NOT NULL)", name=op.f('ck_refund_insurer_claim')),
    sa.CheckConstraint("source IN ('patient', 'insurer')", name=op.f('ck_refund_source')),
    sa.CheckConstraint("status <> 'approved' OR (ledger_entry_id IS NOT NULL OR ar_entry_id IS NOT NULL)", name=op.f('ck_refund_approved_posted')),
    sa.CheckConstraint("status IN ('requested', 'approved', 'declined')", name=op.f('ck_refund_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_refund_amount_positive')),
    sa.ForeignKeyConstraint(['ar_entry_id'], ['ar_entry.id'], name=op.f('fk_refund_ar_entry_id_ar_entry')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['app_user.id'], name=op.f('fk_refund_decided_by_id_app_user')),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounter.id'], name=op.f('fk_refund_encounter_id_encounter')),
    sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entry.id'], name=op.f('fk_refund_ledger_entry_id_ledger_entry')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_refund_patient_id_patient')),
    sa.ForeignKeyConstraint(['payer_id'], ['payer.id'], name=op.f('fk_refund_payer_id_payer')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['app_user.id'], name=op.f('fk_refund_requested_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund')),
    sa.UniqueConstraint('ar_entry_id', name=op.f('uq_refund_ar_entry_id')),
    sa.UniqueConstraint('ledger_entry_id', name=op.f('uq_refund_ledger_entry_id')),
    sa.UniqueConstraint('request_key', name=op.f('uq_refund_request_key'))
    )
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_refund_status', ['status', 'requested_at'], unique=False)


def _ledger_kinds(check: str, *, refund_shape: bool) -> None:
    """Replace ledger_entry's kind check (and add or drop the refund's shape). SQLite rebuilds the
    table, which drops its triggers: they are made again (append-only, no posting into a closed day)."""
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_constraint('kind', type_='check')
        batch_op.create_check_constraint('kind', check)
        if refund_shape:
            batch_op.create_check_constraint('refund_shape', REFUND_SHAPE)
        else:
            batch_op.drop_constraint('refund_shape', type_='check')
    if op.get_bind().dialect.name == "sqlite":
        create_append_only('ledger_entry')
        create_closed_day_guard('ledger_entry')


def downgrade() -> None:
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_index('ix_refund_status')
        batch_op.drop_index(batch_op.f('ix_refund_patient_id'))
    op.drop_table('refund')
    with op.batch_alter_table('claim_ack_item', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_ack_item_encounter')
        batch_op.drop_index(batch_op.f('ix_claim_ack_item_ack_id'))
    op.drop_table('claim_ack_item')
    with op.batch_alter_table('eligibility_check', schema=None) as batch_op:
        batch_op.drop_index('ix_eligibility_check_policy')
        batch_op.drop_index(batch_op.f('ix_eligibility_check_patient_id'))
    op.drop_table('eligibility_check')
    op.drop_table('claim_ack')
    _drop_refund_entries()
    _ledger_kinds("kind IN ('payment', 'void', 'opening')", refund_shape=False)


def _drop_refund_entries() -> None:
    """The refunds posted, which the older ledger has no kind for, leave it (past its append-only
    guard), and each patient's running balance loses them again."""
    refunds = "SELECT patient_id FROM ledger_entry WHERE kind = 'refund'"
    op.execute("UPDATE patient_balance SET balance = balance - (SELECT COALESCE(SUM(e.amount), 0) "
               "FROM ledger_entry e WHERE e.kind = 'refund' AND e.patient_id = patient_balance.patient_id) "
               f"WHERE patient_id IN ({refunds})")
    drop_append_only('ledger_entry')
    op.execute("DELETE FROM ledger_entry WHERE kind = 'refund'")
    create_append_only('ledger_entry')
