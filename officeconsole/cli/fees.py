"""`officeconsole fees import FILE.csv|list`: the clinic's fee schedule (code, description, fee)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from officeconsole.cli._common import AsOption, DbOption, Format, FormatOption, emit, open_db, say, signed_in
from officeconsole.services.fees import FeeService

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
def list_fees(ctx: typer.Context, as_user: AsOption, db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """Active codes, in code order."""
    rows = FeeService(signed_in(open_db(ctx, db), as_user)).fees()
    emit(["Code", "Kind", "Description", "Fee"], [(r.code, r.kind.upper(), r.description, f"{r.fee:.2f}")
                                                  for r in rows], fmt)
