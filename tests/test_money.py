"""The one amount reader (`services/common/money.py`): what is taken, what is refused and what the
refusal says, field by field; and that every field's maximum fits the money columns on both
engines (a figure above Numeric(12, 2) overflows on PostgreSQL and is silently kept on SQLite)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Numeric, select
from sqlalchemy.exc import DataError

from officeconsole.db.base import Base
from officeconsole.models import FeeScheduleItem
from officeconsole.services.common.errors import ValidationError
from officeconsole.services.common.money import (
    BALANCE_MAX,
    COLUMN_MAX,
    COPAY_MAX,
    FEE_MAX,
    PAYMENT_MAX,
    SIGNED_MAX,
    UNIT_COST_MAX,
    parse_amount,
    parse_signed,
    read_amount,
)

from tests.conftest import engine_name

HOW = "type an amount like 20.00 or 1,250.50."

# A desk payment (parse_amount): more than zero, up to $99,999.99. Each row is a decision.
TAKEN = [
    ("20", "20.00"),
    ("20.00", "20.00"),
    ("20.5", "20.50"),  # one decimal is tenths: 20.50
    ("$20.00", "20.00"),
    ("$ 20", "20.00"),  # a space after the dollar sign is how some people type it
    ("1,250.50", "1250.50"),  # thousands in groups of three
    ("$1,250.50", "1250.50"),
    ("12,345", "12345.00"),
    (" 12 ", "12.00"),  # spaces around the figure are trimmed (a pasted value)
    ("\u00a012\t", "12.00"),  # so are other blanks around it
    (".5", "0.50"),  # fifty cents, the way a calculator shows it
    ("0.01", "0.01"),  # the smallest payment
    ("007", "7.00"),  # leading zeros change nothing
    ("99,999.99", "99999.99"),  # the desk maximum itself
    (Decimal("12.500"), "12.50"),  # from code, a Decimal is judged by its value
    (Decimal("1E+2"), "100.00"),
    (25, "25.00"),
]

REFUSED = [
    ("20,00", "Amount 20,00: write cents after a point (20.00); a comma only separates thousands (1,250.00)."),
    ("12,50", "Amount 12,50: write cents after a point (12.50); a comma only separates thousands (1,250.00)."),
    ("1,25", "Amount 1,25: write cents after a point (1.25); a comma only separates thousands (1,250.00)."),
    ("1.250,50", "Amount 1.250,50: write thousands with a comma and cents after a point (1,250.50)."),
    ("1,2345", f"Amount 1,2345 is not an amount: {HOW}"),  # separators out of place
    ("12,34,567", f"Amount 12,34,567 is not an amount: {HOW}"),
    ("0,123", f"Amount 0,123 is not an amount: {HOW}"),
    ("1e2", f"Amount 1e2 is not an amount: {HOW}"),  # no exponents
    ("1E2", f"Amount 1E2 is not an amount: {HOW}"),
    ("nan", f"Amount nan is not an amount: {HOW}"),
    ("NaN", f"Amount NaN is not an amount: {HOW}"),
    ("inf", f"Amount inf is not an amount: {HOW}"),
    ("-Infinity", f"Amount -Infinity is not an amount: {HOW}"),
    ("0x10", f"Amount 0x10 is not an amount: {HOW}"),
    ("1_000", f"Amount 1_000 is not an amount: {HOW}"),  # Python's digit separator is not ours
    ("+5", f"Amount +5 is not an amount: {HOW}"),  # one way to type a positive figure
    ("$$5", f"Amount $$5 is not an amount: {HOW}"),
    ("5$", f"Amount 5$ is not an amount: {HOW}"),
    ("USD 5", f"Amount USD 5 is not an amount: {HOW}"),
    ("twenty", f"Amount twenty is not an amount: {HOW}"),
    (".", f"Amount . is not an amount: {HOW}"),
    ("$", f"Amount $ is not an amount: {HOW}"),
    ("(25.00)", f"Amount (25.00) is not an amount: {HOW}"),  # parentheses only where credits are taken
    ("1 000", "Amount 1 000: no spaces inside an amount; type it like 20.00 or 1,250.50."),
    ("12 50", "Amount 12 50: no spaces inside an amount; type it like 20.00 or 1,250.50."),
    ("１２", "Amount １２: type the digits 0-9, like 20.00 or 1,250.50."),  # full-width digits
    ("٥", "Amount ٥: type the digits 0-9, like 20.00 or 1,250.50."),  # Arabic-Indic five
    ("12.", "Amount 12.: type the cents after the point, or no point (12 or 12.00)."),  # unfinished
    ("0.001", "Amount 0.001: at most two decimals (cents)."),
    ("12.345", "Amount 12.345: at most two decimals (cents); write thousands with a comma (1,234.00)."),
    ("1,250.505", "Amount 1,250.505: at most two decimals (cents)."),
    ("-5", "Amount -5: must be more than zero (a refund is a void, not a negative payment)."),
    ("-$5", "Amount -$5: must be more than zero (a refund is a void, not a negative payment)."),
    ("0", "Amount 0: must be more than zero (a refund is a void, not a negative payment)."),
    ("0.00", "Amount 0.00: must be more than zero (a refund is a void, not a negative payment)."),
    ("100000", "Amount 100000: more than $99,999.99 is surely a typing slip; check the figure."),
    ("999999999999.99", "Amount 999999999999.99: more than $99,999.99 is surely a typing slip; check the figure."),
    ("", f"Amount is required: {HOW}"),
    ("   ", f"Amount is required: {HOW}"),
    (None, f"Amount is required: {HOW}"),
    (Decimal("NaN"), f"Amount NaN is not an amount: {HOW}"),
    (Decimal("Infinity"), f"Amount Infinity is not an amount: {HOW}"),
    (Decimal("0.001"), "Amount 0.001: at most two decimals (cents)."),
]


@pytest.mark.parametrize(("typed", "amount"), TAKEN)
def test_a_desk_amount_is_read_exactly(typed, amount):
    read = parse_amount(typed)
    assert read == Decimal(amount) and str(read) == amount  # always two decimals


@pytest.mark.parametrize(("typed", "message"), REFUSED)
def test_a_desk_amount_is_refused_with_how_to_type_it(typed, message):
    with pytest.raises(ValidationError) as refused:
        parse_amount(typed)
    assert refused.value.errors == {"amount": message}


# An insurer's figure (parse_signed): zero and negatives taken, an empty field is zero.
@pytest.mark.parametrize(("typed", "amount"), [
    ("-5", "-5.00"), ("-$5", "-5.00"), ("$-5", "-5.00"), ("(25.00)", "-25.00"), ("($1,250.00)", "-1250.00"),
    ("0", "0.00"), ("-0", "0.00"), ("", "0.00"), ("999,999.99", "999999.99"), ("-999999.99", "-999999.99"),
])
def test_an_insurers_figure_may_be_zero_or_negative(typed, amount):
    read = parse_signed(typed, "paid")
    assert read == Decimal(amount) and str(read) == amount


@pytest.mark.parametrize(("typed", "message"), [
    ("--5", f"Paid --5 is not an amount: {HOW}"),
    ("-$-5", f"Paid -$-5 is not an amount: {HOW}"),
    ("(-5)", f"Paid (-5) is not an amount: {HOW}"),
    ("( 25 )", "Paid ( 25 ): no spaces inside an amount; type it like 20.00 or 1,250.50."),
    ("-20,00", "Paid -20,00: write cents after a point (20.00); a comma only separates thousands (1,250.00)."),
    ("-1e2", f"Paid -1e2 is not an amount: {HOW}"),
    ("1000000", "Paid 1000000: more than $999,999.99 is surely a typing slip; check the figure."),
    ("-1,000,000", "Paid -1,000,000: less than -$999,999.99 is surely a typing slip; check the figure."),
])
def test_an_insurers_figure_is_read_as_strictly(typed, message):
    with pytest.raises(ValidationError) as refused:
        parse_signed(typed, "paid")
    assert refused.value.errors == {"paid": message}


def test_a_field_that_takes_zero_refuses_negatives_in_its_own_words():
    assert read_amount("0", "fee", maximum=FEE_MAX, zero=True) == Decimal("0.00")
    with pytest.raises(ValidationError) as refused:
        read_amount("-5", "unit_cost", maximum=UNIT_COST_MAX, zero=True)
    assert refused.value.errors == {"unit_cost": "Unit cost -5: cannot be negative."}
    with pytest.raises(ValidationError) as refused:
        read_amount("10,000", "copay", maximum=COPAY_MAX, zero=True)
    assert refused.value.errors == {"copay": "Copay 10,000: more than $9,999.99 is surely a typing slip; "
                                              "check the figure."}


def test_floats_never_reach_an_amount():
    with pytest.raises(TypeError):
        parse_amount(0.1 + 0.2)


def test_no_maximum_may_exceed_the_columns():
    with pytest.raises(ValueError):
        read_amount("1", maximum=COLUMN_MAX + Decimal("0.01"))


def test_every_maximum_fits_every_money_column():
    """Every Numeric column keeps cents and holds COLUMN_MAX, and no field takes more than that."""
    columns = [(t.name, c.name, c.type) for t in Base.metadata.tables.values() for c in t.columns
               if isinstance(c.type, Numeric)]
    assert len(columns) >= 15
    for table, column, kind in columns:
        assert kind.scale == 2, (table, column)
        largest = Decimal(10) ** (kind.precision - kind.scale) - Decimal("0.01")
        assert largest >= COLUMN_MAX, (table, column, kind)
    assert COLUMN_MAX == Decimal("9999999999.99")  # Numeric(12, 2)
    for maximum in (PAYMENT_MAX, FEE_MAX, COPAY_MAX, UNIT_COST_MAX, SIGNED_MAX, BALANCE_MAX):
        assert maximum <= COLUMN_MAX


def test_the_column_maximum_is_what_the_database_holds(ctx):
    """COLUMN_MAX is stored and read back on both engines; a cent more overflows on PostgreSQL
    (SQLite would keep it): that is why the reader refuses above a field's maximum."""
    with ctx.db.write() as session:
        session.add(FeeScheduleItem(code="99213", kind="cpt", description="Visit", fee=COLUMN_MAX,
                                    updated_at=ctx.now()))
    with ctx.db.read() as session:
        assert session.scalar(select(FeeScheduleItem.fee)) == COLUMN_MAX
    if engine_name() == "postgresql":
        with pytest.raises(DataError, match="numeric field overflow"), ctx.db.write() as session:
            session.add(FeeScheduleItem(code="99214", kind="cpt", description="Visit",
                                        fee=COLUMN_MAX + Decimal("0.01"), updated_at=ctx.now()))


# Each place an amount is typed reads it with the same rules (and its own maximum).
def _copay(typed):
    from officeconsole.services.frontdesk.insurance import PolicyInput, validate_policy

    return validate_policy(PolicyInput(1, 1, "M-100", effective_from="2026-01-01", copay=typed))["copay"]


def _unit_cost(typed):
    from officeconsole.services.stock.stock_inputs import ItemInput, item_fields

    return item_fields(ItemInput("Gloves", "supply", unit_cost=typed))["unit_cost"]


def _opening(typed):
    from officeconsole.services.operations.importing.kinds import opening_amount

    return opening_amount(typed)


def _adjustments(typed):
    from officeconsole.services.billing.remit_inputs import parse_adjustments

    return [(a.group, a.reason, a.amount) for a in parse_adjustments(typed)]


@pytest.mark.parametrize(("read", "typed", "expected"), [
    (_copay, "$25", Decimal("25.00")),
    (_copay, "", None),  # no copay on the policy
    (_copay, "0", Decimal("0.00")),
    (_unit_cost, "7.25", Decimal("7.25")),
    (_unit_cost, "", Decimal("0.00")),
    (_opening, "(1,250.00)", Decimal("-1250.00")),
    (_opening, "$-25", Decimal("-25.00")),
    (_adjustments, "CO-45 1,250.00, PR-2 24.50", [("CO", "45", Decimal("1250.00")), ("PR", "2", Decimal("24.50"))]),
    (_adjustments, "CO-45 65;OA-23 -5", [("CO", "45", Decimal("65.00")), ("OA", "23", Decimal("-5.00"))]),
])
def test_every_amount_field_takes_dollars_and_cents(read, typed, expected):
    assert read(typed) == expected


@pytest.mark.parametrize(("read", "typed", "field", "message"), [
    (_copay, "1e2", "copay", f"Copay 1e2 is not an amount: {HOW}"),
    (_copay, "20,00", "copay",
     "Copay 20,00: write cents after a point (20.00); a comma only separates thousands (1,250.00)."),
    (_copay, "10000", "copay", "Copay 10000: more than $9,999.99 is surely a typing slip; check the figure."),
    (_unit_cost, "nan", "unit_cost", f"Unit cost nan is not an amount: {HOW}"),
    (_unit_cost, "-1", "unit_cost", "Unit cost -1: cannot be negative."),
    (_opening, "1e2", "amount", f"amount: 1e2 is not an amount: {HOW}"),
    (_opening, "1000000", "amount",
     "amount: 1000000: more than $999,999.99 is surely a typing slip; check the figure."),
    (_adjustments, "CO-45 20,00", "adjustments",
     "CO-45 20,00: write cents after a point (20.00); a comma only separates thousands (1,250.00)."),
    (_adjustments, "PR-2 inf", "adjustments", f"PR-2 inf is not an amount: {HOW}"),
])
def test_every_amount_field_refuses_the_same_odd_cases(read, typed, field, message):
    with pytest.raises(ValidationError) as refused:
        read(typed)
    assert refused.value.errors[field] == message
