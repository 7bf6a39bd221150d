"""Every CSV the product writes goes through here, so a spreadsheet never runs a cell as a formula.

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a
leading apostrophe (`'=SUM(A1)`), which spreadsheets show as text. Numbers are left alone:
a value given as a number (`Decimal("-5.00")`, `3`) and text that is only a number (`-5.00`,
`+12`) cannot run anything and stay numbers in the spreadsheet. Text that already begins with
an apostrophe before one of those characters gets one more, so `unescape_cell` gives back
exactly what was written (the importer reads the clinic's own export this way).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def _needs_escape(text: str) -> bool:
    if not text or PLAIN_NUMBER.fullmatch(text):
        return False
    if text[0] in TRIGGERS:
        return True
    return text[0] == "'" and _needs_escape(text[1:])


def escape_cell(text: str) -> str:
    """Text as it is safe to put in a CSV cell (see the module's note)."""
    return "'" + text if _needs_escape(text) else text


def unescape_cell(text: str) -> str:
    """The text `escape_cell` was given: its added apostrophe taken off, nothing else."""
    return text[1:] if text[:1] == "'" and _needs_escape(text[1:]) else text


def plain(value: Any) -> str:
    """A value as CSV text: numbers as written (-5.00), dates and times in ISO 8601, booleans
    true/false, nothing as an empty cell, structured values as JSON; text escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return escape_cell(json.dumps(value, sort_keys=True, ensure_ascii=False))
    return escape_cell(str(value))


class SafeWriter:
    """`csv.writer` with every cell passed through `plain`: the only CSV writer the product uses
    (a test fails when any other module calls `csv.writer` or `csv.DictWriter`)."""

    def __init__(self, stream: SupportsWrite[str], **kwargs: Any) -> None:
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([plain(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """`csv.DictWriter` with the same escaping (the header too)."""

    def __init__(self, stream: SupportsWrite[str], fieldnames: list[str], **kwargs: Any) -> None:
        self.fieldnames = list(fieldnames)
        self._writer = SafeWriter(stream, **kwargs)

    def writeheader(self) -> Any:
        return self._writer.writerow(self.fieldnames)

    def writerow(self, row: dict[str, Any]) -> Any:
        return self._writer.writerow([row.get(name) for name in self.fieldnames])

    def writerows(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream: SupportsWrite[str], **kwargs: Any) -> SafeWriter:
    return SafeWriter(stream, **kwargs)


def dict_writer(stream: SupportsWrite[str], fieldnames: list[str], **kwargs: Any) -> SafeDictWriter:
    return SafeDictWriter(stream, fieldnames, **kwargs)
