"""An appointment's history from the schedule: `H` on the highlighted appointment lists when it was
booked, moved and cancelled, by whom and why."""

from __future__ import annotations

from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.tui.modals.notice_list import NoticeListModal
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.conftest import MONDAY
from tests.tui.conftest import login, settle, type_text


async def test_the_history_of_a_moved_then_cancelled_appointment(make_app, sched):
    book = sched["book"]
    booked = book.book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    moved = book.move(booked.id, booked.version, MONDAY, "10:30")
    book.cancel(moved.id, moved.version, "patient_cancelled")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "desk")
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("g")
        await type_text(pilot, "11/30/2026")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("l", "H")  # the list view: its one row
        await settle(pilot)
        assert isinstance(app.screen, NoticeListModal)
        message = str(app.screen.query_one("#notice-message").render())
        assert message == "Testperson, Ann · Mon 11/30/2026 10:30 · Avery Lee"
        table = app.screen.query_one("#notice-rows", ResultsTable)
        rows = [tuple(cell.strip() for cell in table.row(n)) for n in range(table.row_count)]
        assert [row[1:4] for row in rows] == [("desk", "booked", ""), ("desk", "moved", ""),
                                              ("desk", "cancelled", "patient cancelled")]
        assert rows[0][0] == "11/23/2026 10:00"  # when, in the clinic's time
