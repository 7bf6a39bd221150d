"""Money as typed, turned into exact Decimals (never floats): the one reader for every amount
the console and the CLI take, at the desk, in the fee schedule, in imports and on remittances.

What is read (outer spaces are trimmed first):

- digits 0-9, with an optional `$` in front (a space after the `$` is fine): `20`, `$20.00`, `$ 20`;
- thousands separated by commas in groups of three only: `1,250.50`, `12,345`;
- at most two decimals after a point: `20.5`, `20.50`, `.50` (50 cents);
- a minus sign (`-25.00`, `-$25.00`, `$-25.00`) or accounting parentheses (`(25.00)`) only where a
  field takes negative figures (an insurer's take-back, an opening credit).

Everything else is refused with a message that says how to type it: a comma as the decimal mark
(`20,00`, `12,50`, `1,25`), separators out of place (`1,2345`), three or more decimals (`0.001`),
a point with nothing after it (`12.`), spaces inside (`1 000`), exponents (`1e2`), `nan` and
`inf`, digits other than 0-9 (full-width `１２`), and anything above the field's maximum. Every
maximum fits the money columns (Numeric(12, 2): up to 9,999,999,999.99) on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from decimal import Decimal

from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.text import clean_text

CENT = Decimal("0.01")
EXAMPLE = "20.00 or 1,250.50"
# The largest figure a money column holds: every one is Numeric(12, 2) (db/base.py and the models).
COLUMN_MAX = Decimal("9999999999.99")
# The largest figure each kind of field takes: above it is a typing slip, not money.
PAYMENT_MAX = Decimal("99999.99")  # taken at the desk (payment, copay at check-in), a patient write-off
FEE_MAX = Decimal("99999.99")  # a fee on the fee schedule
COPAY_MAX = Decimal("9999.99")  # a policy's copay
UNIT_COST_MAX = Decimal("99999.99")  # what one unit of stock costs
SIGNED_MAX = Decimal("999999.99")  # an insurer's figure on a claim line, a drawer count, a threshold
BALANCE_MAX = Decimal("999999.99")  # an opening balance brought over from another system

_NUMBER = r"(?P<whole>[0-9]+|[1-9][0-9]{0,2}(?:,[0-9]{3})+)?"
_AMOUNT = re.compile(r"(?P<minus>-)?(?:\$ ?)?(?P<minus2>-)?" + _NUMBER + r"(?:\.(?P<cents>[0-9]{1,2}))?", re.ASCII)
_PREFIX = r"-?(?:\$ ?)?-?"
_COMMA_DECIMAL = re.compile(_PREFIX + r"(?P<whole>[0-9]+),(?P<cents>[0-9]{1,2})", re.ASCII)
_POINT_THOUSANDS = re.compile(_PREFIX + r"(?P<whole>[1-9][0-9]{0,2}(?:\.[0-9]{3})+),(?P<cents>[0-9]{1,2})", re.ASCII)
_TRAILING_POINT = re.compile(_PREFIX + r"(?P<whole>[0-9]+|[1-9][0-9]{0,2}(?:,[0-9]{3})+)\.", re.ASCII)
_LONG_CENTS = re.compile(_PREFIX + _NUMBER + r"\.(?P<cents>[0-9]{3,})", re.ASCII)


def _label(field: str) -> str:
    return field.replace("_", " ").capitalize()


def _shown(text: str) -> str:
    shown = clean_text(text)
    return shown if len(shown) <= 30 else shown[:29] + "…"


def _format_problem(text: str) -> str:
    """What is wrong with a typed amount the grammar refused, and how to type it instead."""
    if any(ch.isdigit() and not ch.isascii() for ch in text):
        return f"type the digits 0-9, like {EXAMPLE}"
    if any(ch.isspace() for ch in text.replace("$ ", "$", 1)) and re.fullmatch(r"[-$0-9.,()\s]+", text):
        return f"no spaces inside an amount; type it like {EXAMPLE}"
    if m := _COMMA_DECIMAL.fullmatch(text):
        return (f"write cents after a point ({m['whole']}.{m['cents']}); a comma only separates thousands "
                "(1,250.00)")
    if m := _POINT_THOUSANDS.fullmatch(text):
        return f"write thousands with a comma and cents after a point ({m['whole'].replace('.', ',')}.{m['cents']})"
    if m := _TRAILING_POINT.fullmatch(text):
        return f"type the cents after the point, or no point ({m['whole']} or {m['whole']}.00)"
    if m := _LONG_CENTS.fullmatch(text):
        european = len(m["cents"]) == 3 and re.fullmatch(r"[1-9][0-9]{0,2}", m["whole"] or "")  # 1.234 for 1,234
        hint = "; write thousands with a comma (1,234.00)" if european else ""
        return f"at most two decimals (cents){hint}"
    return ""


def read_amount(value: str | Decimal | int | None, field: str = "amount", *, maximum: Decimal,
                label: str | None = None, zero: bool = False, negative: bool = False,
                blank: Decimal | None = None, note: str = "") -> Decimal:
    """The one reader of amounts: `value` as typed (or a Decimal / int from code) -> Decimal with
    cents, or ValidationError({field: message}). `zero` and `negative` allow those figures;
    `blank` is the figure for an empty field (None: the field is required); `note` follows the
    refusal of a negative or zero figure (why it is not taken here)."""
    name = label or _label(field)

    def refuse(message: str) -> ValidationError:
        return ValidationError({field: message})

    if maximum > COLUMN_MAX:
        raise ValueError(f"{field}: a maximum of {maximum} does not fit the money columns")
    if isinstance(value, bool) or not isinstance(value, str | Decimal | int | None):
        raise TypeError(f"{field}: an amount is text, a Decimal or an int, never {type(value).__name__}")
    if isinstance(value, Decimal | int):
        amount = Decimal(value)
        shown = _shown(format(amount, "f") if amount.is_finite() else str(amount))
        if not amount.is_finite():
            raise refuse(f"{name} {shown} is not an amount: type an amount like {EXAMPLE}.")
    else:
        text = (value or "").strip()
        if not text:
            if blank is not None:
                return blank
            raise refuse(f"{name} is required: type an amount like {EXAMPLE}.")
        shown = _shown(text)
        inner, parenthesised = text, False
        if negative and len(text) > 2 and text[0] == "(" and text[-1] == ")":
            inner, parenthesised = text[1:-1], True
        m = _AMOUNT.fullmatch(inner)
        if not m or not (m["whole"] or m["cents"]) or (m["minus"] and m["minus2"]) or (
                parenthesised and (m["minus"] or m["minus2"])):
            problem = _format_problem(inner)
            if problem:
                raise refuse(f"{name} {shown}: {problem}.")
            raise refuse(f"{name} {shown} is not an amount: type an amount like {EXAMPLE}.")
        amount = Decimal(f"{(m['whole'] or '0').replace(',', '')}.{m['cents'] or '0'}")
        if m["minus"] or m["minus2"] or parenthesised:
            amount = -amount
    if amount < 0 and not negative:
        raise refuse(f"{name} {shown}: " + ("cannot be negative" if zero else "must be more than zero")
                     + (f" {note}" if note else "") + ".")
    if abs(amount) > maximum:
        beyond = f"less than {money(-maximum)}" if amount < 0 else f"more than {money(maximum)}"
        raise refuse(f"{name} {shown}: {beyond} is surely a typing slip; check the figure.")
    if amount != amount.quantize(CENT):
        raise refuse(f"{name} {shown}: at most two decimals (cents).")
    if amount == 0 and not zero:
        raise refuse(f"{name} {shown}: must be more than zero" + (f" {note}" if note else "") + ".")
    return amount.quantize(CENT) if amount else Decimal("0.00")  # never -0.00


def parse_amount(value: str | Decimal | int | None, field: str = "amount", *,
                 maximum: Decimal = PAYMENT_MAX, label: str | None = None) -> Decimal:
    """Money a patient pays or is let off: '25', '$25.00', '1,250.5' -> Decimal('25.00').
    Refuses zero and negatives (a refund is a void), fractions of a cent, and above `maximum`."""
    return read_amount(value, field, maximum=maximum, label=label,
                       note="(a refund is a void, not a negative payment)")


def parse_signed(value: str | Decimal | int | None, field: str = "amount", *,
                 maximum: Decimal = SIGNED_MAX, label: str | None = None) -> Decimal:
    """An insurer's figure: zero and negatives allowed (a payer takes money back), cents only;
    an empty field is zero."""
    return read_amount(value, field, maximum=maximum, label=label, zero=True, negative=True, blank=Decimal("0.00"))


def money(amount: Decimal | None) -> str:
    """Decimal('-25.5') -> '-$25.50'."""
    if amount is None:
        return "-"
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"
