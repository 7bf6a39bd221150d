"""Inventory: items, their lots, and every stock change as an append-only movement.

A lot's `on_hand` is kept with each movement in the same transaction and can never go
below zero (a CHECK constraint, and the conditional UPDATE the service uses), so two
consoles taking the last unit cannot both succeed. The movements add up to it; a test
checks they always do.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from officeconsole.db.base import Base
from officeconsole.db.types import search_key_type
from officeconsole.models.enums import check_in


class ItemCategory(StrEnum):
    SUPPLY = "supply"
    VACCINE = "vaccine"
    MEDICATION = "medication"
    EQUIPMENT = "equipment"


class MovementKind(StrEnum):
    RECEIVE = "receive"
    USE = "use"
    ADJUST = "adjust"  # a count's difference or a correction, with a reason
    WASTE = "waste"  # expired, broken, contaminated: with a reason (and a witness when expired)
    TRANSFER = "transfer"  # out of one location, into another (two movements)


class InventoryItem(Base):
    __tablename__ = "inventory_item"
    __table_args__ = (
        CheckConstraint(check_in("category", ItemCategory), name="category"),
        CheckConstraint("reorder_point >= 0 AND par_level >= reorder_point", name="levels"),
        CheckConstraint("unit_cost >= 0", name="cost"),
        Index("ix_inventory_item_name_key", "name_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(search_key_type(120))  # lower-case, accents off: the search
    category: Mapped[str] = mapped_column(String(12))
    unit: Mapped[str] = mapped_column(String(20), default="each")  # box, vial, dose, pair
    code: Mapped[str] = mapped_column(String(20), default="")  # NDC or the vendor's SKU
    vendor: Mapped[str] = mapped_column(String(80), default="")
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    reorder_point: Mapped[int] = mapped_column(Integer, default=0)
    par_level: Mapped[int] = mapped_column(Integer, default=0)
    storage: Mapped[str] = mapped_column(String(40), default="")  # "refrigerated 2-8 °C"
    billing_code: Mapped[str] = mapped_column(String(5), default="")  # HCPCS/CPT for vaccines and drugs
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime]


class InventoryLot(Base):
    __tablename__ = "inventory_lot"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="never_negative"),
        UniqueConstraint("item_id", "lot_number", "location"),
        Index("ix_inventory_lot_item_expiry", "item_id", "expires_on"),
        Index("ix_inventory_lot_expiry", "expires_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("inventory_item.id"))
    lot_number: Mapped[str] = mapped_column(String(40))  # "" for items not tracked by lot
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    location: Mapped[str] = mapped_column(String(40), default="Main")
    on_hand: Mapped[int] = mapped_column(Integer, default=0)


class StockMovement(Base):
    """Append-only: a correction is a new movement, never an edit."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        CheckConstraint(check_in("kind", MovementKind), name="kind"),
        CheckConstraint("quantity <> 0", name="not_zero"),
        Index("ix_stock_movement_lot", "lot_id", "at"),
        Index("ix_stock_movement_item", "item_id", "at"),
        Index("ix_stock_movement_patient", "patient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("inventory_item.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("inventory_lot.id"))
    kind: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[int] = mapped_column(Integer)  # + in, - out
    reason: Mapped[str] = mapped_column(String(200), default="")
    witness_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounter.id"))
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[dt.datetime]
    request_key: Mapped[str] = mapped_column(String(40), unique=True)  # a second press finds the first
