"""The front desk's tools on the command line.

`schedule remind|confirm|print` (on the schedule group), `recall list|rules|set`, and
`patient alert add|list|end`, `patient note add|list`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
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
from officeconsole.cli.schedule import DateOption, ProviderOption, schedule_app
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.text import plural
from officeconsole.services.frontdesk.patient_alerts import PatientAlertService
from officeconsole.services.frontdesk.patients import PatientService
from officeconsole.services.scheduling.day_lists import DayListService
from officeconsole.services.scheduling.recalls import RecallService
from officeconsole.services.scheduling.reminders import DEFAULT_KIND, ReminderService
from officeconsole.services.scheduling.schedule import ScheduleService

recall_app = typer.Typer(help="Recalls: patients due for their next visit of a kind.", no_args_is_help=True)
patient_app = typer.Typer(help="A patient's alerts and notes.", no_args_is_help=True)
alert_app = typer.Typer(help="Short alerts shown wherever the patient appears at the desk.", no_args_is_help=True)
note_app = typer.Typer(help="Dated notes on the patient's record.", no_args_is_help=True)
patient_app.add_typer(alert_app, name="alert")
patient_app.add_typer(note_app, name="note")

MrnArgument = Annotated[str, typer.Argument(help="The patient's MRN.", show_default=False)]


def _day(service, text: str | None):
    return day_option(text, service.ctx, "--date") or service.ctx.today()


@schedule_app.command("remind")
def remind(
    ctx: typer.Context,
    as_user: AsOption,
    date: DateOption = None,
    send_with: Annotated[str | None, typer.Option(
        "--send-with", help="A command that sends one reminder: it reads the reminder as JSON on stdin "
                            "(e.g. your SMS or e-mail gateway's script). Without it, only the files are written.")] = None,
    file_format: Annotated[str, typer.Option("--files", help="csv (one list) or ics (one calendar file per visit).")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the files (default: reminders/ in the "
                                                            "reports folder).")] = None,
    kind: Annotated[str, typer.Option("--kind", help="Which reminder this is; each visit gets each kind once.")] = DEFAULT_KIND,
    timeout: Annotated[float, typer.Option("--timeout", min=1, max=600, help="Seconds to wait for the command.")] = 30,
    db: DbOption = None,
) -> None:
    """A day's reminders (default tomorrow): written as files, and sent through --send-with, never twice."""
    opened = open_db(ctx, db)
    service = ReminderService(signed_in(opened, as_user))
    day = day_option(date, service.ctx, "--date") or service.ctx.today() + dt.timedelta(days=1)
    folder = out or opened.paths.reports_dir / "reminders"
    paths = service.write_reminder_files(day, folder, file_format)
    say(f"{day:%A %m/%d/%Y}: {plural(len(paths), 'file')} in {folder}")
    if send_with is None:
        return
    result = service.send_reminders(day, send_with, kind=kind, timeout=timeout)
    emit(["Patient", "Outcome", "Detail"], [(o.patient_name, o.outcome, o.detail) for o in result.outcomes],
         Format.table, title=f"Reminders ({kind}) for {day:%m/%d/%Y}")
    say(f"{result.count('sent')} sent, {result.count('failed')} failed, {result.count('already sent')} already sent, "
        f"{result.count('unreachable')} unreachable (no phone or e-mail).")
    if result.count("failed"):
        raise typer.Exit(1)


@schedule_app.command("confirm")
def confirm(
    ctx: typer.Context,
    appointment_id: Annotated[int, typer.Argument(help="The appointment's id (schedule show --format json).")],
    as_user: AsOption,
    how: Annotated[str, typer.Option("--how", help="phone, text, email or in_person.")] = "phone",
    left_message: Annotated[bool, typer.Option("--left-message", help="A message was left; not yet confirmed.")] = False,
    db: DbOption = None,
) -> None:
    """Mark a visit confirmed by the patient (or that a message was left)."""
    service = ReminderService(signed_in(open_db(ctx, db), as_user))
    state = "left_message" if left_message else "confirmed"
    service.mark_visit(appointment_id, state, how)
    say(f"Appointment {appointment_id}: {state.replace('_', ' ')} ({how.replace('_', ' ')}).")


@schedule_app.command("print")
def print_day(
    ctx: typer.Context,
    as_user: AsOption,
    date: DateOption = None,
    provider: ProviderOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="The PDF file (default: day-lists/ in the reports folder).")] = None,
    db: DbOption = None,
) -> None:
    """The day list as PDF: each provider's schedule, then the front desk's check-in list."""
    opened = open_db(ctx, db)
    signed = signed_in(opened, as_user)
    schedule = ScheduleService(signed)
    day = _day(schedule, date)
    data = DayListService(signed).day_list_pdf(day, [schedule.provider_by_name(provider).id] if provider else None)
    target = out or opened.paths.reports_dir / "day-lists" / f"day-list-{day:%Y-%m-%d}.pdf"
    if target.is_dir():
        target = target / f"day-list-{day:%Y-%m-%d}.pdf"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        partial.write_bytes(data)
        partial.replace(target)
    except OSError as exc:
        raise ValidationError({"out": f"Cannot write {target}: {exc.strerror or exc}."}) from None
    say(f"Day list for {day:%A %m/%d/%Y} -> {target}")


# ----- recalls --------------------------------------------------------------------------------
@recall_app.command("list")
def recall_list(
    ctx: typer.Context,
    as_user: AsOption,
    within: Annotated[int, typer.Option("--within", min=0, max=366, help="Also those due in this many days.")] = 30,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Patients due or overdue under each rule, with no visit of that type booked (audited)."""
    service = RecallService(signed_in(open_db(ctx, db), as_user))
    rows = service.recall_list(within_days=within)
    emit(["Rule", "Patient", "MRN", "Phone", "E-mail", "Last visit", "Due", "Contacted"],
         [(r.rule_name, r.patient_name, r.mrn, r.phone, r.email, Moment(r.last_visit, "%m/%d/%Y"),
           Moment(r.due_on, "%m/%d/%Y"), Moment(r.contacted_on, "%m/%d/%Y") if r.contacted_on else "")
          for r in rows], fmt, title=f"Recalls due by {service.ctx.today():%m/%d/%Y} + {within} days")


@recall_app.command("rules")
def recall_rules(ctx: typer.Context, as_user: AsOption, db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """The recall rules."""
    service = RecallService(signed_in(open_db(ctx, db), as_user))
    emit(["Rule", "Type", "Every (months)", "Active"],
         [(r.name, r.type_name, r.months, "yes" if r.active else "no") for r in service.recall_rules()], fmt)


@recall_app.command("set")
def recall_set(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The rule's name, e.g. 'Annual physical'.")],
    type_name: Annotated[str, typer.Option("--type", help="The appointment type it recalls for.")],
    months: Annotated[int, typer.Option("--months", help="Due this many months after the last such visit.")],
    as_user: AsOption,
    off: Annotated[bool, typer.Option("--off", help="Switch the rule off.")] = False,
    db: DbOption = None,
) -> None:
    """Add or change the recall rule for an appointment type (managers)."""
    signed = signed_in(open_db(ctx, db), as_user)
    kind = ScheduleService(signed).type_by_name(type_name)
    rule = RecallService(signed).set_recall_rule(name, kind.id, months, active=not off)
    every = "every month" if rule.months == 1 else f"every {rule.months} months"
    say(f"{rule.name}: {rule.type_name} {every}{'' if rule.active else ' (off)'}.")


# ----- patient alerts and notes -----------------------------------------------------------------
def _patient(ctx: typer.Context, db: str | None, as_user: str, mrn: str):
    signed = signed_in(open_db(ctx, db), as_user)
    return PatientAlertService(signed), PatientService(signed).by_mrn(mrn)


@alert_app.command("add")
def alert_add(
    ctx: typer.Context, mrn: MrnArgument,
    text: Annotated[str, typer.Argument(help="The alert, e.g. 'Needs a Spanish interpreter'.")],
    as_user: AsOption,
    expires: Annotated[str | None, typer.Option("--expires", help="Last day it is shown.")] = None,
    db: DbOption = None,
) -> None:
    """Add an alert shown wherever the patient appears at the desk."""
    service, patient = _patient(ctx, db, as_user, mrn)
    alert = service.add_alert(patient.id, text, day_option(expires, service.ctx, "--expires"))
    say(f"Alert {alert.id} on {patient.mrn}: {alert.text}")


@alert_app.command("list")
def alert_list(ctx: typer.Context, mrn: MrnArgument, as_user: AsOption, db: DbOption = None,
               fmt: FormatOption = Format.table) -> None:
    """The patient's alerts in force."""
    service, patient = _patient(ctx, db, as_user, mrn)
    emit(["Id", "Alert", "Until", "By", "Since"],
         [(a.id, a.text, Moment(a.expires_on, "%m/%d/%Y") if a.expires_on else "", a.created_by,
           Moment(a.created_at, "%m/%d/%Y")) for a in service.alerts_for(patient.id)], fmt)


@alert_app.command("end")
def alert_end(ctx: typer.Context, mrn: MrnArgument,
              alert_id: Annotated[int, typer.Argument(help="The alert's id (alert list).")],
              as_user: AsOption, db: DbOption = None) -> None:
    """Take an alert down."""
    service, patient = _patient(ctx, db, as_user, mrn)
    alert = next((a for a in service.alerts_for(patient.id) if a.id == alert_id), None)
    if alert is None:
        raise ValidationError({"alert": f"{patient.mrn} has no alert {alert_id} in force."})
    service.end_alert(alert.id, alert.version)
    say(f"Alert {alert.id} ended: {alert.text}")


@note_app.command("add")
def note_add(
    ctx: typer.Context, mrn: MrnArgument,
    text: Annotated[str, typer.Argument(help="The note.")],
    as_user: AsOption,
    kind: Annotated[str, typer.Option("--kind", help="general, phone or billing.")] = "general",
    db: DbOption = None,
) -> None:
    """Add a dated note to the patient's record."""
    service, patient = _patient(ctx, db, as_user, mrn)
    note = service.add_note(patient.id, text, kind)
    say(f"Note {note.id} on {patient.mrn} by {note.written_by}.")


@note_app.command("list")
def note_list(ctx: typer.Context, mrn: MrnArgument, as_user: AsOption, db: DbOption = None,
              fmt: FormatOption = Format.table) -> None:
    """The patient's notes, newest first (audited)."""
    service, patient = _patient(ctx, db, as_user, mrn)
    emit(["When", "Kind", "By", "Note"],
         [(Moment(n.written_at, "%m/%d/%Y %H:%M"), n.kind, n.written_by, n.text) for n in service.notes_for(patient.id)],
         fmt)
