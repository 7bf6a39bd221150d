"""A day of the schedule: time rows down, one column per provider, drawn line by line.

Each appointment fills its rows in its type's colour; its first row carries a status symbol
and the patient's name, so status never depends on colour alone. Free working time shows
a dot, time outside working hours is shaded; a recurring block inside working time (lunch, a
meeting) is hatched and carries its label on its first row.
"""

from __future__ import annotations

import datetime as dt

from rich.color import Color, ColorParseError
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.color import Color as TextualColor
from textual.color import ColorParseError as TextualColorError
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from officeconsole.services.scheduling.schedule import DayPlan, DayRow
from officeconsole.tui.widgets.results_table import fit

ROW_MINUTES = 5  # bookings start on any 5 minutes: each is drawn on its real start
TIME_WIDTH = 7
COLUMN_WIDTH = 26
SYMBOLS = {
    "scheduled": "○", "arrived": "●", "roomed": "◐", "with_provider": "◑",
    "checked_out": "✓", "no_show": "✗", "cancelled": "⊘",
}
STATUS_WORDS = {"scheduled": "booked", "with_provider": "with provider", "checked_out": "done", "no_show": "no-show"}


def status_word(status: str) -> str:
    return STATUS_WORDS.get(status, status.replace("_", " "))


def _colour(name: str) -> Color:
    """A stored colour as Rich paints it: CSS names ("steelblue") through Textual, which knows them,
    Rich's own names ("steel_blue") and #hex through Rich; anything else plain blue."""
    try:
        return TextualColor.parse(name).rich_color
    except TextualColorError:
        pass
    try:
        return Color.parse(name.replace(" ", "_"))
    except ColorParseError:
        return Color.parse("blue")


class ScheduleGrid(ScrollView, can_focus=True):
    """Arrow keys move a cursor over (time, provider); Enter on an appointment selects it."""

    DEFAULT_CSS = """
    ScheduleGrid { background: $surface; }
    ScheduleGrid > .schedule-grid--header { text-style: bold; background: $panel; }
    ScheduleGrid > .schedule-grid--time { color: $text-muted; }
    ScheduleGrid > .schedule-grid--free { color: $text-muted; }
    ScheduleGrid > .schedule-grid--closed { color: $surface-lighten-2; }
    ScheduleGrid > .schedule-grid--blocked { color: $text-muted; background: $panel; text-style: italic; }
    ScheduleGrid:focus > .schedule-grid--cursor { text-style: reverse bold; }
    """
    COMPONENT_CLASSES = {"schedule-grid--header", "schedule-grid--time", "schedule-grid--free",
                         "schedule-grid--closed", "schedule-grid--blocked", "schedule-grid--cursor"}
    BINDINGS = [
        Binding("up", "move(-1, 0)", show=False), Binding("down", "move(1, 0)", show=False),
        Binding("left", "move(0, -1)", show=False), Binding("right", "move(0, 1)", show=False),
        Binding("enter", "select", "Open patient", show=False),
    ]

    cursor: reactive[tuple[int, int]] = reactive((0, 0), always_update=True, init=False)

    class Selected(Message):
        """Enter on an appointment."""

        def __init__(self, grid: ScheduleGrid, row: DayRow) -> None:
            super().__init__()
            self.grid = grid
            self.row = row

        @property
        def control(self) -> ScheduleGrid:
            return self.grid

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plan: DayPlan | None = None
        self.times: list[dt.datetime] = []
        self._cells: dict[tuple[int, int], DayRow] = {}

    # ----- content -------------------------------------------------------------------
    def set_plan(self, plan: DayPlan, zone) -> None:
        self.plan = plan
        starts = [s for iv in plan.hours.values() for s, _ in iv] + [r.start.time() for r in plan.rows]
        ends = [e for iv in plan.hours.values() for _, e in iv] + [r.end.time() for r in plan.rows]
        first = min(starts, default=dt.time(8))
        last = max(ends, default=dt.time(17))
        at = dt.datetime.combine(plan.day, first.replace(minute=first.minute - first.minute % ROW_MINUTES), zone)
        close = dt.datetime.combine(plan.day, last, zone)
        self.times = []
        while at < close:
            self.times.append(at)
            at += dt.timedelta(minutes=ROW_MINUTES)
        self._cells = {}
        columns = {p.id: n for n, p in enumerate(plan.providers)}
        step = dt.timedelta(minutes=ROW_MINUTES)
        for row in plan.rows:
            if row.status == "cancelled" or row.provider_id not in columns or not self.times:
                continue
            first = max(0, int((row.start - self.times[0]) // step))
            last = min(len(self.times), -int(-(row.end - self.times[0]) // step))  # rows it touches
            for index in range(first, last):
                self._cells.setdefault((index, columns[row.provider_id]), row)
        # One column of slack so sideways scrolling can always land on a column's edge.
        self.virtual_size = Size(TIME_WIDTH + COLUMN_WIDTH * (len(plan.providers) + 1), len(self.times) + 1)
        self.cursor = self.cursor
        self.refresh()

    def block_at(self, provider_id: int, time: dt.time) -> tuple[dt.time, dt.time, str] | None:
        """The provider's recurring block (start, end, label) holding `time`, if any."""
        blocks = getattr(self.plan, "blocks", {}) if self.plan is not None else {}
        return next((b for b in blocks.get(provider_id, []) if b[0] <= time < b[1]), None)

    def cell_text(self, index: int, col: int) -> str:
        """The text of one cell as drawn (for tests and screen readers)."""
        if self.plan is None or not 0 <= index < len(self.times) or not 0 <= col < len(self.plan.providers):
            return ""
        text, _ = self._cell(index, col, self.times[index], self.plan.providers[col].id, Style())
        return text

    def hidden_providers(self) -> tuple[int, int]:
        """How many provider columns are scrolled out of view to the left and to the right."""
        if self.plan is None:
            return 0, 0
        first = round(self.scroll_offset.x) // COLUMN_WIDTH
        shown = max(1, (self.scrollable_content_region.width - TIME_WIDTH) // COLUMN_WIDTH)
        return first, max(0, len(self.plan.providers) - first - shown)

    def appointment_at_cursor(self) -> DayRow | None:
        return self._cells.get(self.cursor)

    def jump_to(self, time: dt.time) -> None:
        """Put the cursor on the row holding `time` (e.g. now), keeping its column."""
        for index, at in enumerate(self.times):
            if at.time() >= time:
                row = max(0, index - (at.time() > time))
                self.cursor = (row, self.cursor[1])
                self.scroll_to(y=max(0, row - 1), animate=False, force=True)  # now near the top: what is next
                return

    # ----- cursor --------------------------------------------------------------------
    def validate_cursor(self, value: tuple[int, int]) -> tuple[int, int]:
        rows = max(1, len(self.times))
        cols = max(1, len(self.plan.providers) if self.plan else 1)
        return (max(0, min(value[0], rows - 1)), max(0, min(value[1], cols - 1)))

    def watch_cursor(self, _old, cursor: tuple[int, int]) -> None:
        row, col = cursor
        visible = max(1, self.scrollable_content_region.height - 1)  # above a horizontal scrollbar
        top = round(self.scroll_offset.y)
        # `force`: the scroll runs after the next refresh, which on a grid just filled comes before its
        # scrollbars are worked out, and an unforced scroll would then be refused (the grid opened at 07:00).
        if row < top:
            self.scroll_to(y=row, animate=False, force=True)
        elif row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False, force=True)
        visible_cols = max(1, (self.scrollable_content_region.width - TIME_WIDTH) // COLUMN_WIDTH)
        first = round(self.scroll_offset.x) // COLUMN_WIDTH
        if col < first:
            first = col
        elif col >= first + visible_cols:
            first = col - visible_cols + 1
        if first * COLUMN_WIDTH != round(self.scroll_offset.x):
            self.scroll_to(x=first * COLUMN_WIDTH, animate=False, force=True)
        self.refresh()

    def action_move(self, rows: int, cols: int) -> None:
        row, col = self.cursor
        self.cursor = (row + rows, col + cols)

    def action_select(self) -> None:
        appointment = self.appointment_at_cursor()
        if appointment is not None:
            self.post_message(self.Selected(self, appointment))

    # ----- drawing -------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if self.plan is None:
            return Strip.blank(width, base)
        scroll_x = round(self.scroll_offset.x)
        if y == 0:
            header = base + self.get_component_rich_style("schedule-grid--header")
            left, right = self.hidden_providers()
            corner = fit(f"← +{left}" if left else "", TIME_WIDTH)
            text = corner + "".join(f" {fit(p.name, COLUMN_WIDTH - 2)} " for p in self.plan.providers)
            strip = self._frame([Segment(text, header)], scroll_x, width, header)
            if right:  # say that more providers are off to the right, never leave them unmentioned
                more = f" +{right} provider{'s' if right > 1 else ''} → "
                strip = Strip.join([strip.crop(0, max(0, width - len(more))), Strip([Segment(more, header)])])
            return strip
        index = y - 1 + round(self.scroll_offset.y)
        if index >= len(self.times):
            return Strip.blank(width, base)
        at = self.times[index]
        segments = [Segment(f" {at:%H:%M} ", base + self.get_component_rich_style("schedule-grid--time"))]
        for col, provider in enumerate(self.plan.providers):
            text, style = self._cell(index, col, at, provider.id, base)
            if (index, col) == self.cursor:
                style = style + self.get_component_rich_style("schedule-grid--cursor")
            segments.append(Segment(text, style))
        return self._frame(segments, scroll_x, width, base)

    def _frame(self, segments: list[Segment], scroll_x: int, width: int, style: Style) -> Strip:
        """Keep the time column fixed while provider columns scroll sideways."""
        strip = Strip(segments)
        if scroll_x:
            fixed = strip.crop(0, TIME_WIDTH)
            moving = strip.crop(TIME_WIDTH + scroll_x, TIME_WIDTH + scroll_x + width)
            strip = Strip.join([fixed, moving])
        return strip.crop_extend(0, width, style)

    def _cell(self, index: int, col: int, at: dt.datetime, provider_id: int, base: Style) -> tuple[str, Style]:
        appointment = self._cells.get((index, col))
        if appointment is not None:
            style = base + Style(color="black", bgcolor=_colour(appointment.type_colour))
            first = index == 0 or self._cells.get((index - 1, col)) is not appointment
            away = getattr(self.plan, "away", {}).get(provider_id) if appointment.status == "scheduled" else None
            if first:
                symbol = "⚠" if away else SYMBOLS.get(appointment.status, "?")
                mark = getattr(appointment, "mark", "")  # ! alerts, $ insurance inactive, ☑ confirmed, ☎ message left
                return f" {fit(f'{symbol}{mark} {appointment.patient_name}', COLUMN_WIDTH - 2)} ", style
            status = status_word(appointment.status)
            second = index >= 1 and self._cells.get((index - 2, col)) is not appointment
            if away:  # booked before the time off was approved: it needs moving
                label = f"  provider off: {away.replace('_', ' ')}" if second else "  │"
            else:
                label = f"  {appointment.type_name} · {status}" if second else "  │"
            return f" {fit(label, COLUMN_WIDTH - 2)} ", style
        block = self.block_at(provider_id, at.time())
        if block is not None:
            style = base + self.get_component_rich_style("schedule-grid--blocked")
            earlier = (at - dt.timedelta(minutes=ROW_MINUTES)).time()
            if index == 0 or earlier < block[0] or self.block_at(provider_id, earlier) != block:
                return fit(f"  ╳ {block[2]}", COLUMN_WIDTH), style
            return fit("  ╳", COLUMN_WIDTH), style
        working = any(start <= at.time() < end for start, end in self.plan.hours.get(provider_id, []))
        if working:
            return fit("  ·", COLUMN_WIDTH), base + self.get_component_rich_style("schedule-grid--free")
        return "░" * COLUMN_WIDTH, base + self.get_component_rich_style("schedule-grid--closed")

