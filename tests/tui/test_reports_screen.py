"""The Reports screen (F6) by keyboard: pick a report, step and type the range, save CSV and PDF;
the front desk is refused; one layout snapshot with the charts."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import Input, Label

from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key
from officeconsole.tui.screens.reports import ReportsScreen, step_month, step_week
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.tui.conftest import login, settle, type_text

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def paid(sched, desk_ctx):
    """Two equal cash payments by Ann today and a card payment by Bob."""
    for patient, amount, method in ((sched["ann"], "25", "cash"), (sched["ann"], "25", "cash"),
                                    (sched["bob"], "40", "card")):
        LedgerService(desk_ctx).post_payment(PaymentInput(patient, amount, method, request_key=new_request_key()))


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


def title(app) -> str:
    return str(app.screen.query_one("#report-title", Label).render())


def last_row(app, table: str = "#table-0") -> tuple[str, ...]:
    rows = app.screen.query_one(table, ResultsTable)
    return tuple(cell.strip() for cell in rows.row(rows.row_count - 1))


async def test_pick_a_report_step_the_range_and_save_it(make_app, paid, tmp_path, monkeypatch):
    monkeypatch.setattr(ReportsScreen, "_reports_folder", lambda self: tmp_path / "reports")
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await login(pilot, "manager")
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ReportsScreen)
        assert title(app) == "Day sheet, 10/25/2026 to 11/23/2026"
        assert app.screen.query_one("#table-0", ResultsTable).row_count == 31  # 30 days and the total
        assert last_row(app)[:2] == ("Total", "0") and "$90.00" in last_row(app)
        await pilot.press("down", "down")  # Production, then Payments
        await settle(pilot)
        assert title(app) == "Payments by method, 10/25/2026 to 11/23/2026"
        assert last_row(app) == ("Total", "$50.00", "$40.00", "$0.00", "$90.00", "$0.00", "$90.00")
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert title(app) == "Payments by method, 10/18/2026 to 11/16/2026"
        assert last_row(app)[-1] == "$0.00"  # the payments were today
        await pilot.press("right_square_bracket", "right_square_bracket")  # on a week, then nothing past today
        await settle(pilot)
        assert title(app) == "Payments by method, 10/25/2026 to 11/23/2026"
        await pilot.press("left_curly_bracket")
        await settle(pilot)
        assert title(app).endswith("10/01/2026 to 10/31/2026")
        await pilot.press("right_curly_bracket")
        await settle(pilot)
        assert title(app).endswith("11/01/2026 to 11/23/2026")
        app.screen.query_one("#from", Input).focus()
        await type_text(pilot, "11/23/2026")
        await pilot.press("enter")
        await settle(pilot)
        assert title(app) == "Payments by method, 11/23/2026"
        await pilot.press("tab")  # To: its text is selected
        await type_text(pilot, "12/31/2099")
        await pilot.press("enter")
        await settle(pilot)
        assert "12/31/2099 has not happened yet" in messages(app)[-1]
        assert title(app) == "Payments by method, 11/23/2026"
        assert app.screen.query_one("#to", Input).value == "11/23/2026"  # the range shown is the report's
        await pilot.press("shift+tab")  # back into From
        await type_text(pilot, "13/01/2026")
        await pilot.press("enter")
        await settle(pilot)
        assert "'13/01/2026' is not a date" in messages(app)[-1]  # the report stays
        assert title(app) == "Payments by method, 11/23/2026"
        await pilot.press("tab", "tab")  # out of the dates, onto the table
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        saved = sorted(p.name for p in (tmp_path / "reports").iterdir())
        assert saved == ["payments-2026-11-23.csv", "payments-2026-11-23.pdf"]
        assert f"Saved {tmp_path / 'reports' / 'payments-2026-11-23.pdf'}" in messages(app)[-1]


async def test_the_front_desk_is_refused(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "desk")
        await pilot.press("f6")  # not offered to the desk: the key does nothing
        await settle(pilot)
        assert not isinstance(app.screen, ReportsScreen)
        app.action_reports()  # as the command palette would
        await settle(pilot)
        assert not isinstance(app.screen, ReportsScreen)
        assert messages(app)[-1] == "Reports are for managers and billing staff."


def test_range_steps():
    assert step_week(dt.date(2026, 10, 25), TODAY, -1, TODAY) == (dt.date(2026, 10, 18), dt.date(2026, 11, 16))
    assert step_week(dt.date(2026, 10, 20), dt.date(2026, 11, 19), 1, TODAY) == (dt.date(2026, 10, 24), TODAY)
    assert step_month(dt.date(2026, 10, 25), TODAY, -1, TODAY) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert step_month(dt.date(2026, 1, 1), dt.date(2026, 1, 31), -1, TODAY) == (dt.date(2025, 12, 1),
                                                                                dt.date(2025, 12, 31))
    assert step_month(dt.date(2026, 10, 1), dt.date(2026, 10, 31), 1, TODAY) == (dt.date(2026, 11, 1), TODAY)
    assert step_month(dt.date(2026, 11, 1), TODAY, 1, TODAY) == (dt.date(2026, 11, 1), TODAY)  # not past today


def test_reports_screen_snapshot(snap_compare, make_app, paid, sched, desk_ctx, clock):
    from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService
    from officeconsole.services.scheduling.booking import BookingInput

    from tests.conftest import NOW

    clock.at = NOW.replace(hour=12)  # 07:00 in New York: book Ann at 08:00, Bob at 08:20
    visits = [sched["book"].book(BookingInput(sched[who], sched["lee"], sched["type"], TODAY, at))
              for who, at in (("ann", "08:00"), ("bob", "08:20"))]
    clock.at = NOW.replace(hour=13)
    CheckInService(desk_ctx).check_in(CheckInInput(visits[0].id, visits[0].version))
    clock.at = NOW

    async def before(pilot):
        await login(pilot, "manager")
        pilot.app.clear_notifications()  # the manager's reminder of what billing still needs (F10)
        await pilot.press("f6")
        await settle(pilot)
        for widget in pilot.app.screen.query(Input):
            widget.cursor_blink = False

    assert snap_compare(make_app(), terminal_size=(150, 45), run_before=before)
