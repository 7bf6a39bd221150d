"""Reading an import file: its encoding found (never guessed), its digest, its rows streamed.

UTF-8 (with or without a byte-order mark) is read as such. Anything else is offered to
charset-normalizer restricted to Windows-1252, the other encoding spreadsheets on Windows save
CSV in; it is read as Windows-1252 only when that decoding is clean (no undefined bytes, no
mess of symbols), and otherwise refused with how to save the file as UTF-8.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from officeconsole.services.importing.mapping import ImportFileError

CHUNK = 1 << 20
SAMPLE = 4 << 20  # what charset-normalizer is shown of a file that is not UTF-8
MAX_CHAOS = 0.02  # clean text: a wrong code page shows as a mess of symbols and odd letters
MAX_FIELD = 1 << 20  # the csv module's own limit on one cell (our fields refuse far less)
HOW_TO_SAVE_UTF8 = ("Save it as UTF-8 and import again: in Excel, File > Save As > \"CSV UTF-8 (Comma delimited)\"; "
                    "in LibreOffice, Save As > Text CSV with Character set \"Unicode (UTF-8)\"; in Notepad, "
                    "Save As with Encoding \"UTF-8\".")
BINARY_STARTS = {b"%PDF": "a PDF", b"PK\x03\x04": "a ZIP or Excel (.xlsx) workbook",
                 b"\xd0\xcf\x11\xe0": "an Excel 97-2003 (.xls) or Word file", b"\x89PNG": "a PNG image",
                 b"\xff\xd8\xff": "a JPEG image", b"SQLite format 3": "a SQLite database",
                 b"{\\rtf": "an RTF document"}


@dataclass(frozen=True)
class FileFacts:
    path: Path
    size: int
    sha256: str
    encoding: str  # a Python codec name: utf-8, utf-8-sig or cp1252
    encoding_label: str  # as a person reads it

    @property
    def reject_path(self) -> Path:
        return self.path.with_name(f"{self.path.stem}.rejects.csv")


def inspect(path: str | Path) -> FileFacts:
    """Size, SHA-256 and encoding, reading the file once in chunks; ImportFileError when it is not
    a text CSV this import can read."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise ImportFileError(f"There is no file {path}.") from None
    except OSError as exc:
        raise ImportFileError(f"Cannot open {path}: {exc.strerror or exc}.") from None
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, size, sample = True, 0, bytearray()
    with handle:
        first = handle.read(CHUNK)
        _refuse_binary(path, first)
        chunk = first
        while chunk:
            digest.update(chunk)
            size += len(chunk)
            if len(sample) < SAMPLE:
                sample += chunk[: SAMPLE - len(sample)]
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            chunk = handle.read(CHUNK)
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
    if size == 0 or not first.strip(b"\xef\xbb\xbf \t\r\n"):
        raise ImportFileError(f"{path.name} is empty: a CSV with a header row and one row per record is needed.")
    if utf8:
        bom = first.startswith(codecs.BOM_UTF8)
        return FileFacts(path, size, digest.hexdigest(), "utf-8-sig" if bom else "utf-8",
                         "UTF-8 with byte-order mark" if bom else "UTF-8")
    if b"\x00" in sample:
        raise ImportFileError(f"{path.name} looks like UTF-16 or a binary file, not a CSV this import reads. "
                              + HOW_TO_SAVE_UTF8)
    guess = from_bytes(bytes(sample), cp_isolation=["cp1252"]).best()
    if guess is None or guess.encoding != "cp1252" or guess.chaos > MAX_CHAOS or not _decodes(path, "cp1252"):
        raise ImportFileError(f"{path.name} is not UTF-8, and its encoding cannot be told for sure (it is not "
                              "clean Windows-1252 either), so it is not read rather than guessed. " + HOW_TO_SAVE_UTF8)
    return FileFacts(path, size, digest.hexdigest(), "cp1252", "Windows-1252")


def _refuse_binary(path: Path, first: bytes) -> None:
    for magic, what in BINARY_STARTS.items():
        if first.startswith(magic):
            raise ImportFileError(f"{path.name} is {what}, not a CSV file. Export or save it as CSV "
                                  "(comma-separated values, UTF-8) and import that.")
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError(f"{path.name} is saved as UTF-16. " + HOW_TO_SAVE_UTF8)
    control = sum(1 for b in first[:4096] if b < 32 and b not in (9, 10, 13))
    if control > 8:
        raise ImportFileError(f"{path.name} is not a text file (it holds binary data), so not a CSV. "
                              "Export or save it as CSV (comma-separated values, UTF-8) and import that.")


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def rows(facts: FileFacts) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for the header and then each row, streamed; blank lines skipped."""
    csv.field_size_limit(MAX_FIELD)
    with facts.path.open("r", encoding=facts.encoding, newline="") as text:
        sample = text.read(64 * 1024)
        text.seek(0)
        delimiter = _delimiter(sample)
        reader = csv.reader(text, delimiter=delimiter, strict=False)
        try:
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue
                yield reader.line_num, cells
        except csv.Error as exc:
            raise ImportFileError(f"{facts.path.name} line {reader.line_num}: not readable as CSV ({exc}).") from None


def _delimiter(sample: str) -> str:
    """Comma, unless the header line clearly uses semicolons or tabs (European spreadsheets)."""
    header = sample.splitlines()[0] if sample else ""
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","
