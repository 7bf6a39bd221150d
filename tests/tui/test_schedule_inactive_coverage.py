"""By keys: a visit whose insurance came back inactive on the latest 271 is marked $ in the schedule's
grid and list (the legend says what it means), on the check-in list and on the flow board; a newer
answer saying active takes the mark away. The check-in form proposes no copay for the inactive plan."""

from __future__ import annotations

from textual.widgets import Input, Label, Static

from officeconsole.demo.eligibility import MemberAnswerSpec, make_271
from officeconsole.services.billing.acknowledgements import sender_id
from officeconsole.services.frontdesk.eligibility import EligibilityService
from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.tui.modals.check_in_form import CheckInModal
from officeconsole.tui.screens.check_in import CheckInScreen
from officeconsole.tui.screens.flow_board import FlowBoardScreen
from officeconsole.tui.screens.schedule import ScheduleScreen
from officeconsole.tui.widgets.results_table import ResultsTable
from officeconsole.tui.widgets.schedule_grid import ScheduleGrid

from tests.conftest import NOW
from tests.tui.conftest import login, settle

TODAY = NOW.date()


def post_271(ctx, member: MemberAnswerSpec, control: int) -> None:
    with ctx.db.read() as session:
        receiver = sender_id(session) or "1234567893"
    EligibilityService(ctx).post_text(make_271([member], control=control, receiver=receiver))


def grid_text(grid: ScheduleGrid) -> str:
    return "\n".join("".join(s.text for s in grid.render_line(y)) for y in range(grid.size.height))


async def test_inactive_coverage_is_marked_on_the_schedule_check_in_and_board(make_app, sched, clinic, desk_ctx):
    payer_id = next(iter(clinic.payer_ids.values()))
    for who, member, start in (("ann", "M-100", "10:20"), ("bob", "M-200", "10:40")):
        InsuranceService(desk_ctx).add_policy(sched[who], PolicyInput(payer_id, 1, member, effective_from="2025-01-01",
                                                                      copay="25.00"))
        sched["book"].book(BookingInput(sched[who], sched["lee"], sched["type"], TODAY, start))
    post_271(desk_ctx, MemberAnswerSpec("M-100", name=("TESTPERSON", "ANN"), active=False, plan=(None, None)), 901)
    post_271(desk_ctx, MemberAnswerSpec("M-200", name=("TESTPERSON", "BOB")), 902)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await login(pilot, "desk", home=True)  # the front desk lands on today's schedule
        schedule = app.screen
        assert isinstance(schedule, ScheduleScreen)
        shown = grid_text(schedule.query_one("#grid", ScheduleGrid))
        assert "○$ Testperson, Ann" in shown and "○ Testperson, Bob" in shown
        assert "$ insurance inactive (271)" in str(schedule.query_one("#legend", Label).render())
        await pilot.press("l")  # the list view
        await settle(pilot)
        rows = schedule.query_one("#list", ResultsTable)
        assert [(rows.row(n)[1], rows.row(n)[2]) for n in range(rows.row_count)] == [
            ("Testperson, Ann", "○$ scheduled"), ("Testperson, Bob", "○ scheduled")]

        await pilot.press("f3")
        await settle(pilot)
        check_in = app.screen
        assert isinstance(check_in, CheckInScreen)
        visits = check_in.query_one("#visits", ResultsTable)
        assert [visits.row(n)[1] for n in range(visits.row_count)] == ["$ Testperson, Ann", "Testperson, Bob"]
        assert "$ insurance inactive: 1" in str(check_in.query_one("#checkin-title", Label).render())
        # Ann's form proposes no copay and says why; Bob's proposes his.
        for row, amount, said in ((0, "", "copay not proposed: Blue Shield Test Plan answered inactive"),
                                  (1, "25.00", "copay due $25.00")):
            visits.move_cursor(row=row)
            await pilot.press("enter")
            await settle(pilot)
            form = app.screen
            assert isinstance(form, CheckInModal)
            assert form.query_one("#amount", Input).value == amount
            assert said in str(form.query_one("#checkin-money", Static).render())
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is check_in

        await pilot.press("f4")
        await settle(pilot)
        board = app.screen
        assert isinstance(board, FlowBoardScreen)
        row = board.query_one("#board", ResultsTable).row(0)
        assert row[2] == "$ Testperson, Ann" and row[-1] == "Blue Shield Test Plan inactive (271)"

        # The payer answers again: Ann's plan is active. Back on the schedule, today again (t): no mark.
        post_271(desk_ctx, MemberAnswerSpec("M-100", name=("TESTPERSON", "ANN")), 903)
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen is schedule
        await pilot.press("t")
        await settle(pilot)
        rows = schedule.query_one("#list", ResultsTable)
        assert [rows.row(n)[2] for n in range(rows.row_count)] == ["○ scheduled", "○ scheduled"]
