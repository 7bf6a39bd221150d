"""`officeconsole clinic set --claim-files/--submitter-id` and `billing subscriber-names`."""

from __future__ import annotations

import json

from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput

from tests.factories import register


def test_clinic_set_claim_files_and_submitter_id(cli, seeded_url):
    ok = cli("clinic", "set", "--as", "manager", "--db", seeded_url, "--claim-files", "test", "--submitter-id", "sub9")
    assert ok.exit_code == 0, ok.text
    assert ok.stdout.startswith("Saved the clinic's settings: Submitter ID, Claim files")
    rows = {row["setting"]: row["value"] for row in json.loads(
        cli("clinic", "show", "--as", "manager", "--db", seeded_url, "--format", "json").stdout)}
    assert (rows["Claim files"], rows["Submitter ID"]) == ("test", "SUB9")
    bad = cli("clinic", "set", "--as", "manager", "--db", seeded_url, "--claim-files", "maybe")
    assert bad.exit_code == 1 and "Claim files: test (T)" in bad.stderr


def test_billing_subscriber_names_lists_the_ones_to_split(cli, seeded_url, desk_ctx, clinic):
    none = cli("billing", "subscriber-names", "--as", "biller", "--db", seeded_url)
    assert none.exit_code == 0 and "Every subscriber name is split" in none.stdout
    patient = register(desk_ctx, first_name="Lee", last_name="Unsure")
    payer = clinic.payer_ids["Blue Shield Test Plan"]
    for member, name in (("M1", "Mary Ann Unsure"), ("M2", "John Unsure Jr.")):
        InsuranceService(desk_ctx).add_policy(patient.id, PolicyInput(
            payer, 1 if member == "M1" else 2, member, relationship="spouse", subscriber_name=name,
            effective_from="2026-01-01"))
    listed = cli("billing", "subscriber-names", "--as", "biller", "--db", seeded_url, "--format", "json")
    assert listed.exit_code == 0, listed.text
    rows = json.loads(listed.stdout)
    assert [(r["mrn"], r["patient"], r["subscriber_as_typed"]) for r in rows] == [
        (patient.mrn, "Unsure, Lee", "Mary Ann Unsure")]
    table = cli("billing", "subscriber-names", "--as", "biller", "--db", seeded_url)
    assert table.stdout.startswith("1 subscriber names to split into last and first.") and "Mary Ann Unsure" in table.stdout
