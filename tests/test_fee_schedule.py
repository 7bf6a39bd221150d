"""The fee schedule one code at a time: fees read exactly (no floats, no guessing what a comma
means), codes shaped as CPT or HCPCS, edits refused when the code changed since the form opened,
codes retired (never deleted) and reinstated, by billing staff and managers only, all audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from officeconsole.models import AuditEvent, FeeScheduleItem
from officeconsole.services.billing.fees import FeeImportError, FeeService, parse_fee
from officeconsole.services.common.errors import ConcurrentEdit, NotFound, PermissionDenied, ValidationError


def audit_trail(ctx) -> list[tuple[str, str, str]]:
    with ctx.db.read() as session:
        return [(e.action, e.entity_id, e.summary) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "fee_schedule").order_by(AuditEvent.id))]


@pytest.mark.parametrize(("typed", "amount"), [
    ("125", "125.00"), ("125.00", "125.00"), ("$1,250.00", "1250.00"), ("12.5", "12.50"), ("0", "0.00"),
    (" $ 38 ", "38.00"), ("1,234", "1234.00"), (Decimal("99.9"), "99.90"),
])
def test_fees_are_read_exactly(typed, amount):
    assert parse_fee(typed) == Decimal(amount)


@pytest.mark.parametrize(("typed", "message"), [
    ("12,50", "Fee 12,50: write cents after a point (12.50); a comma only separates thousands (1,250.00)."),
    ("-5", "Fee -5: cannot be negative."),
    ("1.234", "Fee 1.234: at most two decimals (cents); write thousands with a comma (1,234.00)."),
    ("abc", "Fee abc is not an amount: type an amount like 20.00 or 1,250.50."),
    ("1e3", "Fee 1e3 is not an amount: type an amount like 20.00 or 1,250.50."),
    ("12,5000", "Fee 12,5000 is not an amount: type an amount like 20.00 or 1,250.50."),
    ("", "Fee is required: type an amount like 20.00 or 1,250.50."),
    ("100000", "Fee 100000: more than $99,999.99 is surely a typing slip; check the figure."),
    ("999999999999.99", "Fee 999999999999.99: more than $99,999.99 is surely a typing slip; check the figure."),
])
def test_bad_fees_are_refused_with_a_clear_message(typed, message):
    with pytest.raises(ValidationError) as caught:
        parse_fee(typed)
    assert caught.value.errors == {"fee": message}


def test_add_change_retire_and_reinstate_a_code(ctx, as_role):
    fees = FeeService(as_role("billing"))
    row = fees.add_fee("j1100", "  Dexamethasone 1 mg ", "$12.50")
    assert (row.code, row.kind, row.description, row.fee, row.active) == (
        "J1100", "hcpcs", "Dexamethasone 1 mg", Decimal("12.50"), True)
    changed = fees.update_fee("J1100", fee="13")
    assert (changed.description, changed.fee) == ("Dexamethasone 1 mg", Decimal("13.00"))
    renamed = fees.update_fee("j1100", description="Dexamethasone injection, 1 mg")
    assert (renamed.description, renamed.fee) == ("Dexamethasone injection, 1 mg", Decimal("13.00"))
    retired = fees.retire_fee("J1100")
    assert not retired.active and "J1100" not in [f.code for f in fees.fees()]
    assert [f.active for f in fees.fees(include_retired=True) if f.code == "J1100"] == [False]
    with ctx.db.read() as session:
        assert session.scalar(select(FeeScheduleItem).where(FeeScheduleItem.code == "J1100")) is not None
    with pytest.raises(ValidationError, match="retired already"):
        fees.retire_fee("J1100")
    assert fees.reinstate_fee("J1100").active
    assert [a[:2] for a in audit_trail(ctx)] == [("fees.add", "J1100"), ("fees.update", "J1100"),
                                                 ("fees.update", "J1100"), ("fees.retire", "J1100"),
                                                 ("fees.reinstate", "J1100")]
    assert audit_trail(ctx)[1][2] == "J1100: fee: 12.50 -> 13.00"


def test_bad_codes_descriptions_and_duplicates_are_refused_and_nothing_saved(as_role):
    fees = FeeService(as_role("billing"))
    with pytest.raises(ValidationError) as caught:
        fees.add_fee("9921", "", "12,50")
    assert set(caught.value.errors) == {"code", "description", "fee"}
    assert "neither a CPT code" in caught.value.errors["code"]
    assert caught.value.errors["description"] == "Description is required (the clinic's own words)."
    fees.add_fee("99213", "Office visit", "125")
    with pytest.raises(ValidationError, match=r"99213 is on the fee schedule already \(change it instead\)"):
        fees.add_fee("99213", "Again", "1")
    fees.retire_fee("99213")
    with pytest.raises(ValidationError, match="it is retired: reinstate it instead"):
        fees.add_fee("99213", "Again", "1")
    for bad in ("-5", "1.234", "12,50"):
        with pytest.raises(ValidationError):
            fees.update_fee("99213", fee=bad)
    with pytest.raises(ValidationError):
        fees.update_fee("99213", description="  ")
    assert [(f.description, f.fee) for f in fees.fees(include_retired=True)] == [("Office visit", Decimal("125.00"))]
    with pytest.raises(NotFound, match="99214 is not on the fee schedule"):
        fees.update_fee("99214", fee="1")


def test_an_edit_from_a_stale_form_is_refused(as_role, manager_ctx):
    mine, theirs = FeeService(manager_ctx), FeeService(as_role("billing"))
    opened = mine.add_fee("99213", "Office visit", "125")
    theirs.update_fee("99213", fee="130")
    with pytest.raises(ConcurrentEdit):
        mine.update_fee("99213", fee="140", expected=opened)
    with pytest.raises(ConcurrentEdit):
        mine.retire_fee("99213", expected=opened)
    assert mine.fees()[0].fee == Decimal("130.00")
    fresh = mine.fees()[0]
    assert mine.update_fee("99213", fee="140", expected=fresh).fee == Decimal("140.00")


def test_the_import_reads_fees_as_strictly(as_role):
    fees = FeeService(as_role("billing"))
    with pytest.raises(FeeImportError) as caught:
        fees.import_csv('99213,Office visit,"12,50"\n99214,Visit,1.234\n')
    assert caught.value.problems == [
        "line 1: 99213 fee 12,50: write cents after a point (12.50); a comma only separates thousands (1,250.00).",
        "line 2: 99214 fee 1.234: at most two decimals (cents); write thousands with a comma (1,234.00).",
    ]
    assert fees.import_csv('99213,Office visit,"$1,250.00"\n').added == 1


@pytest.mark.parametrize("role", ["front_desk", "provider"])
def test_front_desk_and_providers_may_not_change_fees(as_role, role):
    FeeService(as_role("billing")).add_fee("99213", "Office visit", "125")
    fees = FeeService(as_role(role))
    for call, args in ((fees.add_fee, ("99214", "Visit", "1")), (fees.update_fee, ("99213", "X", "1")),
                       (fees.retire_fee, ("99213",)), (fees.reinstate_fee, ("99213",))):
        with pytest.raises(PermissionDenied):
            call(*args)
