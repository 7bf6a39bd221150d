"""Practice setup's payers, fee schedule, rooms and sign-in rules, by keys: add, edit, retire and
reinstate; a bad value is refused under its field and what was typed stays."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import Input

from officeconsole.services.billing.fees import FeeService
from officeconsole.services.frontdesk.insurance import InsuranceService, PayerInput
from officeconsole.services.practice.rooms import RoomService
from officeconsole.services.security.sign_in import SignInService
from officeconsole.tui.modals.confirm import ConfirmModal
from officeconsole.tui.modals.fee_form import FeeFormModal, FeeImportModal
from officeconsole.tui.modals.payer_form import PayerFormModal
from officeconsole.tui.modals.room_form import RoomFormModal
from officeconsole.tui.modals.sign_in_rules_form import SignInRulesModal
from officeconsole.tui.screens.setup_fees import FeesSetupScreen
from officeconsole.tui.screens.setup_payers import PayersSetupScreen
from officeconsole.tui.screens.setup_rooms import RoomsSetupScreen
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.tui.conftest import login, settle, type_text


def field_error(app, field: str) -> str:
    return str(app.screen.query_one(f"#field-{field} .field-error").render())


def typed(app, field: str) -> str:
    return app.screen.query_one(f"#{field}", Input).value


async def fill(pilot, field: str, value: str) -> None:
    box = pilot.app.screen.query_one(f"#{field}", Input)
    box.focus()
    box.value = ""
    await type_text(pilot, value)


def table_rows(app) -> list[tuple[str, ...]]:
    table = app.screen.query_one("#setup-table", ResultsTable)
    return [table.row(n) for n in range(table.row_count)]


def cursor_row(app) -> tuple[str, ...]:
    table = app.screen.query_one("#setup-table", ResultsTable)
    return table.row(table.cursor_row)


async def open_screen(pilot, screen) -> None:
    await login(pilot, "manager")
    pilot.app.push_screen(screen)
    await settle(pilot)


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def test_payers_added_edited_retired_and_reinstated_by_keys(make_app, clinic, manager_ctx):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_screen(pilot, PayersSetupScreen())
        assert [row[0] for row in table_rows(app)] == ["Blue Shield Test Plan", "Medicare Part B (test)"]
        await press(pilot, "a")
        assert isinstance(app.screen, PayerFormModal)
        await type_text(pilot, "blue shield test PLAN")
        await fill(pilot, "payer_code", "lkmut")
        await fill(pilot, "phone", "(312) 555-0101")
        await fill(pilot, "state", "XX")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, PayerFormModal)
        assert field_error(app, "state") == "State: 'XX' is not a US state or territory code (such as IL)."
        assert typed(app, "name") == "blue shield test PLAN" and typed(app, "payer_code") == "lkmut"
        await fill(pilot, "state", "il")
        await fill(pilot, "city", "Chicago")
        await press(pilot, "ctrl+s")
        assert field_error(app, "name") == "A payer called 'Blue Shield Test Plan' exists already."
        assert field_error(app, "state") == "" and typed(app, "city") == "Chicago"
        await fill(pilot, "name", "Lakeside Mutual")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, PayersSetupScreen)
        assert cursor_row(app) == ("Lakeside Mutual", "LKMUT", "CI", "(312) 555-0101", "Chicago, IL", "yes")

        await press(pilot, "e")
        assert isinstance(app.screen, PayerFormModal) and typed(app, "phone") == "(312) 555-0101"
        await fill(pilot, "postal_code", "6061")
        await press(pilot, "ctrl+s")
        assert field_error(app, "postal_code") == "ZIP: 5 digits, or 9 as ZIP+4 (62704 or 62704-1234)."
        assert typed(app, "postal_code") == "6061"
        await fill(pilot, "postal_code", "606111234")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, PayersSetupScreen)
        saved = next(p for p in InsuranceService(manager_ctx).payers() if p.name == "Lakeside Mutual")
        assert (saved.postal_code, saved.version) == ("60611-1234", 2)

        await press(pilot, "x")
        assert isinstance(app.screen, ConfirmModal)
        await press(pilot, "y")
        assert "Lakeside Mutual" not in [row[0] for row in table_rows(app)]
        assert "Lakeside Mutual" not in [p.name for p in InsuranceService(manager_ctx).payers()]
        await press(pilot, "v")
        assert ("Lakeside Mutual", "retired") in [(row[0], row[-1]) for row in table_rows(app)]
        assert cursor_row(app)[0] == "Medicare Part B (test)"  # the cursor stayed on the row it was on
        await press(pilot, "up")
        assert cursor_row(app)[0] == "Lakeside Mutual"
        await press(pilot, "x", "y")
        assert cursor_row(app)[::5] == ("Lakeside Mutual", "yes")
        await press(pilot, "escape")
        assert not isinstance(app.screen, PayersSetupScreen)


async def test_a_stale_payer_edit_is_refused_with_nothing_lost(make_app, clinic, manager_ctx, as_role):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_screen(pilot, PayersSetupScreen())
        await press(pilot, "enter")
        assert isinstance(app.screen, PayerFormModal)
        payer = InsuranceService(manager_ctx).payers()[0]
        InsuranceService(as_role("billing")).update_payer(payer.id, payer.version,
                                                          PayerInput(name=payer.name, payer_code="BSTP2"))
        await fill(pilot, "city", "Peoria")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, PayerFormModal)
        assert "Someone else changed this payer" in str(app.screen.query_one("#payer-form-error").render())
        assert typed(app, "city") == "Peoria"


async def test_fees_added_changed_retired_and_imported_by_keys(make_app, clinic, manager_ctx, tmp_path):
    app = make_app()
    fees = FeeService(manager_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_screen(pilot, FeesSetupScreen())
        assert table_rows(app) == []
        await press(pilot, "a")
        assert isinstance(app.screen, FeeFormModal)
        await type_text(pilot, "99213")
        await pilot.press("tab")
        await type_text(pilot, "Office visit, low")
        await pilot.press("tab")
        await type_text(pilot, "12,50")
        await press(pilot, "enter")
        assert isinstance(app.screen, FeeFormModal)
        assert field_error(app, "fee") == ("Fee 12,50: write cents after a point (12.50); a comma only separates "
                                           "thousands (1,250.00).")
        assert (typed(app, "code"), typed(app, "description"), typed(app, "fee")) == (
            "99213", "Office visit, low", "12,50")
        await fill(pilot, "fee", "$1,250")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, FeesSetupScreen)
        assert cursor_row(app)[:3] == ("99213", "CPT", "Office visit, low")
        assert cursor_row(app)[3].strip() == "1,250.00"

        await press(pilot, "e")
        assert isinstance(app.screen, FeeFormModal) and typed(app, "fee") == "1250.00"
        await fill(pilot, "fee", "-5")
        await press(pilot, "ctrl+s")
        assert field_error(app, "fee") == "Fee -5: cannot be negative."
        await fill(pilot, "fee", "125")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, FeesSetupScreen)
        assert fees.fees()[0].fee == Decimal("125.00")

        await press(pilot, "x", "y")
        assert table_rows(app) == [] and fees.fees() == []
        await press(pilot, "v")
        assert table_rows(app)[0][-1] == "retired"
        await press(pilot, "x", "y")
        assert table_rows(app)[0][-1] == "yes"

        bad, good = tmp_path / "bad.csv", tmp_path / "fees.csv"
        bad.write_text("99214,Visit,1.234\n")
        good.write_text("code,description,fee\n99214,Office visit moderate,185\n36415,Blood draw,15\n")
        await press(pilot, "i")
        assert isinstance(app.screen, FeeImportModal)
        app.screen.query_one("#path", Input).value = str(bad)  # a path is not what is tested: set, not typed
        await press(pilot, "enter")
        assert isinstance(app.screen, FeeImportModal)
        assert "line 1: 99214 fee 1.234: at most two decimals" in str(app.screen.query_one("#fee-import-error")
                                                                          .render())
        assert typed(app, "path") == str(bad)
        app.screen.query_one("#path", Input).value = str(good)
        await press(pilot, "enter")
        assert isinstance(app.screen, FeesSetupScreen)
        assert [row[0] for row in table_rows(app)] == ["36415", "99213", "99214"]


async def test_rooms_added_renamed_and_retired_by_keys(make_app, clinic, manager_ctx):
    app = make_app()
    RoomService(manager_ctx).add_room("Exam 1")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_screen(pilot, RoomsSetupScreen())
        await press(pilot, "a")
        assert isinstance(app.screen, RoomFormModal)
        await type_text(pilot, "exam 1")
        await press(pilot, "enter")
        assert field_error(app, "name") == "There is a room called Exam 1 already."
        assert typed(app, "name") == "exam 1"
        await fill(pilot, "name", "Exam 2")
        await press(pilot, "enter")
        assert isinstance(app.screen, RoomsSetupScreen)
        assert cursor_row(app) == ("Exam 2", "yes")
        await press(pilot, "e")
        await fill(pilot, "name", "Procedure room")
        await press(pilot, "ctrl+s")
        assert [row[0] for row in table_rows(app)] == ["Exam 1", "Procedure room"]
        await press(pilot, "x", "y")
        assert [r.name for r in RoomService(manager_ctx).rooms()] == ["Exam 1"]


async def test_sign_in_rules_by_keys(make_app, clinic, manager_ctx):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "manager")
        app.push_screen(SignInRulesModal())
        await settle(pilot)
        assert typed(app, "idle_lock_minutes") == "5" and typed(app, "lockout_attempts") == "5"
        await fill(pilot, "idle_lock_minutes", "90")
        await fill(pilot, "min_pin_length", "6")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, SignInRulesModal)
        assert field_error(app, "idle_lock_minutes") == "Idle lock (minutes): a whole number from 1 to 60."
        assert typed(app, "idle_lock_minutes") == "90" and typed(app, "min_pin_length") == "6"
        await fill(pilot, "idle_lock_minutes", "10")
        await press(pilot, "ctrl+s")
        assert not isinstance(app.screen, SignInRulesModal)
        rules = SignInService(manager_ctx).rules()
        assert (rules.idle_lock_minutes, rules.min_pin_length) == (10, 6)
        assert app.idle_lock_minutes == 10
