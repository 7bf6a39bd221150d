"""`officeconsole close-day`, `reopen-day` and `close-settings`: the nightly close from a terminal or cron."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from officeconsole.cli._common import (
    ENV_KEY_FILE,
    ENV_USER,
    AsOption,
    DbOption,
    Format,
    FormatOption,
    day_option,
    emit,
    key_signed_in,
    open_db,
    out,
    say,
    signed_in,
    warn_if_others_can_read,
)
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.money import money
from officeconsole.services.operations.closeout import CloseOutService, CloseResult
from officeconsole.services.operations.day_lock import DayLockService

ENV_PASSPHRASE = "OFFICECONSOLE_BACKUP_PASSPHRASE"


def _day(date: str | None, service, option: str = "--date"):
    return day_option(date, service.ctx, option)


def close_day(
    ctx: typer.Context,
    as_user: Annotated[str | None, typer.Option("--as", envvar=ENV_USER, show_envvar=True, help=(
        "Your username; the password comes from $OFFICECONSOLE_PASSWORD or a prompt."))] = None,
    key_file: Annotated[Path | None, typer.Option("--key-file", envvar=ENV_KEY_FILE, show_envvar=True, help=(
        "Sign in with a manager's key file (`user job-key`) instead: for the scheduled close."))] = None,
    date: Annotated[str | None, typer.Option("--date", help="The day to close (default: today).")] = None,
    cash_counted: Annotated[str | None, typer.Option("--cash-counted", help="Cash counted in the drawer.")] = None,
    card_counted: Annotated[str | None, typer.Option("--card-counted", help="The card terminal's batch total.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check everything, change nothing; exit 1 if the "
                                                           "close would be blocked.")] = False,
    grace: Annotated[int | None, typer.Option("--grace", min=0, max=480, help="Minutes after a visit's start "
                                              "before it is a no-show (default: the clinic's setting).")] = None,
    block_on_missing_charges: Annotated[bool | None, typer.Option(
        "--block-on-missing-charges/--warn-on-missing-charges",
        help="Whether a visit seen without charges stops the close (default: the clinic's setting).")] = None,
    backup_to: Annotated[Path | None, typer.Option("--backup-to", help="Backup folder (default: the backups "
                                                                        "folder).")] = None,
    no_backup: Annotated[bool, typer.Option("--no-backup", help="Skip the backup step.")] = False,
    db: DbOption = None,
) -> None:
    """Close a day: no-shows, missing charges, payments reconciled, the day locked, day sheet, backup,
    tomorrow's reminders. Safe to rerun; on a closed day it shows that close and how to reopen."""
    if key_file is None and not as_user:
        raise ValidationError({"as": "Sign in: --as USERNAME, or --key-file FILE for a scheduled close."})
    opened = open_db(ctx, db)
    service = CloseOutService(key_signed_in(opened, key_file) if key_file else signed_in(opened, as_user))
    day = _day(date, service)
    if cash_counted is None and not dry_run and sys.stdin.isatty():
        cash_counted = typer.prompt("Cash counted in the drawer (Enter to skip)", default="", show_default=False)
    backup_dir = None if no_backup else (backup_to or opened.paths.backups_dir)
    if backup_to is not None and not no_backup:
        warn_if_others_can_read(backup_to, "backups")
    passphrase = os.environ.get(ENV_PASSPHRASE) or None
    with out.status("Closing the day…") as status:
        def progress(name: str) -> None:
            status.update(f"Closing the day: {name}…")

        result = service.close_day(day, cash_counted=cash_counted, card_counted=card_counted, dry_run=dry_run,
                                   grace_minutes=grace, missing_charges_block=block_on_missing_charges,
                                   reports_dir=opened.paths.reports_dir / "day-sheets", backup_dir=backup_dir,
                                   backup_passphrase=passphrase, progress=progress)
    _print(result)


def _print(result: CloseResult) -> None:
    for step in result.steps:
        mark = "BLOCKS" if step.blocking else "FAILED" if step.failed else "WARN" if step.warning else "ok"
        say(f"[{mark}] {step.name}")
        for line in step.lines:
            say(f"    {line}")
    if result.blocked:
        say(f"{result.day:%m/%d/%Y}: the close is blocked (see above); nothing was locked.")
        raise typer.Exit(1)
    if result.already is not None:
        say(f"{result.day:%m/%d/%Y} is closed: charges {money(result.sheet.charges)}, desk payments "
            f"{money(result.sheet.desk_payments)}.")
    else:
        verb = "would close" if result.dry_run else "closed"
        variance = "".join(f"; {m} variance {money(v)}" for m, v in result.variance.items())
        say(f"{result.day:%m/%d/%Y} {verb}: charges {money(result.sheet.charges)}, desk payments "
            f"{money(result.sheet.desk_payments)}{variance}." + (f" Run {result.run_id} recorded." if result.run_id else ""))
    if result.failed:
        raise typer.Exit(2)


def reopen_day(
    ctx: typer.Context,
    as_user: AsOption,
    date: Annotated[str, typer.Argument(help="The closed day, e.g. 2026-11-20.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (audited), e.g. 'late charge for a visit'.")],
    db: DbOption = None,
) -> None:
    """Lift a day's lock (manager) so it can be corrected; close it again afterwards."""
    service = DayLockService(signed_in(open_db(ctx, db), as_user))
    day = _day(date, service, "DATE")
    was = service.reopen(day, reason)
    say(f"{day:%m/%d/%Y} reopened (it was closed by {was.closed_by} at {was.closed_at:%m/%d %H:%M}). "
        f"Correct it, then run: `officeconsole close-day --date {day:%Y-%m-%d}`")


def close_settings(
    ctx: typer.Context,
    as_user: AsOption,
    grace: Annotated[str | None, typer.Option("--grace", help="No-show grace in minutes (0-480).")] = None,
    missing_charges: Annotated[str | None, typer.Option("--missing-charges", help="warn or block.")] = None,
    db: DbOption = None,
) -> None:
    """Show or change the close-out settings: the no-show grace and what missing charges do."""
    service = CloseOutService(signed_in(open_db(ctx, db), as_user))
    settings = (service.set_settings(grace, missing_charges) if grace is not None or missing_charges is not None
                else service.settings())
    say(f"No-show grace: {settings.grace_minutes} minutes. Missing charges: {settings.missing_charges} the close.")


def close_history(
    ctx: typer.Context,
    as_user: AsOption,
    date_from: Annotated[str | None, typer.Option("--from", help="First day (default: 30 days ago).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day (default: today).")] = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Every recorded close: who ran it, when, closed or blocked, whether its lock stands, the totals."""
    service = CloseOutService(signed_in(open_db(ctx, db), as_user))
    last = _day(date_to, service, "--to") or service.ctx.today()
    first = _day(date_from, service, "--from") or last - dt.timedelta(days=30)
    if first > last:
        raise ValidationError({"from": "--from is after --to."})
    rows = service.runs(first, last)
    emit(["Run", "Day", "Run at", "By", "Status", "Locked", "Charges", "Desk payments", "Cash variance",
          "Card variance"],
         [(r.id, f"{r.day:%m/%d/%Y}", f"{r.run_at:%m/%d %H:%M}", r.run_by, r.status, "yes" if r.in_force else "",
           money(r.charges), money(r.desk_payments), "" if r.cash_variance is None else money(r.cash_variance),
           "" if r.card_variance is None else money(r.card_variance)) for r in rows],
         fmt, title=f"Closes {first:%m/%d/%Y} to {last:%m/%d/%Y}")
