"""`officeconsole audit list` and `audit verify`: the audit trail, and a check of its hash chain."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from officeconsole.cli._common import (
    AsOption,
    DbOption,
    Format,
    FormatOption,
    day_option,
    emit,
    open_db,
    out,
    say,
    signed_in,
)
from officeconsole.services.security.audit import AuditService
from officeconsole.services.security.audit_chain import AuditChainService

audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@audit_app.command("list")
def list_events(
    ctx: typer.Context,
    as_user: AsOption,
    patient: Annotated[str | None, typer.Option("--patient", help="Only this patient's MRN.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this date (clinic time), e.g. 2026-11-01.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000, help="At most this many events.")] = 200,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Audit events, newest first."""
    service = AuditService(signed_in(open_db(ctx, db), as_user))
    since_date = day_option(since, service.ctx, "--since")
    zone = service.ctx.timezone
    rows = service.list(patient_mrn=patient.strip() if patient else None, since=since_date, limit=limit)
    emit(
        ["When", "User", "Action", "Entity", "MRN", "Summary"],
        [(r.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"), r.username, r.action,
          f"{r.entity} {r.entity_id}".strip(), r.patient_mrn, r.summary) for r in rows],
        fmt,
    )


@audit_app.command("verify")
def verify(
    ctx: typer.Context,
    as_user: AsOption,
    anchor: Annotated[str | None, typer.Option(
        "--anchor", help="A chain hash written down earlier (a close-out's 'Audit chain' line or a day sheet; "
                         "16 hex digits or more): fail unless that event is still in the intact chain.")] = None,
    old_key: Annotated[list[Path] | None, typer.Option(
        "--old-key", help="A key file the trail was written with before a key change (repeatable): the events "
                          "before the change are then checked too.")] = None,
    db: DbOption = None,
) -> None:
    """Check the audit trail's hash chain with the clinic's key: no event changed, removed, moved or
    added, the end where the chain head says. Exit 1 names the first broken link."""
    service = AuditChainService(signed_in(open_db(ctx, db), as_user))
    zone = service.ctx.timezone
    with out.status("Checking the audit chain…") as status:
        def progress(done: int, total: int) -> None:
            status.update(f"Checking the audit chain: {done:,} of {total:,} events…")

        report = service.verify(anchor, progress=progress, old_key_files=old_key or [])

    def when(at) -> str:
        return f" ({at.astimezone(zone):%Y-%m-%d %H:%M:%S})" if at is not None else ""

    for change in report.key_changes:
        say(f"key change at event {change.seq}{when(change.at)} by {change.username}: {change.reason} "
            f"(key {change.old_key} -> {change.new_key})")
    if report.unchecked:
        say(f"{report.unchecked} events before a key change were checked for their numbering and links only: "
            "give the old key with --old-key FILE to check them fully")
    if report.intact:
        latest = report.latest.hash if report.latest else "none"
        say(f"chain intact: {report.events} events, latest hash {latest}")
        if report.anchor is not None:
            say(f"anchor found: event {report.anchor.seq}{when(report.anchor.at)}")
        return
    problem = report.problem
    where = f" at event {problem.seq}{when(problem.at)}" if problem.seq is not None else ""
    say(f"chain broken{where}: {problem.kind}: {problem.detail}")
    say(f"events checked before the break: {report.events}")
    raise typer.Exit(1)


@audit_app.command("recovery-code")
def recovery_code(ctx: typer.Context, as_user: AsOption, db: DbOption = None) -> None:
    """Make the audit recovery code (managers): write it on paper and keep it away from the PC. From
    now on every backup carries the audit key wrapped under it, so a restore on a new PC can put the
    key back; making a new code retires the old one for later backups."""
    from officeconsole.services.security.audit_key_travel import AuditKeyService

    code = AuditKeyService(signed_in(open_db(ctx, db), as_user)).new_recovery_code()
    say("Audit recovery code (shown once: write it down and keep it with the clinic's papers, not on this PC):")
    say(f"    {code}")
    say("Backups from now on carry the audit key wrapped under it; `officeconsole restore` asks for it on a new PC.")


@audit_app.command("new-key")
def new_key(
    ctx: typer.Context,
    as_user: AsOption,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded), e.g. 'PC died, audit key lost'.")],
    db: DbOption = None,
) -> None:
    """Start a new audit key when the clinic's key is lost (managers): the trail goes on under the new
    key, and its first event records where the old key's part ends. Keep the new key with the
    backups (`officeconsole audit recovery-code`); `audit verify` reports the boundary."""
    from officeconsole.cli._common import ENV_PASSWORD
    from officeconsole.services.security.audit_key_travel import start_new_key

    opened = open_db(ctx, db)
    password = os.environ.get(ENV_PASSWORD) or typer.prompt(f"Password for {as_user}", hide_input=True)
    made = start_new_key(opened.ctx, as_user, password, reason)
    say(f"A new audit key is at {made.path} (key {made.key_id}). The trail goes on from event {made.after_event + 1}; "
        f"events 1 to {made.after_event} were written with key {made.old_key_id}.")
    say("Make a new audit recovery code now (`officeconsole audit recovery-code`) so backups carry the new key.")
