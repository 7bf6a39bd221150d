"""`officeconsole close-day [--date D] [--cash-counted X] [--card-counted X] [--dry-run]`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from officeconsole.cli._common import AsOption, DbOption, open_db, out, say, signed_in
from officeconsole.services.closeout import CloseOutService
from officeconsole.services.errors import ValidationError
from officeconsole.services.money import money
from officeconsole.services.text import parse_date


def close_day(
    ctx: typer.Context,
    as_user: AsOption,
    date: Annotated[str | None, typer.Option("--date", help="The day to close (default: today).")] = None,
    cash_counted: Annotated[str | None, typer.Option("--cash-counted", help="Cash counted in the drawer.")] = None,
    card_counted: Annotated[str | None, typer.Option("--card-counted", help="The card terminal's batch total.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check everything, change nothing; exit 1 if the "
                                                           "close would be blocked.")] = False,
    grace: Annotated[int, typer.Option("--grace", min=0, max=480, help="Minutes after a visit's start before "
                                                                        "it counts as a no-show.")] = 30,
    block_on_missing_charges: Annotated[bool, typer.Option("--block-on-missing-charges",
                                                           help="A visit seen without charges blocks the close.")] = False,
    db: DbOption = None,
) -> None:
    """Close a day: no-shows marked, missing charges listed, payments reconciled, the day sheet written."""
    opened = open_db(ctx, db)
    service = CloseOutService(signed_in(opened, as_user))
    try:
        day = parse_date(date) if date else None
    except ValueError as exc:
        raise ValidationError({"date": f"--date: {exc}."}) from None
    if cash_counted is None and not dry_run and sys.stdin.isatty():
        cash_counted = typer.prompt("Cash counted in the drawer (Enter to skip)", default="", show_default=False)
    with out.status("Closing the day…"):
        result = service.close_day(day, cash_counted=cash_counted, card_counted=card_counted, dry_run=dry_run,
                                   grace_minutes=grace, missing_charges_block=block_on_missing_charges,
                                   reports_dir=opened.paths.reports_dir / "day-sheets")
    for step in result.steps:
        mark = "BLOCKS" if step.blocking else "ok"
        say(f"[{mark}] {step.name}")
        for line in step.lines:
            say(f"    {line}")
    verb = "would close" if dry_run else "closed"
    if result.blocked:
        say(f"{result.day:%m/%d/%Y}: the close is blocked (see above); nothing was locked.")
        raise typer.Exit(1)
    variance = "".join(f"; {m} variance {money(v)}" for m, v in result.variance.items())
    say(f"{result.day:%m/%d/%Y} {verb}: charges {money(result.sheet.charges)}, desk payments "
        f"{money(result.sheet.desk_payments)}{variance}." + (f" Run {result.run_id} recorded." if result.run_id else ""))
