"""Payers as Practice setup keeps them: added and edited with their claim fields checked, names
unique whatever their case, edits version-checked, retired (not deleted) and reinstated, by
billing staff and managers only, every change audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from officeconsole.models import AuditEvent, Payer
from officeconsole.services.common.errors import ConcurrentEdit, NotFound, PermissionDenied, ValidationError
from officeconsole.services.frontdesk.insurance import InsuranceService, PayerInput, PolicyInput

from tests.factories import register


def full(**overrides) -> PayerInput:
    values = dict(name="Prairie Mutual", payer_code="pm123", filing_code="ci", phone="(217) 555-0140",
                  address_line1="PO Box 100", city="Springfield", state="il", postal_code="627041234")
    values.update(overrides)
    return PayerInput(**values)


def refused(call, *args, **kwargs) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value.errors


def actions(ctx) -> list[tuple[str, str]]:
    with ctx.db.read() as session:
        return [(e.action, e.summary) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "payer").order_by(AuditEvent.id))]


def test_a_payer_with_its_address_is_added_and_listed(ctx, manager_ctx):
    service = InsuranceService(manager_ctx)
    row = service.add_payer("Prairie Mutual", "pm123", "(217) 555-0140", "hm", address_line1="PO Box 100",
                            city="Springfield", state="il", postal_code="62704-1234")
    assert (row.name, row.payer_code, row.filing_code, row.phone) == ("Prairie Mutual", "PM123", "HM", "+12175550140")
    assert (row.address_line1, row.city, row.state, row.postal_code) == ("PO Box 100", "Springfield", "IL",
                                                                          "62704-1234")
    assert row.active and row.version == 1
    assert "Prairie Mutual" in [p.name for p in service.payers()]
    assert actions(ctx)[-1] == ("payer.add", "Prairie Mutual PM123")


def test_the_old_add_payer_signature_still_works(manager_ctx):
    row = InsuranceService(manager_ctx).add_payer("Plain Plan", "PP1", "", "CI")
    assert (row.id > 0, row.name, row.payer_code, row.filing_code) == (True, "Plain Plan", "PP1", "CI")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "  ", "Payer name is required."),
    ("payer_code", "bad code!", "Payer ID: the electronic payer ID"),
    ("payer_code", "A", "2 to 10 letters and digits"),
    ("payer_code", "ABCDEFGHIJK", "2 to 10 letters and digits"),
    ("filing_code", "XX", "Claim filing indicator: CI (commercial)"),
    ("phone", "12", "Phone: '12' is not a valid phone number."),
    ("state", "ZZ", "State: 'ZZ' is not a US state or territory code (such as IL)."),
    ("postal_code", "6270", "ZIP: 5 digits, or 9 as ZIP+4"),
    ("postal_code", "62704-12", "ZIP: 5 digits, or 9 as ZIP+4"),
])
def test_bad_input_is_refused_with_a_message_for_its_field(ctx, manager_ctx, field, value, message):
    service = InsuranceService(manager_ctx)
    errors = refused(service.add_payer, **{"name": "Prairie Mutual", field: value})
    assert message in errors[field]
    assert "Prairie Mutual" not in [p.name for p in service.payers(include_retired=True)]


def test_names_are_unique_whatever_their_case(manager_ctx, clinic):
    service = InsuranceService(manager_ctx)
    errors = refused(service.add_payer, "BLUE SHIELD test plan", "BS2")
    assert errors == {"name": "A payer called 'Blue Shield Test Plan' exists already."}
    other = service.add_payer("Lakeside Mutual", "LKMUT")
    errors = refused(service.update_payer, other.id, other.version, full(name="medicare part b (TEST)"))
    assert errors["name"] == "A payer called 'Medicare Part B (test)' exists already."
    renamed = service.update_payer(other.id, other.version, full(name="LAKESIDE MUTUAL"))
    assert renamed.name == "LAKESIDE MUTUAL"  # its own name in another case is fine


def test_an_edit_changes_every_field_is_audited_and_bumps_the_version(ctx, manager_ctx):
    service = InsuranceService(manager_ctx)
    row = service.add_payer("Prairie Mutual", "PM123")
    saved = service.update_payer(row.id, row.version, full(name="Prairie Mutual Health", payer_code="pmh01",
                                                           filing_code="bl", postal_code="62704"))
    assert (saved.name, saved.payer_code, saved.filing_code, saved.postal_code, saved.state) == (
        "Prairie Mutual Health", "PMH01", "BL", "62704", "IL")
    assert saved.version == row.version + 1
    action, summary = actions(ctx)[-1]
    assert action == "payer.update" and "payer_code: PM123 -> PMH01" in summary and "filing_code: CI -> BL" in summary
    assert "Claim filing indicator" in refused(service.update_payer, row.id, saved.version,
                                              full(filing_code="ZZ9"))["filing_code"]
    assert next(p for p in service.payers() if p.id == row.id).filing_code == "BL"  # nothing saved


def test_a_stale_version_is_refused_and_nothing_is_saved(manager_ctx, as_role):
    mine, theirs = InsuranceService(manager_ctx), InsuranceService(as_role("billing"))
    row = mine.add_payer("Prairie Mutual", "PM123")
    theirs.update_payer(row.id, row.version, full(phone="(217) 555-0199"))
    with pytest.raises(ConcurrentEdit):
        mine.update_payer(row.id, row.version, full(name="Mine"))
    with pytest.raises(ConcurrentEdit):
        mine.retire_payer(row.id, row.version)
    now = next(p for p in mine.payers() if p.id == row.id)
    assert (now.name, now.phone, now.active) == ("Prairie Mutual", "+12175550199", True)
    with pytest.raises(NotFound):
        mine.update_payer(999_999, 1, full())


def test_retire_keeps_policies_and_stops_new_ones_and_reinstate_brings_it_back(ctx, manager_ctx, desk_ctx):
    service = InsuranceService(manager_ctx)
    row = service.add_payer("Prairie Mutual", "PM123")
    patient = register(desk_ctx)
    desk = InsuranceService(desk_ctx)
    policy = desk.add_policy(patient.id, PolicyInput(row.id, 1, "M-1", effective_from="2025-01-01"))
    retired = service.retire_payer(row.id, row.version)
    assert not retired.active
    assert row.id not in [p.id for p in service.payers()]
    assert row.id in [p.id for p in service.payers(include_retired=True)]
    with ctx.db.read() as session:
        assert session.get(Payer, row.id) is not None  # never deleted
    # the policy keeps it, and can still be edited with it
    kept = desk.update_policy(policy.id, policy.version, PolicyInput(row.id, 1, "M-1b", effective_from="2025-01-01"))
    assert kept.payer_name == "Prairie Mutual"
    other = register(desk_ctx, first_name="Other")
    errors = refused(desk.add_policy, other.id, PolicyInput(row.id, 1, "M-2", effective_from="2025-01-01"))
    assert errors == {"payer_id": "Prairie Mutual is retired: choose another payer (a manager can reinstate it in "
                                  "Practice setup -> Payers)."}
    assert refused(service.retire_payer, row.id, retired.version) == {"active": "Prairie Mutual is retired already."}
    back = service.reinstate_payer(row.id, retired.version)
    assert back.active and row.id in [p.id for p in service.payers()]
    desk.add_policy(other.id, PolicyInput(row.id, 1, "M-2", effective_from="2025-01-01"))
    assert [a for a, _ in actions(ctx)][-2:] == ["payer.retire", "payer.reinstate"]


@pytest.mark.parametrize("role", ["front_desk", "provider"])
def test_front_desk_and_providers_may_not_change_payers(manager_ctx, as_role, role):
    row = InsuranceService(manager_ctx).add_payer("Prairie Mutual", "PM123")
    service = InsuranceService(as_role(role))
    for call, args in ((service.add_payer, ("Sneaky",)), (service.update_payer, (row.id, 1, full())),
                       (service.retire_payer, (row.id, 1)), (service.reinstate_payer, (row.id, 1))):
        with pytest.raises(PermissionDenied):
            call(*args)
    assert [p.name for p in service.payers() if p.id == row.id] == ["Prairie Mutual"]  # everyone may list


def test_a_name_longer_than_its_column_is_refused_not_cut(manager_ctx):
    from officeconsole.services.common.errors import ValidationError
    from officeconsole.services.frontdesk.insurance import InsuranceService

    with pytest.raises(ValidationError, match="Payer name: 5,000 characters; the most it may hold is 120"):
        InsuranceService(manager_ctx).add_payer("P" * 5000)
