"""The whole clinic as CSV: one file per table, rows streamed (bounded memory at a million patients).

Every table the clinic's work lives in is written, in the order a loader needs them (a table
after the tables it points to), each ordered by its key, with the column names as the header.
Left out: what the product rebuilds or keeps to itself, never the clinic's data: the booked
5-minute steps (rebuilt from the appointments), each patient's running balance (the sum of the
A/R and desk ledgers, both exported), the number counters, the audit chain's seal (tied to
this PC's key), login secrets (password, PIN and job-key hashes), the patients' search keys
and the edit-version counters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, Table, select
from sqlalchemy.orm import Session

from officeconsole.models import Base
from officeconsole.services.formats import csv_safe
from officeconsole.services.operations.export_files import ExportFolder

SKIPPED_TABLES = {
    "booked_slot": "rebuilt from the appointments",
    "patient_balance": "the sum of ar_entry and ledger_entry",
    "counter": "the next MRN and receipt numbers",
    "audit_chain_head": "the audit chain's seal, tied to this PC's key",
}
SKIPPED_COLUMNS = {
    "app_user": {"password_hash", "pin_hash", "job_key_hash"},
    "patient": {"first_key", "last_key", "phone_key", "phone_key_reversed"},
}
BATCH = 2000


def tables() -> list[Table]:
    """What the export writes, parents before children."""
    return [t for t in Base.metadata.sorted_tables if t.name not in SKIPPED_TABLES]


def columns(table: Table) -> list[Column[Any]]:
    hidden = SKIPPED_COLUMNS.get(table.name, set())
    return [c for c in table.columns if c.name not in hidden and c.name != "version"]


def write_tables(session: Session, folder: ExportFolder,
                 progress: Callable[[str, int], None] | None = None) -> None:
    """Each table into `<table>.csv` under the folder's staging, streamed in batches."""
    for table in tables():
        cols = columns(table)
        query = select(*cols).order_by(*table.primary_key.columns)
        with folder.text_file(f"{table.name}.csv", table.name) as stream:
            writer = csv_safe.writer(stream)
            writer.writerow([c.name for c in cols])
            result = session.execute(query, execution_options={"yield_per": BATCH})
            for rows in result.partitions():
                writer.writerows(rows)
                stream.rows += len(rows)
        if progress is not None:
            progress(table.name, stream.rows)
