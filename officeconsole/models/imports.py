"""Where imported records came from: (source system, source ID, kind) -> the local row.

A file imported twice finds its rows here and changes nothing; a corrected file updates the
rows whose values changed (the fingerprint is a digest of the row's values as last imported).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from officeconsole.db.base import Base
from officeconsole.models.enums import check_in


class ImportKind(StrEnum):
    PATIENTS = "patients"
    POLICIES = "policies"
    APPOINTMENTS = "appointments"
    BALANCES = "balances"


class ImportSource(Base):
    __tablename__ = "import_source"
    __table_args__ = (
        CheckConstraint(check_in("kind", ImportKind), name="kind"),
        UniqueConstraint("source", "kind", "source_id", name="uq_import_source_source_id"),
        Index("ix_import_source_local", "kind", "local_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(60))  # the other system's name, as given with --source
    kind: Mapped[str] = mapped_column(String(12))
    source_id: Mapped[str] = mapped_column(String(100))  # its ID for the record
    local_id: Mapped[int]  # patient, insurance_policy, appointment or ledger_entry id, by kind
    fingerprint: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime]
