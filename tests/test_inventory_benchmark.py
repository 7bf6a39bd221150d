"""The inventory benchmark's stock: generated once, every lot's on-hand the sum of its movements,
never below zero along the way, and the states the screen shows all present."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from benchmarks import inventory
from officeconsole.models import InventoryLot, StockMovement
from officeconsole.services.stock.inventory import InventoryService


def test_stock_generator_balances_every_lot_and_runs_once(manager_ctx, clinic):
    held = inventory.ensure_inventory(manager_ctx.db, manager_ctx, items=300, movements=3_000)
    assert held["items"] == 300 and held["movements"] == 3_000
    assert held["unbalanced_lots"] == 0
    assert held["lots"] >= 300 and held["expired_in_stock"] and held["expiring_30_days"] and held["low_items"]
    assert inventory.ensure_inventory(manager_ctx.db, manager_ctx, items=300, movements=3_000) == held

    with manager_ctx.db.read() as session:
        moves = session.execute(select(StockMovement.lot_id, StockMovement.kind, StockMovement.quantity)
                                .order_by(StockMovement.lot_id, StockMovement.at, StockMovement.id)).all()
        on_hand = dict(session.execute(select(InventoryLot.id, InventoryLot.on_hand)).all())
    assert set(Counter(kind for _, kind, _ in moves)) == {"receive", "use", "adjust", "waste", "transfer"}
    running: Counter[int] = Counter()
    for lot_id, _, quantity in moves:
        running[lot_id] += quantity
        assert running[lot_id] >= 0, f"lot {lot_id} went below zero"
    assert {lot: running[lot] for lot in on_hand} == on_hand

    stock = InventoryService(manager_ctx)
    items = stock.items(limit=1_000)
    assert sum(i.on_hand for i in items) == sum(on_hand.values())
    assert len(stock.items(low_only=True, limit=1_000)) == held["low_items"]

    reads = inventory.measure_services(manager_ctx, runs=2)
    assert set(reads) == {"items()", "lots(within_days=30)", "items(low_only=True)", "lots(item_id)",
                          "items(search=prefix)"}
    assert all(p95 >= p50 > 0 for (p50, p95), _, _ in reads.values())
