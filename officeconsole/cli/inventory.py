"""`officeconsole inventory low|expiring|valuation|count-sheet|order`: stock from a terminal."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer

from officeconsole.cli._common import AsOption, DbOption, Format, FormatOption, emit, open_db, say, signed_in
from officeconsole.services.common.money import money
from officeconsole.services.stock.inventory import InventoryService

inventory_app = typer.Typer(help="Supplies, vaccines and medicines: stock, expiry, what to order.",
                            no_args_is_help=True)


def _service(ctx: typer.Context, db: str | None, as_user: str) -> InventoryService:
    return InventoryService(signed_in(open_db(ctx, db), as_user))


@inventory_app.command("low")
def low(ctx: typer.Context, as_user: AsOption, db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """Items at or below their reorder point."""
    rows = _service(ctx, db, as_user).items(low_only=True, limit=100_000)
    emit(["Item", "Category", "On hand", "Unit", "Reorder at", "Par", "Vendor"],
         [(i.name, i.category, i.on_hand, i.unit, i.reorder_point, i.par_level, i.vendor) for i in rows], fmt,
         title="Low stock")


@inventory_app.command("expiring")
def expiring(ctx: typer.Context, as_user: AsOption,
             days: Annotated[int, typer.Option("--days", min=0, max=730, help="Within this many days.")] = 30,
             db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """Lots in stock that expire within the days given, expired ones first."""
    rows = _service(ctx, db, as_user).lots(within_days=days)
    emit(["Item", "Lot", "Expires", "Days left", "On hand", "Location"],
         [(r.item, r.lot_number, f"{r.expires_on:%m/%d/%Y}", "EXPIRED" if r.days_left < 0 else r.days_left, r.on_hand,
           r.location) for r in rows], fmt, title=f"Expiring within {days} days")


@inventory_app.command("valuation")
def valuation(ctx: typer.Context, as_user: AsOption, db: DbOption = None, fmt: FormatOption = Format.table) -> None:
    """What the stock on the shelves is worth, by category (on hand x unit cost)."""
    values = _service(ctx, db, as_user).valuation()
    total = sum(values.values(), Decimal(0))
    emit(["Category", "Value"], [(c, money(v)) for c, v in sorted(values.items())] + [("total", money(total))], fmt,
         title="Stock valuation")


@inventory_app.command("count-sheet")
def count_sheet(ctx: typer.Context, as_user: AsOption, db: DbOption = None, fmt: FormatOption = Format.csv) -> None:
    """Every lot in stock with what the books expect, and a blank column to write the count in."""
    rows = _service(ctx, db, as_user).lots()
    emit(["Lot id", "Item", "Lot", "Expires", "Location", "Expected", "Counted"],
         [(r.id, r.item, r.lot_number, f"{r.expires_on:%Y-%m-%d}" if r.expires_on else "", r.location, r.on_hand, "")
          for r in sorted(rows, key=lambda r: (r.location, r.item, r.lot_number))], fmt, title="Count sheet")


@inventory_app.command("order")
def order(ctx: typer.Context, as_user: AsOption, db: DbOption = None, fmt: FormatOption = Format.csv) -> None:
    """The purchase suggestion: items below their reorder point, ordered up to par, by vendor."""
    rows = _service(ctx, db, as_user).suggestions()
    emit(["Vendor", "Item", "Code", "On hand", "Order", "Unit cost", "Cost"],
         [(s.vendor, s.item, s.code, s.on_hand, s.order, f"{s.unit_cost:.2f}", f"{s.cost:.2f}") for s in rows], fmt,
         title="Purchase suggestion")
    if fmt is Format.table:
        say(f"{len(rows)} lines, {money(sum((s.cost for s in rows), Decimal(0)))} in all.")
