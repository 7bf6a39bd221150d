"""The results table: keys, clicks, scrolling to the cursor, literal text."""

from __future__ import annotations

from textual.app import App, ComposeResult

from officeconsole.tui.widgets.results_table import Column, ResultsTable, fit


class TableApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield ResultsTable(id="results")

    def on_mount(self) -> None:
        table = self.query_one(ResultsTable)
        table.set_columns([Column("Key", 6), Column("Name", 12)])
        table.set_rows([(str(n), (str(n), f"[bold]Name {n}[/]" if n == 3 else f"Name {n}")) for n in range(100)])
        table.focus()

    def on_results_table_selected(self, event: ResultsTable.Selected) -> None:
        self.selected.append(event.key)


def test_fit_pads_and_cuts_by_cells():
    assert fit("abc", 5) == "abc  "
    assert fit("abcdefgh", 5) == "abcd…"
    assert fit("日本語です", 6) == "日本 …"  # double-width characters count twice, never split


async def test_keys_move_scroll_and_select():
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(ResultsTable)
        await pilot.press("down", "down", "down", "enter")
        assert app.selected == ["3"]
        await pilot.press("end")
        assert table.cursor_row == 99
        assert table.scroll_offset.y >= 99 - (12 - 1)  # the cursor row is on screen
        await pilot.press("home", "up")
        assert table.cursor_row == 0 and table.scroll_offset.y == 0


async def test_click_highlights_then_selects_and_text_is_literal():
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.click(ResultsTable, offset=(3, 4))  # header is line 0: row 3
        table = app.query_one(ResultsTable)
        assert table.cursor_row == 3 and app.selected == []
        await pilot.click(ResultsTable, offset=(3, 4))
        assert app.selected == ["3"]
        line = "".join(segment.text for segment in table.render_line(4))
        assert "[bold]Name …" in line  # markup shown as typed, cut to the column


class WideTableApp(App):
    def compose(self) -> ComposeResult:
        yield ResultsTable(id="results")

    def on_mount(self) -> None:
        table = self.query_one(ResultsTable)
        table.set_columns([Column("Key", 6), Column("Name", 40), Column("Status", 20)])  # wider than the screen
        table.set_rows([(str(n), (str(n), f"Name {n}", "booked")) for n in range(50)])
        table.focus()


async def test_the_cursor_row_is_never_under_the_horizontal_scrollbar():
    app = WideTableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(ResultsTable)
        assert table.show_horizontal_scrollbar
        for _ in range(15):
            await pilot.press("down")
            on_screen = table.cursor_row - round(table.scroll_offset.y) + 1  # +1: the header line
            assert 1 <= on_screen < table.scrollable_content_region.height, table.cursor_row
