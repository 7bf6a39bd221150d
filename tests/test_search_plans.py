"""Patient search and the payer-filtered billing queue stay on their indexes.

The statements the services really send are caught on the engine and explained on the populated demo
clinic: `EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL. A look-up that reads a whole table
(the phone "ends with" search once did: `LIKE '%4567'`, 170 ms at a million patients) fails here.
On PostgreSQL sequential scans are priced out first: a forty-patient table is cheaper to read whole,
and the question is whether an index can answer the query at all.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from officeconsole.db.database import Database
from officeconsole.db.maintenance import refresh_statistics
from officeconsole.models import Encounter, Patient, User
from officeconsole.models.enums import PatientStatus
from officeconsole.services.billing.encounters import EncounterService, QueueFilter
from officeconsole.services.common.clock import FixedClock
from officeconsole.services.common.context import Actor, ServiceContext
from officeconsole.services.frontdesk.patients import PatientService

from tests.conftest import NOW, engine_name

BIG_TABLES = ("patient", "encounter", "charge_line")


@pytest.fixture(scope="module")
def demo(small_demo):
    database = Database.from_url(small_demo.copy("plans"))
    refresh_statistics(database.engine, after_bulk_load=True)  # every table's figures, on both engines
    ctx = ServiceContext(database, FixedClock(NOW))
    with database.read() as session:
        users = {
            row.role: Actor(*row)
            for row in session.execute(
                select(User.id, User.username, User.full_name, User.role).order_by(User.id.desc())
            )
        }
    yield ctx.as_actor(users["front_desk"]), ctx.as_actor(users["billing"])
    database.dispose()


@contextmanager
def sent(database: Database):
    """The SELECT statements (with their parameters) the block sends."""
    caught: list[tuple[str, object]] = []

    def catch(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            caught.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", catch)
    try:
        yield caught
    finally:
        event.remove(database.engine, "before_cursor_execute", catch)


def plans(database: Database, statements: list[tuple[str, object]]) -> list[str]:
    """Each statement's plan as one text."""
    out = []
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            if engine_name() == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                out.append("\n".join(str(row[-1]) for row in cursor.fetchall()))
            else:
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("EXPLAIN " + statement, parameters)
                out.append("\n".join(str(row[0]) for row in cursor.fetchall()))
        raw.rollback()
    finally:
        raw.close()
    return out


def reads_a_whole_table(plan: str) -> bool:
    tables = "|".join(BIG_TABLES)
    if engine_name() == "sqlite":
        return re.search(rf"\bSCAN ({tables})\b(?! USING (COVERING )?INDEX \w+ \()", plan) is not None
    return re.search(rf"Seq Scan on ({tables})\b", plan) is not None


def uses(plan: str, index: str) -> bool:
    """`index` narrows the rows by a condition (not a walk over the whole index)."""
    if engine_name() == "sqlite":
        return re.search(rf"SEARCH \w+ USING (COVERING )?INDEX {index} \(", plan) is not None
    scan = rf"(Index (Only )?Scan (Backward )?using {index} on \w+|Bitmap Index Scan on {index})"
    return re.search(rf"{scan}.*\n\s+Index Cond", plan) is not None


def _someone(ctx: ServiceContext):
    with ctx.db.read() as session:
        return session.execute(
            select(Patient.mrn, Patient.last_name, Patient.first_name, Patient.dob, Patient.phone_key)
            .where(Patient.phone_key != "", Patient.status != PatientStatus.MERGED)
            .order_by(Patient.id)
        ).first()


def test_each_search_kind_reads_an_index(demo):
    desk, _ = demo
    p = _someone(desk)
    mrn_index = "sqlite_autoindex_patient_1" if engine_name() == "sqlite" else "uq_patient_mrn"
    kinds = {  # query -> the index each phase of its plan must narrow by
        p.last_name[:3]: ["ix_patient_last_first", "ix_patient_first_last"],
        f"{p.last_name}, {p.first_name}": ["ix_patient_last_first"],
        f"{p.first_name} {p.last_name}": ["ix_patient_last_first", "ix_patient_first_last"],
        f"{p.dob:%m/%d/%Y}": ["ix_patient_dob"],
        p.phone_key: ["ix_patient_phone_key"],
        p.phone_key[-4:]: [mrn_index, "ix_patient_phone_key", "ix_patient_phone_key_reversed"],
        p.phone_key[-7:]: [mrn_index, "ix_patient_phone_key", "ix_patient_phone_key_reversed"],
        p.mrn: [mrn_index, "ix_patient_phone_key", "ix_patient_phone_key_reversed"],
    }
    for query, indexes in kinds.items():
        with sent(desk.db) as caught:
            page = PatientService(desk).search(query, limit=100_000)  # every phase runs
        assert page.rows, query
        explained = plans(desk.db, caught)
        assert len(explained) == len(indexes), (query, explained)
        for plan, index in zip(explained, indexes, strict=True):
            assert uses(plan, index) and not reads_a_whole_table(plan), (query, index, plan)


def test_the_payer_filtered_queue_reads_the_payer_index(demo):
    _, biller = demo
    with biller.db.read() as session:
        payer_id = session.scalar(
            select(Encounter.payer_id).where(Encounter.payer_id.is_not(None)).order_by(Encounter.id)
        )
    for status in (None, "submitted", "closed"):
        with sent(biller.db) as caught:
            queue = EncounterService(biller).queue(status, 500, QueueFilter(status, payer_id=payer_id))
        assert queue.counts
        explained = plans(biller.db, caught)
        assert any(uses(plan, "ix_encounter_payer_status_service") for plan in explained), (status, explained)
        for plan in explained:
            assert not reads_a_whole_table(plan), (status, plan)
