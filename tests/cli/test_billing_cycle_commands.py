"""`officeconsole billing post-ack` and `billing refund request|approve|decline|list`."""

from __future__ import annotations

from decimal import Decimal as D

from officeconsole.demo.acks import ClaimAnswerSpec, make_277ca
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key
from officeconsole.services.frontdesk.patients import PatientService

from tests.billing_setup import make_billing


def test_post_ack_moves_claims_lists_the_unmatched_and_changes_nothing_twice(cli, db_url, sched, as_role, clinic,
                                                                              tmp_path):
    billing = make_billing(sched, as_role, clinic)
    visit = billing.coded()
    ClaimService(billing.biller).mark_all_ready()
    ClaimService(billing.biller).export_837(tmp_path)
    ack = tmp_path / "ack.277"
    ack.write_text(make_277ca([ClaimAnswerSpec(f"OC{visit.id}", D(125), "A7", "164", "IL", "MEMBER ID NOT FOUND"),
                               ClaimAnswerSpec("OC424242", D(50))]))
    posted = cli("--db", db_url, "billing", "post-ack", str(ack), "--as", "biller")
    assert posted.exit_code == 0, posted.text
    assert "277CA: 0 accepted, 1 rejected, 1 unmatched; 1 moved." in posted.stdout
    assert "MEMBER ID NOT FOUND" in posted.stdout and "OC424242" in posted.stdout
    assert ClaimService(billing.biller).scrub(visit.id).status == "rejected"
    again = cli("--db", db_url, "billing", "post-ack", str(ack), "--as", "biller")
    assert again.exit_code == 0 and "nothing changed" in again.stdout
    cut = tmp_path / "cut.277"
    cut.write_text(ack.read_text()[:200])
    refused = cli("--db", db_url, "billing", "post-ack", str(cut), "--as", "biller")
    assert refused.exit_code == 1 and "Nothing was posted" in refused.stderr and "Traceback" not in refused.text


def test_refund_request_approve_and_too_much(cli, db_url, sched, as_role, clinic):
    billing = make_billing(sched, as_role, clinic)
    LedgerService(billing.desk).post_payment(PaymentInput(billing.patient_id, "40", "card",
                                                          request_key=new_request_key()))
    mrn = PatientService(billing.desk).get(billing.patient_id).mrn
    too_much = cli("--db", db_url, "billing", "refund", "request", mrn, "40.01", "--method", "card",
                   "--reason", "Overpaid", "--as", "desk")
    assert too_much.exit_code == 1 and "more than the patient's credit, $40.00" in too_much.stderr
    asked = cli("--db", db_url, "billing", "refund", "request", mrn, "40", "--method", "card", "--reference", "4242",
                "--reason", "Overpaid", "--as", "desk")
    assert asked.exit_code == 0, asked.text
    assert "Refund 1: $40.00 card to Claimant, Carla, requested" in asked.stdout
    twice = cli("--db", db_url, "billing", "refund", "request", mrn, "40", "--method", "card", "--reference", "4242",
                "--reason", "Overpaid", "--as", "desk")
    assert "Refund 1:" in twice.stdout  # the same command twice is one request
    denied = cli("--db", db_url, "billing", "refund", "approve", "1", "--as", "desk")
    assert denied.exit_code == 1 and "may not approve or decline refunds" in denied.stderr
    approved = cli("--db", db_url, "billing", "refund", "approve", "1", "--as", "manager")
    assert approved.exit_code == 0 and "approved and posted" in approved.stdout
    listed = cli("--db", db_url, "billing", "refund", "list", "--mrn", mrn, "--as", "manager", "--format", "csv")
    assert "approved" in listed.stdout and "Refundable to the patient: $0.00." in listed.stdout
    assert LedgerService(billing.desk).account(billing.patient_id).balance == 0
