"""`officeconsole schedule show|export|find-slot`: the day's list and free slots, for people and scripts."""

from __future__ import annotations

from typing import Annotated

import typer

from officeconsole.cli._common import (
    AsOption,
    DbOption,
    Format,
    FormatOption,
    Moment,
    day_option,
    emit,
    open_db,
    say,
    signed_in,
)
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.scheduling.hours import HoursService
from officeconsole.services.scheduling.reminders import REMINDER_COLUMNS, reminder_cells
from officeconsole.services.scheduling.schedule import ScheduleService
from officeconsole.services.scheduling.schedule_time import TimeProblem, parse_weekdays
from officeconsole.services.scheduling.slot_finder import SlotFinder, SlotQuery

schedule_app = typer.Typer(help="The schedule: a day's appointments and free slots.", no_args_is_help=True)

DateOption = Annotated[str | None, typer.Option("--date", help="Day: a date, today, tomorrow, +N, or a weekday such as mon (default: today).")]
ProviderOption = Annotated[str | None, typer.Option("--provider", help="Only this provider (username).")]


def _day(service: ScheduleService, text: str | None):
    return day_option(text, service.ctx, "--date") or service.ctx.today()


def _service(ctx: typer.Context, db: str | None, as_user: str) -> ScheduleService:
    return ScheduleService(signed_in(open_db(ctx, db), as_user))


def _day_rows(ctx: typer.Context, db: str | None, as_user: str, date: str | None, provider: str | None):
    service = _service(ctx, db, as_user)
    day = _day(service, date)
    providers = [service.provider_by_name(provider).id] if provider else None
    return day, service.day(day, providers)


@schedule_app.command("show")
def show(ctx: typer.Context, as_user: AsOption, date: DateOption = None, provider: ProviderOption = None,
         db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """A day's appointments by time, cancelled ones included."""
    day, rows = _day_rows(ctx, db, as_user, date, provider)
    emit(["Start", "End", "Provider", "Patient", "MRN", "Type", "Status", "Reason"],
         [(Moment(r.start), Moment(r.end), r.provider_name, r.patient_name, r.mrn, r.type_name,
           r.status.replace("_", " "), r.reason) for r in rows],
         fmt, title=f"{day:%A %m/%d/%Y}: {len(rows)} appointments")


@schedule_app.command("export")
def export(ctx: typer.Context, as_user: AsOption, date: DateOption = None, provider: ProviderOption = None,
           db: DbOption = None, fmt: FormatOption = Format.csv) -> None:
    """The day's booked patients for reminder calls and texts (cancelled ones left out; audited)."""
    service = _service(ctx, db, as_user)
    day = _day(service, date)
    rows = service.reminder_list(day, [service.provider_by_name(provider).id] if provider else None)
    emit(REMINDER_COLUMNS, [reminder_cells(r) for r in rows], fmt)


@schedule_app.command("find-slot")
def find_slot(
    ctx: typer.Context,
    as_user: AsOption,
    type_name: Annotated[str | None, typer.Option("--type", help="Appointment type (its length is used).")] = None,
    provider: ProviderOption = None,
    after: Annotated[str | None, typer.Option("--after", help="First day to look at (default today).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last day to look at.")] = None,
    weekday: Annotated[list[str] | None, typer.Option("--weekday", help="mon..sun; repeat for several.")] = None,
    part: Annotated[str, typer.Option("--part", help="any, morning or afternoon.")] = "any",
    count: Annotated[int, typer.Option("--count", min=1, max=100)] = 5,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The next free slots long enough for the type, within working hours."""
    service = _service(ctx, db, as_user)
    if not type_name:
        names = ", ".join(t.name for t in service.types()) or "none yet (`officeconsole appointment-type add`)"
        raise ValidationError({"type": f"--type: which appointment type? One of: {names}."})
    kind = service.type_by_name(type_name)
    after, until = day_option(after, service.ctx, "--after"), day_option(until, service.ctx, "--until")
    try:
        days = parse_weekdays(weekday or [])
    except TimeProblem as exc:
        raise ValidationError({"weekday": f"--weekday: {exc}"}) from None
    provider_id = service.provider_by_name(provider).id if provider else None
    slots = SlotFinder(service.ctx).find(SlotQuery(type_id=kind.id, provider_id=provider_id, after=after,
                                                   until=until, weekdays=days, part=part, count=count))
    emit(["Day", "Start", "End", "Provider", "Minutes", "Note"],
         [(Moment(s.start, "%a %m/%d/%Y"), Moment(s.start), Moment(s.end), s.provider_name, s.minutes, s.note)
          for s in slots],
         fmt, title=f"Free slots for {kind.name} ({kind.minutes} min)")


@schedule_app.command("holidays")
def holidays_cmd(
    ctx: typer.Context,
    as_user: AsOption,
    year: Annotated[int, typer.Option("--year", min=2000, max=2100, help="Which year.")],
    state: Annotated[str, typer.Option("--state", help="US state for state holidays, e.g. IL.")] = "",
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Public holidays to consider closing on, and which ones the clinic has confirmed."""
    hours = HoursService(signed_in(open_db(ctx, db), as_user))
    rows = hours.suggest_holidays(year, "US", state)
    emit(["Date", "Holiday", "Clinic closed"],
         [(f"{h.day:%a %m/%d/%Y}", h.name, "yes" if h.confirmed else "") for h in rows], fmt,
         title=f"Holidays {year}" + (f" (US-{state.upper()})" if state else " (US)"))


@schedule_app.command("close")
def close_day(
    ctx: typer.Context,
    day: Annotated[str, typer.Argument(help="The date the clinic is closed.")],
    name: Annotated[str, typer.Argument(help="Why, e.g. Thanksgiving Day.")],
    as_user: AsOption,
    db: DbOption = None,
) -> None:
    """Confirm a clinic holiday (managers): nobody can be booked that day without a reason."""
    service = HoursService(signed_in(open_db(ctx, db), as_user))
    day = f"{day_option(day, service.ctx, 'DAY'):%Y-%m-%d}"
    service.add_holiday(day, name)
    say(f"The clinic is closed on {day}: {name}.")
