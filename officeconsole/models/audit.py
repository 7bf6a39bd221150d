"""The append-only audit trail: who looked at or changed what, and when.

Rows are only ever inserted; database triggers (see the first migration) refuse UPDATE
and DELETE on both engines. Each row is also a link of a keyed hash chain (`seq`,
`prev_hash`, `hash`), and `audit_chain_head` keeps the chain's latest link, sealed with the
same key: see services/security/audit_chain.py for what that does and does not prove.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from officeconsole.db.base import Base


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_patient_at", "patient_id", "at"),
        Index("uq_audit_event_seq", "seq", unique=True),  # one chain: two writers cannot both take a number
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    at: Mapped[dt.datetime]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    username: Mapped[str] = mapped_column(String(40))  # kept even for failed logins
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40), default="")
    entity_id: Mapped[str] = mapped_column(String(40), default="")
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"))
    summary: Mapped[str] = mapped_column(Text, default="")
    # The chain, filled in at flush time (services/security/audit_chain.py): the event's number (1, 2, ...
    # with no gaps), the previous event's hash and HMAC-SHA-256 over this event and that hash.
    seq: Mapped[int] = mapped_column(BigInteger)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """One row: the chain's latest event number and hash, written in the same transaction as
    each event, sealed with the key so it cannot be set back to an arbitrary earlier link.

    `key_id` names the key the chain is written with (a keyed digest, not the key), so a PC
    with another key file refuses to write instead of forking the chain. `rebuilt_at` is set
    when a writer found the head missing or behind the events and carried on from the last
    event: verification reports it, since events after that point may have been removed.
    """

    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    rebuilt_at: Mapped[int | None] = mapped_column(BigInteger)
    seal: Mapped[str] = mapped_column(String(64))
