"""The text of a CSV file someone hands the console: its encoding found (never guessed).

Every CSV the console reads (the fee schedule, the move-in imports and their mapping files) goes
through here. UTF-8 (with or without a byte-order mark) is read as such. Anything else is offered
to charset-normalizer restricted to Windows-1252 (a superset of Latin-1's letters, and what
spreadsheets on Windows save CSV in); it is read as Windows-1252 only when that decoding is clean
(no undefined bytes, no mess of symbols), and otherwise refused with a message that says the file
is not UTF-8 and how to save it as UTF-8: never a raw codec error.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path

from charset_normalizer import from_bytes

MAX_CHAOS = 0.02  # clean text: a wrong code page shows as a mess of symbols and odd letters
HOW_TO_SAVE_UTF8 = ("Save it as UTF-8 and import again: in Excel, File > Save As > \"CSV UTF-8 (Comma delimited)\"; "
                    "in LibreOffice, Save As > Text CSV with Character set \"Unicode (UTF-8)\"; in Notepad, "
                    "Save As with Encoding \"UTF-8\".")
BINARY_STARTS = {b"%PDF": "a PDF", b"PK\x03\x04": "a ZIP or Excel (.xlsx) workbook",
                 b"\xd0\xcf\x11\xe0": "an Excel 97-2003 (.xls) or Word file", b"\x89PNG": "a PNG image",
                 b"\xff\xd8\xff": "a JPEG image", b"SQLite format 3": "a SQLite database",
                 b"{\\rtf": "an RTF document"}
LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with byte-order mark", "cp1252": "Windows-1252"}

Refusal = Callable[[str], Exception]  # makes the caller's own error from a sentence


def refuse_binary(name: str, first: bytes, refuse: Refusal) -> None:
    """Refuse a file whose first bytes show it is not text (a PDF, a workbook, UTF-16)."""
    for magic, what in BINARY_STARTS.items():
        if first.startswith(magic):
            raise refuse(f"{name} is {what}, not a CSV file. Export or save it as CSV "
                         "(comma-separated values, UTF-8) and import that.")
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise refuse(f"{name} is saved as UTF-16. " + HOW_TO_SAVE_UTF8)
    control = sum(1 for b in first[:4096] if b < 32 and b not in (9, 10, 13))
    if control > 8:
        raise refuse(f"{name} is not a text file (it holds binary data), so not a CSV. "
                     "Export or save it as CSV (comma-separated values, UTF-8) and import that.")


def encoding_of(name: str, first: bytes, sample: bytes, utf8: bool, decodes: Callable[[str], bool],
                refuse: Refusal) -> str:
    """The codec to read the file with: utf-8, utf-8-sig or cp1252. `first` is the file's start,
    `sample` as much of it as charset-normalizer is to see, `utf8` whether it all decodes as UTF-8,
    `decodes(codec)` whether it all decodes with that codec."""
    if utf8:
        return "utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"
    if b"\x00" in sample:
        raise refuse(f"{name} looks like UTF-16 or a binary file, not a CSV this import reads. " + HOW_TO_SAVE_UTF8)
    guess = from_bytes(bytes(sample), cp_isolation=["cp1252"]).best()
    if guess is None or guess.encoding != "cp1252" or guess.chaos > MAX_CHAOS or not decodes("cp1252"):
        raise refuse(f"{name} is not UTF-8, and its encoding cannot be told for sure (it is not clean "
                     "Windows-1252 or Latin-1 either), so it is not read rather than guessed. " + HOW_TO_SAVE_UTF8)
    return "cp1252"


def read_csv_text(path: str | Path, refuse: Refusal, what: str = "") -> str:
    """The whole text of a small CSV (or mapping) file, decoded as `encoding_of` decides."""
    path = Path(path).expanduser()
    name = what or path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise refuse(f"Cannot read {path}: there is no such file.") from None
    except OSError as exc:
        raise refuse(f"Cannot read {path}: {exc.strerror or exc}.") from None
    refuse_binary(name, data[:4096], refuse)

    def decodes(codec: str) -> bool:
        try:
            data.decode(codec)
        except UnicodeDecodeError:
            return False
        return True

    codec = encoding_of(name, data[:4096], data[: 4 << 20], decodes("utf-8"), decodes, refuse)
    return data.decode(codec)
