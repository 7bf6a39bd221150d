"""Stored text made fit for a terminal: the last step before a screen or a command shows it.

`clean_text` (services.text) strips control characters from what people type before it is
stored, but text can reach the database other ways: an import, the demo, an older version, a
hand edit. So what is shown passes through `printable` as well. It drops the characters a
terminal acts on instead of showing: C0 and C1 controls (ESC, which starts every escape
sequence; BEL, backspace, carriage return, newline, tab; 0x9b, the 8-bit CSI), DEL, and the
bidirectional controls that reorder a line. Every one is zero cells wide, so dropping it never
moves the text around it. Markup is not this module's business: screens and commands show
user text with markup off. No imports beyond `re`: the console loads this before its login
screen is drawn.
"""

from __future__ import annotations

import re

UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` without the characters a terminal would act on rather than show."""
    return UNPRINTABLE.sub("", text)
