"""Shared fixtures: a migrated database on SQLite (default) or PostgreSQL, a fixed clock.

Set OFFICECONSOLE_TEST_DB to a postgresql:// URL to run the whole suite on PostgreSQL. Each
pytest-xdist worker then works in databases of its own on that server, named after the URL's
database, the worker and a slot the worker holds an advisory lock on (e.g. test_gw0_1), so
parallel workers and runs started at the same time never meet; they are dropped at the end.
Between tests the worker's database is emptied with a plain DELETE of every table (triggers
off) and its sequences restarted: the state a fresh migration leaves, in milliseconds. With
OFFICECONSOLE_TEST_DB set, a server that cannot be reached fails the run instead of skipping it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from officeconsole.db import migrate
from officeconsole.db.database import Database
from officeconsole.db.engine import make_engine
from officeconsole.services import auth
from officeconsole.services.audit_chain import ENV_KEY_FILE
from officeconsole.services.clock import FixedClock
from officeconsole.services.context import Actor, ServiceContext

from tests.factories import seed_clinic

auth.use_fast_hashing()

PG_URL = os.environ.get("OFFICECONSOLE_TEST_DB", "")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York


def pytest_configure(config) -> None:
    """On the PostgreSQL run the SQLite-only screens (an encrypted database's) are skipped, so
    their snapshots are rightly unused: a warning there, not a failure."""
    if PG_URL:
        config.option.warn_unused_snapshots = True


def pytest_sessionstart(session) -> None:
    """On the PostgreSQL run an unreachable server fails the run at once: it never skips."""
    if PG_URL:
        engine = create_engine(PG_URL)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure ends the run with its reason
            raise pytest.UsageError(f"OFFICECONSOLE_TEST_DB is set but PostgreSQL is unreachable: {exc}") from None
        finally:
            engine.dispose()


def pytest_report_header(config) -> str:
    return f"officeconsole test database: {engine_name()}"


def engine_name() -> str:
    return "postgresql" if PG_URL else "sqlite"


@pytest.fixture(scope="session", autouse=True)
def audit_key_file(tmp_path_factory) -> Iterator[Path]:
    """One audit key for the whole run, never the real config folder's (child processes inherit it)."""
    path = tmp_path_factory.mktemp("audit-key") / "audit.key"
    saved = os.environ.get(ENV_KEY_FILE)
    os.environ[ENV_KEY_FILE] = str(path)
    yield path
    if saved is None:
        os.environ.pop(ENV_KEY_FILE, None)
    else:
        os.environ[ENV_KEY_FILE] = saved


@pytest.fixture(scope="session", autouse=True)
def home_folder(tmp_path_factory) -> Iterator[Path]:
    """The data and config folders of the run (reports, claims, receipts, the error log), never the
    real user's; a test that needs its own sets OFFICECONSOLE_HOME itself."""
    path = tmp_path_factory.mktemp("home")
    saved = os.environ.get("OFFICECONSOLE_HOME")
    os.environ["OFFICECONSOLE_HOME"] = str(path)
    yield path
    if saved is None:
        os.environ.pop("OFFICECONSOLE_HOME", None)
    else:
        os.environ["OFFICECONSOLE_HOME"] = saved


class PgSchema:
    """A throwaway schema on the test server, selected through search_path."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.name = f"oc_{uuid.uuid4().hex[:12]}"
        admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
        finally:
            admin.dispose()

    @property
    def url(self) -> str:
        sep = "&" if "?" in self.base_url else "?"
        return f"{self.base_url}{sep}options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        admin = create_engine(self.base_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        finally:
            admin.dispose()


class PgWorkerDatabases:
    """This worker's databases on the test server: `<db>_<worker>_<slot>` and its siblings.

    The slot is the first whose advisory lock this worker gets (held on a connection kept open
    for the run), so a run that is killed leaves names the next run takes over, and two runs at
    once never share one."""

    def __init__(self, base_url: str) -> None:
        self.base = make_url(base_url)
        self.admin = create_engine(self.base, isolation_level="AUTOCOMMIT")
        self.lock = self.admin.connect()
        stem = f"{self.base.database}_{WORKER}".lower()
        for slot in range(1, 100):
            self.prefix = f"{stem}_{slot}"
            key = zlib.crc32(f"officeconsole-tests:{self.prefix}".encode())
            if self.lock.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                break
        else:  # pragma: no cover - a hundred runs of one worker at once
            raise pytest.UsageError(f"no free test database slot for {stem}")
        self.made: list[str] = []

    def url(self, suffix: str = "") -> str:
        return self.base.set(database=self.prefix + suffix).render_as_string(hide_password=False)

    def create(self, suffix: str = "", template: str | None = None) -> str:
        """A new database `<prefix><suffix>` (a copy of `template`'s database if given): its URL."""
        name = self.prefix + suffix
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            clone = f' TEMPLATE "{self.prefix + template}"' if template is not None else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{clone}'))
        if name not in self.made:
            self.made.append(name)
        return self.url(suffix)

    def close(self) -> None:
        with self.admin.connect() as conn:
            for name in reversed(self.made):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.lock.close()  # releases the slot
        self.admin.dispose()


class PgReset:
    """Empty every table of a migrated database and restart its sequences, as migrated."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        with self.engine.connect() as conn:
            tables = conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'alembic_version'")).scalars().all()
        # session_replication_role = replica switches off triggers, so the append-only tables'
        # guards and the foreign keys do not stand in the way (only a superuser may; tests run as one).
        self.sql = "SET LOCAL session_replication_role = replica; " + " ".join(
            f'DELETE FROM "{name}";' for name in tables)

    def __call__(self) -> None:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(self.sql)
            conn.execute(text(
                "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) "
                "FROM pg_sequences WHERE schemaname = current_schema()"))


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgWorkerDatabases | None]:
    """This worker's own databases on the PostgreSQL run (None on SQLite)."""
    if not PG_URL:
        yield None
        return
    databases = PgWorkerDatabases(PG_URL)
    yield databases
    databases.close()


@pytest.fixture
def empty_db_url(tmp_path: Path, pg_databases, _template: str) -> Iterator[str]:
    """A URL to a database with nothing in it (not even alembic_version). On PostgreSQL it is a
    new schema in this worker's database, which the migrated template creates (a test run alone
    may ask for this first)."""
    if pg_databases is not None:
        schema = PgSchema(pg_databases.url())
        yield schema.url
        schema.drop()
    else:
        yield f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture(scope="session")
def _template(tmp_path_factory, pg_databases) -> Iterator[str]:
    """One migrated database per worker: each test gets a copy (SQLite) or an emptied one (PG)."""
    if pg_databases is not None:
        url = pg_databases.create()
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        engine.dispose()
        yield str(path)


@pytest.fixture(scope="session")
def _pg_reset(_template: str) -> Iterator[PgReset | None]:
    if not PG_URL:
        yield None
        return
    reset = PgReset(_template)
    yield reset
    reset.engine.dispose()


@pytest.fixture
def db_url(_template: str, _pg_reset: PgReset | None, tmp_path: Path) -> str:
    if _pg_reset is not None:
        _pg_reset()
        return _template
    target = tmp_path / "clinic.db"
    shutil.copyfile(_template, target)
    return f"sqlite:///{target}"


SMALL_DEMO = {"patients": 40, "seed": 11, "days_back": 14, "days_ahead": 7}


@pytest.fixture(scope="session")
def small_demo(_template: str, pg_databases, tmp_path_factory):
    """The small demo clinic (SMALL_DEMO: 40 patients, three weeks billed), built once per worker;
    `small_demo.copy(name)` gives the URL of a fresh copy of it: a file copy on SQLite, a database
    cloned from it as a template on PostgreSQL."""
    from officeconsole.demo import build_demo

    if pg_databases is not None:
        url = pg_databases.create("_demo")
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
    else:
        path = tmp_path_factory.mktemp("demo") / "demo.db"
        shutil.copyfile(_template, path)
        url = f"sqlite:///{path}"
    database = Database.from_url(url)
    try:
        summary = build_demo(ServiceContext(database, FixedClock(NOW)), **SMALL_DEMO)
    finally:
        database.dispose()
    return SmallDemo(summary, url, pg_databases, tmp_path_factory)


class SmallDemo:
    def __init__(self, summary, url: str, pg_databases: PgWorkerDatabases | None, tmp_path_factory) -> None:
        self.summary, self.url, self.pg, self.tmp = summary, url, pg_databases, tmp_path_factory

    def copy(self, name: str) -> str:
        if self.pg is not None:
            return self.pg.create(f"_{name}", template="_demo")
        target = self.tmp.mktemp(name) / "demo.db"
        shutil.copyfile(make_url(self.url).database, target)
        return f"sqlite:///{target}"


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database.from_url(db_url)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def ctx(database: Database, clock: FixedClock) -> ServiceContext:
    return ServiceContext(database, clock)


@pytest.fixture
def clinic(ctx: ServiceContext):
    """A set-up clinic: a manager, front desk, billing and a provider, two payers."""
    return seed_clinic(ctx)


@pytest.fixture
def as_role(ctx: ServiceContext, clinic):
    def _as(role: str) -> ServiceContext:
        return ctx.as_actor(clinic.actors[role])

    return _as


@pytest.fixture
def manager_ctx(as_role) -> ServiceContext:
    return as_role("manager")


@pytest.fixture
def desk_ctx(as_role) -> ServiceContext:
    return as_role("front_desk")


WEEK = {day: [("08:00", "12:00"), ("13:00", "17:00")] for day in range(5)}
MONDAY = dt.date(2026, 11, 30)  # NOW is Monday 2026-11-23 10:00 in New York


@pytest.fixture
def sched(ctx, clinic, manager_ctx, desk_ctx):
    """Two providers on Mon-Fri 08-12, 13-17; a 20-minute type; two patients."""
    from officeconsole.models import AppointmentType, Provider, User
    from officeconsole.models.enums import Role
    from officeconsole.services.booking import BookingService
    from officeconsole.services.hours import HoursService

    from tests.factories import register

    with ctx.db.write() as session:
        kind = AppointmentType(name="Follow-up", default_minutes=20)
        session.add(kind)
        user = User(username="drkim", full_name="Jo Kim", role=Role.PROVIDER, password_hash="x", created_at=NOW)
        session.add(user)
        session.flush()
        other = Provider(user_id=user.id, npi="9876543213")
        session.add(other)
        session.flush()
        type_id, other_id = kind.id, other.id
    hours = HoursService(manager_ctx)
    for provider_id in (clinic.provider_id, other_id):
        hours.set_week(provider_id, WEEK)
    return {"type": type_id, "lee": clinic.provider_id, "kim": other_id,
            "ann": register(desk_ctx, first_name="Ann").id, "bob": register(desk_ctx, first_name="Bob").id,
            "book": BookingService(desk_ctx)}


__all__ = ["MONDAY", "NOW", "SMALL_DEMO", "WEEK", "Actor", "engine_name"]
