"""`officeconsole appointment-type list|add|edit|retire|reinstate`: the kinds of visit the desk books."""

from __future__ import annotations

from typing import Annotated

import typer

from officeconsole.cli._common import AsOption, DbOption, Format, FormatOption, emit, open_db, say, signed_in
from officeconsole.services.common.errors import NotFound
from officeconsole.services.common.text import clean_text
from officeconsole.services.practice.appointment_types import AppointmentTypeService, TypeInput, TypeRow

type_app = typer.Typer(help="Appointment types: name, length, colour, new-patient flag, default code.",
                       no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(help="The type's name (any case), e.g. Follow-up.")]
MinutesOption = Annotated[str | None, typer.Option("--minutes", help="Length: 5 to 480 minutes, in 5-minute "
                                                                     "steps.")]
ColourOption = Annotated[str | None, typer.Option("--colour", help="Schedule colour: a name such as seagreen, "
                                                                   "or #2e8b57.")]
NewPatientOption = Annotated[bool | None, typer.Option("--new-patient/--established",
                                                       help="For new patients (or established ones).")]
CodeOption = Annotated[str | None, typer.Option("--code", help="The procedure code it usually bills (CPT or "
                                                               "HCPCS, e.g. 99213); empty for none.")]


def find_type(service: AppointmentTypeService, name: str) -> TypeRow:
    """The type (retired ones too) with that name in any case."""
    wanted = clean_text(name).lower()
    rows = service.types(include_retired=True)
    found = next((t for t in rows if t.name.lower() == wanted), None)
    if found is None:
        names = ", ".join(t.name for t in rows) or "none yet"
        raise NotFound(f"No appointment type is called {name!r} (types: {names}).")
    return found


@type_app.command("list")
def list_types(
    ctx: typer.Context,
    as_user: AsOption,
    show_all: Annotated[bool, typer.Option("--all", help="Retired types too.")] = False,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Appointment types by name (with --all, the retired ones too)."""
    rows = AppointmentTypeService(signed_in(open_db(ctx, db), as_user)).types(include_retired=show_all)
    emit(["Name", "Minutes", "Colour", "New patient", "Code", "Providers", "Active"],
         [(t.name, t.minutes, t.colour, "yes" if t.new_patient else "no", t.default_code, t.providers,
           "yes" if t.active else "retired") for t in rows], fmt)


@type_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The name the desk books by, e.g. Follow-up.")],
    as_user: AsOption,
    minutes: MinutesOption = None,
    colour: ColourOption = "steelblue",
    new_patient: NewPatientOption = False,
    code: CodeOption = "",
    db: DbOption = None,
) -> None:
    """Add an appointment type, offered for booking at once (managers)."""
    service = AppointmentTypeService(signed_in(open_db(ctx, db), as_user))
    row = service.add(TypeInput(name, minutes or "", colour or "steelblue", bool(new_patient), code or ""))
    say(f"Added appointment type {row.name}: {row.minutes} minutes" + (f", code {row.default_code}."
                                                                       if row.default_code else "."))


@type_app.command("edit")
def edit(
    ctx: typer.Context,
    kind: NameArgument,
    as_user: AsOption,
    name: Annotated[str | None, typer.Option("--name", help="A new name.")] = None,
    minutes: MinutesOption = None,
    colour: ColourOption = None,
    new_patient: NewPatientOption = None,
    code: CodeOption = None,
    db: DbOption = None,
) -> None:
    """Change a type: only the options given change. Booked visits keep their times."""
    service = AppointmentTypeService(signed_in(open_db(ctx, db), as_user))
    row = find_type(service, kind)
    saved = service.update(row.id, row.version, TypeInput(
        row.name if name is None else name, row.minutes if minutes is None else minutes,
        row.colour if colour is None else colour, row.new_patient if new_patient is None else new_patient,
        row.default_code if code is None else code))
    say(f"Saved appointment type {saved.name}: {saved.minutes} minutes.")


@type_app.command("retire")
def retire(ctx: typer.Context, kind: NameArgument, as_user: AsOption, db: DbOption = None) -> None:
    """No longer booked; the appointments that have it keep it."""
    service = AppointmentTypeService(signed_in(open_db(ctx, db), as_user))
    row = find_type(service, kind)
    service.retire(row.id, row.version)
    say(f"Retired appointment type {row.name}: no longer booked; its appointments keep it.")


@type_app.command("reinstate")
def reinstate(ctx: typer.Context, kind: NameArgument, as_user: AsOption, db: DbOption = None) -> None:
    """Offer a retired type for booking again."""
    service = AppointmentTypeService(signed_in(open_db(ctx, db), as_user))
    row = find_type(service, kind)
    service.reinstate(row.id, row.version)
    say(f"Reinstated appointment type {row.name}.")
