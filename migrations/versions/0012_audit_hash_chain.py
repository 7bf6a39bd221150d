"""audit hash chain

Each audit event becomes a link of a keyed hash chain: its number (`seq`, unique), the
previous event's hash and its own HMAC-SHA-256 (services/security/audit_chain.py); a one-row
`audit_chain_head` keeps the latest link, sealed (a trigger refuses deleting it). Events
already in the table are chained here, oldest first (by id), with the audit key from the
config folder or $OFFICECONSOLE_AUDIT_KEY_FILE (made now if there is none yet), so an
upgraded clinic verifies. The append-only triggers are lifted only for that backfill.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 07:45:26.577180
"""

import datetime as dt
import hmac
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import officeconsole.db.types
from officeconsole.migrations.triggers import create_audit_guard, drop_audit_guard

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000
HEAD_GUARD = "audit_chain_head cannot be deleted"


def upgrade() -> None:
    drop_audit_guard()  # the backfill updates rows; SQLite's table rebuild below drops triggers anyway
    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('rebuilt_at', sa.BigInteger(), nullable=True),
    sa.Column('seal', sa.String(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_chain_head_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))

    _chain_existing_events()

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index('uq_audit_event_seq', ['seq'], unique=True)
    _create_head_guard()
    create_audit_guard()


def downgrade() -> None:
    drop_audit_guard()
    _drop_head_guard()
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('uq_audit_event_seq')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')

    op.drop_table('audit_chain_head')
    create_audit_guard()


# The chain's v1 format, frozen here as this revision wrote it: a later change to the live code
# (services/security/audit_chain.py) must not change what this migration computed. Only the key's location
# is read from the live code, since that is where this PC keeps it.
_encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode
GENESIS = "0" * 64


def _utc(at: dt.datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds") + "Z"


def _mac(secret: bytes, message: bytes) -> str:
    return hmac.digest(secret, message, "sha256").hex()


def _link_hash(secret: bytes, row, seq: int, prev_hash: str) -> str:
    return _mac(secret, _encode(["oc-audit-v1", seq, _utc(row.at), row.user_id, row.username, row.action, row.entity,
                                 row.entity_id, row.patient_id, row.summary, prev_hash]).encode("ascii"))


def _head_seal(secret: bytes, seq: int, hash_: str, key_id: str) -> str:
    return _mac(secret, _encode(["oc-audit-head-v1", seq, hash_, key_id, None]).encode("ascii"))


def _chain_existing_events() -> None:
    """Number and hash the events already recorded, in the order they were written (by id)."""
    from officeconsole.services.security import audit_chain

    events = sa.table(
        'audit_event', sa.column('id', sa.Integer()), sa.column('at', officeconsole.db.types.UTCDateTime()),
        sa.column('user_id', sa.Integer()), sa.column('username', sa.String()), sa.column('action', sa.String()),
        sa.column('entity', sa.String()), sa.column('entity_id', sa.String()), sa.column('patient_id', sa.Integer()),
        sa.column('summary', sa.Text()), sa.column('seq', sa.BigInteger()), sa.column('prev_hash', sa.String()),
        sa.column('hash', sa.String()))
    bind = op.get_bind()
    if not bind.execute(sa.select(events.c.id).limit(1)).first():
        return  # an empty trail: the first event written makes the key and the head
    key = audit_chain.load_key(create=True)  # where this PC keeps the key: the one live call
    update = (events.update().where(events.c.id == sa.bindparam('b_id'))
              .values(seq=sa.bindparam('b_seq'), prev_hash=sa.bindparam('b_prev'), hash=sa.bindparam('b_hash')))
    seq, prev, after = 0, GENESIS, None
    while True:
        query = sa.select(events).order_by(events.c.id).limit(BATCH)
        if after is not None:
            query = query.where(events.c.id > after)
        rows = bind.execute(query).all()
        if not rows:
            break
        links = []
        for row in rows:
            seq += 1
            digest = _link_hash(key.secret, row, seq, prev)
            links.append({'b_id': row.id, 'b_seq': seq, 'b_prev': prev, 'b_hash': digest})
            prev = digest
        bind.execute(update, links)
        after = rows[-1].id
    head = sa.table('audit_chain_head', sa.column('id'), sa.column('seq'), sa.column('hash'), sa.column('key_id'),
                    sa.column('rebuilt_at'), sa.column('seal'))
    bind.execute(head.insert().values(id=1, seq=seq, hash=prev, key_id=key.id, rebuilt_at=None,
                                      seal=_head_seal(key.secret, seq, prev, key.id)))


def _create_head_guard() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head "
                   f"BEGIN SELECT RAISE(ABORT, '{HEAD_GUARD}'); END")
        return
    op.execute("CREATE FUNCTION audit_chain_head_keep() RETURNS trigger LANGUAGE plpgsql AS "
               f"$$ BEGIN RAISE EXCEPTION '{HEAD_GUARD}'; END $$")
    op.execute("CREATE TRIGGER audit_chain_head_keep BEFORE DELETE ON audit_chain_head "
               "FOR EACH ROW EXECUTE FUNCTION audit_chain_head_keep()")


def _drop_head_guard() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_chain_head_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_chain_head_keep ON audit_chain_head")
    op.execute("DROP FUNCTION IF EXISTS audit_chain_head_keep()")
