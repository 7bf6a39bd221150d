"""The console's last guard: no line reaches the terminal with a control character in it.

Screens show user text with markup off, and the services strip control characters when it is
typed; this filter covers what got into the database some other way, whichever widget draws
it (labels, tables, inputs, choices, toasts, the line-drawn grids and lists).
"""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from officeconsole.services.common.printable import UNPRINTABLE


class PrintableOnly(LineFilter):
    """Drops the characters a terminal acts on from every segment of a line (see
    services.printable); a line without any is passed on as it is."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if not any(UNPRINTABLE.search(s.text) for s in segments if not s.control):
            return segments
        kept = []
        for segment in segments:
            if segment.control:
                kept.append(segment)
            elif text := UNPRINTABLE.sub("", segment.text):
                kept.append(Segment(text, segment.style))
        return kept


PRINTABLE_ONLY = PrintableOnly()
