"""`officeconsole import patients|policies|appointments|balances FILE [--source NAME] [--map ...]
[--mapping FILE] [--commit] --as MANAGER`: bring another system's records in (dry run by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from officeconsole.cli._common import AsOption, DbOption, Format, emit, err, open_db, say, signed_in
from officeconsole.services.operations.importing import ImportKind, ImportReport, ImportRequest, ImportService

import_app = typer.Typer(
    help="Bring in another system's patients, insurance policies, appointments and opening balances from CSV "
         "(patients first). Nothing is written without --commit; see docs/import.md for the columns.",
    no_args_is_help=True,
)

FileArgument = Annotated[Path, typer.Argument(help="The CSV file (a header row, then one row per record).")]
SourceOption = Annotated[str, typer.Option("--source", help="The system the file comes from; each record keeps "
                                                            "its ID there, so a rerun changes nothing.")]
MapOption = Annotated[list[str] | None, typer.Option(
    "--map", help="\"Their Column=field\" for a column the import does not know, or \"payer:Their Value=Ours\" "
                  "(also provider: and type:) for a value; repeatable.")]
MappingOption = Annotated[Path | None, typer.Option("--mapping", help="A saved mapping file: one --map line each.")]
CommitOption = Annotated[bool, typer.Option("--commit", help="Write to the clinic (without it: a dry run that "
                                                             "only reports).")]


def _import(ctx: typer.Context, kind: ImportKind, file: Path, source: str, maps: list[str] | None,
            mapping: Path | None, commit: bool, as_user: str, db: str | None) -> None:
    service = ImportService(signed_in(open_db(ctx, db), as_user))
    total = max(file.stat().st_size, 1) if file.exists() else 1
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TextColumn("{task.fields[counts]}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(("Importing " if commit else "Checking ") + kind.value, total=total, counts="")

        def show(report: ImportReport) -> None:
            progress.update(task, completed=min(report.chars_read, total), counts=report.summary)

        report = service.run(ImportRequest(kind, file, source=source, maps=tuple(maps or ()), mapping_file=mapping,
                                           commit=commit), progress=show)
    _print(report)


def _print(report: ImportReport) -> None:
    c = report.counts
    emit(["Result", "Rows"], [("new", c["new"]), ("updated", c["updated"]), ("unchanged", c["unchanged"]),
                              ("refused", c["refused"])], Format.table,
         title=f"{report.kind.value} from {report.source} ({report.file.path.name}, {report.file.encoding_label})")
    if report.ignored:
        say("Columns not read: " + ", ".join(report.ignored))
    for line in report.unmatched_lines():
        say("No match: " + line)
    if report.refused:
        emit(["Line", "ID", "Why refused"], [(r.line, r.source_id, r.reason) for r in report.refused[:20]],
             Format.table, title="Refused rows" + (" (the first 20)" if c["refused"] > 20 else ""))
        say(f"All {c['refused']} refused rows, with the reason, are in {report.reject_file}.")
    if report.committed:
        say(f"Imported in {report.seconds:.1f} s: {report.summary}. Running the same file again changes nothing.")
    else:
        say(f"Dry run, nothing was written ({report.summary}). Add --commit to import.")


def _command(kind: ImportKind, doc: str):
    def command(ctx: typer.Context, file: FileArgument, as_user: AsOption, source: SourceOption = "import",
                maps: MapOption = None, mapping: MappingOption = None, commit: CommitOption = False,
                db: DbOption = None) -> None:
        _import(ctx, kind, file, source, maps, mapping, commit, as_user, db)

    command.__doc__ = doc
    command.__name__ = f"import_{kind.value}"
    return command


import_app.command("patients")(_command(
    ImportKind.PATIENTS, "Patients: demographics, contact, their ID in the other system (imported first)."))
import_app.command("policies")(_command(
    ImportKind.POLICIES, "Insurance policies of imported patients: payer, member ID, group, subscriber, order, dates."))
import_app.command("appointments")(_command(
    ImportKind.APPOINTMENTS, "Upcoming appointments of imported patients: provider, type, date, start, reason."))
import_app.command("balances")(_command(
    ImportKind.BALANCES, "Opening balances: what each imported patient owes on the day of the switch."))

__all__ = ["import_app"]
