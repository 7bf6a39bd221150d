"""Command line: `officeconsole` opens the console; its sub-commands are the batch jobs.

Plain `officeconsole` (optionally `--db X`, optionally `open`) goes straight to the console
without loading Typer, so the login screen is drawn as early as Textual allows; every other
command line goes through Typer. Textual is imported only by the commands that open the
console, so batch jobs start fast.
"""

from __future__ import annotations

import os
import sys

_NOT_CONSOLE = object()


def console_request(args: list[str]) -> object:
    """The --db value (or None) when `args` only ask to open the console, else _NOT_CONSOLE."""
    db: str | None = None
    rest = list(args)
    if rest[:1] == ["open"]:
        rest = rest[1:]
    if rest[:1] == ["--db"] and len(rest) >= 2:
        db, rest = rest[1], rest[2:]
    elif rest[:1] and rest[0].startswith("--db="):
        db, rest = rest[0].removeprefix("--db="), rest[1:]
    if rest[:1] == ["open"] and args[:1] != ["open"]:
        rest = rest[1:]
    return db if not rest else _NOT_CONSOLE


def main() -> None:
    if os.name == "posix":
        # What the product writes holds patient data (the database, backups, exports, day sheets,
        # reminder lists): owner-only files and folders, whatever the account's default (often 022).
        os.umask(0o077)
    completing = any(name.startswith("_OFFICECONSOLE_COMPLETE") for name in os.environ)  # the shell asks
    db = _NOT_CONSOLE if completing else console_request(sys.argv[1:])
    if db is not _NOT_CONSOLE:
        from officeconsole.tui.app import launch

        sys.exit(launch(db))  # type: ignore[arg-type]
    from officeconsole.cli.commands import app

    app(prog_name="officeconsole")


def __getattr__(name: str):
    """`from officeconsole.cli import app` still works (tests, tools) without eager loading."""
    if name == "app":
        from officeconsole.cli.commands import app

        return app
    raise AttributeError(name)


__all__ = ["app", "main"]
