"""`officeconsole payer add|list|edit|retire|reinstate`: the insurers the clinic bills."""

from __future__ import annotations

from typing import Annotated

import typer

from officeconsole.cli._common import AsOption, DbOption, Format, FormatOption, emit, open_db, say, signed_in
from officeconsole.services.common.errors import NotFound
from officeconsole.services.common.text import clean_text, format_phone
from officeconsole.services.frontdesk.insurance import InsuranceService, PayerInput, PayerRow

payer_app = typer.Typer(help="Insurance payers.", no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(help="The payer's name as listed (any case), or its payer ID.")]
PayerIdOption = Annotated[str | None, typer.Option("--payer-id", help="Electronic payer ID for claims "
                                                                      "(2 to 10 letters and digits).")]
FilingOption = Annotated[str | None, typer.Option("--filing", help="Claim filing indicator: CI commercial, MB "
                                                                   "Medicare Part B, MC Medicaid, HM HMO, BL Blue "
                                                                   "Cross...")]
CrossoverOption = Annotated[bool | None, typer.Option(
    "--crossover/--no-crossover", help="The primary (Medicare) forwards claims to this payer: as a secondary it is "
                                       "not sent a claim, its 835 is waited for.")]
PhoneOption = Annotated[str | None, typer.Option("--phone", help="Provider services phone number.")]
AddressOption = Annotated[str | None, typer.Option("--address", help="Street address for paper claims and appeals.")]
CityOption = Annotated[str | None, typer.Option("--city", help="City.")]
StateOption = Annotated[str | None, typer.Option("--state", help="Two-letter state code, e.g. IL.")]
ZipOption = Annotated[str | None, typer.Option("--zip", help="ZIP code: 5 digits or ZIP+4.")]


def find_payer(service: InsuranceService, name: str) -> PayerRow:
    """The payer (retired ones too) called `name` in any case, or else the one with that payer ID."""
    wanted = clean_text(name).lower()
    payers = service.payers(include_retired=True)
    found = [p for p in payers if p.name.lower() == wanted] or [p for p in payers if p.payer_code.lower() == wanted]
    if len(found) == 1:
        return found[0]
    if found:
        raise NotFound(f"Several payers have the payer ID {name!r}: give the name ("
                       + ", ".join(p.name for p in found) + ").")
    names = ", ".join(p.name for p in payers) or "none yet"
    raise NotFound(f"No payer is called {name!r} (payers: {names}).")


@payer_app.command("list")
def list_payers(
    ctx: typer.Context,
    as_user: AsOption,
    show_all: Annotated[bool, typer.Option("--all", help="Retired payers too.")] = False,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Active payers, by name (with --all, the retired ones too)."""
    rows = InsuranceService(signed_in(open_db(ctx, db), as_user)).payers(include_retired=show_all)
    emit(["Name", "Payer ID", "Filing", "Phone", "Address", "City", "State", "ZIP", "Active"],
         [(p.name, p.payer_code, p.filing_code, format_phone(p.phone), p.address_line1, p.city, p.state,
           p.postal_code, "yes" if p.active else "retired") for p in rows], fmt)


@payer_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Payer name as staff know it.")],
    as_user: AsOption,
    payer_id: PayerIdOption = "",
    phone: PhoneOption = "",
    filing: FilingOption = "CI",
    address: AddressOption = "",
    city: CityOption = "",
    state: StateOption = "",
    postal_code: ZipOption = "",
    crossover: CrossoverOption = False,
    db: DbOption = None,
) -> None:
    """Add a payer (billing staff and managers)."""
    row = InsuranceService(signed_in(open_db(ctx, db), as_user)).add_payer(
        name, payer_id or "", phone or "", filing or "CI", address_line1=address or "", city=city or "",
        state=state or "", postal_code=postal_code or "", crossover=bool(crossover))
    say(f"Added payer {row.name}" + (f" ({row.payer_code})." if row.payer_code else "."))


@payer_app.command("edit")
def edit(
    ctx: typer.Context,
    payer: NameArgument,
    as_user: AsOption,
    name: Annotated[str | None, typer.Option("--name", help="A new name.")] = None,
    payer_id: PayerIdOption = None,
    filing: FilingOption = None,
    phone: PhoneOption = None,
    address: AddressOption = None,
    city: CityOption = None,
    state: StateOption = None,
    postal_code: ZipOption = None,
    crossover: CrossoverOption = None,
    db: DbOption = None,
) -> None:
    """Change a payer: only the options given change (an empty value clears it)."""
    service = InsuranceService(signed_in(open_db(ctx, db), as_user))
    row = find_payer(service, payer)
    given = {"name": name, "payer_code": payer_id, "filing_code": filing, "phone": phone,
             "address_line1": address, "city": city, "state": state, "postal_code": postal_code,
             "crossover": crossover}
    current = {"name": row.name, "payer_code": row.payer_code, "filing_code": row.filing_code, "phone": row.phone,
               "address_line1": row.address_line1, "city": row.city, "state": row.state,
               "postal_code": row.postal_code, "crossover": row.crossover}
    data = PayerInput(**{key: current[key] if value is None else value for key, value in given.items()})
    saved = service.update_payer(row.id, row.version, data)
    say(f"Saved payer {saved.name}" + (f" ({saved.payer_code})." if saved.payer_code else "."))


@payer_app.command("retire")
def retire(ctx: typer.Context, payer: NameArgument, as_user: AsOption, db: DbOption = None) -> None:
    """Stop offering a payer for new policies; its policies and claims keep it."""
    service = InsuranceService(signed_in(open_db(ctx, db), as_user))
    row = find_payer(service, payer)
    service.retire_payer(row.id, row.version)
    say(f"Retired payer {row.name}: no longer offered for new policies; its policies and claims keep it.")


@payer_app.command("reinstate")
def reinstate(ctx: typer.Context, payer: NameArgument, as_user: AsOption, db: DbOption = None) -> None:
    """Offer a retired payer for new policies again."""
    service = InsuranceService(signed_in(open_db(ctx, db), as_user))
    row = find_payer(service, payer)
    service.reinstate_payer(row.id, row.version)
    say(f"Reinstated payer {row.name}.")
