"""The schedule grid paints each appointment in its type's colour, whichever way it was stored."""

from __future__ import annotations

import pytest

from officeconsole.services.common.colours import parse_colour
from officeconsole.tui.widgets.schedule_grid import _colour


@pytest.mark.parametrize(("typed", "hex_or_name"), [
    ("steelblue", "#4682b4"),  # a CSS name, the form's default: not Rich's plain blue
    ("Sea Green", "#2e8b57"),
    ("#336699", "#336699"),
    ("dark orange3", "dark_orange3"),  # a Rich name
])
def test_every_colour_a_form_accepts_paints_as_itself(typed, hex_or_name):
    painted = _colour(parse_colour(typed))
    assert (painted.name if painted.triplet is None else painted.triplet.hex) == hex_or_name


def test_a_colour_the_grid_cannot_read_falls_back_to_blue():
    assert _colour("no such colour").name == "blue"
