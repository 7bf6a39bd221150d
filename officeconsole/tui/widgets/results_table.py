"""A read-only table of search results, drawn line by line from plain strings.

DataTable renders every visible cell through Rich (padding, wrapping, measuring): about
25 ms of CPU to redraw a page of fifty patients, paid on every keystroke of a search.
This widget lays a row out as a single string of fixed-width columns the first time it
is drawn (only visible rows ever are) and hands Textual one segment per line, so a refill
of any length costs about a millisecond. Cells are plain
text, never markup: a name such as `[/]` is shown as typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


@dataclass(frozen=True)
class Column:
    label: str
    width: int


def fit(text: str, width: int) -> str:
    """Exactly `width` cells: padded, or cut with an ellipsis."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, max(0, width - 1)) + "…" if width > 0 else ""


class ResultsTable(ScrollView, can_focus=True):
    """Rows of text with a highlighted cursor row; Enter or a click on it selects."""

    DEFAULT_CSS = """
    ResultsTable { background: $surface; }
    ResultsTable > .results-table--header { text-style: bold; background: $panel; color: $foreground; }
    ResultsTable > .results-table--odd-row { background: $surface-lighten-1 20%; }
    ResultsTable > .results-table--cursor { background: $block-cursor-blurred-background; }
    ResultsTable > .results-table--flagged { color: $warning; text-style: bold; }
    ResultsTable:focus > .results-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
    """
    COMPONENT_CLASSES = {
        "results-table--header",
        "results-table--odd-row",
        "results-table--cursor",
        "results-table--flagged",
    }
    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True, init=False)

    class Selected(Message):
        """The person chose a row (Enter on it, or a click on the highlighted row)."""

        def __init__(self, table: ResultsTable, row: int, key: str) -> None:
            super().__init__()
            self.table = table
            self.row = row
            self.key = key

        @property
        def control(self) -> ResultsTable:
            return self.table

    class Highlighted(Message):
        """The cursor moved onto a row (or the rows were refilled under it)."""

        def __init__(self, table: ResultsTable, row: int, key: str) -> None:
            super().__init__()
            self.table = table
            self.row = row
            self.key = key

        @property
        def control(self) -> ResultsTable:
            return self.table

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns: list[Column] = []
        self._keys: list[str] = []
        self._cells: list[tuple[str, ...]] = []
        self._lines: dict[int, str] = {}  # laid out on first draw
        self._header = ""
        self._styles: dict[str, Style] = {}
        self._flagged: set[int] = set()

    # ----- content -------------------------------------------------------------------
    def set_columns(self, columns: list[Column]) -> None:
        self.columns = list(columns)
        self._header = self._layout(tuple(c.label for c in self.columns))
        self._lines = {}
        self._resize()

    def set_rows(self, rows: list[tuple[str, tuple[str, ...]]], cursor: int = 0,
                 flagged: set[int] | frozenset[int] = frozenset()) -> None:
        """Replace every row at once (one redraw); each row is (key, cells). `flagged` rows
        are drawn in the warning colour (their cells should say why, too: never colour alone)."""
        self._flagged = set(flagged)
        self._keys = [key for key, _ in rows]
        self._cells = [tuple(cells) for _, cells in rows]
        self._lines = {}
        self._resize()
        self.cursor_row = cursor

    @property
    def row_count(self) -> int:
        return len(self._cells)

    def row(self, index: int) -> tuple[str, ...]:
        return self._cells[index]

    def key_at(self, index: int) -> str:
        return self._keys[index]

    def _layout(self, cells: tuple[str, ...]) -> str:
        return "".join(f" {fit(str(cell), column.width)} " for column, cell in zip(self.columns, cells, strict=False))

    def _resize(self) -> None:
        width = sum(c.width + 2 for c in self.columns)
        self.virtual_size = Size(width, len(self._cells) + 1)
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}

    # ----- cursor --------------------------------------------------------------------
    def validate_cursor_row(self, value: int) -> int:
        return max(0, min(value, len(self._cells) - 1)) if self._cells else 0

    def watch_cursor_row(self, _old: int, row: int) -> None:
        if self._cells:
            self.post_message(self.Highlighted(self, row, self.key_at(row)))
        self._keep_cursor_in_view()
        self.refresh()

    def _keep_cursor_in_view(self) -> None:
        """Scroll so the cursor row is on screen: below the header and above a horizontal
        scrollbar (the desk must never act on a row it cannot see)."""
        row = self.cursor_row
        visible = max(1, self.scrollable_content_region.height - 1)
        top = round(self.scroll_offset.y)
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False)

    def on_resize(self, _event: events.Resize) -> None:
        self._keep_cursor_in_view()

    def move_cursor(self, row: int) -> None:
        self.cursor_row = row

    def action_cursor_up(self) -> None:
        self.cursor_row -= 1

    def action_cursor_down(self) -> None:
        self.cursor_row += 1

    def action_first(self) -> None:
        self.cursor_row = 0

    def action_last(self) -> None:
        self.cursor_row = len(self._cells) - 1

    def action_select(self) -> None:
        if self._cells:
            self.post_message(self.Selected(self, self.cursor_row, self._keys[self.cursor_row]))

    def on_click(self, event: events.Click) -> None:
        row = event.y - 1 + round(self.scroll_offset.y)
        if event.y == 0 or not 0 <= row < len(self._cells):
            return
        if row == self.cursor_row:
            self.action_select()
        else:
            self.cursor_row = row

    # ----- drawing -------------------------------------------------------------------
    def _style(self, name: str) -> Style:
        if name not in self._styles:
            base = self.rich_style
            self._styles[name] = base + self.get_component_rich_style(name) if name else base
        return self._styles[name]

    def on_focus(self) -> None:
        self._styles = {}
        self.refresh()

    def on_blur(self) -> None:
        self._styles = {}
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if y == 0:
            text, style = self._header, self._style("results-table--header")
        else:
            index = y - 1 + round(scroll_y)
            if index >= len(self._cells):
                return Strip.blank(width, self._style(""))
            text = self._lines.get(index)
            if text is None:
                text = self._lines[index] = self._layout(self._cells[index])
            if index == self.cursor_row:
                style = self._style("results-table--cursor")
            elif index in self._flagged:
                style = self._style("results-table--flagged")
            elif index % 2:
                style = self._style("results-table--odd-row")
            else:
                style = self._style("")
        strip = Strip([Segment(text, style)], cell_len(text))
        return strip.crop_extend(round(scroll_x), round(scroll_x) + width, style)
