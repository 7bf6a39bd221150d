"""Reading an import file: its encoding found (never guessed), its digest, its rows streamed.

The encoding is decided as for every CSV the console reads (csv_text.encoding_of): UTF-8, or
Windows-1252 only when that decoding is clean, otherwise refused with how to save the file as
UTF-8. The file is read once in chunks for its digest and the UTF-8 check.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from officeconsole.services.formats.csv_text import LABELS, encoding_of, refuse_binary
from officeconsole.services.operations.importing.mapping import ImportFileError

CHUNK = 1 << 20
SAMPLE = 4 << 20  # what charset-normalizer is shown of a file that is not UTF-8
MAX_FIELD = 1 << 20  # the csv module's own limit on one cell (our fields refuse far less)


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
        refuse_binary(path.name, first, ImportFileError)
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
    encoding = encoding_of(path.name, first, bytes(sample), utf8, lambda codec: _decodes(path, codec),
                           ImportFileError)
    return FileFacts(path, size, digest.hexdigest(), encoding, LABELS[encoding])


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
