"""What every printed page shares (receipts, statements, day sheets): a letter page and the clinic's
letterhead, drawn with fpdf2's core Helvetica font, so text is reduced to Latin-1 where a
character has no equivalent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF


def latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def letter_page(title: str) -> FPDF:
    from fpdf import FPDF

    pdf = FPDF(format="letter")
    pdf.set_title(latin1(title))
    pdf.add_page()
    return pdf


def letterhead(pdf: FPDF, lines: list[str], *, name_size: int = 16, size: int = 11, height: int = 6) -> None:
    """The clinic's name in bold, then its address and phone, then a gap."""
    pdf.set_font("Helvetica", "B", name_size)
    pdf.cell(0, height + 4, latin1(lines[0]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", size)
    for line in lines[1:]:
        pdf.cell(0, height, latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
