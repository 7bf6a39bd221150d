"""The inventory's SQL pieces: an item's columns, and its on hand and next expiry, correlated to the
item row (for a page of items) or grouped over every lot (one pass, for all items at once)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ScalarSelect, Subquery, func, select
from sqlalchemy.orm import InstrumentedAttribute

from officeconsole.models import InventoryItem, InventoryLot


def item_columns() -> tuple[InstrumentedAttribute[Any], ...]:
    """The item's columns in ItemRow's order (on hand and next expiry follow)."""
    return (InventoryItem.id, InventoryItem.name, InventoryItem.category, InventoryItem.unit, InventoryItem.code,
            InventoryItem.vendor, InventoryItem.unit_cost, InventoryItem.reorder_point, InventoryItem.par_level,
            InventoryItem.storage, InventoryItem.billing_code)


def lots_on_hand() -> ScalarSelect[int]:
    """The item's units on hand across its lots (0 without lots), correlated to the item row."""
    return (select(func.coalesce(func.sum(InventoryLot.on_hand), 0)).where(InventoryLot.item_id == InventoryItem.id)
            .correlate(InventoryItem).scalar_subquery())


def next_expiry(today: dt.date) -> ScalarSelect[dt.date | None]:
    """The item's first expiry still ahead among lots in stock, correlated to the item row."""
    return (select(func.min(InventoryLot.expires_on))
            .where(InventoryLot.item_id == InventoryItem.id, InventoryLot.on_hand > 0, InventoryLot.expires_on >= today)
            .correlate(InventoryItem).scalar_subquery())


def stock_by_item(today: dt.date) -> Subquery:
    """Every item's units on hand and first expiry still ahead, in one grouped pass over the lots."""
    return (select(InventoryLot.item_id, func.sum(InventoryLot.on_hand).label("on_hand"),
                   func.min(InventoryLot.expires_on).filter(InventoryLot.on_hand > 0,
                                                            InventoryLot.expires_on >= today).label("next_expiry"))
            .group_by(InventoryLot.item_id).subquery())
