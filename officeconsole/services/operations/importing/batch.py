"""Running the services inside one batch transaction.

The services each open `ctx.db.write()`; an import hands them a context whose database gives
every such call a savepoint inside the batch's transaction instead. One row that breaks a rule
rolls back its own savepoint; the batch commits whole (or, on a dry run, rolls back whole).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from officeconsole.db.database import Database


class BatchDatabase:
    """Looks like a Database to the services; every session it hands out is the batch's."""

    def __init__(self, database: Database, session: Session) -> None:
        self._database = database
        self.session = session

    def __getattr__(self, name: str) -> Any:
        return getattr(self._database, name)

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self.session.begin_nested():
            yield self.session

    @contextmanager
    def read(self) -> Iterator[Session]:
        savepoint = self.session.begin_nested()
        try:
            yield self.session
        finally:
            if savepoint.is_active:
                savepoint.rollback()

    lookup = read
