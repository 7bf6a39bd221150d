"""Reading one row by its id, or a message that says what is missing: every service's first step."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from officeconsole.services.common.errors import NotFound

_Row = TypeVar("_Row")


def get_or_fail(session: Session, model: type[_Row], key: int | None, what: str) -> _Row:
    """The row, or NotFound naming what was asked for ("Choose a patient." when nothing was)."""
    row = session.get(model, key) if key is not None else None
    if row is None:
        raise NotFound(f"No {what} has id {key}." if key is not None else f"Choose a {what}.")
    return row
