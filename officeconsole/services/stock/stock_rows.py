"""What the inventory service hands to screens and commands: items, lots, what was taken, what to order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from officeconsole.models import InventoryItem


@dataclass(frozen=True)
class ItemRow:
    id: int
    name: str
    category: str
    unit: str
    code: str
    vendor: str
    unit_cost: Decimal
    reorder_point: int
    par_level: int
    storage: str
    billing_code: str
    on_hand: int
    next_expiry: dt.date | None

    @property
    def low(self) -> bool:
        return self.on_hand <= self.reorder_point


@dataclass(frozen=True)
class LotRow:
    id: int
    item_id: int
    item: str
    lot_number: str
    expires_on: dt.date | None
    location: str
    on_hand: int
    days_left: int | None  # negative once expired


@dataclass(frozen=True)
class Taken:
    lot_number: str
    expires_on: dt.date | None
    quantity: int


@dataclass(frozen=True)
class UseResult:
    item: str
    taken: list[Taken]
    charge: str = ""  # "90686 added to the visit's encounter" or why it was not


@dataclass(frozen=True)
class Suggestion:
    vendor: str
    item_id: int
    item: str
    code: str
    on_hand: int
    reorder_point: int
    par_level: int
    order: int
    unit_cost: Decimal

    @property
    def cost(self) -> Decimal:
        return self.unit_cost * self.order


@dataclass(frozen=True)
class VisitChoice:
    """A visit of today's that stock can be given at: it has an encounter (the patient came)."""

    encounter_id: int
    patient_id: int
    appointment_id: int
    label: str  # "09:20 Rivera, Ana (MRN 100123) · Dr. Patel"


@dataclass
class CountResult:
    adjusted: list[tuple[str, str, int]] = field(default_factory=list)  # item, lot, difference


def item_row(item: InventoryItem, on_hand: int, next_expiry: dt.date | None) -> ItemRow:
    return ItemRow(item.id, item.name, item.category, item.unit, item.code, item.vendor, item.unit_cost,
                   item.reorder_point, item.par_level, item.storage, item.billing_code, on_hand, next_expiry)
