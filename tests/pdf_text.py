"""The text drawn on a PDF's pages, for tests that read what a printed page says."""

from __future__ import annotations

import re
import zlib


def pdf_text(data: bytes) -> str:
    """The text drawn on the pages (fpdf2 compresses each page's content stream)."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S)
    text = []
    for raw in streams:
        try:
            text.append(zlib.decompress(raw).decode("latin-1"))
        except zlib.error:
            continue
    shown = "".join(re.findall(r"\(((?:\\.|[^\\)])*)\) ?Tj", "".join(text)))
    return re.sub(r"\\(.)", r"\1", shown)
