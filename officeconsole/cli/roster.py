"""`officeconsole roster show|export|alerts|copy`: the rota and credential alerts from a terminal."""

from __future__ import annotations

from typing import Annotated

import typer

from officeconsole.cli._common import AsOption, DbOption, Format, FormatOption, emit, open_db, say, signed_in
from officeconsole.models.enums import Role
from officeconsole.services.credentials import CredentialService
from officeconsole.services.roster import RosterService

roster_app = typer.Typer(help="The staff rota, coverage gaps and credential alerts.", no_args_is_help=True)

WeekOption = Annotated[str | None, typer.Option("--week", help="Any day of the week (default: this week).")]


@roster_app.command("show")
def show(ctx: typer.Context, as_user: AsOption, week: WeekOption = None, db: DbOption = None,
         fmt: FormatOption = Format.table) -> None:
    """The week's rota: one row per person, their shifts each day, hours (overtime flagged), then the gaps."""
    service = RosterService(signed_in(open_db(ctx, db), as_user))
    plan = service.week(week)
    rows = []
    for person in plan.people:
        cells = []
        for day in plan.days:
            away = plan.away.get((person.user_id, day))
            cells.append(f"off: {away}" if away else " ".join(s.label for s in plan.cell(person.user_id, day)))
        hours = plan.hours(person.user_id)
        rows.append((person.name, Role(person.role).label, *cells,
                     f"{hours:g}" + (" OVERTIME" if plan.overtime(person.user_id) else "")))
    emit(["Person", "Role", *[f"{d:%a %m/%d}" for d in plan.days], "Hours"], rows, fmt,
         title=f"Rota, week of {plan.monday:%m/%d/%Y}")
    if fmt is Format.table:
        if plan.gaps:
            say(f"{len(plan.gaps)} coverage gaps:")
            for gap in plan.gaps:
                say(f"    {gap.describe}")
        else:
            say("Every staffing rule is met.")


@roster_app.command("export")
def export(ctx: typer.Context, as_user: AsOption, week: WeekOption = None, db: DbOption = None,
           fmt: FormatOption = Format.csv) -> None:
    """The week's shifts, one row each (for payroll or a spreadsheet)."""
    plan = RosterService(signed_in(open_db(ctx, db), as_user)).week(week)
    emit(["Day", "Person", "Role", "Start", "End", "Hours", "Template", "Note"],
         [(f"{s.day:%Y-%m-%d}", s.person, Role(s.role).label, f"{s.start:%H:%M}", f"{s.end:%H:%M}", f"{s.hours:g}",
           s.template, s.note) for s in plan.shifts], fmt, title=f"Shifts, week of {plan.monday:%m/%d/%Y}")


@roster_app.command("alerts")
def alerts(ctx: typer.Context, as_user: AsOption, db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """Credentials expired or expiring within 90 days (alerts at 90, 60 and 30 days)."""
    rows = CredentialService(signed_in(open_db(ctx, db), as_user)).alerts()
    emit(["Person", "Credential", "Number", "Issuer", "Expires", "Alert"],
         [(c.person, c.name or c.kind_label, c.number, c.issuer, f"{c.expires_on:%m/%d/%Y}", c.alert) for c in rows],
         fmt, title="Credential alerts")
    if fmt is Format.table and not rows:
        say("No credential expires in the next 90 days.")


@roster_app.command("copy")
def copy(ctx: typer.Context, as_user: AsOption,
         from_week: Annotated[str, typer.Option("--from", help="Any day of the week to copy.")],
         to_week: Annotated[str, typer.Option("--to", help="Any day of the week to fill.")],
         db: DbOption = None) -> None:
    """Copy one week's shifts onto another; what would overlap or fall on time off is skipped and listed."""
    result = RosterService(signed_in(open_db(ctx, db), as_user)).copy_week(from_week, to_week)
    say(f"{result.copied} shifts copied, {len(result.skipped)} skipped.")
    for reason in result.skipped:
        say(f"    {reason}")
