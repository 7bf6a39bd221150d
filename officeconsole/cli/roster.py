"""`officeconsole roster show|export|alerts|copy|templates|add-template|add-rule|remove-rule`: the rota,
its templates and staffing rules, and credential alerts from a terminal."""

from __future__ import annotations

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
    say,
    signed_in,
)
from officeconsole.models.enums import Role
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.staffing.credentials import CredentialService
from officeconsole.services.staffing.roster import WEEKDAY_KEYS, RosterService

roster_app = typer.Typer(help="The staff rota, coverage gaps and credential alerts.", no_args_is_help=True)

WEEKDAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
WeekOption = Annotated[str | None, typer.Option("--week", help="Any day of the week (default: this week).")]


@roster_app.command("show")
def show(ctx: typer.Context, as_user: AsOption, week: WeekOption = None, db: DbOption = None,
         fmt: FormatOption = Format.table) -> None:
    """The week's rota: one row per person, their shifts each day, hours (overtime flagged), then the gaps."""
    service = RosterService(signed_in(open_db(ctx, db), as_user))
    plan = service.week(day_option(week, service.ctx, "--week"))
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
    service = RosterService(signed_in(open_db(ctx, db), as_user))
    plan = service.week(day_option(week, service.ctx, "--week"))
    emit(["Day", "Person", "Role", "Start", "End", "Hours", "Template", "Note"],
         [(f"{s.day:%Y-%m-%d}", s.person, Role(s.role).label, f"{s.start:%H:%M}", f"{s.end:%H:%M}", f"{s.hours:g}",
           s.template, s.note) for s in plan.shifts], fmt, title=f"Shifts, week of {plan.monday:%m/%d/%Y}")


@roster_app.command("alerts")
def alerts(ctx: typer.Context, as_user: AsOption, db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """Credentials expired or expiring within 90 days (alerts at 90, 60 and 30 days)."""
    rows = CredentialService(signed_in(open_db(ctx, db), as_user)).alerts()
    emit(["Person", "Credential", "Number", "Issuer", "Expires", "Left"],
         [(c.person, c.name or c.kind_label, c.number, c.issuer, f"{c.expires_on:%m/%d/%Y}",
           "expired" if c.alert == "expired" else c.left) for c in rows],
         fmt, title="Credential alerts")
    if fmt is Format.table and not rows:
        say("No credential expires in the next 90 days.")


@roster_app.command("copy")
def copy(ctx: typer.Context, as_user: AsOption,
         from_week: Annotated[str, typer.Option("--from", help="Any day of the week to copy.")],
         to_week: Annotated[str, typer.Option("--to", help="Any day of the week to fill.")],
         db: DbOption = None) -> None:
    """Copy one week's shifts onto another; what would overlap or fall on time off is skipped and listed."""
    service = RosterService(signed_in(open_db(ctx, db), as_user))
    result = service.copy_week(day_option(from_week, service.ctx, "--from"), day_option(to_week, service.ctx, "--to"))
    say(f"{result.copied} shifts copied, {len(result.skipped)} skipped.")
    for reason in result.skipped:
        say(f"    {reason}")


@roster_app.command("templates")
def templates(ctx: typer.Context, as_user: AsOption, db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """The shift templates the rota offers, and the minimum-staffing rules coverage is checked against."""
    service = RosterService(signed_in(open_db(ctx, db), as_user))
    emit(["Id", "Template", "For", "Start", "End"],
         [(t.id, t.name, Role(t.role).label, f"{t.start:%H:%M}", f"{t.end:%H:%M}") for t in service.templates()],
         fmt, title="Shift templates")
    emit(["Id", "Rule", "Days", "From", "To"],
         [(r.id, f"at least {r.minimum} {Role(r.role).label}", WEEKDAY_NAMES[r.weekday] if r.weekday is not None
           else "every open day", f"{r.start:%H:%M}", f"{r.end:%H:%M}") for r in service.rules()],
         fmt, title="Staffing rules")


@roster_app.command("add-template")
def add_template(ctx: typer.Context, as_user: AsOption,
                 name: Annotated[str, typer.Argument(help="e.g. 'Front AM'.")],
                 role: Annotated[str, typer.Option("--role", help="front_desk, provider, billing, manager.")],
                 start: Annotated[str, typer.Option("--start", help="e.g. 07:30.")],
                 end: Annotated[str, typer.Option("--end", help="e.g. 12:30.")],
                 db: DbOption = None) -> None:
    """A named shift the rota offers with one key."""
    made = RosterService(signed_in(open_db(ctx, db), as_user)).add_template(name, role, start, end)
    say(f"Template {made.name}: {Role(made.role).label} {made.start:%H:%M}-{made.end:%H:%M}.")


@roster_app.command("add-rule")
def add_rule(ctx: typer.Context, as_user: AsOption,
             role: Annotated[str, typer.Argument(help="front_desk, provider, billing, manager.")],
             minimum: Annotated[str, typer.Option("--min", help="At least this many people.")],
             start: Annotated[str, typer.Option("--from", help="e.g. 08:00.")],
             end: Annotated[str, typer.Option("--to", help="e.g. 17:00.")],
             weekday: Annotated[str | None, typer.Option("--weekday", help="mon..sun (default: every open day).")] = None,
             db: DbOption = None) -> None:
    """A minimum-staffing rule, e.g. at least two front-desk staff 08:00-17:00."""
    day = None
    if weekday is not None:
        key = weekday.strip().lower()[:3]
        if key not in WEEKDAY_KEYS:
            raise ValidationError({"weekday": "--weekday: one of mon, tue, wed, thu, fri, sat, sun."})
        day = WEEKDAY_KEYS.index(key)
    rule = RosterService(signed_in(open_db(ctx, db), as_user)).set_rule(role, minimum, start, end, day)
    say(f"Rule {rule.id}: at least {rule.minimum} {Role(rule.role).label} {rule.start:%H:%M}-{rule.end:%H:%M}"
        + (f" on {WEEKDAY_NAMES[rule.weekday]}" if rule.weekday is not None else "") + ".")


@roster_app.command("remove-rule")
def remove_rule(ctx: typer.Context, as_user: AsOption, rule_id: Annotated[int, typer.Argument(help="Its id.")],
                db: DbOption = None) -> None:
    """Drop a minimum-staffing rule (ids are listed by `roster templates`)."""
    RosterService(signed_in(open_db(ctx, db), as_user)).remove_rule(rule_id)
    say(f"Rule {rule_id} removed.")
