"""Colours people choose for providers and appointment types (the schedule grid paints with them).

A colour is a Rich colour name ("steel_blue", typed "steel blue" too), a CSS colour name
("steelblue", what Textual understands) or a #hex value. Stored as cleaned: lower case, no spaces.
"""

from __future__ import annotations

import re

from rich.color import Color, ColorParseError

from officeconsole.services.common.text import clean_text

HEX = re.compile(r"^#([0-9a-f]{3}|[0-9a-f]{6})$")

# The CSS named colours (CSS Color Module Level 4), which Textual accepts as well.
CSS_NAMES = frozenset("""
aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet brown
burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan darkblue darkcyan
darkgoldenrod darkgray darkgreen darkgrey darkkhaki darkmagenta darkolivegreen darkorange darkorchid darkred
darksalmon darkseagreen darkslateblue darkslategray darkslategrey darkturquoise darkviolet deeppink deepskyblue
dimgray dimgrey dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro ghostwhite gold goldenrod gray
green greenyellow grey honeydew hotpink indianred indigo ivory khaki lavender lavenderblush lawngreen
lemonchiffon lightblue lightcoral lightcyan lightgoldenrodyellow lightgray lightgreen lightgrey lightpink
lightsalmon lightseagreen lightskyblue lightslategray lightslategrey lightsteelblue lightyellow lime limegreen
linen magenta maroon mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen mediumslateblue
mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream mistyrose moccasin navajowhite navy
oldlace olive olivedrab orange orangered orchid palegoldenrod palegreen paleturquoise palevioletred papayawhip
peachpuff peru pink plum powderblue purple rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown
seagreen seashell sienna silver skyblue slateblue slategray slategrey snow springgreen steelblue tan teal
thistle tomato turquoise violet wheat white whitesmoke yellow yellowgreen
""".split())


def parse_colour(value: str | None, field: str = "colour") -> str:
    """The colour as stored, or ValueError with the message a form shows under `field`."""
    text = clean_text(value, 40).lower()
    if not text:
        raise ValueError("Colour is required: a name such as steelblue or seagreen, or #4682b4.")
    if text.startswith("#"):
        if HEX.match(text):
            return text
        raise ValueError(f"Colour {text}: a # colour has 3 or 6 hex digits, e.g. #4682b4.")
    name = re.sub(r"[\s-]+", "_", text)
    if name.replace("_", "") in CSS_NAMES:
        return name.replace("_", "")
    try:
        Color.parse(name)
    except ColorParseError:
        raise ValueError(f"Colour {text!r} is not a colour name: try steelblue, seagreen, indianred, "
                         "goldenrod, mediumpurple, or #4682b4.") from None
    return name
