"""The Inventory screen (F9) by keyboard: a use spanning two lots shows the lots taken, a
count posts its adjustment, the purchase suggestion orders the low items up to par and
saves as CSV, a two-line delivery is received (and a bad line refused in the form), a use
larger than the stock is refused in the form; the front desk records a use but may not
receive."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import Select

from officeconsole.config import Paths
from officeconsole.services.billing.encounters import EncounterService
from officeconsole.services.billing.fees import FeeService
from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService
from officeconsole.services.frontdesk.ledger import new_request_key
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.stock.inventory import InventoryService, ItemInput, ReceiveLine
from officeconsole.tui.modals.purchase_order import PurchaseOrderModal
from officeconsole.tui.modals.stock_count import StockCountModal
from officeconsole.tui.modals.stock_item import StockItemModal
from officeconsole.tui.modals.stock_receive import StockReceiveModal
from officeconsole.tui.modals.stock_transfer import StockTransferModal
from officeconsole.tui.modals.stock_use import StockUseModal
from officeconsole.tui.modals.stock_waste import StockWasteModal
from officeconsole.tui.screens.billing_queue import BillingQueueScreen
from officeconsole.tui.screens.coding import CodingScreen
from officeconsole.tui.screens.inventory import InventoryScreen
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.conftest import NOW
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
    app = make_app()
    app.paths = Paths(tmp_path / "data", tmp_path / "config", tmp_path / "reports", tmp_path / "backups")
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
        await pilot.press("enter")  # a vaccine: Enter goes on to the visit it was given at
        assert app.screen.focused.id == "visit"
        await pilot.press("ctrl+s")  # clinic use, no patient
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
        saved = tmp_path / "reports" / "purchase-suggestion-2026-11-23.csv"  # in reports/, not reports/reports/
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
        await pilot.press("ctrl+s")
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
        await pilot.press("tab", "tab")  # past the visit: clinic use
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


async def test_a_vaccine_given_at_a_visit_takes_the_first_lot_and_shows_on_the_encounter(make_app, sched, desk_ctx,
                                                                                        manager_ctx, as_role):
    """The Done-when: a clinician gives a flu shot to the patient in the room; the lot expiring
    first is taken, and the visit shows the dose (lot, expiry) and its charge."""
    FeeService(as_role("billing")).import_csv(
        "90686,Flu vaccine,38\n90471,Vaccine admin,25\n99213,Office visit,125\n")
    service = InventoryService(manager_ctx)
    flu = service.add_item(ItemInput("Influenza vaccine", "vaccine", "dose", "49281-0421-50", "Sanofi", "18.50",
                                     5, 20, billing_code="90686")).id
    service.receive([ReceiveLine(flu, 3, "LATE", "2027-06-30"), ReceiveLine(flu, 2, "SOON", "2027-01-31")],
                    new_request_key())
    visit = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], NOW.date(), "10:20"))
    CheckInService(desk_ctx).check_in(CheckInInput(visit.id, visit.version))
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await open_inventory(pilot, "drlee")
        await pilot.press("u")
        await settle(pilot)
        await type_text(pilot, "1")
        await pilot.press("enter")  # on to "Given at"
        await pilot.press("enter", "down", "enter")  # open the list, the first visit of today, choose it
        assert app.screen.query_one("#visit", Select).selection is not None
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, InventoryScreen)
        assert ("Influenza vaccine: 1 taken: lot SOON x1. 90686 x1 with its administration 90471, for Z23 added to "
                "the visit's charges.") in messages(app)
        assert [r[:2] for r in rows(app, "#lots")] == [("SOON", "01/31/2027"), ("LATE", "06/30/2027")]
        assert [r[4] for r in rows(app, "#lots")] == ["1", "3"]

        await pilot.press("escape", "f5")  # the visit, from the billing queue
        await settle(pilot)
        assert isinstance(app.screen, BillingQueueScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CodingScreen)
        assert [r[1] for r in rows(app, "#lines")] == ["90686", "90471"]
        given = rows(app, "#given")
        assert [r[:5] for r in given] == [("Influenza vaccine", "SOON", "01/31/2027", "1", "Avery Lee")]


async def test_manager_wastes_an_expired_lot_with_a_witness_moves_stock_and_adds_an_item(make_app, manager_ctx,
                                                                                       clinic, clock):
    service = InventoryService(manager_ctx)
    flu = service.add_item(ItemInput("Influenza vaccine", "vaccine", "dose", reorder_point=1, par_level=5)).id
    service.receive([ReceiveLine(flu, 2, "OLD", NOW.date().isoformat()), ReceiveLine(flu, 4, "NEW", "2027-06-30")],
                    new_request_key())
    clock.at = NOW + dt.timedelta(days=2)  # OLD has expired since
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await open_inventory(pilot)
        assert rows(app, "#lots")[0][:3] == ("OLD", "11/23/2026", "⚠ EXPIRED 2d ago")
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, StockWasteModal)
        assert app.screen.query_one("#quantity").value == "2"  # the expired lot, all of it
        assert app.screen.query_one("#reason").value == "expired"
        await pilot.press("ctrl+s")  # no witness: refused in the form
        await settle(pilot)
        assert isinstance(app.screen, StockWasteModal)
        assert "witness" in str(app.screen.query_one("#field-witness .field-error").render())
        witness = app.screen.query_one("#witness", Select)
        witness.value = next(value for label, value in witness._options if "Lee" in str(label))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, InventoryScreen)
        assert "Influenza vaccine lot OLD: 2 dose wasted." in messages(app)
        assert [r[0] for r in rows(app, "#lots")] == ["NEW"]

        await pilot.press("m")  # two doses of NEW to the exam-room fridge
        await settle(pilot)
        assert isinstance(app.screen, StockTransferModal)
        await type_text(pilot, "2")
        await pilot.press("enter")
        await type_text(pilot, "Exam 2 fridge")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InventoryScreen)
        assert "Influenza vaccine lot NEW x2: Main -> Exam 2 fridge" in messages(app)
        assert [(r[0], r[3], r[4]) for r in rows(app, "#lots")] == [("NEW", "Main", "2"), ("NEW", "Exam 2 fridge", "2")]

        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, StockItemModal)
        await type_text(pilot, "Tdap vaccine")
        app.screen.query_one("#category", Select).value = "vaccine"
        app.screen.query_one("#reorder_point").value = "10"
        app.screen.query_one("#par_level").value = "4"
        await pilot.press("ctrl+s")  # par below the reorder point: refused under the field
        await settle(pilot)
        assert "at least the reorder point" in str(app.screen.query_one("#field-par_level .field-error").render())
        app.screen.query_one("#par_level").value = "30"
        app.screen.query_one("#billing_code").value = "90715"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, InventoryScreen)
        assert "Tdap vaccine added: r receives its first delivery." in messages(app)
        assert [r[1] for r in rows(app, "#items")] == ["Tdap vaccine"]


def test_inventory_snapshot(snap_compare, make_app, stock, clock):
    """Two items, the vaccine low with a lot expiring within 90 days and one past it."""
    stock["service"].receive([ReceiveLine(stock["flu"], 1, "NEAR", "2026-12-10")], new_request_key())

    async def before(pilot):
        await login(pilot, "manager")
        await pilot.press("f9")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(150, 36), run_before=before)


async def test_a_dose_given_from_the_flow_board_lands_on_the_patients_visit(make_app, sched, desk_ctx, manager_ctx,
                                                                           as_role):
    FeeService(as_role("billing")).import_csv("90686,Flu vaccine,38\n90471,Vaccine admin,25\n")
    service = InventoryService(manager_ctx)
    flu = service.add_item(ItemInput("Influenza vaccine", "vaccine", "dose", billing_code="90686")).id
    service.add_item(ItemInput("Adhesive bandages", "supply", "box"))
    service.receive([ReceiveLine(flu, 2, "FLU9", "2027-03-31")], new_request_key())
    visit = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], NOW.date(), "10:20"))
    CheckInService(desk_ctx).check_in(CheckInInput(visit.id, visit.version))
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await login(pilot, "drlee")
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        await pilot.press("1")  # the vaccine: doses come first; the empty bandages are not offered
        await settle(pilot)
        assert isinstance(app.screen, StockUseModal)
        assert app.screen.query_one("#visit", Select).value != "none"  # the patient's visit, chosen already
        await type_text(pilot, "1")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert ("Influenza vaccine: 1 taken: lot FLU9 x1. 90686 x1 with its administration 90471, for Z23 added to "
                "the visit's charges.") in messages(app)
    with_charge = EncounterService(as_role("billing")).for_visit(visit.id)
    assert [line.code for line in with_charge.lines] == ["90686", "90471"]
    assert [(g.lot_number, g.quantity) for g in with_charge.given] == [("FLU9", 1)]
