"""How a typed query becomes indexed look-ups, paged by keyset rather than OFFSET.

A query is read as an MRN, a phone number, a date of birth, or a name ("smi",
"smith jo", "smith, john", "john smith"). Each reading is one or more *phases*: an
indexed filter with an order that the index already gives, so a page costs the same
at row 20 as at row 20,000 and nothing ever loads the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from officeconsole.models import Patient
from officeconsole.models.enums import PatientStatus
from officeconsole.services.common.text import clean_text, parse_date, search_key

_PREFIX_END = "\x7f"  # above every character a search key holds
MRN_DIGITS = 7


@dataclass(frozen=True)
class Phase:
    where: ColumnElement[bool]
    order: tuple[InstrumentedAttribute[Any], ...]


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: the phase, and the order keys of the last row shown."""

    phase: int
    after: tuple[Any, ...] | None


def prefix(column: InstrumentedAttribute[str], key: str) -> ColumnElement[bool]:
    return and_(column >= key, column < key + _PREFIX_END)


def format_mrn(number: int) -> str:
    return str(number).zfill(MRN_DIGITS)


def _name_phases(tokens: list[str], comma: bool) -> list[Phase]:
    by_last = (Patient.last_key, Patient.first_key, Patient.id)
    by_first = (Patient.first_key, Patient.last_key, Patient.id)
    if len(tokens) == 1:
        key = tokens[0]
        return [
            Phase(prefix(Patient.last_key, key), by_last),
            Phase(and_(prefix(Patient.first_key, key), not_(prefix(Patient.last_key, key))), by_first),
        ]
    if comma:  # "garcia lopez, maria": last name first, as on a chart label
        return [Phase(and_(prefix(Patient.last_key, tokens[0]), prefix(Patient.first_key, tokens[1])), by_last)]
    last_then_first = and_(
        prefix(Patient.last_key, "".join(tokens[:-1])), prefix(Patient.first_key, tokens[-1])
    )
    first_then_last = and_(
        prefix(Patient.first_key, tokens[0]), prefix(Patient.last_key, "".join(tokens[1:]))
    )
    return [
        Phase(last_then_first, by_last),
        Phase(and_(first_then_last, not_(last_then_first)), by_first),
    ]


def plan(query: str) -> list[Phase]:
    """The phases that answer `query`; an empty query lists everyone by name."""
    text = clean_text(query, 100)
    by_name = (Patient.last_key, Patient.first_key, Patient.id)
    if not text:
        return [Phase(Patient.status != PatientStatus.MERGED, by_name)]
    if any(ch.isdigit() for ch in text) and any(sep in text for sep in "-/"):
        try:
            dob = parse_date(text)
        except ValueError:
            dob = None
        if dob is not None:
            return [Phase(Patient.dob == dob, (Patient.dob, *by_name))]
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits and not text.strip("0123456789-() .+"):
        phases = []
        if len(digits) <= MRN_DIGITS:
            phases.append(Phase(Patient.mrn == digits.zfill(MRN_DIGITS), (Patient.id,)))
        if len(digits) >= 3:
            phone = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
            phases.append(Phase(prefix(Patient.phone_key, phone), (Patient.phone_key, Patient.id)))
        if len(digits) in (4, 7):  # the last 4 or 7 digits, as a caller reads them out
            ends = and_(prefix(Patient.phone_key_reversed, digits[::-1]), not_(prefix(Patient.phone_key, digits)))
            phases.append(Phase(ends, (Patient.phone_key_reversed, Patient.id)))
        return phases
    comma = "," in text
    parts = text.split(",", 1) if comma else text.split()
    tokens = [key for key in (search_key(part) for part in parts) if key]
    if not tokens:
        return []
    return _name_phases(tokens, comma and len(tokens) == 2)


def after(phase: Phase, keys: tuple[object, ...]) -> ColumnElement[bool]:
    return tuple_(*phase.order) > tuple_(*keys)
