"""The front desk's tools driven by keys: alerts at check-in, on the flow board, the schedule and the
record; confirming a visit; the reminder list and day list from the schedule; booking from recalls."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from textual.widgets import Static

from officeconsole.config import Paths
from officeconsole.models import Appointment, VisitConfirmation
from officeconsole.services.frontdesk.patient_alerts import PatientAlertService
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.scheduling.recalls import RecallService
from officeconsole.tui.modals.booking_form import BookingModal
from officeconsole.tui.modals.check_in_form import CheckInModal
from officeconsole.tui.modals.choice import ChoiceModal
from officeconsole.tui.modals.patient_notes import AlertFormModal, PatientNotesModal
from officeconsole.tui.screens.flow_board import FlowBoardScreen
from officeconsole.tui.screens.patient_record import PatientRecordScreen
from officeconsole.tui.screens.recalls import RecallScreen
from officeconsole.tui.screens.schedule import ScheduleScreen
from officeconsole.tui.widgets.alert_line import AlertLine
from officeconsole.tui.widgets.form_field import FormField
from officeconsole.tui.widgets.key_bar import KeyBar
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.conftest import NOW
from tests.pdf_text import pdf_text
from tests.tui.conftest import login, open_record, settle, type_text

TODAY = dt.date(2026, 11, 23)
MARKUP = "[bold red]Needs an interpreter[/] \x1b[31m"


def _shown(widget) -> str:
    return str(widget.render())


async def test_an_alert_is_seen_at_check_in_on_the_board_and_in_the_schedule_cell(make_app, sched, desk_ctx):
    sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], TODAY, "10:20"))
    PatientAlertService(desk_ctx).add_alert(sched["ann"], MARKUP)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await login(pilot, "desk", home=True)
        schedule = app.screen
        assert isinstance(schedule, ScheduleScreen)
        await pilot.press("l")  # the list view: the cell's marks in words
        await settle(pilot)
        assert "! scheduled" in schedule.query_one("#list", ResultsTable).row(0)[2]
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "ann")
        await pilot.press("enter", "enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CheckInModal)
        line = form.query_one("#checkin-alerts", AlertLine)
        assert line.display and _shown(line) == "⚠ [bold red]Needs an interpreter[/]"  # literally, no escape
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        board = app.screen
        assert isinstance(board, FlowBoardScreen)
        row = board.query_one("#board", ResultsTable).row(0)
        assert row[2] == "! Testperson, Ann" and row[-1] == "[bold red]Needs an interpreter[/]"


async def test_notes_and_alerts_on_the_record_by_keys(make_app, sched, desk_ctx):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "desk")
        await open_record(pilot, "ann")
        record = app.screen
        assert isinstance(record, PatientRecordScreen)
        assert not record.query_one("#record-alerts", AlertLine).display
        keys = _shown(record.query_one(KeyBar))  # at 80 columns the record's own keys are all in view
        assert all(k in keys for k in ("e  Edit", "a  Account", "o  Alerts & notes", "i  Add policy"))
        await pilot.press("o")
        await settle(pilot)
        notes = app.screen
        assert isinstance(notes, PatientNotesModal)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AlertFormModal)
        await type_text(pilot, "Collect the balance")
        await pilot.press("enter", "enter")  # to Expires, left blank: saved, never expires
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "Called: will pay Friday [b]")
        await pilot.press("enter")
        await settle(pilot)
        assert "⚠ Collect the balance" in _shown(notes.query_one("#notes-alerts", Static))
        assert "Dana Desk · general: Called: will pay Friday [b]" in _shown(notes.query_one("#notes-list", Static))
        await pilot.press("escape")
        await settle(pilot)
        assert _shown(record.query_one("#record-alerts", AlertLine)) == "⚠ Collect the balance"
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceModal)
        await pilot.press("1")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not record.query_one("#record-alerts", AlertLine).display


async def test_an_alert_with_an_expiry_day_is_checked_and_shown_until_then(make_app, sched):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "desk")
        await open_record(pilot, "ann")
        record = app.screen
        await pilot.press("o")
        await settle(pilot)
        notes = app.screen
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, AlertFormModal)
        await type_text(pilot, "Bring the new insurance card")
        await pilot.press("tab")
        await type_text(pilot, "13/45/2026")
        await pilot.press("ctrl+s")
        await settle(pilot)
        expires = form.query_one("#field-expires_on", FormField)
        assert app.screen is form and expires.has_class("-invalid")  # no such day: said under the field
        assert _shown(expires.query_one(".field-error")).startswith("Expires: ")
        await pilot.press("ctrl+u")
        await type_text(pilot, "11/20/2026")  # before today (11/23): the service refuses it
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and _shown(expires.query_one(".field-error")) == "That day has passed."
        await pilot.press("ctrl+u")
        await type_text(pilot, "12/31/2026")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is notes
        assert "⚠ Bring the new insurance card (until 12/31/2026)" in _shown(notes.query_one("#notes-alerts", Static))
        await pilot.press("escape")
        await settle(pilot)
        assert _shown(record.query_one("#record-alerts", AlertLine)) == "⚠ Bring the new insurance card"


async def test_confirm_a_visit_and_print_the_day_list_from_the_schedule(make_app, ctx, sched, tmp_path):
    visit = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], TODAY, "10:20"))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "desk", home=True)
        schedule = app.screen
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceModal)
        await pilot.press("2")  # confirmed by text
        await settle(pilot)
        with ctx.db.read() as session:
            mark = session.scalar(select(VisitConfirmation).where(VisitConfirmation.appointment_id == visit.id))
            assert (mark.state, mark.how) == ("confirmed", "text")
        assert "☑" in schedule.query_one("#list", ResultsTable).row(0)[2]
        await pilot.press("d")
        await settle(pilot)
        reports = Paths.discover().reports_dir
        path = reports / "day-lists" / "day-list-2026-11-23.pdf"
        assert "Check-in list" in pdf_text(path.read_bytes())
        await pilot.press("r")
        await settle(pilot)
        listed = (reports / "reminders" / "reminders-2026-11-23.csv").read_text()
        assert "jane@example.org" in listed and "confirmed (text)" in listed


async def test_book_from_the_recall_list(make_app, ctx, sched, manager_ctx):
    seen = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], dt.date(2025, 10, 6), "09:00",
                                           override_reason="past visit"))
    with ctx.db.write() as session:
        session.get(Appointment, seen.id).status = "checked_out"
    RecallService(manager_ctx).set_recall_rule("Annual", sched["type"], 12)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "desk", home=True)
        await pilot.press("R")
        await settle(pilot)
        recalls = app.screen
        assert isinstance(recalls, RecallScreen)
        assert recalls.query_one("#recalls", ResultsTable).row(0)[1] == "Testperson, Ann"
        await pilot.press("c")
        await settle(pilot)
        assert recalls.query_one("#recalls", ResultsTable).row(0)[4] == f"{NOW:%m/%d/%Y}"
        await pilot.press("b")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, BookingModal)
        assert form.query_one("#type_id").value == str(sched["type"])
        form.query_one("#provider_id").value = str(sched["lee"])
        form.query_one("#day").value = "11/30/2026"
        form.query_one("#start").value = "09:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is recalls and recalls.query_one("#recalls", ResultsTable).row_count == 0
