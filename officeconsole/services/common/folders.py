"""Output folders (claims, statements, backups): made if missing, proved writable before any work."""

from __future__ import annotations

import stat
import sys
import tempfile
from pathlib import Path

from officeconsole.services.common.errors import OfficeError


def writable_folder(folder: Path | str, error: type[OfficeError], what: str = "files") -> Path:
    """The folder, created if needed; `error` with a plain sentence when nothing can be written there."""
    path = Path(folder).expanduser()
    try:
        path.mkdir(parents=True, mode=0o700, exist_ok=True)  # made here: owner-only (it holds patient data)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise error(f"Cannot write {what} to {path}: {exc.strerror or exc}.") from None
    return path


def others_can_read(folder: Path | str) -> bool:
    """Whether other accounts on this PC may list the folder (its mode bits; on Windows the user's
    profile ACLs decide, which this does not judge)."""
    if sys.platform == "win32":
        return False
    try:
        mode = Path(folder).expanduser().stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRGRP | stat.S_IROTH))
