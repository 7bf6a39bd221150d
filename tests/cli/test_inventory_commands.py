"""`officeconsole inventory low|expiring|valuation|count-sheet|order`."""

from __future__ import annotations

from officeconsole.services.frontdesk.ledger import new_request_key
from officeconsole.services.stock.inventory import InventoryService, ItemInput, ReceiveLine


def test_inventory_reports(cli, db_url, clinic, manager_ctx):
    stock = InventoryService(manager_ctx)
    gloves = stock.add_item(ItemInput("Gloves", "supply", "box", vendor="Medline", unit_cost="7.25",
                                      reorder_point=10, par_level=40)).id
    flu = stock.add_item(ItemInput("Flu vaccine", "vaccine", "dose", vendor="Sanofi", unit_cost="18.50",
                                   reorder_point=2, par_level=20, billing_code="90686")).id
    stock.receive([ReceiveLine(gloves, 4), ReceiveLine(flu, 6, "F1", "2026-12-10")], new_request_key())
    low = cli("--db", db_url, "inventory", "low", "--format", "csv", "--as", "desk")
    assert low.exit_code == 0 and low.stdout.splitlines()[1:] == ["Gloves,supply,4,box,10,40,Medline"]
    soon = cli("--db", db_url, "inventory", "expiring", "--days", "30", "--format", "csv", "--as", "desk")
    assert "Flu vaccine,F1,12/10/2026,17,6,Main" in soon.stdout
    value = cli("--db", db_url, "inventory", "valuation", "--format", "csv", "--as", "manager")
    assert "supply,$29.00" in value.stdout and "vaccine,$111.00" in value.stdout and "total,$140.00" in value.stdout
    sheet = cli("--db", db_url, "inventory", "count-sheet", "--as", "manager")
    assert sheet.stdout.splitlines()[0] == "Lot id,Item,Lot,Expires,Location,Expected,Counted"
    assert ",Flu vaccine,F1,2026-12-10,Main,6," in sheet.stdout
    order = cli("--db", db_url, "inventory", "order", "--as", "manager")
    assert order.stdout.splitlines()[1:] == ["Medline,Gloves,,4,36,7.25,261.00"]
    bad = cli("--db", db_url, "inventory", "expiring", "--days", "-4", "--as", "desk")
    assert bad.exit_code != 0 and "Traceback" not in bad.text
