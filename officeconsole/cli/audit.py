"""`officeconsole audit list`: who looked at or changed what, newest first."""

from __future__ import annotations

from typing import Annotated

import typer

from officeconsole.cli._common import AsOption, DbOption, Format, FormatOption, emit, open_db, signed_in
from officeconsole.services.audit import AuditService
from officeconsole.services.errors import ValidationError
from officeconsole.services.text import parse_date

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
    try:
        since_date = parse_date(since) if since else None
    except ValueError as exc:
        raise ValidationError({"since": f"--since: {exc}."}) from None
    service = AuditService(signed_in(open_db(ctx, db), as_user))
    zone = service.ctx.timezone
    rows = service.list(patient_mrn=patient.strip() if patient else None, since=since_date, limit=limit)
    emit(
        ["When", "User", "Action", "Entity", "MRN", "Summary"],
        [(r.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"), r.username, r.action,
          f"{r.entity} {r.entity_id}".strip(), r.patient_mrn, r.summary) for r in rows],
        fmt,
    )
