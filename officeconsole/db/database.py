"""The session scopes services use: one short transaction per user action or batch step."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from officeconsole.db.engine import make_engine, writer_engine

# SQLAlchemy's `before_flush` signature: the session, the flush context and the instances (unused).
FlushHook = Callable[[Session, Any, Any], None]


class Database:
    """Owns the engine and hands out read and write sessions.

    Reads use a deferred transaction; writes begin IMMEDIATE on SQLite so a
    read-then-write rule (no double booking, next MRN) cannot race another process.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = sessionmaker(bind=engine, expire_on_commit=False)
        self._writer = sessionmaker(bind=writer_engine(engine), expire_on_commit=False)
        self._write_hooks: list[FlushHook] = []
        # Single-statement look-ups (search as you type) on a server: no BEGIN/ROLLBACK round
        # trips. SQLite's transactions are in-process and cost nothing, so it keeps `read`.
        self._lookup = (sessionmaker(bind=engine.execution_options(isolation_level="AUTOCOMMIT"),
                                     expire_on_commit=False)
                        if engine.dialect.name == "postgresql" else self._reader)

    def on_write_flush(self, hook: FlushHook) -> None:
        """Run `hook` before every flush of this database's write sessions, and of no other session
        (another Database's, or one made without a Database). The services register here what
        every write must do (the closed-day rule, the audit chain's links), so this layer needs to
        know none of it. Registering a hook again does nothing."""
        if hook not in self._write_hooks:
            self._write_hooks.append(hook)
            event.listen(self._writer, "before_flush", hook)

    @property
    def write_hooks(self) -> tuple[FlushHook, ...]:
        """The hooks registered so far, in the order they run."""
        return tuple(self._write_hooks)

    @classmethod
    def from_url(cls, url: str, *, key: bytes | None = None) -> Database:
        """`key`: the raw SQLCipher key of an encrypted SQLite database (db/cipher.py)."""
        return cls(make_engine(url, key=key))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def lookup(self) -> Iterator[Session]:
        """For reads whose statements need not see one snapshot (each is consistent alone)."""
        with self._lookup() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._writer.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
