"""`officeconsole provider list|add|edit|retire|reinstate`: the staff members who see patients."""

from __future__ import annotations

from typing import Annotated

import typer

from officeconsole.cli._common import AsOption, DbOption, Format, FormatOption, emit, open_db, say, signed_in
from officeconsole.services.common.errors import NotFound, ValidationError
from officeconsole.services.common.text import clean_text
from officeconsole.services.practice.providers import ProviderInput, ProviderRow, ProviderService

provider_app = typer.Typer(help="Providers: NPI, taxonomy, credentials, the visit types they see.",
                           no_args_is_help=True)

UserArgument = Annotated[str, typer.Argument(help="The staff member's username, e.g. drpatel.")]
NpiOption = Annotated[str | None, typer.Option("--npi", help="Individual (type 1) NPI: 10 digits, check digit "
                                                             "verified.")]
TaxonomyOption = Annotated[str | None, typer.Option("--taxonomy", help="Taxonomy code, e.g. 207Q00000X "
                                                                       "(family medicine).")]
CredentialsOption = Annotated[str | None, typer.Option("--credentials", help="MD, DO, NP, FNP-C, PA-C, DPM, DC...")]
SpecialtyOption = Annotated[str | None, typer.Option("--specialty", help="As the clinic says it, e.g. "
                                                                         "Family medicine.")]
ColourOption = Annotated[str | None, typer.Option("--colour", help="Schedule colour: a name such as steelblue, "
                                                                   "or #4682b4.")]
MinutesOption = Annotated[str | None, typer.Option("--minutes", help="Default visit length: 5 to 240 minutes, in "
                                                                     "5-minute steps.")]
TypesOption = Annotated[str | None, typer.Option("--types", help="The appointment types they see, comma-separated "
                                                                 "(\"Follow-up,Sick visit\"); \"all\" for every type.")]
OwnNpiOption = Annotated[bool | None, typer.Option("--bills-own-npi/--bills-clinic-npi",
                                                   help="Bill under their own NPI, or the clinic's.")]


def find_provider(service: ProviderService, username: str) -> ProviderRow:
    """The provider (retired ones too) with that username."""
    wanted = clean_text(username).lower()
    rows = service.providers(include_retired=True)
    found = next((p for p in rows if p.username == wanted), None)
    if found is None:
        names = ", ".join(p.username for p in rows) or "none yet"
        raise NotFound(f"No provider has the username {username!r} (providers: {names}; "
                       "`provider add USERNAME` makes a staff member one).")
    return found


@provider_app.command("list")
def list_providers(
    ctx: typer.Context,
    as_user: AsOption,
    show_all: Annotated[bool, typer.Option("--all", help="Retired providers too.")] = False,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Providers by name (with --all, the retired ones too)."""
    rows = ProviderService(signed_in(open_db(ctx, db), as_user)).providers(include_retired=show_all)
    emit(["Username", "Name", "NPI", "Taxonomy", "Credentials", "Specialty", "Minutes", "Colour", "Types",
          "Bills own NPI", "Active"],
         [(p.username, p.name, p.npi, p.taxonomy, p.credentials, p.specialty, p.default_visit_minutes, p.colour,
           p.types_label, "yes" if p.bills_own_npi else "no", "yes" if p.active else "retired") for p in rows], fmt)


@provider_app.command("add")
def add(
    ctx: typer.Context,
    username: UserArgument,
    as_user: AsOption,
    npi: NpiOption = None,
    taxonomy: TaxonomyOption = "",
    credentials: CredentialsOption = "",
    specialty: SpecialtyOption = "",
    colour: ColourOption = "steelblue",
    minutes: MinutesOption = "20",
    types: TypesOption = "",
    bills_own_npi: OwnNpiOption = False,
    db: DbOption = None,
) -> None:
    """Make a staff member (any role) a provider; a retired provider is reinstated (managers)."""
    service = ProviderService(signed_in(open_db(ctx, db), as_user))
    wanted = clean_text(username).lower()
    person = next((c for c in service.candidates() if c.username == wanted), None)
    if person is None:
        active = [p for p in service.providers() if p.username == wanted]
        if active:
            raise ValidationError({"user_id": f"{active[0].name} is a provider already: `provider edit "
                                              f"{wanted}` changes their record."})
        raise NotFound(f"No active staff member has the username {username!r} (`user list` shows them).")
    row = service.add(ProviderInput(
        person.user_id, npi or "", taxonomy or "", credentials or "", specialty or "", colour or "steelblue",
        minutes if minutes is not None else "20", service.type_ids_for(types or ""), bool(bills_own_npi)))
    again = " (a retired provider, reinstated)" if person.was_provider else ""
    say(f"{row.label} is a provider{again}: NPI {row.npi}, {row.default_visit_minutes}-minute visits, "
        f"sees {row.types_label} types.")


@provider_app.command("edit")
def edit(
    ctx: typer.Context,
    username: UserArgument,
    as_user: AsOption,
    npi: NpiOption = None,
    taxonomy: TaxonomyOption = None,
    credentials: CredentialsOption = None,
    specialty: SpecialtyOption = None,
    colour: ColourOption = None,
    minutes: MinutesOption = None,
    types: TypesOption = None,
    bills_own_npi: OwnNpiOption = None,
    db: DbOption = None,
) -> None:
    """Change a provider: only the options given change (an empty value clears it)."""
    service = ProviderService(signed_in(open_db(ctx, db), as_user))
    row = find_provider(service, username)
    data = ProviderInput(
        row.user_id, row.npi if npi is None else npi, row.taxonomy if taxonomy is None else taxonomy,
        row.credentials if credentials is None else credentials, row.specialty if specialty is None else specialty,
        row.colour if colour is None else colour, row.default_visit_minutes if minutes is None else minutes,
        row.type_ids if types is None else service.type_ids_for(types),
        row.bills_own_npi if bills_own_npi is None else bills_own_npi)
    saved = service.update(row.id, row.version, data)
    say(f"Saved provider {saved.label}: NPI {saved.npi}, {saved.default_visit_minutes}-minute visits, "
        f"sees {saved.types_label} types.")


@provider_app.command("retire")
def retire(ctx: typer.Context, username: UserArgument, as_user: AsOption, db: DbOption = None) -> None:
    """No longer a provider (refused while visits are booked with them); their history stays."""
    service = ProviderService(signed_in(open_db(ctx, db), as_user))
    row = find_provider(service, username)
    service.retire(row.id, row.version)
    say(f"Retired provider {row.label}: off the schedule from now on; past visits and claims keep them.")


@provider_app.command("reinstate")
def reinstate(ctx: typer.Context, username: UserArgument, as_user: AsOption, db: DbOption = None) -> None:
    """A retired provider back on the schedule."""
    service = ProviderService(signed_in(open_db(ctx, db), as_user))
    row = find_provider(service, username)
    service.reinstate(row.id, row.version)
    say(f"Reinstated provider {row.label}.")
