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

import contextlib
import datetime as dt
import hashlib
import os
import pickle
import shutil
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy.exc
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from officeconsole.db import migrate
from officeconsole.db.database import Database
from officeconsole.db.engine import make_engine
from officeconsole.services.common.clock import FixedClock
from officeconsole.services.common.context import Actor, ServiceContext
from officeconsole.services.security import auth
from officeconsole.services.security.audit_chain import ENV_KEY_FILE

from tests.factories import CLINIC_ZONE, seed_clinic

try:
    import fcntl
except ImportError:  # Windows: no run-wide lock, so each worker builds the small demo itself
    fcntl = None

auth.use_fast_hashing()

PG_URL = os.environ.get("OFFICECONSOLE_TEST_DB", "")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York


def pytest_configure(config) -> None:
    """On the PostgreSQL run the SQLite-only screens (an encrypted database's) are skipped, so
    their snapshots are rightly unused: a warning there, not a failure."""
    if PG_URL:
        config.option.warn_unused_snapshots = True


def pytest_collection_modifyitems(config, items) -> None:
    """The tests marked `slow` or `e2e` (each many seconds) run first, in their files' order: the
    workers then end the run on short tests, instead of one worker finishing a long test alone
    while the other has nothing left."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None and item.get_closest_marker("e2e") is None)


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


def run_folder(tmp_path_factory) -> Path:
    """The folder every worker of this run shares (the parent of the workers' own)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if WORKER != "main" else base


@contextlib.contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Held by one worker of the run at a time (an exclusive lock on `path`)."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session", autouse=True)
def audit_key_file(tmp_path_factory) -> Iterator[Path]:
    """One audit key for the whole run, never the real config folder's (child processes inherit it).
    Every worker has its own copy of the same key, so a database one worker built (the small demo)
    checks out in another."""
    from officeconsole.services.security.audit_chain import load_key

    path = tmp_path_factory.mktemp("audit-key") / "audit.key"
    secret = load_key(run_folder(tmp_path_factory) / "audit.key", create=True).secret
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secret)
    finally:
        os.close(fd)
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

    def create(self, suffix: str = "", template: str | None = None, *, source: str | None = None) -> str:
        """A new database `<prefix><suffix>`, a copy of this worker's `<prefix><template>` or of
        the database named `source` (another worker's) if given: its URL."""
        name = self.prefix + suffix
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            origin = source or (self.prefix + template if template is not None else None)
            clone = f' TEMPLATE "{origin}"' if origin is not None else ""
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
    """The small demo clinic (SMALL_DEMO: 40 patients, three weeks billed), built once per run by
    the first worker to need it: the others copy its file (SQLite) or clone its database (a copy
    kept for the purpose, as a template: PostgreSQL). `small_demo.copy(name)` gives the URL of a
    fresh copy of it: a file copy on SQLite, a database cloned from it on PostgreSQL."""
    if fcntl is None:  # no run-wide lock: each worker builds its own
        return SmallDemo(_build_own_small_demo(_template, pg_databases, tmp_path_factory), pg_databases,
                         tmp_path_factory)
    shared = run_folder(tmp_path_factory) / "small-demo"
    shared.mkdir(exist_ok=True)
    with run_lock(shared / "lock"):
        if (shared / "summary.pickle").exists():
            summary = pickle.loads((shared / "summary.pickle").read_bytes())
            url = _copy_shared_small_demo(shared, pg_databases, tmp_path_factory)
            if url is not None:
                return SmallDemo((summary, url), pg_databases, tmp_path_factory)
        built = _build_own_small_demo(_template, pg_databases, tmp_path_factory)
        summary, url = built
        if pg_databases is not None:  # a copy no test connects to, so it can be cloned at any time
            (shared / "source").write_text(make_url(pg_databases.create("_demo_shared", template="_demo")).database)
        else:
            shutil.copyfile(make_url(url).database, shared / "demo.db")
        (shared / "summary.pickle").write_bytes(pickle.dumps(summary))
    return SmallDemo(built, pg_databases, tmp_path_factory)


def _build_own_small_demo(template: str, pg_databases, tmp_path_factory):
    if pg_databases is not None:
        url = pg_databases.create("_demo")
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
    else:
        path = tmp_path_factory.mktemp("demo") / "demo.db"
        shutil.copyfile(template, path)
        url = f"sqlite:///{path}"
    return _build_small_demo(url), url


def _copy_shared_small_demo(shared: Path, pg_databases, tmp_path_factory) -> str | None:
    """This worker's copy of the run's small demo; None when the worker that built it has ended its
    run and dropped its databases (PostgreSQL)."""
    if pg_databases is None:
        path = tmp_path_factory.mktemp("demo") / "demo.db"
        shutil.copyfile(shared / "demo.db", path)
        return f"sqlite:///{path}"
    try:
        return pg_databases.create("_demo", source=(shared / "source").read_text())
    except (sqlalchemy.exc.ProgrammingError, sqlalchemy.exc.OperationalError):  # the source is gone
        return None


def _build_small_demo(url: str):
    from officeconsole.demo import build_demo

    database = Database.from_url(url)
    try:
        return build_demo(ServiceContext(database, FixedClock(NOW)), **SMALL_DEMO)
    finally:
        database.dispose()


class SmallDemo:
    def __init__(self, built, pg_databases: PgWorkerDatabases | None, tmp_path_factory) -> None:
        (self.summary, self.url), self.pg, self.tmp = built, pg_databases, tmp_path_factory

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


class Snapshots:
    """What a setup fixture (`clinic`, `sched`) left in the database, kept per worker, so the next
    test that sets it up on the same contents gets a copy of the result instead of running it again.

    Kept by the database's contents before the setup (a SQLite file's bytes; on PostgreSQL a digest
    of every row and sequence) and by what else the setup depends on: the clock, the audit key, the
    password hasher. A database the setup cannot be sure of (a SQLite file still open, an encrypted
    one, a database other than the worker's own on PostgreSQL) is set up the ordinary way."""

    def __init__(self, folder: Path, pg_url: str | None) -> None:
        self.folder, self.pg_url = folder, pg_url
        self.kept: dict[tuple, tuple[object, object]] = {}
        self.pg_tables: list[str] | None = None

    def setup(self, name: str, ctx: ServiceContext, build):
        """`build()`'s result, from the kept copy when the database and the clock are as they were."""
        import copy

        before = self._contents(ctx.db)
        if before is None:
            return build()
        key = (name, before, *_setup_inputs(ctx))
        if key in self.kept:
            payload, result = self.kept[key]
            self._restore(ctx.db, payload)
            return copy.deepcopy(result)
        result = build()
        payload = self._capture(ctx.db, f"{name}-{len(self.kept)}")
        if payload is not None:
            self.kept[key] = (payload, copy.deepcopy(result))
        return result

    # -- SQLite: the file itself, once every connection to it is closed
    def _sqlite_file(self, db: Database) -> Path | None:
        from officeconsole.db.engine import cipher_key

        if db.dialect != "sqlite" or cipher_key(db.engine) is not None or not db.engine.url.database:
            return None
        db.dispose()
        path = Path(db.engine.url.database)
        if not path.is_file() or any(Path(f"{path}{end}").exists() for end in ("-wal", "-journal")):
            return None  # still open elsewhere (or not a plain file): its bytes are not the whole story
        return path

    def _contents(self, db: Database):
        if self.pg_url is not None:
            if db.engine.url.render_as_string(hide_password=False) != self.pg_url:
                return None
            with db.engine.connect() as conn:
                return conn.execute(text(self._pg_digest_sql(conn))).scalar()
        path = self._sqlite_file(db)
        return None if path is None else hashlib.sha1(path.read_bytes()).hexdigest()

    def _capture(self, db: Database, name: str):
        if self.pg_url is not None:
            with db.engine.begin() as conn:
                cursor = conn.connection.driver_connection.cursor()
                rows = {}
                for table in self._pg_table_names(conn):
                    with cursor.copy(f'COPY "{table}" TO STDOUT') as copy:
                        rows[table] = b"".join(bytes(chunk) for chunk in copy)
                sequences = conn.execute(text(
                    "SELECT format('%I.%I', schemaname, sequencename), last_value, start_value FROM pg_sequences "
                    "WHERE schemaname = current_schema()")).all()
            return {table: data for table, data in rows.items() if data}, sequences
        path = self._sqlite_file(db)
        if path is None:
            return None
        kept = self.folder / f"{name}.db"
        shutil.copyfile(path, kept)
        return kept

    def _restore(self, db: Database, payload) -> None:
        if self.pg_url is not None:
            rows, sequences = payload
            with db.engine.begin() as conn:
                tables = self._pg_table_names(conn)
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica; "
                                     + " ".join(f'DELETE FROM "{name}";' for name in tables))
                cursor = conn.connection.driver_connection.cursor()
                for table, data in rows.items():
                    with cursor.copy(f'COPY "{table}" FROM STDIN') as copy:
                        copy.write(data)
                conn.execute(text(  # as the setup left them (one never used: at its start)
                    "SELECT setval(CAST(s AS regclass), v, used) FROM unnest(CAST(:s AS text[]), CAST(:v AS bigint[]), "
                    "CAST(:used AS boolean[])) AS x(s, v, used)"),
                    {"s": [s for s, _, _ in sequences], "v": [start if last is None else last for _, last, start in sequences],
                     "used": [last is not None for _, last, _ in sequences]})
            return
        path = self._sqlite_file(db)
        assert path is not None, "the database was open when it was to be replaced"
        shutil.copyfile(payload, path)

    def _pg_table_names(self, conn) -> list[str]:
        if self.pg_tables is None:
            self.pg_tables = list(conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'alembic_version' ORDER BY tablename")).scalars())
        return self.pg_tables

    def _pg_digest_sql(self, conn) -> str:
        """One query: a digest of every row of every table, and of the sequences."""
        parts = [f"'{name}:' || coalesce((SELECT string_agg(md5(t::text), ',' ORDER BY md5(t::text)) "
                 f'FROM "{name}" t), \'\')' for name in self._pg_table_names(conn)]
        parts.append("(SELECT string_agg(sequencename || ':' || coalesce(last_value::text, '-'), ',' "
                     "ORDER BY sequencename) FROM pg_sequences WHERE schemaname = current_schema())")
        return "SELECT md5(concat_ws('|', " + ", ".join(parts) + "))"


def _setup_inputs(ctx: ServiceContext) -> tuple:
    """What a setup writes besides what the database holds: the time, the audit key, the hasher."""
    from officeconsole.services.security import audit_chain, passwords

    path = audit_chain.key_path()
    try:
        key = path.read_bytes()
    except OSError:
        key = None
    return ctx.now(), str(path), key, passwords._hasher


@pytest.fixture(scope="session")
def _snapshots(tmp_path_factory, pg_databases, _template: str) -> Snapshots:
    return Snapshots(tmp_path_factory.mktemp("snapshots"), _template if pg_databases is not None else None)


@pytest.fixture
def clinic(ctx: ServiceContext, _snapshots: Snapshots):
    """A set-up clinic: a manager, front desk, billing and a provider, two payers (seeded once per
    worker and clock; later tests get a copy of it, see `Snapshots`)."""
    seeded = _snapshots.setup("clinic", ctx, lambda: seed_clinic(ctx))
    ctx.zone.set(CLINIC_ZONE)  # what setting the clinic up tells the context
    return seeded


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
def sched(ctx, clinic, manager_ctx, desk_ctx, _snapshots: Snapshots):
    """Two providers on Mon-Fri 08-12, 13-17; a 20-minute type; two patients (kept like `clinic`)."""
    from officeconsole.services.scheduling.booking import BookingService

    ids = _snapshots.setup("sched", ctx, lambda: _schedule(ctx, clinic, manager_ctx, desk_ctx))
    return {**ids, "book": BookingService(desk_ctx)}


def _schedule(ctx, clinic, manager_ctx, desk_ctx) -> dict[str, int]:
    from officeconsole.models import AppointmentType, Provider, User
    from officeconsole.models.enums import Role
    from officeconsole.services.scheduling.hours import HoursService

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
            "ann": register(desk_ctx, first_name="Ann").id, "bob": register(desk_ctx, first_name="Bob").id}


__all__ = ["MONDAY", "NOW", "SMALL_DEMO", "WEEK", "Actor", "engine_name"]
