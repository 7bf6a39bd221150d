"""Kill -9 the close at several points, rerun it, and find the day closed once, nothing lost or doubled.

Each case runs `close-day` in a child process (clock fixed, SIGKILL planted by
tests/crash_runner.py), then runs it again normally and compares with what one clean close
gives: one "closed" run, the day locked with a verified backup, the no-show marked once, the
same money on the sheet and in the ledger, the day sheet's bytes as a clean close writes them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from officeconsole.models import AppointmentEvent, ClosedDay, CloseRun, LedgerEntry
from officeconsole.services.operations.backups import verify_dump, verify_sqlite
from officeconsole.services.reporting.day_sheet import read_day_sheet, sheet_pdf

from tests.conftest import NOW
from tests.crash_runner import POINTS
from tests.factories import PASSWORD
from tests.test_closeout import day  # noqa: F401  (the seeded day: one visit coded, one no-show, $90 taken)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CLOSING_TIME = NOW.replace(hour=23).isoformat()  # 18:00 in New York


def close(point: str, db_url: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OFFICECONSOLE_HOME": str(home), "OFFICECONSOLE_PASSWORD": PASSWORD, "COLUMNS": "200"}
    env.pop("OFFICECONSOLE_BACKUP_PASSPHRASE", None)
    return subprocess.run([sys.executable, "-m", "tests.crash_runner", point, CLOSING_TIME, "--", "--db", db_url,
                           "close-day", "--cash-counted", "50", "--as", "manager"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("point", sorted(POINTS))
def test_killed_close_completes_on_rerun(point, ctx, manager_ctx, day, db_url, tmp_path):  # noqa: F811
    home = tmp_path / "home"
    killed = close(point, db_url, home)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    rerun = close("none", db_url, home)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "Traceback" not in rerun.stderr
    with ctx.db.read() as session:
        runs = session.execute(select(CloseRun.status, CloseRun.charges, CloseRun.desk_payments,
                                      CloseRun.cash_counted)).all()
        locks = session.scalars(select(ClosedDay)).all()
        no_show_events = session.scalar(select(func.count()).select_from(AppointmentEvent)
                                         .where(AppointmentEvent.to_status == "no_show"))
        ledger = session.scalar(select(func.count()).select_from(LedgerEntry))
        backup_file = Path(locks[0].backup_file) if locks else None
        backed_up = [lock.backed_up_at is not None for lock in locks]
    assert runs == [("closed", Decimal("125.00"), Decimal("90.00"), Decimal("50.00"))]
    assert backed_up == [True] and no_show_events == 1 and ledger == 3
    (verify_sqlite if ctx.db.dialect == "sqlite" else verify_dump)(backup_file)
    backups = [p for p in backup_file.parent.iterdir() if not p.name.startswith(".")]
    assert backups == [backup_file]  # one backup, however many times it was started
    sheets = home.rglob("day-sheet-2026-11-23.*")
    files = {p.suffix: p.read_bytes() for p in sheets}
    sheet = read_day_sheet(manager_ctx, NOW.date())
    assert files[".pdf"] == sheet_pdf(sheet)  # what a clean close writes for this day
    assert b"Payments at the desk: cash,50.00" in files[".csv"] and b"Charges: total,125.00" in files[".csv"]
    assert not list(home.rglob("*.partial")) or point == "mid-backup"
