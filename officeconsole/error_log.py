"""Unexpected errors: one line for the person (with an error id), the detail in a local log file.

A database error's text can hold patient data: the engines hide statement parameters
(`hide_parameters`), and what is logged is the error's type, its first line and the stack of
code lines (no local values), so the log holds no names or dates of birth. The log is the
data folder's `errors.log`, owner-only.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import traceback
from pathlib import Path

from officeconsole.config import Paths

LOG_NAME = "errors.log"


def log_path(paths: Paths | None = None) -> Path:
    return (paths or Paths.discover()).data_dir / LOG_NAME


def first_line(error: BaseException) -> str:
    """The error's own first line; a database driver's DETAIL lines (which quote values) are left out."""
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


FULL_DISK = ("database or disk is full", "no space left on device", "could not extend file", "disk full")
READ_ONLY = ("attempt to write a readonly database", "read-only file system")


def known_cause(error: BaseException) -> str | None:
    """A sentence for a failure a person can fix themselves (a full disk, a read-only file), else None.
    The write that failed was rolled back with its transaction: nothing of it was saved."""
    text = str(getattr(error, "orig", None) or error).lower()
    if any(words in text for words in FULL_DISK):
        return ("The disk is full: nothing was saved. Free some space (old backups and exports in the data "
                "folder, for a start), then save again; what you typed is still there.")
    if any(words in text for words in READ_ONLY):
        return ("The database cannot be written: its file or folder is read-only for this user (or the disk is "
                "mounted read-only). Nothing was saved. Check the file's permissions, or ask who set up the PC.")
    return None


def record(error: BaseException, paths: Paths | None = None) -> str:
    """Write the error to the log; the id that names it there (said to the person)."""
    error_id = secrets.token_hex(4)
    stack = "".join(traceback.format_tb(error.__traceback__))
    entry = (f"{dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} error {error_id}: "
             f"{type(error).__module__}.{type(error).__qualname__}: {first_line(error)}\n{stack}\n")
    path = log_path(paths)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(entry)
    except OSError:
        pass  # a log that cannot be written must not hide the error itself
    return error_id
