"""What the inventory forms hand in, and checking it: an item's fields, whole quantities, expiry dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from officeconsole.models.inventory import ItemCategory
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.money import UNIT_COST_MAX, read_amount
from officeconsole.services.common.text import clean_text, parse_date, search_key

TRACKED = (ItemCategory.VACCINE, ItemCategory.MEDICATION)  # lot and expiry required


@dataclass(frozen=True)
class ItemInput:
    name: str
    category: str
    unit: str = "each"
    code: str = ""
    vendor: str = ""
    unit_cost: str | Decimal = "0"
    reorder_point: int | str = 0
    par_level: int | str = 0
    storage: str = ""
    billing_code: str = ""


@dataclass(frozen=True)
class ReceiveLine:
    item_id: int
    quantity: int | str
    lot_number: str = ""
    expires_on: str | dt.date | None = ""
    location: str = "Main"
    unit_cost: str | Decimal | None = None


@dataclass(frozen=True)
class CountLine:
    lot_id: int
    counted: int | str


def item_fields(data: ItemInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = clean_text(data.name, 120)
    if not name:
        errors["name"] = "Name the item."
    if data.category not in {c.value for c in ItemCategory}:
        errors["category"] = "Choose the category: supply, vaccine, medication or equipment."
    levels = {}
    for field_name in ("reorder_point", "par_level"):
        try:
            levels[field_name] = parse_quantity(getattr(data, field_name), field_name, allow_zero=True)
        except ValidationError as exc:
            errors.update(exc.errors)
    if len(levels) == 2 and levels["par_level"] < levels["reorder_point"]:
        errors["par_level"] = "The par level (order up to) is at least the reorder point."
    try:
        cost = unit_cost(data.unit_cost or "0")
    except ValidationError as exc:
        cost = Decimal(0)
        errors.update(exc.errors)
    billing = clean_text(data.billing_code).upper()
    if billing and not (len(billing) == 5 and billing[1:].isdigit()):
        errors["billing_code"] = "A billing code is a CPT or HCPCS code, e.g. 90686 or J1100."
    if errors:
        raise ValidationError(errors)
    return {"name": name, "name_key": search_key(name), "category": data.category,
            "unit": clean_text(data.unit, 20) or "each", "code": clean_text(data.code, 20),
            "vendor": clean_text(data.vendor, 80), "unit_cost": cost, "storage": clean_text(data.storage, 40),
            "billing_code": billing, **levels}


def unit_cost(value: str | Decimal | int | None, label: str = "Unit cost") -> Decimal:
    """What one unit costs: zero (free samples) up to UNIT_COST_MAX, never negative."""
    return read_amount(value, "unit_cost", label=label, maximum=UNIT_COST_MAX, zero=True)


def parse_quantity(value: int | str, label: str, allow_zero: bool = False) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError({label: f"{label.replace('_', ' ').capitalize()}: {value!r} is not a whole number."}) from None
    if number < 0 or (number == 0 and not allow_zero):
        raise ValidationError({label: f"{label.replace('_', ' ').capitalize()}: give a quantity above zero."
                               if not allow_zero else f"{label.replace('_', ' ').capitalize()} cannot be negative."})
    return number


def parse_expiry(value: str | dt.date | None, label: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise ValidationError({label: f"{label.capitalize()}: expiry {exc}."}) from None
