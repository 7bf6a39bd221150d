"""Writing an export folder: refused when the folder holds anything (unless forced), every file
written under a hidden staging folder beside its final place, hashed (SHA-256) as it is
written, then renamed into place with the manifest last. A folder with a manifest in it holds
a whole export; one stopped part way shows nothing but the staging folder, which is removed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from officeconsole.services.common.errors import OfficeError
from officeconsole.services.common.folders import writable_folder

MANIFEST = "manifest.json"


class ExportError(OfficeError):
    """The export cannot be written where asked."""


@dataclass(frozen=True)
class ExportedFile:
    name: str  # the file name inside the export folder
    content: str  # the table (CSV) or resource type (FHIR) it holds
    rows: int  # CSV data rows (without the header) or NDJSON resources
    size: int
    sha256: str


class _HashingText(io.TextIOBase):
    """A text stream that writes UTF-8 to a binary file and hashes exactly what it wrote."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0
        self.rows = 0  # counted by the caller: CSV data rows or NDJSON resources

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        self.digest.update(data)
        self.size += len(data)
        self.raw.write(data)
        return len(text)


class ExportFolder:
    """One export's files: `text_file` writes each under staging, `commit` renames them into place."""

    def __init__(self, out_dir: Path | str, *, force: bool = False) -> None:
        folder = Path(out_dir).expanduser()
        if folder.exists() and not folder.is_dir():
            raise ExportError(f"{folder} is a file: give a folder for the export.")
        if folder.is_dir() and any(folder.iterdir()) and not force:
            raise ExportError(f"{folder} is not empty: choose an empty folder, or add --force to write the "
                              "export into it (files of the same name are replaced).")
        self.folder = writable_folder(folder, ExportError, "the export")
        self.stage = Path(tempfile.mkdtemp(prefix=".export-", suffix=".partial", dir=self.folder))
        self.files: list[ExportedFile] = []

    @contextmanager
    def text_file(self, name: str, content: str) -> Iterator[_HashingText]:
        """Write one file; the caller counts what it wrote in `stream.rows`."""
        path = self.stage / name
        with path.open("wb") as raw:
            stream = _HashingText(raw)
            yield stream
            raw.flush()
            os.fsync(raw.fileno())
        self.files.append(ExportedFile(name, content, stream.rows, stream.size, stream.digest.hexdigest()))

    def manifest(self, header: Mapping[str, object]) -> str:
        """The manifest (each file's name, content, rows, size and SHA-256), staged; returns its hash."""
        body = dict(header)
        body["files"] = [{"file": f.name, "content": f.content, "rows": f.rows, "bytes": f.size,
                          "sha256": f.sha256} for f in self.files]
        data = (json.dumps(body, indent=2, sort_keys=False, ensure_ascii=False) + "\n").encode("utf-8")
        (self.stage / MANIFEST).write_bytes(data)
        return hashlib.sha256(data).hexdigest()

    def commit(self) -> Path:
        """Every staged file into the folder (the manifest last), then the staging folder removed."""
        for f in self.files:
            os.replace(self.stage / f.name, self.folder / f.name)
        os.replace(self.stage / MANIFEST, self.folder / MANIFEST)
        self.abandon()
        return self.folder / MANIFEST

    def abandon(self) -> None:
        shutil.rmtree(self.stage, ignore_errors=True)


def write_atomically(path: Path, data: bytes) -> Path:
    """One file: written under a temporary name in the same folder, then renamed over `path`."""
    staged = path.with_name(f".{path.name}.partial")
    with staged.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(staged, path)
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
