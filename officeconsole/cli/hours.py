"""`officeconsole hours show|set|block|exception|holiday`: providers' working hours from a terminal.

Days are given as `--day "mon-fri=08:00-12:00,13:00-17:00"` (repeatable), or one interval at a
time as `--weekday mon --from 08:00 --to 12:00` (each option repeated, taken in order). A change
that would leave booked visits outside working time prints them and exits 1; `--yes` saves it
anyway (the visits stay booked).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

import typer

from officeconsole.cli._common import (
    AsOption,
    DbOption,
    Format,
    FormatOption,
    day_option,
    emit,
    err,
    open_db,
    say,
    signed_in,
)
from officeconsole.services.common.errors import NeedsConfirmation, ValidationError
from officeconsole.services.common.printable import printable
from officeconsole.services.scheduling.hours import (
    WEEKDAYS,
    HoursService,
    describe,
    describe_blocks,
    parse_block_ranges,
    parse_ranges,
    parse_weekdays,
)
from officeconsole.services.scheduling.schedule import ScheduleService

hours_app = typer.Typer(help="Providers' working hours: weekly templates, blocks, exceptions, holidays.",
                        no_args_is_help=True)
holiday_app = typer.Typer(help="Clinic holidays: the days the clinic is closed.", no_args_is_help=True)
hours_app.add_typer(holiday_app, name="holiday")

ProviderArg = Annotated[str, typer.Argument(help="The provider's username, e.g. drpatel.")]
DayOption = Annotated[list[str] | None, typer.Option(
    "--day", help='Weekdays and times, e.g. "mon-fri=08:00-12:00,13:00-17:00" (repeatable).')]
EffectiveOption = Annotated[str | None, typer.Option(
    "--effective", help="The first day the hours apply (default: today; a provider's first hours: always).")]
YesOption = Annotated[bool, typer.Option("--yes", help="Save even when booked visits fall outside the new hours.")]


def _confirmed(call: Callable[..., None], yes: bool, *args, **kwargs) -> None:
    """Run a change; a NeedsConfirmation lists the visits and exits 1 unless --yes was given."""
    try:
        call(*args, confirm=yes, **kwargs)
    except NeedsConfirmation as exc:
        err.print(f"error: {printable(exc.message)} Run it again with --yes to save anyway.",
                  markup=False, highlight=False)
        for item in exc.items:
            err.print(f"    {printable(item)}", markup=False, highlight=False)
        raise typer.Exit(1) from None


def _day_specs(specs: list[str], *, labels: bool, field: str = "day") -> dict[int, list[tuple]]:
    """"mon-fri=08:00-12:00,13:00-17:00" options -> {weekday: [(start, end[, label]), ...]}."""
    week: dict[int, list[tuple]] = {}
    for spec in specs:
        days, sep, ranges = spec.partition("=")
        if not sep:
            raise ValidationError({field: f"{spec!r}: write the days, '=', then the times "
                                          '(e.g. "mon-fri=08:00-12:00,13:00-17:00").'})
        rows = parse_block_ranges(ranges, field) if labels else parse_ranges(ranges, field)
        for weekday in parse_weekdays(days, field):
            week.setdefault(weekday, []).extend(rows)
    return week


@hours_app.command("show")
def show(ctx: typer.Context, provider: ProviderArg, as_user: AsOption,
         date: Annotated[str | None, typer.Option("--date", help="The day to show (default: today).")] = None,
         db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """The provider's weekly templates (the one in force marked), that day's hours and coming exceptions."""
    service_ctx = signed_in(open_db(ctx, db), as_user)
    row = ScheduleService(service_ctx).provider_by_name(provider)
    hours = HoursService(service_ctx)
    day = day_option(date, service_ctx, "--date") or service_ctx.today()
    templates = hours.templates(row.id)
    emit(["Template", "In force", *[w[:3] for w in WEEKDAYS]],
         [(t.period, "yes" if t.in_force else "",
           *[t.day_text(d) + (f" (blocked {t.blocks_text(d)})" if t.blocks[d] else "") for d in range(7)])
          for t in templates], fmt, title=f"Working hours of {row.name}")
    if fmt is not Format.table:
        return
    if not templates:
        say(f"{row.name} has no working hours yet: `officeconsole hours set {row.username} --day ...`.")
    today = hours.hours_on(row.id, day)
    why = {"exception": "one-day exception", "holiday": "clinic holiday", "time off": "approved time off",
           "template": "weekly hours", "": "no hours that weekday"}[today.source]
    say(f"{day:%a %m/%d/%Y}: {describe(today.intervals) or 'not working'} ({why}"
        + (f": {today.note}" if today.note else "") + ")"
        + (f"; blocked {describe_blocks(today.blocks)}" if today.blocks else ""))
    coming = hours.exceptions(row.id, day, day + dt.timedelta(days=90))
    for exception in coming:
        say(f"    exception {exception.day:%a %m/%d/%Y}: {exception.text}"
            + (f" ({exception.note})" if exception.note else ""))


@hours_app.command("set")
def set_hours(
    ctx: typer.Context,
    provider: ProviderArg,
    as_user: AsOption,
    day: DayOption = None,
    weekday: Annotated[list[str] | None, typer.Option("--weekday", help="A weekday (repeatable, with --from/--to).")]
    = None,
    start: Annotated[list[str] | None, typer.Option("--from", help="Start of the interval on that --weekday.")] = None,
    end: Annotated[list[str] | None, typer.Option("--to", help="End of the interval on that --weekday.")] = None,
    block: Annotated[list[str] | None, typer.Option(
        "--block", help='Recurring blocks, e.g. "mon-fri=12:00-13:00 Lunch" (repeatable).')] = None,
    effective: EffectiveOption = None,
    yes: YesOption = False,
    db: DbOption = None,
) -> None:
    """Set the provider's weekly hours from a date (weekdays not given are days off); earlier weeks keep theirs."""
    week = _day_specs(day or [], labels=False)
    weekday, start, end = weekday or [], start or [], end or []
    if not len(weekday) == len(start) == len(end):
        raise ValidationError({"weekday": "Give --from and --to once for every --weekday."})
    for name, begin, finish in zip(weekday, start, end, strict=True):
        for number in parse_weekdays(name, "weekday"):
            week.setdefault(number, []).append((begin, finish))
    if not week:
        raise ValidationError({"day": 'Give the working days, e.g. --day "mon-fri=08:00-12:00,13:00-17:00".'})
    service_ctx = signed_in(open_db(ctx, db), as_user)
    row = ScheduleService(service_ctx).provider_by_name(provider)
    blocks = _day_specs(block or [], labels=True, field="block")
    _confirmed(HoursService(service_ctx).set_week, yes, row.id, week, blocks=blocks, effective_from=effective)
    say(f"Working hours of {row.name} set " + (f"from {effective}" if effective else "") + ": "
        + "; ".join(f"{WEEKDAYS[d][:3]} {', '.join(f'{a}-{b}' for a, b in week[d])}" for d in sorted(week)) + ".")


@hours_app.command("block")
def add_block(
    ctx: typer.Context,
    provider: ProviderArg,
    as_user: AsOption,
    day: DayOption = None,
    label: Annotated[str, typer.Option("--label", help="What the block is for, e.g. Lunch.")] = "",
    effective: EffectiveOption = None,
    yes: YesOption = False,
    db: DbOption = None,
) -> None:
    """Add a recurring block (lunch, a meeting) to the weekly hours in force from a date."""
    blocks = _day_specs(day or [], labels=True)
    if not blocks:
        raise ValidationError({"day": 'Give the block, e.g. --day "mon-fri=12:00-13:00" --label Lunch.'})
    blocks = {d: [(a, b, text or label) for a, b, text in rows] for d, rows in blocks.items()}
    service_ctx = signed_in(open_db(ctx, db), as_user)
    row = ScheduleService(service_ctx).provider_by_name(provider)
    _confirmed(HoursService(service_ctx).add_blocks, yes, row.id, blocks, effective_from=effective)
    say(f"Blocked for {row.name}: " + "; ".join(
        f"{WEEKDAYS[d][:3]} {', '.join(f'{a}-{b} {text}'.rstrip() for a, b, text in blocks[d])}"
        for d in sorted(blocks)) + ".")


@hours_app.command("exception")
def exception(
    ctx: typer.Context,
    provider: ProviderArg,
    as_user: AsOption,
    date: Annotated[str, typer.Option("--date", help="The day that differs.")],
    off: Annotated[bool, typer.Option("--off", help="Not working that day.")] = False,
    hours: Annotated[str, typer.Option("--hours", help='That day\'s hours, e.g. "09:00-13:00".')] = "",
    note: Annotated[str, typer.Option("--note", help="Why, e.g. conference morning.")] = "",
    clear: Annotated[bool, typer.Option("--clear", help="Remove the exception: back to the weekly hours.")] = False,
    yes: YesOption = False,
    db: DbOption = None,
) -> None:
    """Different hours on one date (--hours), a day off (--off), or back to the usual week (--clear)."""
    if sum((off, bool(hours), clear)) != 1:
        raise ValidationError({"hours": "Give exactly one of --off, --hours \"09:00-13:00\" or --clear."})
    intervals = parse_ranges(hours, "hours")
    if hours and not intervals:
        raise ValidationError({"hours": "--hours needs times, e.g. \"09:00-13:00\" (or use --off)."})
    service_ctx = signed_in(open_db(ctx, db), as_user)
    row = ScheduleService(service_ctx).provider_by_name(provider)
    service = HoursService(service_ctx)
    date = f"{day_option(date, service_ctx, '--date'):%Y-%m-%d}"
    if clear:
        _confirmed(service.clear_day, yes, row.id, date)
        say(f"{row.name} works the usual hours on {date}.")
        return
    _confirmed(service.set_day, yes, row.id, date, intervals, note)
    say(f"{row.name} on {date}: " + (", ".join(f"{a}-{b}" for a, b in intervals) or "day off") + ".")


@holiday_app.command("add")
def holiday_add(
    ctx: typer.Context,
    day: Annotated[str, typer.Argument(help="The date the clinic is closed.")],
    name: Annotated[str, typer.Argument(help="Why, e.g. Thanksgiving Day.")],
    as_user: AsOption,
    yes: YesOption = False,
    db: DbOption = None,
) -> None:
    """Close the clinic on a date (managers): nobody is bookable that day without a reason."""
    service = HoursService(signed_in(open_db(ctx, db), as_user))
    day = f"{day_option(day, service.ctx, 'DAY'):%Y-%m-%d}"
    _confirmed(service.add_holiday, yes, day, name)
    say(f"The clinic is closed on {day}: {name}.")


@holiday_app.command("remove")
def holiday_remove(
    ctx: typer.Context,
    day: Annotated[str, typer.Argument(help="The holiday's date.")],
    as_user: AsOption,
    db: DbOption = None,
) -> None:
    """Open the clinic again on a date that was a holiday."""
    service = HoursService(signed_in(open_db(ctx, db), as_user))
    day = f"{day_option(day, service.ctx, 'DAY'):%Y-%m-%d}"
    service.remove_holiday(day)
    say(f"{day} is no longer a clinic holiday.")


@holiday_app.command("list")
def holiday_list(
    ctx: typer.Context,
    year: Annotated[int, typer.Argument(min=2000, max=2100, help="Which year.")],
    as_user: AsOption,
    state: Annotated[str, typer.Option("--state", help="US state for state holidays, e.g. IL.")] = "",
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The year's public holidays and the clinic's own closed days, with which ones are confirmed."""
    service = HoursService(signed_in(open_db(ctx, db), as_user))
    suggested = {h.day: (h.name, h.confirmed) for h in service.suggest_holidays(year, "US", state)}
    for own in service.holidays(dt.date(year, 1, 1), dt.date(year, 12, 31)):
        suggested[own.day] = (own.name, True)
    emit(["Date", "Holiday", "Clinic closed"],
         [(f"{day:%a %m/%d/%Y}", name, "yes" if closed else "") for day, (name, closed) in sorted(suggested.items())],
         fmt, title=f"Holidays {year}" + (f" (US-{state.upper()})" if state else " (US)"))
