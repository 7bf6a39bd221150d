"""`officeconsole billing ready|export-837|resend|batches|post-835|denials|aging|statements|identities`."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from officeconsole.demo.x835 import Clp, Svc, make_835
from officeconsole.services.formats.x12_check import x12_errors

from tests.billing_setup import make_billing


@pytest.fixture
def two_claims(sched, as_role, clinic):
    billing = make_billing(sched, as_role, clinic)
    good = billing.coded(lines=(("99214", "", 1, "1"),))
    bad = billing.coded(diagnoses=("E11.9",), lines=(("99213", "", 1, "1"),))
    from sqlalchemy import update

    from officeconsole.models import Encounter
    with billing.biller.db.write() as session:  # a slip the scrubber must catch
        session.execute(update(Encounter).where(Encounter.id == bad.id).values(place_of_service="00"))
    return good, bad


def test_ready_export_resend_post_835_and_aging(cli, db_url, two_claims, tmp_path):
    good, bad = two_claims
    ready = cli("--db", db_url, "billing", "ready", "--as", "biller")
    assert ready.exit_code == 0, ready.text
    assert "1 claim marked ready; 1 need fixing." in ready.stdout and "Place of service 00" in ready.stdout
    out = tmp_path / "claims"
    exported = cli("--db", db_url, "billing", "export-837", "--out", str(out), "--as", "biller")
    assert exported.exit_code == 0, exported.text
    assert "Batch 1: 1 claim, $185.00" in exported.stdout
    [file] = out.glob("837P-*.x12")
    assert x12_errors(file.read_text()) == []
    nothing = cli("--db", db_url, "billing", "export-837", "--out", str(out), "--as", "biller")
    assert nothing.exit_code == 1 and "No claims are ready" in nothing.stderr
    resent = cli("--db", db_url, "billing", "resend", "1", "--out", str(out), "--as", "biller")
    assert "Batch 2 (again): 1 claim" in resent.stdout
    assert "837P-000000002" in cli("--db", db_url, "billing", "batches", "--as", "biller").stdout

    remit = tmp_path / "remit.835"
    remit.write_text(make_835([Clp(f"OC{good.id}", "1", [Svc("99214", D(185), D(100), 1, str(good.lines[0].id), (),
                                                            [("CO", "45", D(55)), ("PR", "3", D(30))])])]))
    posted = cli("--db", db_url, "billing", "post-835", str(remit), "--as", "biller")
    assert posted.exit_code == 0, posted.text
    assert "$100.00 received, $100.00 applied to 1 claim" in posted.stdout and "$30.00" in posted.stdout
    again = cli("--db", db_url, "billing", "post-835", str(remit), "--as", "biller")
    assert again.exit_code == 1 and "was posted on" in again.stdout
    garbage = tmp_path / "garbage.835"
    garbage.write_text("hello")
    refused = cli("--db", db_url, "billing", "post-835", str(garbage), "--as", "biller")
    assert refused.exit_code == 1 and "not an X12 file" in refused.stderr and "Traceback" not in refused.text

    aging = cli("--db", db_url, "billing", "aging", "--as", "biller", "--format", "csv", "--by", "patient")
    assert aging.stdout.splitlines() == ["Patient,0-30,31-60,61-90,91-120,120+,Total",
                                         "\"Claimant, Carla\",$30.00,$0.00,$0.00,$0.00,$0.00,$30.00"]
    table = cli("--db", db_url, "billing", "aging", "--as", "biller")
    assert "Days in A/R" in table.stdout
    bad_date = cli("--db", db_url, "billing", "aging", "--as", "biller", "--as-of", "someday")
    assert bad_date.exit_code == 1 and "--as-of" in bad_date.stderr
    statements = cli("--db", db_url, "billing", "statements", "--over", "10", "--out", str(tmp_path / "st"),
                     "--as", "biller")
    assert "Claimant, Carla: $30.00" in statements.stdout and "1 statements written." in statements.stdout
    [text_file] = (tmp_path / "st").glob("*.txt")
    assert "AMOUNT DUE: $30.00" in text_file.read_text()
    assert (tmp_path / "st" / text_file.with_suffix(".pdf").name).read_bytes().startswith(b"%PDF")
    assert cli("--db", db_url, "billing", "denials", "--as", "biller").exit_code == 0


def test_front_desk_cannot_export(cli, db_url, two_claims, tmp_path):
    result = cli("--db", db_url, "billing", "export-837", "--out", str(tmp_path), "--as", "desk")
    assert result.exit_code == 1 and "Permission denied" in result.stderr


def test_export_with_nothing_ready_makes_no_folder(cli, db_url, clinic, tmp_path):
    out = tmp_path / "claims" / "today"
    result = cli("--db", db_url, "billing", "export-837", "--out", str(out), "--as", "biller")
    assert result.exit_code == 1 and "No claims are ready" in result.stderr
    assert not (tmp_path / "claims").exists()


def test_balance_write_off_and_patient_aging_totals(cli, db_url, sched, as_role, clinic):
    from officeconsole.services.billing.claims import ClaimService
    from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key
    from officeconsole.services.frontdesk.patients import PatientService

    from tests.factories import register

    billing = make_billing(sched, as_role, clinic)
    own = register(billing.desk, first_name="Sam", last_name="Selfpay")
    visit = billing.coded(patient_id=own.id)
    ClaimService(billing.biller).bill_self_pay(visit.id, visit.version)  # $125 onto Sam's account
    LedgerService(billing.desk).post_payment(PaymentInput(billing.patient_id, "40", "cash",  # Carla: a credit
                                                          request_key=new_request_key()))
    mrn = PatientService(billing.desk).get(own.id).mrn
    shown = cli("--db", db_url, "billing", "balance", mrn, "--as", "biller", "--format", "csv")
    assert shown.exit_code == 0, shown.text
    assert shown.stdout.splitlines()[1].startswith(f"{mrn},\"Selfpay, Sam\",$125.00,owed,")
    for _ in range(2):  # the same write-off run twice writes off once
        done = cli("--db", db_url, "billing", "write-off-patient", f"OC{visit.id}", "--reason", "small balance",
                   "--amount", "25", "--as", "biller")
        assert done.exit_code == 0 and "$25.00 of the patient's share" in done.stdout, done.text
    assert ",$100.00,owed," in cli("--db", db_url, "billing", "balance", mrn, "--as", "biller",
                                   "--format", "csv").stdout
    unknown = cli("--db", db_url, "billing", "balance", "9999999", "--as", "biller")
    assert unknown.exit_code == 1 and "No patient has MRN 9999999" in unknown.stderr
    table = cli("--db", db_url, "billing", "aging", "--by", "patient", "--as", "biller")
    assert "Total owed (1 patient)" in table.stdout and "Credits (1 patient)" in table.stdout
    assert "-$40.00" in table.stdout and "patients owe $100.00, less $40.00 in credits" in table.stdout


def test_post_835_checks_the_whole_file_and_shows_plb_and_every_unmatched_item(cli, db_url, two_claims, tmp_path):
    good, _ = two_claims
    assert cli("--db", db_url, "billing", "ready", "--as", "biller").exit_code == 0
    assert cli("--db", db_url, "billing", "export-837", "--out", str(tmp_path / "out"), "--as", "biller").exit_code == 0
    text = make_835([Clp(f"OC{good.id}", "1", [Svc("99214", D(185), D(100), 1, str(good.lines[0].id), (),
                                                   [("CO", "45", D(55)), ("PR", "3", D(30))])]),
                     Clp("OC777", "1", [Svc("99213", D(125), D(100), 1, "", (), [("CO", "45", D(25))]),
                                        Svc("36415", D(15), D(10), 1, "", (), [("CO", "45", D(5))])])],
                    plb=[("L6", "OC777", D("-3.25"))])
    cut = tmp_path / "cut.835"
    cut.write_text(text[:text.index("CLP*OC777")])
    refused = cli("--db", db_url, "billing", "post-835", str(cut), "--as", "biller")
    assert refused.exit_code == 1 and "Traceback" not in refused.text
    assert "Nothing was posted: segment" in refused.stderr and "(SE): missing" in refused.stderr
    whole = tmp_path / "whole.835"
    whole.write_text(text)
    posted = cli("--db", db_url, "billing", "post-835", str(whole), "--as", "biller")
    assert posted.exit_code == 0, posted.text
    assert "$213.25 received, $100.00 applied to 1 claim, $110.00 not applied." in posted.stdout
    assert "L6 Interest owed" in posted.stdout and "-$3.25" in posted.stdout
    assert f"PAYEROC{good.id}" in posted.stdout
    assert "OC777  claim $110.00 (segment 22): no such claim here" in posted.stdout


def test_secondary_claim_then_correct_and_void_from_the_command_line(cli, db_url, sched, as_role, clinic, tmp_path):
    from officeconsole.services.frontdesk.insurance import InsuranceService, PolicyInput

    billing = make_billing(sched, as_role, clinic)
    added = cli("--db", db_url, "payer", "add", "Medigap Test Plan", "--payer-id", "MGAP1", "--crossover",
                "--as", "biller")
    assert added.exit_code == 0, added.text
    edited = cli("--db", db_url, "payer", "edit", "Medigap Test Plan", "--no-crossover", "--as", "biller")
    assert edited.exit_code == 0, edited.text
    [medigap] = [p for p in InsuranceService(billing.biller).payers() if p.name == "Medigap Test Plan"]
    assert medigap.crossover is False
    InsuranceService(billing.desk).add_policy(billing.patient_id, PolicyInput(medigap.id, 2, "MG7788",
                                                                              effective_from="2025-01-01"))
    claim = billing.coded()
    out = tmp_path / "claims"
    assert cli("--db", db_url, "billing", "ready", "--as", "biller").exit_code == 0
    assert cli("--db", db_url, "billing", "export-837", "--out", str(out), "--as", "biller").exit_code == 0
    remit = tmp_path / "primary.835"
    remit.write_text(make_835([Clp(f"OC{claim.id}", "1", [Svc("99213", D(125), D(80), 1, str(claim.lines[0].id), (),
                                                              [("CO", "45", D(25)), ("PR", "2", D(20))])])]))
    posted = cli("--db", db_url, "billing", "post-835", str(remit), "--as", "biller")
    assert posted.exit_code == 0, posted.text
    assert f"OC{claim.id}: $20.00 goes to Medigap Test Plan, not the patient (secondary claim ready to send)." \
        in posted.stdout

    no_reason = cli("--db", db_url, "billing", "void", f"OC{claim.id}", "--as", "biller")
    assert no_reason.exit_code != 0 and "--reason" in no_reason.text
    secondary = cli("--db", db_url, "billing", "correct", f"OC{claim.id}", "--reason", "wrong code", "--as", "biller")
    assert secondary.exit_code == 1 and "with the secondary payer now" in secondary.stderr


def test_correct_and_void_commands(cli, db_url, sched, as_role, clinic, tmp_path):
    billing = make_billing(sched, as_role, clinic)
    claim = billing.coded()
    out = tmp_path / "claims"
    assert cli("--db", db_url, "billing", "ready", "--as", "biller").exit_code == 0
    assert cli("--db", db_url, "billing", "export-837", "--out", str(out), "--as", "biller").exit_code == 0
    early = cli("--db", db_url, "billing", "correct", f"OC{claim.id}", "--reason", "wrong code", "--as", "biller")
    assert early.exit_code == 1 and "CLP07" in early.stderr and "Traceback" not in early.text
    remit = tmp_path / "primary.835"
    remit.write_text(make_835([Clp(f"OC{claim.id}", "1", [Svc("99213", D(125), D(80), 1, str(claim.lines[0].id), (),
                                                              [("CO", "45", D(25)), ("PR", "2", D(20))])])]))
    assert cli("--db", db_url, "billing", "post-835", str(remit), "--as", "biller").exit_code == 0
    voided = cli("--db", db_url, "billing", "void", f"OC{claim.id}", "--reason", "wrong patient", "--as", "biller")
    assert voided.exit_code == 0, voided.text
    assert f"OC{claim.id} voided: ready to export (export-837). The payer's $80.00 stays its credit" in voided.stdout
    assert cli("--db", db_url, "billing", "export-837", "--out", str(out), "--as", "biller").exit_code == 0
    files = sorted(out.glob("837P-*.x12"))
    assert "11:B:8" in files[-1].read_text() and x12_errors(files[-1].read_text()) == []
    again = cli("--db", db_url, "billing", "correct", f"OC{claim.id}", "--reason", "x", "--as", "biller")
    assert again.exit_code == 1 and "voided already" in again.stderr
