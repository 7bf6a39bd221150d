"""The envelopes of an X12 file we read (835, 999, 277CA, 271), checked the same way for all.

pyx12 finds the delimiters from the ISA and splits the segments. A file is accepted only whole:
it holds one interchange (ISA/IEA) whose functional groups (GS/GE) and transactions (ST/SE)
open and close in order, with matching control numbers and counts, of the kinds the reader
expects, and its last segment is not cut off. A failure names the segment (numbered from 1 at
the ISA) and what is wrong with it; the caller turns it into its own error, and posts nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from officeconsole.services.common.errors import OfficeError

_AMOUNT = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")


class Segment(Protocol):
    """What the readers use of a pyx12 segment (pyx12 ships no type information)."""

    def get_seg_id(self) -> str: ...

    def get_value(self, ref: str) -> str | None: ...

    def format(self) -> str: ...


class X12Fail(Exception):
    """One segment of the file is wrong: the whole file is refused."""

    def __init__(self, n: int, sid: str, message: str) -> None:
        super().__init__(f"segment {n} ({sid}): {message}")


def read_x12_file(path: Path | str, error: type[OfficeError]) -> tuple[str, str]:
    """An X12 file's text and name; `error` names what cannot be read."""
    file = Path(path).expanduser()
    try:
        return file.read_text(encoding="utf-8", errors="replace"), file.name
    except OSError as exc:
        raise error(f"Cannot read {file}: {exc.strerror or exc}.") from None


def read_segments(text: str, error: type[OfficeError]) -> tuple[list[Segment], str, str]:
    """The file's segments, its segment terminator and the SHA-256 of its segments (so line breaks
    or trailing spaces do not make a new file); `error` when it is no X12 file or is cut off."""
    import pyx12.errors
    import pyx12.x12file

    body = text.lstrip()
    if not body.startswith("ISA"):
        raise error("This is not an X12 file (it does not start with ISA).")
    try:
        reader = pyx12.x12file.X12Reader(io.StringIO(body))
        segments: list[Segment] = list(reader)
    except pyx12.errors.X12Error as exc:
        raise error(f"Nothing was posted: segment 1 (ISA): {exc}.") from None
    seg_term = reader.seg_term or "~"
    end = body if seg_term.isspace() else body.rstrip()
    if not end.endswith(seg_term):
        tail = end.rsplit(seg_term, 1)[-1].strip()
        raise error(f"Nothing was posted: segment {len(segments) + 1} ({tail[:3].rstrip('*')}): the file "
                    f"ends in the middle of this segment ({tail[:40]!r}, no {seg_term!r} after it): it "
                    "was cut off. Get the whole file again.")
    digest = hashlib.sha256(seg_term.join(s.format() for s in segments).encode()).hexdigest()
    return segments, seg_term, digest


class Envelopes:
    """Walks the envelope segments of one interchange. `group` is the GS01 expected (HP, FA, HN,
    HB), `transaction` the ST01 (835, 999, 277, 271) and `what` the document's name for messages."""

    def __init__(self, group: str, transaction: str, what: str) -> None:
        self.group, self.transaction, self.what = group, transaction, what
        self.isa: tuple[int, str] | None = None  # (segment number, control number) of each open envelope
        self.gs: tuple[int, str] | None = None
        self.st: tuple[int, str] | None = None
        self.groups = self.transactions = 0
        self.sender = self.receiver = self.interchange = ""  # ISA06, ISA08 and ISA13, trimmed
        self.last = 0
        self.count = 0  # transactions in the whole file

    def step(self, n: int, seg: Segment) -> str:
        """'ST' or 'SE' when a transaction opens or closes, 'envelope' for ISA/GS/GE/IEA, 'body' for
        a segment inside a transaction; X12Fail when the segment is out of place."""
        sid = seg.get_seg_id()
        v: Callable[[str], str] = lambda ref: (seg.get_value(ref) or "").strip()  # noqa: E731
        self.last = n
        if self.isa is None and n > 1:
            raise X12Fail(n, sid, "comes after the interchange's trailer (IEA): a file holds one interchange.")
        if sid == "ISA":
            if n > 1:
                raise X12Fail(n, sid, "a second interchange header: a file holds one interchange.")
            self.isa = (n, v("ISA13"))
            self.sender, self.receiver, self.interchange = v("ISA06"), v("ISA08"), v("ISA13")
            return "envelope"
        if sid == "GS":
            if self.gs is not None:
                raise X12Fail(n, sid, f"a new functional group starts before the one at segment {self.gs[0]} "
                                      "ends (GE).")
            if v("GS01") != self.group:
                raise X12Fail(n, sid, f"a functional group of kind {v('GS01')!r}: {self.what} is {self.group}.")
            self.gs, self.transactions = (n, v("GS06")), 0
            self.groups += 1
            return "envelope"
        if sid == "GE":
            if self.gs is None:
                raise X12Fail(n, sid, "a group trailer with no group open")
            if self.st is not None:
                raise X12Fail(n, sid, f"the group ends before the transaction at segment {self.st[0]} ends (SE).")
            if v("GE02").lstrip("0") != self.gs[1].lstrip("0"):
                raise X12Fail(n, sid, f"control number {v('GE02')!r} does not match the group header's "
                                      f"{self.gs[1]!r} (segment {self.gs[0]}).")
            if v("GE01") != str(self.transactions):
                raise X12Fail(n, sid, f"says the group holds {v('GE01')!r} transactions; it holds "
                                      f"{self.transactions}.")
            self.gs = None
            return "envelope"
        if sid == "IEA":
            if self.gs is not None:
                raise X12Fail(n, sid, f"the interchange ends before the group at segment {self.gs[0]} ends (GE).")
            if self.isa is None:
                raise X12Fail(n, sid, "an interchange trailer with no interchange open.")
            if v("IEA02").lstrip("0") != self.isa[1].lstrip("0"):
                raise X12Fail(n, sid, f"control number {v('IEA02')!r} does not match the interchange header's "
                                      f"{self.isa[1]!r} (segment 1).")
            if v("IEA01") != str(self.groups):
                raise X12Fail(n, sid, f"says the interchange holds {v('IEA01')!r} groups; it holds {self.groups}.")
            self.isa = None
            return "envelope"
        if sid == "ST":
            if self.gs is None:
                raise X12Fail(n, sid, "a transaction outside a functional group (no GS before it).")
            if self.st is not None:
                raise X12Fail(n, sid, f"a new transaction starts before the one at segment {self.st[0]} ends (SE).")
            if v("ST01") != self.transaction:
                raise X12Fail(n, sid, f"this is an X12 {v('ST01')}, not {self.what}.")
            self.st = (n, v("ST02"))
            self.transactions += 1
            self.count += 1
            return "ST"
        if sid == "SE":
            if self.st is None:
                raise X12Fail(n, sid, "a transaction trailer with no transaction open.")
            if v("SE02") != self.st[1]:
                raise X12Fail(n, sid, f"control number {v('SE02')!r} does not match the transaction header's "
                                      f"{self.st[1]!r} (segment {self.st[0]}).")
            if v("SE01") != str(n - self.st[0] + 1):
                raise X12Fail(n, sid, f"says the transaction has {v('SE01')!r} segments; it has "
                                      f"{n - self.st[0] + 1} (segments {self.st[0]} to {n}).")
            self.st = None
            return "SE"
        if self.st is None:
            raise X12Fail(n, sid, "a segment outside a transaction (between the envelopes).")
        return "body"

    def finish(self, last_sid: str) -> None:
        """At the end of the file: every envelope closed, and at least one transaction."""
        for opened, what, trailer in ((self.st, "transaction", "SE"), (self.gs, "functional group", "GE"),
                                      (self.isa, "interchange", "IEA")):
            if opened is not None:
                raise X12Fail(self.last + 1, trailer, f"missing: the file ends after segment {self.last} without "
                                                      f"the trailer of the {what} that starts at segment "
                                                      f"{opened[0]}. It was cut off or is incomplete: get the "
                                                      "whole file again.")
        if not self.count:
            raise X12Fail(self.last, last_sid, f"the file holds no {self.what} (no ST).")


def x12_amount_value(text: str, n: int = 0, sid: str = "", ref: str = "") -> Decimal:
    """An amount element in dollars and cents; X12Fail naming the element otherwise."""
    if not _AMOUNT.fullmatch(text or ""):
        raise X12Fail(n, sid, f"{ref} {text!r} is not an amount.")
    value = Decimal(text)
    if value != value.quantize(Decimal("0.01")) or abs(value) >= Decimal("1e10"):
        raise X12Fail(n, sid, f"{ref} {text!r} is not an amount in dollars and cents.")
    return value.quantize(Decimal("0.01"))


def x12_date(text: str, n: int, sid: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date() if text else None
    except ValueError:
        raise X12Fail(n, sid, f"{text!r} is not a date (CCYYMMDD).") from None
