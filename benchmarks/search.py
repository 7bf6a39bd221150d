"""Patient search: the service layer against the same look-ups as raw SQL through the driver.

200 queries drawn from the data (name prefix, full name, DOB, phone, MRN), each run through
`PatientService.search` and then as hand-written SQL on the driver's own connection, which
is the floor any implementation could reach.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from sqlalchemy import func, select

from officeconsole.db.database import Database
from officeconsole.models import Patient
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.frontdesk.patients import PAGE_SIZE, PatientService

COLUMNS = "id, mrn, last_name, first_name, dob, sex, phone, city"
KINDS = ("name prefix", "full name", "dob", "phone", "mrn")
END = "\x7f"


def sample_queries(database: Database, count: int = 200, seed: int = 5) -> list[tuple[str, str]]:
    """(kind, query) pairs taken from real rows, spread evenly over the kinds."""
    rng = random.Random(seed)
    with database.read() as session:
        top = session.scalar(select(func.max(Patient.id))) or 0
        ids = [rng.randint(1, top) for _ in range(count)]
        rows = {p.id: p for p in session.execute(
            select(Patient.id, Patient.mrn, Patient.last_name, Patient.first_name, Patient.dob, Patient.phone_key)
            .where(Patient.id.in_(ids)))}
    queries = []
    for n, patient_id in enumerate(ids):
        p = rows.get(patient_id)
        if p is None:
            continue
        kind = KINDS[n % len(KINDS)]
        if kind == "name prefix":
            text = p.last_name[: rng.randint(2, 4)]
        elif kind == "full name":
            text = f"{p.last_name}, {p.first_name}"
        elif kind == "dob":
            text = p.dob.strftime("%m/%d/%Y")
        elif kind == "phone":
            text = p.phone_key or p.mrn
        else:
            text = p.mrn
        queries.append((kind, text))
    return queries


def _raw_runner(database: Database) -> tuple[Callable[[str, str], int], Callable[[], None]]:
    """A function that answers a query with plain SQL on a DBAPI connection (the baseline)."""
    raw = database.engine.raw_connection()
    cursor = raw.cursor()
    mark = "?" if database.dialect == "sqlite" else "%s"
    base = f"SELECT {COLUMNS} FROM patient WHERE status <> 'merged' AND "
    limit = f" LIMIT {PAGE_SIZE + 1}"

    def run(sql: str, params: tuple) -> list:
        cursor.execute(base + sql.replace("?", mark) + limit, params)
        return cursor.fetchall()

    def answer(kind: str, text: str) -> int:
        from officeconsole.services.common.text import search_key

        if kind == "name prefix":
            key = search_key(text)
            rows = run("last_key >= ? AND last_key < ? ORDER BY last_key, first_key, id", (key, key + END))
            if len(rows) <= PAGE_SIZE:
                rows += run("first_key >= ? AND first_key < ? AND NOT (last_key >= ? AND last_key < ?) "
                            "ORDER BY first_key, last_key, id", (key, key + END, key, key + END))
        elif kind == "full name":
            last, first = (search_key(part) for part in text.split(",", 1))
            rows = run("last_key >= ? AND last_key < ? AND first_key >= ? AND first_key < ? "
                       "ORDER BY last_key, first_key, id", (last, last + END, first, first + END))
        elif kind == "dob":
            month, day, year = text.split("/")
            rows = run("dob = ? ORDER BY dob, last_key, first_key, id", (f"{year}-{month}-{day}",))
        elif kind == "phone":
            rows = run("phone_key >= ? AND phone_key < ? ORDER BY phone_key, id", (text, text + END))
        else:
            rows = run("mrn = ? ORDER BY id", (text,))
            rows += run("phone_key >= ? AND phone_key < ? ORDER BY phone_key, id", (text, text + END))
        raw.rollback()
        return len(rows)

    def close() -> None:
        cursor.close()
        raw.close()

    return answer, close


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def measure(ctx: ServiceContext, queries: list[tuple[str, str]]) -> dict[str, tuple[float, float]]:
    """p50 and p95 in milliseconds for the service and for raw SQL (after one warm-up pass each),
    over all queries ("service", "raw") and for each kind alone ("service:dob", "raw:dob", ...):
    the mix hides a slow kind behind the instant ones, so each kind is judged on its own too."""
    service = PatientService(ctx)
    answer, close = _raw_runner(ctx.db)
    try:
        for kind, text in queries:  # warm caches and statement caches for both
            service.search(text)
            answer(kind, text)
        timings: dict[str, list[float]] = {"service": [], "raw": []}
        for kind, text in queries:
            start = time.perf_counter()
            service.search(text)
            elapsed = (time.perf_counter() - start) * 1000
            timings["service"].append(elapsed)
            timings.setdefault(f"service:{kind}", []).append(elapsed)
            start = time.perf_counter()
            answer(kind, text)
            elapsed = (time.perf_counter() - start) * 1000
            timings["raw"].append(elapsed)
            timings.setdefault(f"raw:{kind}", []).append(elapsed)
    finally:
        close()
    return {name: _percentiles(samples) for name, samples in timings.items()}
