"""Output folders (claims, statements, backups): made if missing, proved writable before any work."""

from __future__ import annotations

import tempfile
from pathlib import Path

from officeconsole.services.errors import OfficeError


def writable_folder(folder: Path | str, error: type[OfficeError], what: str = "files") -> Path:
    """The folder, created if needed; `error` with a plain sentence when nothing can be written there."""
    path = Path(folder).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise error(f"Cannot write {what} to {path}: {exc.strerror or exc}.") from None
    return path
