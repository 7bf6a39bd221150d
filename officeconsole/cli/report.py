"""`officeconsole report NAME [--from D] [--to D] [--format table|csv|json|pdf] [--out FILE]`.

The range defaults to the last 30 days: --to today, --from 29 days before --to (kpi: the month
to date). CSV and JSON go to stdout unless --out names a file; a PDF goes to --out, or to `reports/` in the reports folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from officeconsole.cli._common import (
    AsOption,
    DbOption,
    day_option,
    open_db,
    out,
    say,
    signed_in,
)
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.printable import printable
from officeconsole.services.reporting.report_files import report_csv, report_json
from officeconsole.services.reporting.report_model import TEXT, Report
from officeconsole.services.reporting.reports import REPORTS, ReportService

FORMATS = ("table", "csv", "json", "pdf")


def _names() -> str:
    return ", ".join(REPORTS)


def report(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help=f"Which report: {', '.join(REPORTS)}.", show_default=False)],
    as_user: AsOption,
    start: Annotated[str | None, typer.Option("--from", help="First day (default: 29 days before --to; kpi: the 1st of "
                                                                  "--to's month).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (default: today; aging is as of this day).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json or pdf.")] = "table",
    out_file: Annotated[Path | None, typer.Option("--out", help="File (or folder) for csv, json or pdf (default: "
                                                                "csv and json to stdout, pdf to the reports folder).")] = None,
    db: DbOption = None,
) -> None:
    """A practice report over a range of days: day-sheet, production, payments, no-shows, wait-times, aging, kpi,
    billing-kpi."""
    if name not in REPORTS:
        raise ValidationError({"name": f"There is no report {name!r}: choose one of {_names()}."})
    if fmt not in FORMATS:
        raise ValidationError({"format": f"--format: table, csv, json or pdf, not {fmt!r}."})
    if out_file is not None and fmt == "table":
        raise ValidationError({"out": "--out writes a file: add --format csv, json or pdf."})
    opened = open_db(ctx, db)
    service = ReportService(signed_in(opened, as_user))
    first, last = day_option(start, service.ctx, "--from"), day_option(end, service.ctx, "--to")
    result = service.run(name, first, last)
    if fmt == "table":
        _print(result)
    elif fmt in ("csv", "json") and out_file is None:
        typer.echo((report_csv if fmt == "csv" else report_json)(result), nl=False)
    else:
        if out_file is None:
            folder, filename = opened.paths.reports_dir, None  # reports/ itself, beside claims/ and day-sheets/
        elif out_file.is_dir():
            folder, filename = out_file, None
        else:
            folder, filename = out_file.parent, out_file.name
        say(f"{result.title}, {result.period} -> {service.export(result, fmt, folder, filename)}")


def _print(result: Report) -> None:
    say(f"{result.title}, {result.period}")
    for section in result.sections:
        table = Table(title=section.title, title_justify="left")
        cells = section.text_rows()
        for k, column in enumerate(section.columns):  # values are never cut; a heading may wrap
            widest = max((len(row[k]) for row in cells), default=0) if column.kind != TEXT else None
            table.add_column(column.heading, justify="right" if column.numeric else "left", overflow="fold",
                             min_width=widest)
        for n, row in enumerate(cells):
            total = section.totals is not None and n == len(cells) - 1
            table.add_row(*(Text(printable(value)) for value in row), style="bold" if total else None,
                          end_section=section.totals is not None and n == len(cells) - 2)
        out.print(table)
    for note in result.notes:
        out.print(Text(note, style="dim"))
