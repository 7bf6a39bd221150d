"""A report as a file: CSV for spreadsheets and scripts, PDF (fpdf2, the shared letterhead) to print.

CSV holds plain values (2026-11-23, 1250.00, 12.5 for a percentage); a report with more than
one section (by day, then by provider) writes one table after another, a blank line between.
"""

from __future__ import annotations

import io
import json

from officeconsole.services.formats import csv_safe
from officeconsole.services.formats.pdf import latin1, letter_page, letterhead
from officeconsole.services.reporting.report_model import DATE, TEXT, Report, Section


def file_name(report: Report, fmt: str) -> str:
    if report.start == report.end or report.name == "aging":
        return f"{report.name}-{report.end:%Y-%m-%d}.{fmt}"
    return f"{report.name}-{report.start:%Y-%m-%d}-to-{report.end:%Y-%m-%d}.{fmt}"


def report_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv_safe.writer(buffer)
    for n, section in enumerate(report.sections):
        if n:
            writer.writerow([])
        writer.writerow([c.heading for c in section.columns])
        writer.writerows(section.text_rows(plain=True))
    return buffer.getvalue()


def report_json(report: Report) -> str:
    """The report for scripts: its range and each section's rows as {heading: plain value}
    (the CSV's values; null for an empty cell)."""
    def rows(section: Section, values: list[tuple[str, ...]]) -> list[dict[str, str | None]]:
        return [{c.heading: (v if v != "" else None) for c, v in zip(section.columns, row, strict=True)}
                for row in values]

    sections = []
    for section in report.sections:
        cells = section.text_rows(plain=True, totals=False)
        total = section.text_rows(plain=True)[-1:] if section.totals is not None else []
        sections.append({"title": section.title, "rows": rows(section, cells),
                         "totals": rows(section, total)[0] if total else None})
    return json.dumps({"report": report.name, "title": report.title, "from": report.start.isoformat(),
                       "to": report.end.isoformat(), "period": report.period, "sections": sections,
                       "notes": list(report.notes)}, indent=2) + "\n"


def report_pdf(report: Report) -> bytes:
    from fpdf.fonts import FontFace

    pdf = letter_page(f"{report.title}, {report.period}")
    if report.clinic:
        letterhead(pdf, list(report.clinic), name_size=15, size=10, height=5)
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 8, latin1(f"{report.title}, {report.period}"), new_x="LMARGIN", new_y="NEXT")
    bold = FontFace(emphasis="BOLD")
    for section in report.sections:
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 7, latin1(section.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 7 if len(section.columns) > 7 else 9)
        widths = [2.4 if c.kind == TEXT else 1.7 if c.kind == DATE else 1 for c in section.columns]
        aligns = ["RIGHT" if c.numeric else "LEFT" for c in section.columns]
        with pdf.table(col_widths=widths, text_align=aligns, width=pdf.epw, line_height=pdf.font_size * 1.6,
                       borders_layout="HORIZONTAL_LINES", padding=1) as table:
            heading = table.row()
            for column in section.columns:
                heading.cell(latin1(column.heading))
            cells = section.text_rows()
            for n, values in enumerate(cells):
                row = table.row()
                total = section.totals is not None and n == len(cells) - 1
                for value in values:
                    row.cell(latin1(value), style=bold if total else None)
        if not section.rows:
            pdf.set_font("Helvetica", "I", 9)
            pdf.cell(0, 6, "Nothing in this range.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 8)
    for note in report.notes:
        pdf.multi_cell(0, 4, latin1(note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
