"""`officeconsole payer add|list`: the insurers the clinic bills."""

from __future__ import annotations

from typing import Annotated

import typer

from officeconsole.cli._common import AsOption, DbOption, Format, FormatOption, emit, open_db, say, signed_in
from officeconsole.services.insurance import InsuranceService

payer_app = typer.Typer(help="Insurance payers.", no_args_is_help=True)


@payer_app.command("list")
def list_payers(ctx: typer.Context, as_user: AsOption, db: DbOption = None,
                fmt: FormatOption = Format.table) -> None:
    """Active payers, by name."""
    rows = InsuranceService(signed_in(open_db(ctx, db), as_user)).payers()
    emit(["Name", "Payer ID"], [(p.name, p.payer_code) for p in rows], fmt)


@payer_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Payer name as staff know it.")],
    as_user: AsOption,
    payer_id: Annotated[str, typer.Option("--payer-id", help="Electronic payer ID for claims.")] = "",
    phone: Annotated[str, typer.Option("--phone", help="Provider services phone number.")] = "",
    filing: Annotated[str, typer.Option("--filing", help="Claim filing indicator: CI commercial, MB Medicare "
                                                         "Part B, MC Medicaid, HM HMO, BL Blue Cross...")] = "CI",
    db: DbOption = None,
) -> None:
    """Add a payer (billing staff and managers)."""
    row = InsuranceService(signed_in(open_db(ctx, db), as_user)).add_payer(name, payer_id, phone, filing)
    say(f"Added payer {row.name}" + (f" ({row.payer_code})." if row.payer_code else "."))
