"""The Inventory screen (F9) by keyboard: a use spanning two lots shows the lots taken, a
count posts its adjustment, the purchase suggestion orders the low items up to par and
saves as CSV, a two-line delivery is received (and a bad line refused in the form), a use
larger than the stock is refused in the form; the front desk records a use but may not
receive."""

from __future__ import annotations

import pytest
from textual.widgets import Select

from officeconsole.services.inventory import InventoryService, ItemInput, ReceiveLine
from officeconsole.services.ledger import new_request_key
from officeconsole.tui.modals.purchase_order import PurchaseOrderModal
from officeconsole.tui.modals.stock_count import StockCountModal
from officeconsole.tui.modals.stock_receive import StockReceiveModal
from officeconsole.tui.modals.stock_use import StockUseModal
from officeconsole.tui.screens.inventory import InventoryScreen
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.tui.conftest import login, settle, type_text


@pytest.fixture
def stock(manager_ctx, clinic):
    """A flu vaccine in two lots (SOON x2, LATE x3: 5 doses, at its reorder point of 5) and
    gloves (12 boxes, reorder at 10)."""
    service = InventoryService(manager_ctx)
    flu = service.add_item(ItemInput("Influenza vaccine", "vaccine", "dose", "49281-0421-50", "Sanofi", "18.50",
                                     5, 20)).id
    gloves = service.add_item(ItemInput("Nitrile gloves, M", "supply", "box", vendor="Medline", unit_cost="7.25",
                                        reorder_point=10, par_level=40)).id
    service.receive([ReceiveLine(flu, 3, "LATE", "2027-06-30"), ReceiveLine(flu, 2, "SOON", "2027-01-31"),
                     ReceiveLine(gloves, 12)], new_request_key())
    return {"service": service, "flu": flu, "gloves": gloves}


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


def rows(app, selector: str) -> list[tuple[str, ...]]:
    table = app.screen.query_one(selector, ResultsTable)
    return [tuple(cell.strip() for cell in table.row(n)) for n in range(table.row_count)]


def on_hand(stock) -> dict[str, int]:
    return {i.name: i.on_hand for i in stock["service"].items()}


async def open_inventory(pilot, username: str = "manager") -> None:
    await login(pilot, username)
    await pilot.press("f9")
    await settle(pilot)
    assert isinstance(pilot.app.screen, InventoryScreen)


async def test_manager_uses_counts_orders_and_receives(make_app, stock, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))  # no paths in tests: the CSV goes under ~/reports
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await open_inventory(pilot)
        items = rows(app, "#items")
        assert [r[:4] for r in items] == [("⚠ low", "Influenza vaccine", "vaccine", "5 dose"),
                                          ("", "Nitrile gloves, M", "supply", "12 box")]
        assert [r[:3] for r in rows(app, "#lots")] == [("SOON", "01/31/2027", "69 (≤90 days)"),
                                                       ("LATE", "06/30/2027", "219")]
        assert "Expiring within 30 days: 0 lots · Low: 1 items" in str(app.screen.query_one("#stock-strip").render())

        # A use of 4 spans both lots, first expiry first.
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, StockUseModal)
        await type_text(pilot, "4")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InventoryScreen)
        assert "Influenza vaccine: 4 taken: lot SOON x2, lot LATE x2." in messages(app)
        assert [r[0] for r in rows(app, "#lots")] == ["LATE"]
        assert rows(app, "#items")[0][3] == "1 dose"

        # Count the gloves: 9 on the shelf, 12 expected.
        await pilot.press("down", "k")
        await settle(pilot)
        assert isinstance(app.screen, StockCountModal)
        count = app.screen.query_one("#counted_" + str(stock["service"].lots(stock["gloves"])[0].id))
        count.value = "9"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, InventoryScreen)
        assert "1 adjusted: Nitrile gloves, M lot (no lot) -3." in messages(app)
        assert on_hand(stock)["Nitrile gloves, M"] == 9

        # The purchase suggestion: both now low, ordered up to par, by vendor; saved as CSV.
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, PurchaseOrderModal)
        assert rows(app, "#order-rows") == [
            ("Medline", "Nitrile gloves, M", "-", "9", "31", "7.25", "224.75"),
            ("", "Total for Medline", "", "", "", "", "224.75"),
            ("Sanofi", "Influenza vaccine", "49281-0421-50", "1", "19", "18.50", "351.50"),
            ("", "Total for Sanofi", "", "", "", "", "351.50")]
        await pilot.press("c")
        await settle(pilot)
        saved = tmp_path / "reports" / "purchase-suggestion-2026-11-23.csv"
        assert f"Saved {saved}" in messages(app)
        assert "Sanofi,Influenza vaccine,49281-0421-50,1,5,20,19,18.50,351.50" in saved.read_text()
        await pilot.press("escape")
        await settle(pilot)

        # A delivery of two lines: the vaccine needs its lot and expiry, refused until given.
        await pilot.press("up", "r")
        await settle(pilot)
        assert isinstance(app.screen, StockReceiveModal)
        await type_text(pilot, "10")
        await pilot.press("ctrl+n")
        await settle(pilot)
        app.screen.query_one("#item_2", Select).value = str(stock["gloves"])
        app.screen.query_one("#quantity_2").value = "30"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, StockReceiveModal)
        assert "Line 1: Influenza vaccine: a vaccine needs its lot number and expiry date." in str(
            app.screen.query_one("#line-error-1").render())
        assert on_hand(stock) == {"Influenza vaccine": 1, "Nitrile gloves, M": 9}  # all or nothing
        app.screen.query_one("#lot_1").value = "new1"
        app.screen.query_one("#expires_1").value = "03/31/2027"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, InventoryScreen)
        assert "Received 40 units." in messages(app)
        assert on_hand(stock) == {"Influenza vaccine": 11, "Nitrile gloves, M": 39}
        assert [r[0] for r in rows(app, "#lots")] == ["NEW1", "LATE"]  # first expiry first


async def test_a_use_larger_than_the_stock_is_refused_in_the_form(make_app, stock):
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await open_inventory(pilot)
        await pilot.press("u")
        await type_text(pilot, "6")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, StockUseModal)
        error = str(app.screen.query_one("#field-quantity .field-error").render())
        assert error == ("Only 5 dose of Influenza vaccine in stock that has not expired; 6 asked for. "
                         "Nothing was taken.")
        await pilot.press("escape")
        await settle(pilot)
        assert on_hand(stock)["Influenza vaccine"] == 5


async def test_the_front_desk_records_a_use_but_may_not_receive_or_count(make_app, stock):
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await open_inventory(pilot, "desk")
        await pilot.press("down", "u")
        await type_text(pilot, "2")
        await pilot.press("tab")
        await type_text(pilot, "dressing change")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, InventoryScreen)
        assert "Nitrile gloves, M: 2 taken: lot (no lot) x2." in messages(app)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, InventoryScreen)
        refused = [m for m in messages(app) if m.startswith("Permission denied")]
        assert refused == ["Permission denied: a Front Desk user may not receive, count and write off stock."] * 2
        assert on_hand(stock) == {"Influenza vaccine": 5, "Nitrile gloves, M": 10}
