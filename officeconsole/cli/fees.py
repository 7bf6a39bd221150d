"""`officeconsole fees import FILE.csv|list|add|set|retire|reinstate`: the clinic's fee schedule
(code, description, fee)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from officeconsole.cli._common import AsOption, DbOption, Format, FormatOption, emit, open_db, say, signed_in
from officeconsole.services.billing.fees import FeeService
from officeconsole.services.common.errors import ValidationError

fees_app = typer.Typer(help="The fee schedule: procedure codes and fees.", no_args_is_help=True)


@fees_app.command("import")
def import_fees(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with columns code,description,fee (a header row is optional).")],
    as_user: AsOption,
    db: DbOption = None,
) -> None:
    """Add and update codes from a CSV, all or nothing; rerunning the same file changes nothing."""
    result = FeeService(signed_in(open_db(ctx, db), as_user)).import_csv(file)
    say(f"Fee schedule: {result.added} added, {result.updated} updated, {result.unchanged} unchanged.")


@fees_app.command("list")
def list_fees(
    ctx: typer.Context,
    as_user: AsOption,
    show_all: Annotated[bool, typer.Option("--all", help="Retired codes too (with an Active column).")] = False,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Active codes, in code order (with --all, the retired ones too)."""
    rows = FeeService(signed_in(open_db(ctx, db), as_user)).fees(include_retired=show_all)
    if show_all:
        emit(["Code", "Kind", "Description", "Fee", "Active"],
             [(r.code, r.kind.upper(), r.description, f"{r.fee:.2f}", "yes" if r.active else "retired")
              for r in rows], fmt)
        return
    emit(["Code", "Kind", "Description", "Fee"], [(r.code, r.kind.upper(), r.description, f"{r.fee:.2f}")
                                                  for r in rows], fmt)


CodeArgument = Annotated[str, typer.Argument(help="CPT (5 digits, e.g. 99213) or HCPCS (a letter and 4 digits).")]


@fees_app.command("add")
def add_fee(
    ctx: typer.Context,
    code: CodeArgument,
    description: Annotated[str, typer.Argument(help="The clinic's own words for it.")],
    fee: Annotated[str, typer.Argument(help="The fee, e.g. 125.00 or 1,250.00 (no comma for cents).")],
    as_user: AsOption,
    db: DbOption = None,
) -> None:
    """Add one code to the fee schedule (billing staff and managers)."""
    row = FeeService(signed_in(open_db(ctx, db), as_user)).add_fee(code, description, fee)
    say(f"Added {row.code} {row.description}: {row.fee:,.2f}.")


@fees_app.command("set")
def set_fee(
    ctx: typer.Context,
    code: CodeArgument,
    as_user: AsOption,
    fee: Annotated[str | None, typer.Option("--fee", help="The new fee, e.g. 130.00.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="New description.")] = None,
    db: DbOption = None,
) -> None:
    """Change a code's fee and/or description; charges already entered keep their fee."""
    if fee is None and description is None:
        raise ValidationError({"fee": "Give --fee and/or --description to change."})
    row = FeeService(signed_in(open_db(ctx, db), as_user)).update_fee(code, description, fee)
    say(f"{row.code} {row.description}: {row.fee:,.2f}.")


@fees_app.command("retire")
def retire_fee(ctx: typer.Context, code: CodeArgument, as_user: AsOption, db: DbOption = None) -> None:
    """Stop offering a code for new charges; charges already entered keep it."""
    row = FeeService(signed_in(open_db(ctx, db), as_user)).retire_fee(code)
    say(f"Retired {row.code} {row.description}: no longer offered for new charges.")


@fees_app.command("reinstate")
def reinstate_fee(ctx: typer.Context, code: CodeArgument, as_user: AsOption, db: DbOption = None) -> None:
    """Offer a retired code for new charges again."""
    row = FeeService(signed_in(open_db(ctx, db), as_user)).reinstate_fee(code)
    say(f"Reinstated {row.code} {row.description}: {row.fee:,.2f}.")
