"""Recall rules by keys: a manager adds one under Practice setup (bad input refused under its field),
the patient seen longer ago than its interval appears on the recall list, is booked from it with the
type preset, and others are marked contacted and declined."""

from __future__ import annotations

import datetime as dt

from textual.widgets import Input, Label, Select

from officeconsole.models import Appointment
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.scheduling.recalls import RecallService
from officeconsole.tui.modals.booking_form import BookingModal
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.recall_rule_form import RecallRuleFormModal
from officeconsole.tui.screens.practice_setup import PracticeSetupScreen
from officeconsole.tui.screens.recalls import RecallScreen
from officeconsole.tui.screens.setup_recalls import RecallRulesScreen
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.tui.conftest import login, settle, type_text


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


def field_error(app, field: str) -> str:
    return str(app.screen.query_one(f"#field-{field} .field-error", Label).render())


async def fill(pilot, field: str, value: str) -> None:
    box = pilot.app.screen.query_one(f"#{field}", Input)
    box.focus()
    box.value = ""
    await type_text(pilot, value)


async def choose_type(pilot, position: int) -> None:
    """Open the type list with Enter, go down to the `position`th type (1 is the first, under the
    blank line) and take it with Enter, as a person would."""
    pilot.app.screen.query_one("#type_id", Select).focus()
    await press(pilot, "enter", *["down"] * position, "enter")


def rows(app, table_id: str) -> list[tuple[str, ...]]:
    table = app.screen.query_one(f"#{table_id}", ResultsTable)
    return [table.row(n) for n in range(table.row_count)]


def _seen(ctx, sched, patient: str, day: dt.date, at: str) -> None:
    visit = sched["book"].book(BookingInput(sched[patient], sched["lee"], sched["type"], day, at,
                                            override_reason="past visit"))
    with ctx.db.write() as session:
        session.get(Appointment, visit.id).status = "checked_out"


async def test_a_manager_sets_a_recall_rule_and_the_desk_books_from_the_list(make_app, ctx, sched, manager_ctx):
    _seen(ctx, sched, "ann", dt.date(2026, 4, 6), "09:00")  # Follow-up seen in April: 3 months on, overdue
    _seen(ctx, sched, "bob", dt.date(2026, 4, 7), "10:00")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "manager", home=True)
        await press(pilot, "f10")
        assert isinstance(app.screen, PracticeSetupScreen)
        await press(pilot, "e")
        assert isinstance(app.screen, RecallRulesScreen)
        assert "none yet: a adds one" in str(app.screen.query_one("#setup-title", Label).render())

        await press(pilot, "a")
        assert isinstance(app.screen, RecallRuleFormModal)
        await press(pilot, "ctrl+s")  # nothing typed: a message under each field
        assert field_error(app, "name").startswith("Name the rule")
        assert field_error(app, "type_id").startswith("Choose the appointment type")
        assert field_error(app, "months").startswith("How many months")
        await fill(pilot, "name", "Chronic follow-up")
        await choose_type(pilot, 1)
        await fill(pilot, "months", "0")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, RecallRuleFormModal)
        assert "1 to 60 months" in field_error(app, "months")
        assert app.screen.query_one("#name", Input).value == "Chronic follow-up"  # nothing typed is lost
        await fill(pilot, "months", "3")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, RecallRulesScreen)
        assert rows(app, "setup-table") == [("Chronic follow-up", "Follow-up", "3", "yes")]

        await press(pilot, "a")  # a second rule for the same type is refused
        await fill(pilot, "name", "Quarterly")
        await choose_type(pilot, 1)
        await fill(pilot, "months", "3")
        await press(pilot, "ctrl+s")
        assert "Follow-up has a recall rule already ('Chronic follow-up')" in field_error(app, "type_id")
        await press(pilot, "escape")

        await press(pilot, "enter")  # edit: every 2 months
        assert isinstance(app.screen, RecallRuleFormModal)
        assert app.screen.query_one("#type_id", Select).value == str(sched["type"])
        await fill(pilot, "months", "2")
        await press(pilot, "ctrl+s")
        assert rows(app, "setup-table") == [("Chronic follow-up", "Follow-up", "2", "yes")]

        await press(pilot, "escape", "escape")  # back to the home screen
        await press(pilot, "f2")
        await press(pilot, "R")
        recalls = app.screen
        assert isinstance(recalls, RecallScreen)
        assert [r[1] for r in rows(app, "recalls")] == ["Testperson, Ann", "Testperson, Bob"]
        assert rows(app, "recalls")[0][5] == "Chronic follow-up"

        await press(pilot, "c")  # Ann: contacted, still listed with the day
        assert rows(app, "recalls")[0][4] == "11/23/2026"
        await press(pilot, "x")  # then declined (asked first): off the list
        assert isinstance(app.screen, ConfirmModal)
        await press(pilot, "y")
        assert [r[1] for r in rows(app, "recalls")] == ["Testperson, Bob"]

        await press(pilot, "b")  # Bob: booked with the type preset
        form = app.screen
        assert isinstance(form, BookingModal)
        assert form.query_one("#type_id", Select).value == str(sched["type"])
        form.query_one("#provider_id", Select).value = str(sched["lee"])
        await fill(pilot, "day", "11/30/2026")
        await fill(pilot, "start", "09:00")
        await press(pilot, "ctrl+s")
        assert app.screen is recalls and rows(app, "recalls") == []
        assert str(recalls.query_one("#recall-counts", Label).render()) == (
            "Nobody is due under the 1 recall rule(s): Chronic follow-up.")


async def test_retiring_a_rule_asks_first_and_empties_the_list(make_app, ctx, sched, manager_ctx):
    _seen(ctx, sched, "ann", dt.date(2025, 10, 6), "09:00")
    RecallService(manager_ctx).set_recall_rule("Annual", sched["type"], 12)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await login(pilot, "manager", home=True)
        await press(pilot, "f10", "e")
        await press(pilot, "x")
        assert isinstance(app.screen, ConfirmModal)
        await press(pilot, "y")
        assert isinstance(app.screen, RecallRulesScreen)
        assert rows(app, "setup-table") == []
        await press(pilot, "v")
        assert rows(app, "setup-table") == [("Annual", "Follow-up", "12", "retired")]
        assert RecallService(manager_ctx).recall_list() == []
        await press(pilot, "x", "y")  # reinstated
        assert rows(app, "setup-table") == [("Annual", "Follow-up", "12", "yes")]
        assert [r.patient_name for r in RecallService(manager_ctx).recall_list()] == ["Testperson, Ann"]


async def test_with_no_rules_the_recall_list_says_where_they_are_set(make_app, sched):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "desk", home=True)
        await press(pilot, "R")
        assert isinstance(app.screen, RecallScreen)
        assert str(app.screen.query_one("#recall-counts", Label).render()) == (
            "No recall rules yet: a manager sets them under Practice setup (F10), e Recall rules.")
        await press(pilot, "b")  # nothing to book from
        assert isinstance(app.screen, RecallScreen)
