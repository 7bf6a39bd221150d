"""The claim carries the payer of the policy it bills (the queue's payer filter reads it from an index),
and the upgrade that brought it, with the reversed phone key, fills both in from the rows already there."""

from __future__ import annotations

from sqlalchemy import select

from officeconsole.db import migrate
from officeconsole.db.database import Database
from officeconsole.models import Encounter, InsurancePolicy, Patient
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.billing.encounters import EncounterService, QueueFilter
from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput

from tests.billing_setup import make_billing


def _payer(ctx, encounter_id: int) -> int | None:
    with ctx.db.read() as session:
        return session.get(Encounter, encounter_id).payer_id


def test_the_claim_carries_its_policys_payer_through_billing_and_a_payer_change(ctx, sched, as_role, clinic):
    billing = make_billing(sched, as_role, clinic)
    encounter = billing.coded()
    assert _payer(ctx, encounter.id) == billing.payer_id  # while coding: the primary on the date of service
    ready = ClaimService(billing.biller).mark_ready(encounter.id, encounter.version)
    assert ready.status == "ready" and _payer(ctx, encounter.id) == billing.payer_id
    other = clinic.payer_ids["Medicare Part B (test)"]
    with ctx.db.read() as session:
        version = session.get(InsurancePolicy, billing.policy_id).version
    InsuranceService(billing.desk).update_policy(
        billing.policy_id, version, PolicyInput(other, 1, "XYZ123456", "G100", effective_from="2025-01-01")
    )
    assert _payer(ctx, encounter.id) == other
    queue = EncounterService(billing.biller).queue
    rows = queue(None, where=QueueFilter(payer_id=other)).rows
    assert [(r.encounter_id, r.payer_name) for r in rows] == [(encounter.id, "Medicare Part B (test)")]
    assert queue(None, where=QueueFilter(payer_id=billing.payer_id)).rows == []


def test_the_upgrade_fills_in_reversed_phone_keys_and_billed_payers(small_demo):
    database = Database.from_url(small_demo.copy("billed-payer"))
    try:
        migrate.downgrade(database.engine, "0021")
        migrate.upgrade(database.engine)
        with database.read() as session:
            phones = session.execute(select(Patient.phone_key, Patient.phone_key_reversed)).all()
            payers = session.execute(
                select(Encounter.payer_id, InsurancePolicy.payer_id).outerjoin(
                    InsurancePolicy, InsurancePolicy.id == Encounter.policy_id
                )
            ).all()
        assert any(key for key, _ in phones) and all(reversed_ == key[::-1] for key, reversed_ in phones)
        assert any(carried for carried, _ in payers) and all(carried == billed for carried, billed in payers)
    finally:
        database.dispose()
