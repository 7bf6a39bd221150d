"""`officeconsole export --format csv|fhir --out DIR [--force]` and `officeconsole export patient MRN [--out DIR]`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from officeconsole.cli._common import ENV_USER, DbOption, Format, emit, err, open_db, say, signed_in
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.operations.exports import ExportService

export_app = typer.Typer(
    help="Take the clinic's data out: every table as CSV, or FHIR R4 resources as NDJSON; "
         "or one patient's record (`export patient MRN`).",
    invoke_without_command=True,
)


class ExportFormat(StrEnum):
    csv = "csv"
    fhir = "fhir"


OptionalAs = Annotated[str | None, typer.Option("--as", envvar=ENV_USER, show_envvar=True,
                                                help="Your username (a manager); the password comes from "
                                                     "$OFFICECONSOLE_PASSWORD or a prompt.")]


@export_app.callback()
def export(
    ctx: typer.Context,
    fmt: Annotated[ExportFormat | None, typer.Option("--format", help="csv: one file per table; fhir: one "
                                                                      "NDJSON file per resource type.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="An empty folder for the files (made if missing).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Write into a folder that is not empty "
                                                        "(files of the same name are replaced).")] = False,
    as_user: OptionalAs = None,
    db: DbOption = None,
) -> None:
    """Everything the clinic owns, with a manifest (each file's rows and SHA-256); managers only."""
    if ctx.invoked_subcommand is not None:
        return
    if fmt is None or out is None:
        raise ValidationError({"export": "Say what to export: --format csv|fhir --out DIR "
                                         "(or `export patient MRN` for one patient's record)."})
    if not as_user:
        raise ValidationError({"as": "Sign in with --as USERNAME (a manager)."})
    service = ExportService(signed_in(open_db(ctx, db), as_user))
    with err.status("Exporting…") as status:
        result = service.export_clinic(fmt.value, out, force=force,
                                       progress=lambda name, rows: status.update(f"Exported {name}: {rows:,} rows"))
    emit(["File", "Rows", "SHA-256"], [(f.name, f"{f.rows:,}", f.sha256[:16]) for f in result.files], Format.table)
    say(f"Exported {len(result.files)} files, {result.rows:,} rows to {result.folder}; "
        f"the manifest is {result.manifest}.")


@export_app.command("patient")
def patient(
    ctx: typer.Context,
    mrn: Annotated[str, typer.Argument(help="The patient's MRN.", show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", help="Folder (default: records/ in the reports folder).")] = None,
    as_user: OptionalAs = None,
    db: DbOption = None,
) -> None:
    """One patient's record (demographics, insurance, visits, diagnoses, charges, payments) as a PDF and a FHIR Bundle, audited as a disclosure; managers only."""  # noqa: E501
    if not as_user:
        raise ValidationError({"as": "Sign in with --as USERNAME (a manager)."})
    opened = open_db(ctx, db)
    service = ExportService(signed_in(opened, as_user))
    result = service.export_record(mrn, out or opened.paths.reports_dir / "records")
    say(f"Record of {result.name} (MRN {result.mrn}): {result.pdf} and {result.bundle} "
        f"({result.resources} FHIR resources).")
