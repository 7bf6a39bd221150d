"""Check-in, the flow board and check-out, driven by keyboard the way the front desk works."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from textual.widgets import Label

from officeconsole.models import LedgerEntry
from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService
from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput
from officeconsole.services.practice.rooms import RoomService
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.tui.modals.check_in_form import CheckInModal
from officeconsole.tui.modals.check_out import CheckOutModal
from officeconsole.tui.modals.receipt import ReceiptModal
from officeconsole.tui.modals.room_picker import RoomPickerModal
from officeconsole.tui.modals.walk_in import WalkInModal
from officeconsole.tui.screens.check_in import CheckInScreen
from officeconsole.tui.screens.flow_board import POLL_SECONDS, FlowBoardScreen
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.conftest import NOW
from tests.factories import register
from tests.tui.conftest import login, settle, type_text


def _text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Label).render())


def _clinic_day(sched, clinic, desk_ctx, manager_ctx):
    payer_id = next(iter(clinic.payer_ids.values()))
    InsuranceService(desk_ctx).add_policy(sched["ann"], PolicyInput(payer_id, 1, "M-100", effective_from="2025-01-01",
                                                                    copay="25"))
    ann = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], NOW.date(), "10:20"))
    bob = sched["book"].book(BookingInput(sched["bob"], sched["kim"], sched["type"], NOW.date(), "10:40"))
    for name in ("Exam 1", "Exam 2"):
        RoomService(manager_ctx).add_room(name)
    return ann, bob


def _board_row(board, name: str) -> tuple[str, ...]:
    table = board.query_one("#board", ResultsTable)
    return next(table.row(i) for i in range(table.row_count) if table.row(i)[2] == name)


async def test_check_in_with_copay_room_see_and_check_out(make_app, ctx, clock, sched, clinic, desk_ctx, manager_ctx):
    ann, _bob = _clinic_day(sched, clinic, desk_ctx, manager_ctx)
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await login(pilot, "desk", home=True)
        await pilot.press("f3")
        await settle(pilot)
        checkin = app.screen
        assert isinstance(checkin, CheckInScreen)
        assert _text(checkin, "#checkin-title").endswith("2 still to arrive")
        await pilot.press("slash")
        await type_text(pilot, "ann")
        await pilot.press("enter", "enter")  # filter, then the only row
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CheckInModal)
        assert form.query_one("#amount").value == "25.00"
        assert not form.query_one("#verify").value and not form.query_one("#privacy").value  # the desk ticks them
        form.query_one("#amount").value = "25.005"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "two decimals" in _text(form, "#checkin-error") and app.screen is form  # nothing saved
        form.query_one("#amount").value = "25"
        form.query_one("#reference").value = "4242"
        await pilot.press("ctrl+s", "ctrl+s")  # a double press takes the copay once
        await settle(pilot)
        assert app.screen is checkin
        assert "● Arrived" in checkin.query_one("#visits", ResultsTable).row(0)[2]
        with ctx.db.read() as session:
            assert len(session.scalars(select(LedgerEntry)).all()) == 1

        clock.advance(dt.timedelta(minutes=16))
        await pilot.press("f4")
        await settle(pilot)
        board = app.screen
        assert isinstance(board, FlowBoardScreen)
        row = _board_row(board, "Testperson, Ann")
        assert row[0] == "⚑" and row[3] == "● Arrived" and row[4] == "16 min"  # over the 15-minute limit
        await pilot.press("home", "a")
        await settle(pilot)
        assert isinstance(app.screen, RoomPickerModal)
        await pilot.press("enter")
        await settle(pilot)
        row = _board_row(board, "Testperson, Ann")
        assert (row[3], row[6], row[5]) == ("◐ Roomed", "Exam 1", "0 min")
        clock.advance(dt.timedelta(minutes=4))
        await pilot.press("a")
        await settle(pilot)
        assert _board_row(board, "Testperson, Ann")[3] == "◑ With provider"
        await pilot.press("u")  # a mistaken step is undone
        await settle(pilot)
        assert _board_row(board, "Testperson, Ann")[3] == "◐ Roomed"
        await pilot.press("a")
        await settle(pilot)
        row = _board_row(board, "Testperson, Ann")
        assert row[3] == "◑ With provider" and row[4] == "20 min" and row[0] == ""
        clock.advance(dt.timedelta(minutes=15))
        await pilot.press("a")
        await settle(pilot)
        out = app.screen
        assert isinstance(out, CheckOutModal)
        await pilot.press("ctrl+f")  # book the follow-up: patient, provider and kind of visit carried over
        await settle(pilot)
        from textual.widgets import Select

        from officeconsole.tui.modals.booking_form import BookingModal
        from officeconsole.tui.widgets.patient_picker import PatientPicker

        booking = app.screen
        assert isinstance(booking, BookingModal)
        assert booking.query_one(PatientPicker).patient.id == sched["ann"]
        assert booking.query_one("#provider_id", Select).value == str(sched["lee"])
        assert booking.query_one("#type_id", Select).value == str(sched["type"])
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is out
        assert str(out.query_one("#checkout-follow-up").render()).startswith("Follow-up booked: Mon 12/07/2026 09:00")
        out.query_one("#amount").value = "10"
        await pilot.press("ctrl+s")
        await settle(pilot)
        receipt = app.screen
        assert isinstance(receipt, ReceiptModal)
        assert "Amount paid    $10.00" in str(receipt.query_one("#receipt-text").render())
        await pilot.press("p")
        await settle(pilot)
        assert receipt.saved is not None and receipt.saved.read_bytes().startswith(b"%PDF")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is board
        row = _board_row(board, "Testperson, Ann")
        assert row[3] == "✓ Checked out" and row[4] == "20 min"  # the wait stopped when the provider came
    assert ann.id


async def test_board_shows_another_consoles_change_within_a_poll(make_app, sched, clinic, desk_ctx, manager_ctx,
                                                                  monkeypatch):
    import officeconsole.tui.screens.flow_board

    poll = POLL_SECONDS / 10  # the board's timer, made quicker so the test does not sit out three seconds
    monkeypatch.setattr(officeconsole.tui.screens.flow_board, "POLL_SECONDS", poll)
    _ann, bob = _clinic_day(sched, clinic, desk_ctx, manager_ctx)
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await login(pilot, "desk")
        await pilot.press("f4")
        await settle(pilot)
        board = app.screen
        assert _board_row(board, "Testperson, Bob")[3] == "○ Scheduled"
        CheckInService(desk_ctx).check_in(CheckInInput(bob.id, bob.version))  # the other console
        await pilot.pause(poll + 0.5)
        await settle(pilot)
        assert _board_row(board, "Testperson, Bob")[3] == "● Arrived"


async def test_a_board_that_cannot_poll_says_since_when_and_catches_up(make_app, sched, clinic, desk_ctx,
                                                                        manager_ctx, monkeypatch):
    from officeconsole.services.common.errors import DatabaseUnavailable
    from officeconsole.services.frontdesk.flow import FlowService

    _ann, bob = _clinic_day(sched, clinic, desk_ctx, manager_ctx)
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await login(pilot, "desk")
        await pilot.press("f4")
        await settle(pilot)
        board = app.screen
        changes = FlowService.changes

        def down(self, *args):
            raise DatabaseUnavailable("the server is not answering")

        monkeypatch.setattr(FlowService, "changes", down)
        board._poll()
        await settle(pilot)
        assert "NOT UPDATED since 10:00, retrying" in str(board.query_one("#flow-title").render())
        monkeypatch.setattr(FlowService, "changes", changes)
        CheckInService(desk_ctx).check_in(CheckInInput(bob.id, bob.version))
        board._poll()
        await settle(pilot)
        assert "NOT UPDATED" not in str(board.query_one("#flow-title").render())
        assert _board_row(board, "Testperson, Bob")[3] == "● Arrived"


async def test_walk_in_books_the_first_free_time_and_opens_check_in(make_app, sched, clinic, desk_ctx, manager_ctx):
    _clinic_day(sched, clinic, desk_ctx, manager_ctx)
    register(desk_ctx, first_name="Cy")
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await login(pilot, "desk")
        await pilot.press("f3")
        await settle(pilot)
        checkin = app.screen
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, WalkInModal)
        await type_text(pilot, "testperson, bob")
        await settle(pilot)
        await pilot.press("enter")
        app.screen.query_one("#provider_id").value = str(sched["lee"])
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "already booked at 10:40" in _text(app.screen, "#walkin-error")  # Bob is Kim's at 10:40
        app.screen.query_one("#provider_id").value = str(sched["lee"])
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        await type_text(pilot, "testperson, cy")
        await settle(pilot)
        await pilot.press("enter")
        app.screen.query_one("#provider_id").value = str(sched["kim"])
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CheckInModal)
        assert "10:05 Follow-up with Jo Kim" in _text(form, "#checkin-title")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is checkin
        rows = [checkin.query_one("#visits", ResultsTable).row(i) for i in range(3)]
        assert ("10:05", "Testperson, Cy", "● Arrived") in [(r[0], r[1], r[2]) for r in rows]


async def test_account_payment_and_manager_void(make_app, ctx, sched, clinic, desk_ctx, manager_ctx):
    from officeconsole.tui.modals.account import AccountModal, PaymentModal
    from officeconsole.tui.modals.reason import ReasonModal
    from officeconsole.tui.screens.patient_record import PatientRecordScreen

    from tests.tui.conftest import open_record

    app = make_app()
    async with app.run_test(size=(130, 40)) as pilot:
        await login(pilot, "desk")
        await open_record(pilot, "testperson, ann")
        assert isinstance(app.screen, PatientRecordScreen)
        await pilot.press("a")
        await settle(pilot)
        account = app.screen
        assert isinstance(account, AccountModal)
        assert _text(account, "#account-title").endswith("balance $0.00")
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, PaymentModal)
        await type_text(pilot, "-5")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "more than zero" in _text(app.screen, "#payment-error")
        app.screen.query_one("#amount").value = "40"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReceiptModal)
        await pilot.press("escape")
        await settle(pilot)
        assert "balance $40.00 credit · billed to the patient $0.00, paid $40.00" in _text(account, "#account-title")
        await pilot.press("v")  # the front desk may not void
        await settle(pilot)
        assert app.screen is account
    async with make_app().run_test(size=(130, 40)) as pilot:
        app = pilot.app
        await login(pilot, "manager")
        await open_record(pilot, "testperson, ann")
        await pilot.press("a")
        await settle(pilot)
        account = app.screen
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ReasonModal)
        await type_text(pilot, "charged twice")
        await pilot.press("enter")
        await settle(pilot)
        assert _text(account, "#account-title").endswith("balance $0.00")
        table = account.query_one("#entries", ResultsTable)
        assert [table.row(i)[5] for i in range(2)] == ["", "VOIDED"]


async def test_walk_in_for_a_patient_registered_on_the_spot(make_app, sched, clinic, desk_ctx, manager_ctx):
    from officeconsole.tui.screens.patient_form import PatientFormScreen

    _clinic_day(sched, clinic, desk_ctx, manager_ctx)
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await login(pilot, "desk")
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        walk_in = app.screen
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, PatientFormScreen)
        form.query_one("#first_name").value = "Newly"
        form.query_one("#last_name").value = "Arrived"
        form.query_one("#dob").value = "03/04/1999"
        form.query_one("#phone").value = "415 555 2700"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is walk_in
        assert _text(walk_in, "#picker-chosen").startswith("Patient: Arrived, Newly")
        walk_in.query_one("#provider_id").value = str(sched["kim"])
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CheckInModal)
        assert "Check in Arrived, Newly" in _text(app.screen, "#checkin-title")


async def test_two_check_ins_in_a_row_share_nothing_and_attest_only_what_is_ticked(
        make_app, ctx, sched, clinic, desk_ctx, manager_ctx):
    """The kept form carries nothing of the first patient into the second; insurance and the
    privacy notice start unticked (never verified, never signed) and are recorded as not done when
    left so; each copay posts."""
    from officeconsole.models import InsurancePolicy, LedgerEntry, Patient

    payer_id = next(iter(clinic.payer_ids.values()))
    InsuranceService(desk_ctx).add_policy(sched["bob"], PolicyInput(payer_id, 1, "M-200", effective_from="2025-01-01",
                                                                    copay="30"))
    ann, bob = _clinic_day(sched, clinic, desk_ctx, manager_ctx)
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await login(pilot, "desk", home=True)
        await pilot.press("f3")
        await settle(pilot)
        checkin = app.screen
        for name, copay, reference in (("ann", "25.00", "1111"), ("bob", "30.00", "")):
            await pilot.press("slash")
            await type_text(pilot, name)
            await pilot.press("enter", "enter")
            await settle(pilot)
            form = app.screen
            assert isinstance(form, CheckInModal)
            assert f"Testperson, {name.title()}" in _text(form, "#checkin-title")
            assert form.query_one("#amount").value == copay
            assert form.query_one("#reference").value == ""  # nothing of the last patient
            assert not form.query_one("#verify").value and not form.query_one("#privacy").value
            if reference:
                form.query_one("#reference").value = reference
                form.query_one("#privacy").value = True  # Ann signs; Bob does not
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert app.screen is checkin
    with ctx.db.read() as session:
        assert len(session.scalars(select(LedgerEntry)).all()) == 2
        signed = dict(session.execute(select(Patient.first_name, Patient.privacy_notice_on)).all())
        assert signed["Ann"] == NOW.date() and signed["Bob"] is None
        assert session.scalars(select(InsurancePolicy.verified_at)).all() == [None, None]


async def test_the_check_in_filter_ignores_accents_like_patients_does(make_app, sched, clinic, desk_ctx):
    veliz = register(desk_ctx, first_name="Inés", last_name="Véliz").id
    sched["book"].book(BookingInput(veliz, sched["lee"], sched["type"], NOW.date(), "10:20"))
    sched["book"].book(BookingInput(sched["bob"], sched["kim"], sched["type"], NOW.date(), "10:40"))
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await login(pilot, "desk", home=True)
        await pilot.press("f3")
        await settle(pilot)
        table = app.screen.query_one("#visits", ResultsTable)
        assert table.row_count == 2
        await pilot.press("slash")
        await type_text(pilot, "veliz, ines")
        await settle(pilot)
        assert [table.row(i)[1] for i in range(table.row_count)] == ["Véliz, Inés"]


async def test_the_type_column_is_in_view_at_80_columns(make_app, sched, clinic, desk_ctx, manager_ctx):
    _clinic_day(sched, clinic, desk_ctx, manager_ctx)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "desk", home=True)
        await pilot.press("f3")
        await settle(pilot)
        table = app.screen.query_one("#visits", ResultsTable)
        labels = [c.label for c in table.columns]
        through_type = sum(c.width + 2 for c in table.columns[:labels.index("Type") + 1])
        assert through_type <= table.scrollable_content_region.width  # time, who, status, provider and type
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        assert next(c.width for c in table.columns if c.label == "Type") >= len("Annual physical")
        await pilot.resize_terminal(80, 24)
        await pilot.press("f4")  # the flow board: who, the waits and the room whole at 80 columns
        await settle(pilot)
        board = app.screen.query_one("#board", ResultsTable)
        labels = [c.label for c in board.columns]
        assert sum(c.width + 2 for c in board.columns[:labels.index("Room") + 1]) <= board.scrollable_content_region.width
        counts = str(app.screen.query_one("#flow-counts", Label).render())
        assert counts.endswith("· 2 to arrive · 0 done · ⚑ 0 flagged") and len(counts) <= 78


async def test_check_in_is_prepared_at_login_and_goes_with_the_session(make_app, sched, clinic, desk_ctx, manager_ctx):
    """The console builds check-in and reads its day off screen after a login: F3 shows that screen,
    and a booking made meanwhile still appears; logging out removes it with everything else."""
    _clinic_day(sched, clinic, desk_ctx, manager_ctx)
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await login(pilot, "desk", home=True)
        await app.prepare_kept_screens()
        await settle(pilot)
        prepared = app.get_screen("kept-CheckInScreen")
        assert prepared.is_mounted and prepared not in app.screen_stack
        assert prepared.query_one("#visits", ResultsTable).row_count == 2  # its day read before F3
        sched["book"].book(BookingInput(sched["ann"], sched["kim"], sched["type"], NOW.date(), "11:40"))
        await pilot.press("f3")
        await settle(pilot)
        assert app.screen is prepared
        assert _text(prepared, "#checkin-title").endswith("3 still to arrive")
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert not app.is_screen_installed("kept-CheckInScreen") and not prepared.is_attached
