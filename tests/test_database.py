"""Engine settings and configuration resolution."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import text

from officeconsole.config import Paths, normalize_db_url, resolve_db_url
from officeconsole.db.database import Database
from officeconsole.db.engine import check_connection, make_engine
from officeconsole.services.common.errors import ConfigError, DatabaseUnavailable

from tests.conftest import PG_URL


def test_sqlite_pragmas(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()


def _book_slots(path: str, worker: int, slots: int, results) -> None:
    """Read-then-write, like a naive booking: claim each slot that looks free."""
    database = Database.from_url(f"sqlite:///{path}")
    claimed = 0
    for slot in range(slots):
        with database.write() as session:
            taken = session.execute(text("SELECT count(*) FROM slot WHERE n = :n"), {"n": slot}).scalar()
            if not taken:
                session.execute(text("INSERT INTO slot (n, worker) VALUES (:n, :w)"), {"n": slot, "w": worker})
                claimed += 1
    results.put(claimed)
    database.dispose()


def test_write_transactions_are_isolated_across_processes(tmp_path):
    """Two processes booking the same slots never both get one (BEGIN IMMEDIATE)."""
    path = tmp_path / "race.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE slot (n INTEGER, worker INTEGER)"))
    engine.dispose()
    results = multiprocessing.get_context("spawn").Queue()
    procs = [multiprocessing.get_context("spawn").Process(target=_book_slots, args=(str(path), w, 150, results))
             for w in (1, 2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT n, count(*) FROM slot GROUP BY n HAVING count(*) > 1")).all()
        total = conn.execute(text("SELECT count(*) FROM slot")).scalar()
    engine.dispose()
    assert rows == []
    assert total == 150


def test_plain_path_is_sqlite(tmp_path):
    assert normalize_db_url(str(tmp_path / "c.db")) == f"sqlite:///{tmp_path / 'c.db'}"


def test_malformed_url_is_a_clear_error():
    with pytest.raises(ConfigError, match="Not a valid database URL"):
        normalize_db_url("postgresql://user@host:notaport/db")


def test_unsupported_backend():
    with pytest.raises(ConfigError, match="Unsupported database"):
        normalize_db_url("mysql://root@localhost/db")


def test_resolution_order(tmp_path):
    paths = Paths(tmp_path / "d", tmp_path / "c", tmp_path / "r", tmp_path / "b")
    paths.ensure()
    assert resolve_db_url(None, {}, paths) == f"sqlite:///{paths.default_db_path}"
    paths.config_file.write_text('[database]\nurl = "sqlite:////tmp/from-config.db"\n')
    assert resolve_db_url(None, {}, paths) == "sqlite:////tmp/from-config.db"
    env = {"OFFICECONSOLE_DB": "/tmp/from-env.db"}
    assert resolve_db_url(None, env, paths) == "sqlite:////tmp/from-env.db"
    assert resolve_db_url("/tmp/from-flag.db", env, paths) == "sqlite:////tmp/from-flag.db"


def test_bad_config_file(tmp_path):
    paths = Paths(tmp_path / "d", tmp_path / "c", tmp_path / "r", tmp_path / "b")
    paths.ensure()
    paths.config_file.write_text("[database\nurl=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        resolve_db_url(None, {}, paths)


def test_file_that_is_not_sqlite(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is a text file, not a database at all" * 100)
    engine = make_engine(f"sqlite:///{path}")
    with pytest.raises(DatabaseUnavailable, match="not an Office Console database"):
        check_connection(engine)
    engine.dispose()


def test_unreachable_postgres():
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(DatabaseUnavailable, match="Cannot reach the PostgreSQL server at 127.0.0.1:1"):
        check_connection(engine)
    engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL run only")
def test_postgres_really_in_use(database):
    assert database.dialect == "postgresql"
