"""Money as typed at the desk, turned into exact Decimals (never floats)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from officeconsole.services.errors import ValidationError

CENT = Decimal("0.01")
LIMIT = Decimal("100000")


def parse_amount(value: str | Decimal | int | None, field: str = "amount") -> Decimal:
    """'25', '$25.00', '1,250.5' -> Decimal('25.00'); refuses zero, negatives, fractions of a cent."""
    text = str(value if value is not None else "").strip().replace(",", "").lstrip("$").strip()
    if not text:
        raise ValidationError({field: "Amount is required."})
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError({field: f"{value!s} is not an amount: type e.g. 25 or 25.00."}) from None
    if not amount.is_finite():
        raise ValidationError({field: f"{value!s} is not an amount: type e.g. 25 or 25.00."})
    if amount <= 0:
        raise ValidationError({field: "The amount must be more than zero (a refund is a void, not a negative payment)."})
    if amount != amount.quantize(CENT):
        raise ValidationError({field: "Amounts have at most two decimals (cents)."})
    if amount >= LIMIT:
        raise ValidationError({field: "That amount is too large for a desk payment: check the figure."})
    return amount.quantize(CENT)


def parse_signed(value: str | Decimal | int | None, field: str = "amount") -> Decimal:
    """An insurer's figure: zero and negatives allowed (a payer takes money back), cents only."""
    text = str(value if value is not None else "").strip().replace(",", "").replace("$", "").strip()
    try:
        amount = Decimal(text or "0")
    except InvalidOperation:
        raise ValidationError({field: f"{value!s} is not an amount: type e.g. 80 or 80.00."}) from None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise ValidationError({field: f"{value!s} is not an amount in dollars and cents."})
    if abs(amount) >= LIMIT * 10:
        raise ValidationError({field: f"{value!s} is too large for one claim line: check the figure."})
    return amount.quantize(CENT)


def money(amount: Decimal | None) -> str:
    """Decimal('-25.5') -> '-$25.50'."""
    if amount is None:
        return "-"
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"
