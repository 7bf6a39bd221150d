"""The close-out's steps after the books are settled: room for the backup, the backup (the whole
database's check for damage), the reminder list for the next booked day, and the alerts; with the
record of a run in progress that each step adds its lines to.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select, text

from officeconsole.models import ClosedDay
from officeconsole.models.enums import AppointmentStatus as S
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.common.errors import OfficeError
from officeconsole.services.common.folders import writable_folder
from officeconsole.services.common.text import plural
from officeconsole.services.operations.backup_files import Rotation
from officeconsole.services.operations.backups import BackupError, BackupService, DamagedDatabase
from officeconsole.services.scheduling.reminders import reminder_csv
from officeconsole.services.scheduling.schedule import ScheduleService
from officeconsole.services.staffing.credentials import CredentialService
from officeconsole.services.stock.inventory import InventoryService

if TYPE_CHECKING:
    from officeconsole.db.database import Database

SKIPPED = "no backup folder given"


class CloseOutError(OfficeError):
    """The close could not go on (a damaged database, a folder it cannot write); said in words."""


@dataclass
class Step:
    name: str
    lines: list[str] = field(default_factory=list)
    blocking: bool = False  # the close cannot finish while this stands
    failed: bool = False  # the step could not be done (the close is recorded; a rerun retries it)
    warning: bool = False  # the close goes on, but someone should look (a drawer off, visits not coded)


Progress = Callable[[str], None]  # told each step's name as it starts


@dataclass
class Run:
    day: dt.date
    dry_run: bool
    counted: dict[str, Decimal]
    reports_dir: Path | None
    backup_dir: Path | None
    passphrase: str | None
    progress: Progress
    steps: list[Step] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def start(self, name: str) -> Step:
        self.progress(name)
        step = Step(name)
        self.steps.append(step)
        return step


def disk_space(ctx: ServiceContext, run: Run) -> None:
    """Before anything is written: room for the day's backup (about the database's size) and the
    work after it. Less than twice the database's size free is a warning, not a stop."""
    step = run.start("Disk space")
    size = database_size(ctx.db)
    url = ctx.db.engine.url
    where = run.backup_dir or (Path(url.database).parent if url.get_backend_name() == "sqlite" and url.database
                               else None)
    if where is None:
        step.lines.append("the database is on a server: its disk is watched there")
        return
    folder = Path(where)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    step.lines.append(f"{free / 1e9:,.1f} GB free in {where}; the database is {size / 1e6:,.1f} MB")
    if free < 2 * size:
        step.warning = True
        step.lines.append("less than twice the database's size is free: the backup may fail. Move old backups "
                          "off this PC or free space before the next close")


def backup(ctx: ServiceContext, run: Run) -> None:
    """The verified backup, which is also the whole database's check for damage (services/operations/backups.py);
    a failure leaves the day locked and says whether to retry or to restore."""
    step = run.start("Backup")
    if run.backup_dir is None:
        step.lines.append(f"{SKIPPED}: skipped, so the database was not checked for damage (a backup checks it)")
        return
    try:
        made = BackupService(ctx).backup(run.backup_dir, run.passphrase, Rotation())
    except DamagedDatabase as exc:
        step.failed = True
        step.lines += [f"FAILED: {exc}", "the day was locked before the damage was found: after the restore, "
                                         "enter what the backup lacks and close the day again"]
        return
    except BackupError as exc:
        step.failed = True
        step.lines += [f"FAILED: {exc}", "the day is locked; run close-day again to retry the backup"]
        return
    with ctx.db.write() as session:
        row = session.scalars(select(ClosedDay).where(ClosedDay.day == run.day,
                                                      ClosedDay.reopened_at.is_(None))).one()
        row.backup_file = str(made.path)[:500]
        row.backed_up_at = ctx.now()
    step.lines.append(f"{made.path} ({made.size / 1e6:.1f} MB{', encrypted' if made.encrypted else ''}) "
                      f"verified, {made.megabytes_per_second:.0f} MB/s")
    step.lines.append(f"the audit key travels with it (unwrapped by the {' or the '.join(made.key_carried_by)})"
                      if made.key_carried_by else f"warning: {made.key_problem}")


def reminders(ctx: ServiceContext, run: Run) -> None:
    """The next booked day's patients (within a week of the later of the closed day and
    today: a day closed late reminds for what is still ahead), for reminder calls and texts."""
    step = run.start("Reminders")
    schedule = ScheduleService(ctx)
    base = max(run.day, ctx.today())
    for ahead in range(1, 8):
        day = base + dt.timedelta(days=ahead)
        rows = [r for r in schedule.day(day) if r.status == S.SCHEDULED]
        if rows:
            break
    else:
        step.lines.append("nothing booked in the coming week")
        return
    step.lines.append(f"{plural(len(rows), 'patient')} to remind for {day:%A %m/%d/%Y}")
    if run.dry_run:
        return
    folder = writable_folder(run.reports_dir or Path("."), CloseOutError, "the reminder list")
    final = folder / f"reminders-{day:%Y-%m-%d}.csv"
    staged = final.with_name(f".{final.name}.partial")
    staged.write_text(reminder_csv(rows))
    os.replace(staged, final)
    step.lines.append(str(final))


def alerts(ctx: ServiceContext, run: Run) -> None:
    """What the manager must not be surprised by: credentials expired or expiring within 90
    days, low stock, lots expired or expiring within 30 days."""
    step = run.start("Alerts")
    found = CredentialService(ctx).alerts()
    step.lines += [c.describe for c in found]
    if not found:
        step.lines.append("no credential expires in the next 90 days")
    stock = InventoryService(ctx)
    low = stock.items(low_only=True, limit=100_000)
    step.lines += [f"low stock: {i.name}, {i.on_hand} {i.unit} (reorder at {i.reorder_point})" for i in low]
    for lot in stock.lots(within_days=30):
        when = f"expired {lot.expires_on:%m/%d/%Y}" if lot.days_left < 0 else f"expires {lot.expires_on:%m/%d/%Y}"
        step.lines.append(f"{lot.item} lot {lot.lot_number}: {lot.on_hand} {when}")


def database_size(database: Database) -> int:
    """Bytes the database takes: the SQLite file (and its write-ahead log), or the server's figure."""
    url = database.engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return 0
        base = Path(url.database)
        return sum(p.stat().st_size for p in (base, base.with_name(base.name + "-wal")) if p.exists())
    with database.read() as session:
        return int(session.scalar(text("SELECT pg_database_size(current_database())")) or 0)
