"""A week of the rota: one row per person, grouped under their role, Monday to Sunday across,
the week's hours at the end; drawn line by line.

A cell lists the person's shifts that day, one per line ("07:30-12:30"), or "off: vacation"
on approved time off. A provider's cells show their provider hours (the template in force, a
one-day exception, a holiday), read-only: the hours screen changes them. A day whose staffing
falls short of a rule has ⚠ in its heading, and hours over 40 carry ⚠ too: never colour alone. Arrows move a cursor over person × day;
Enter on a cell selects it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from officeconsole.models.enums import Role
from officeconsole.services.staffing.roster import Person, ShiftView, Week
from officeconsole.tui.widgets.results_table import fit

NAME_WIDTH = 20
HOURS_WIDTH = 10
DAY_MIN, DAY_MAX = 12, 16
ROLE_ORDER = {role.value: n for n, role in enumerate(Role)}


def hours_text(hours: float, overtime: bool) -> str:
    figure = f"{hours:.2f}".rstrip("0").rstrip(".")
    return f"{figure} h" + (" ⚠" if overtime else "")


def role_label(role: str) -> str:
    try:
        return Role(role).label
    except ValueError:
        return role


class RotaGrid(ScrollView, can_focus=True):
    """People down, days across; the cursor is a (person, day) cell."""

    DEFAULT_CSS = """
    RotaGrid { background: $surface; }
    RotaGrid > .rota-grid--header { text-style: bold; background: $panel; }
    RotaGrid > .rota-grid--gap { text-style: bold; background: $panel; color: $error; }
    RotaGrid > .rota-grid--group { text-style: bold; color: $primary; }
    RotaGrid > .rota-grid--empty { color: $text-muted; }
    RotaGrid > .rota-grid--away { color: $secondary; text-style: italic; }
    RotaGrid > .rota-grid--hours { color: $accent; }
    RotaGrid > .rota-grid--overtime { color: $warning; text-style: bold; }
    RotaGrid > .rota-grid--cursor { background: $block-cursor-blurred-background; }
    RotaGrid:focus > .rota-grid--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
    """
    COMPONENT_CLASSES = {"rota-grid--header", "rota-grid--gap", "rota-grid--group", "rota-grid--empty",
                         "rota-grid--away", "rota-grid--hours", "rota-grid--overtime",
                         "rota-grid--cursor"}
    BINDINGS = [
        Binding("up", "move(-1, 0)", show=False), Binding("down", "move(1, 0)", show=False),
        Binding("left", "move(0, -1)", show=False), Binding("right", "move(0, 1)", show=False),
        Binding("home", "move(0, -7)", show=False), Binding("end", "move(0, 7)", show=False),
        Binding("enter", "select", "Add shift", show=False),
    ]

    cursor: reactive[tuple[int, int]] = reactive((0, 0), always_update=True, init=False)

    class Selected(Message):
        """Enter on a cell: the person and the day under the cursor."""

        def __init__(self, grid: RotaGrid, person: Person, day: dt.date) -> None:
            super().__init__()
            self.grid = grid
            self.person = person
            self.day = day

        @property
        def control(self) -> RotaGrid:
            return self.grid

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.week: Week | None = None
        self.people: list[Person] = []
        self.gap_days: set[dt.date] = set()
        self.today: dt.date | None = None
        self._cells: dict[tuple[int, int], list[tuple[str, str]]] = {}  # (person, day) -> [(text, style)]
        self._shifts: dict[tuple[int, int], list[ShiftView]] = {}
        self._lines: list[tuple[str, int, int]] = []  # ("group", -1, 0) or ("person", index, sub-line)
        self._groups: dict[int, str] = {}  # line -> role heading
        self._first_line: list[int] = []
        self._height: list[int] = []
        self._hours: list[tuple[str, bool]] = []
        self._day_width = DAY_MIN
        self._styles: dict[str, Style] = {}

    # ----- content -------------------------------------------------------------------
    def set_week(self, week: Week, today: dt.date | None = None) -> None:
        keep = self.person_at_cursor()
        self.week = week
        self.today = today
        self.people = sorted(week.people, key=lambda p: (ROLE_ORDER.get(p.role, 99), p.name.lower()))
        self.gap_days = {gap.day for gap in week.gaps}
        self._cells, self._shifts, self._lines, self._groups = {}, {}, [], {}
        self._first_line, self._height, self._hours = [], [], []
        by_cell: dict[tuple[int, dt.date], list[ShiftView]] = defaultdict(list)
        for shift in week.shifts:  # by day, then start
            by_cell[shift.user_id, shift.day].append(shift)
        role = None
        for index, person in enumerate(self.people):
            if person.role != role:
                role = person.role
                self._groups[len(self._lines)] = role_label(role)
                self._lines.append(("group", -1, 0))
            height = 1
            for col, day in enumerate(week.days):
                shifts = by_cell.get((person.user_id, day), [])
                cell = [(s.label, "rota-grid--hours" if s.source == "hours" else "") for s in shifts]
                hours = week.provider_days.get((person.user_id, day))
                if hours is not None and hours.source == "exception":
                    cell = cell + [("exception", "rota-grid--empty")] if cell else [
                        (f"off: {hours.note}" if hours.note else "off (exception)", "rota-grid--away")]
                elif hours is not None and hours.source == "holiday":
                    cell = [("holiday", "rota-grid--away")]
                shifts = [s for s in shifts if s.source == "shift"]
                away = week.away.get((person.user_id, day))
                if away:
                    cell.insert(0, (f"off: {away}", "rota-grid--away"))
                self._cells[index, col] = cell or [("·", "rota-grid--empty")]
                self._shifts[index, col] = shifts
                height = max(height, len(self._cells[index, col]))
            self._first_line.append(len(self._lines))
            self._height.append(height)
            self._lines += [("person", index, sub) for sub in range(height)]
            overtime = week.overtime(person.user_id)
            self._hours.append((hours_text(week.hours(person.user_id), overtime), overtime))
        self._resize()
        row, col = self.cursor
        if keep is not None:
            row = next((n for n, p in enumerate(self.people) if p.user_id == keep.user_id), row)
        self.cursor = (row, col)

    def person_at_cursor(self) -> Person | None:
        return self.people[self.cursor[0]] if self.people else None

    def day_at_cursor(self) -> dt.date | None:
        return self.week.days[self.cursor[1]] if self.week is not None else None

    def shifts_at_cursor(self) -> list[ShiftView]:
        return list(self._shifts.get(self.cursor, []))

    def show_day(self, day: dt.date) -> None:
        if self.week is not None and day in self.week.days:
            self.cursor = (self.cursor[0], self.week.days.index(day))

    def cell_text(self, person_index: int, day_index: int) -> list[str]:
        """The cell's lines as drawn."""
        return [text for text, _ in self._cells.get((person_index, day_index), [])]

    # ----- size ----------------------------------------------------------------------
    def on_resize(self, _event: events.Resize) -> None:
        self._resize()

    def _usable_width(self) -> int:
        """The width left for the rota once a vertical scrollbar (when the people overflow) is drawn."""
        tall = len(self._lines) + 1 > self.size.height
        return self.size.width - (self.styles.scrollbar_size_vertical if tall else 0)

    def _resize(self) -> None:
        usable = self._usable_width()
        self._day_width = max(DAY_MIN, min(DAY_MAX, (usable - NAME_WIDTH - HOURS_WIDTH) // 7))
        wide = NAME_WIDTH + 7 * self._day_width + HOURS_WIDTH
        if wide > usable:
            wide += self._day_width  # slack, so sideways scrolling always lands on a day's edge
        self.virtual_size = Size(wide, len(self._lines) + 1)
        self.refresh()

    # ----- cursor --------------------------------------------------------------------
    def validate_cursor(self, value: tuple[int, int]) -> tuple[int, int]:
        return (max(0, min(value[0], len(self.people) - 1)), max(0, min(value[1], 6)))

    def watch_cursor(self, _old, cursor: tuple[int, int]) -> None:
        row, col = cursor
        if self._first_line:
            first = self._first_line[row]
            if row == 0:
                first = 0  # show the first group's heading too
            last = self._first_line[row] + self._height[row] - 1
            visible = max(1, self.scrollable_content_region.height - 1)
            top = round(self.scroll_offset.y)
            if first < top:
                self.scroll_to(y=first, animate=False)
            elif last >= top + visible:
                self.scroll_to(y=last - visible + 1, animate=False)
        visible_days = max(1, (self.scrollable_content_region.width - NAME_WIDTH - HOURS_WIDTH) // self._day_width)
        left = round(self.scroll_offset.x) // self._day_width
        if col < left:
            left = col
        elif col >= left + visible_days:
            left = col - visible_days + 1
        if left * self._day_width != round(self.scroll_offset.x):
            self.scroll_to(x=left * self._day_width, animate=False)
        self.refresh()

    def action_move(self, rows: int, cols: int) -> None:
        row, col = self.cursor
        self.cursor = (row + rows, col + cols)

    def action_select(self) -> None:
        person, day = self.person_at_cursor(), self.day_at_cursor()
        if person is not None and day is not None:
            self.post_message(self.Selected(self, person, day))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0 or not self._lines:
            return
        index = event.y - 1 + round(self.scroll_offset.y)
        if not 0 <= index < len(self._lines) or self._lines[index][0] != "person":
            return
        x = event.x - NAME_WIDTH
        col = self.cursor[1] if x < 0 else (x + round(self.scroll_offset.x)) // self._day_width
        self.cursor = (self._lines[index][1], min(col, 6))

    # ----- drawing -------------------------------------------------------------------
    def _style(self, name: str) -> Style:
        if name not in self._styles:
            base = self.rich_style
            self._styles[name] = base + self.get_component_rich_style(name) if name else base
        return self._styles[name]

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}

    def on_focus(self) -> None:
        self._styles = {}
        self.refresh()

    def on_blur(self) -> None:
        self._styles = {}
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self._style("")
        if self.week is None:
            return Strip.blank(width, base)
        if y == 0:
            return self._frame(self._header(), width, self._style("rota-grid--header"))
        index = y - 1 + round(self.scroll_offset.y)
        if index >= len(self._lines):
            return Strip.blank(width, base)
        kind, person, sub = self._lines[index]
        if kind == "group":
            group = self._style("rota-grid--group")
            return Strip([Segment(f" {self._groups[index]}", group)]).crop_extend(0, width, group)
        return self._frame(self._person_line(person, sub), width, base)

    def _header(self) -> list[Segment]:
        header = self._style("rota-grid--header")
        segments = [Segment(fit(" Staff", NAME_WIDTH), header)]
        for day in self.week.days:
            label = f"{day:%a %m/%d}" + (" ⚠" if day in self.gap_days else "")
            style = self._style("rota-grid--gap") if day in self.gap_days else header
            if day == self.today:
                style = style + Style(underline=True)
            segments.append(Segment(" " + fit(label, self._day_width - 1), style))
        segments.append(Segment(" " + fit("Hours", HOURS_WIDTH - 1), header))
        return segments

    def _person_line(self, index: int, sub: int) -> list[Segment]:
        base = self._style("")
        on_row = index == self.cursor[0]
        name = self.people[index].name if sub == 0 else ""
        name_style = base + Style(bold=True) if on_row else base
        segments = [Segment(" " + fit(name, NAME_WIDTH - 1), name_style)]
        for col in range(7):
            cell = self._cells[index, col]
            text, style_name = cell[sub] if sub < len(cell) else ("", "")
            style = self._style(style_name)
            if (index, col) == self.cursor:
                style = style + self._style("rota-grid--cursor")
            segments.append(Segment(" " + fit(text, self._day_width - 1), style))
        hours, overtime = self._hours[index]
        style = self._style("rota-grid--overtime") if overtime else base
        segments.append(Segment(" " + fit(hours if sub == 0 else "", HOURS_WIDTH - 1), style))
        return segments

    def _frame(self, segments: list[Segment], width: int, style: Style) -> Strip:
        """Keep the names (left) and the week's hours (right) fixed while the days scroll sideways
        on a narrow terminal."""
        strip = Strip(segments)
        usable = self._usable_width()
        if strip.cell_length <= usable:
            return strip.crop_extend(0, width, style)
        scroll_x = round(self.scroll_offset.x)
        days_end = strip.cell_length - HOURS_WIDTH
        room = max(0, usable - NAME_WIDTH - HOURS_WIDTH)
        days = strip.crop(NAME_WIDTH + scroll_x, min(NAME_WIDTH + scroll_x + room, days_end))
        strip = Strip.join([strip.crop(0, NAME_WIDTH), days.extend_cell_length(room, style),
                            strip.crop(days_end, days_end + HOURS_WIDTH)])
        return strip.crop_extend(0, width, style)
