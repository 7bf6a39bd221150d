"""Run the CLI with the clock fixed and a SIGKILL planted at one point: `python -m tests.crash_runner
POINT ISO-NOW -- officeconsole-args...`. Used by the kill-and-rerun tests; the point names a
function and whether the process dies before it runs or right after it returns."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys

from officeconsole.services.common.clock import SystemClock
from officeconsole.services.operations import backups, closeout
from officeconsole.services.reporting import day_sheet

POINTS = {
    # name: (module or class, attribute, die after the call instead of before)
    "after-no-shows": (closeout.CloseOutService, "_missing_charges", False),
    "inside-lock": (closeout, "lock", True),  # the lock's transaction is open, not committed
    "after-lock": (closeout.CloseOutService, "_write_sheet", False),
    "mid-sheet": (day_sheet, "sheet_pdf", False),  # the CSV is written, the PDF not
    "mid-backup": (backups, "_fsync", False),  # the copy is written and verified, not renamed
    "before-reminders": (closeout, "reminders", False),
}


def plant(point: str) -> None:
    owner, name, after = POINTS[point]
    original = getattr(owner, name)

    def die(*args, **kwargs):
        if not after:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, die)


def fix_clock(iso: str) -> None:
    at = dt.datetime.fromisoformat(iso)
    SystemClock.now = lambda self: at  # type: ignore[method-assign]


if __name__ == "__main__":
    point, iso, separator, *args = sys.argv[1:]
    assert separator == "--"
    fix_clock(iso)
    if point != "none":
        plant(point)
    from officeconsole.cli.commands import app

    app(args, prog_name="officeconsole")
