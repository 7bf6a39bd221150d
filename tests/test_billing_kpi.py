"""The billing KPIs against figures worked out by hand on a small fixed history, an empty range,
the dashboard reading the same definitions, and `officeconsole report billing-kpi`.

The history (services only):
- E, 119 days before today (a Monday): 99213 $125, sent, never answered or paid (A/R over 90 days).
- Today (11/23/2026): A 99213 $125, B 99214-25 + 36415 x2 $215, C 99213 $125, all marked ready
  and sent in one batch. A 277CA accepts A and rejects B (its charges are reversed). An 835 pays
  A $80 (CO-45 $25, PR-2 $20) and denies C (CO-50 $125); the patient pays A's $20 at the desk.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest

from officeconsole.demo.acks import ClaimAnswerSpec, make_277ca
from officeconsole.services.billing.acknowledgements import AcknowledgementService
from officeconsole.services.billing.billing_kpi import BillingKpiService
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.billing.remittance import (
    Adjustment,
    ClaimPayment,
    LinePayment,
    RemitInput,
    RemittanceService,
)
from officeconsole.services.common.errors import PermissionDenied
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key
from officeconsole.services.reporting.kpi import KpiService
from officeconsole.services.reporting.reports import ReportService

from tests.billing_setup import make_billing
from tests.cli.conftest import cli  # noqa: F401 - the CLI fixture, for the command's test

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def history(sched, as_role, clinic, clock, tmp_path):
    billing = make_billing(sched, as_role, clinic)
    claims = ClaimService(billing.biller)
    clock.advance(dt.timedelta(days=-119))
    old = billing.coded()
    claims.mark_all_ready()
    claims.export_837(tmp_path / "old")
    clock.advance(dt.timedelta(days=119))
    a = billing.coded()
    b = billing.coded(lines=(("99214", "25", 1, "1,2"), ("36415", "", 2, "1")))
    c = billing.coded()
    assert claims.mark_all_ready().ready == [a.id, b.id, c.id]
    claims.export_837(tmp_path)
    AcknowledgementService(billing.biller).post_text(make_277ca([
        ClaimAnswerSpec(f"OC{a.id}", D(125)),
        ClaimAnswerSpec(f"OC{b.id}", D(215), "A7", "562", "85", "BILLING NPI INVALID")]), "ack.x12")
    RemittanceService(billing.biller).post(RemitInput(billing.payer_id, "CHK1001", "2026-11-23", "check", [
        ClaimPayment(a.id, [LinePayment(a.lines[0].id, "80", "100", [Adjustment("CO", "45", "25"),
                                                                     Adjustment("PR", "2", "20")])]),
        ClaimPayment(c.id, [LinePayment(c.lines[0].id, "0", "0", [Adjustment("CO", "50", "125")])])]))
    LedgerService(billing.desk).post_payment(PaymentInput(billing.patient_id, "20", "card",
                                                          appointment_id=a.appointment_id,
                                                          request_key=new_request_key()))
    return billing, old


def test_each_figure_against_the_hand_worked_history(history):
    billing, _old = history
    k = BillingKpiService(billing.manager).kpis(TODAY, TODAY)
    # A, B and C were first marked ready today; B was rejected by the 277CA: 2 of 3 clean.
    assert (k.claims_ready, k.clean_claims) == (3, 2)
    assert k.clean_claim_rate == pytest.approx(2 / 3)
    # The 277CA's first answers: A accepted, B rejected.
    assert (k.acknowledged, k.accepted_first, k.first_pass_acceptance) == (2, 1, 0.5)
    # The 835: A's line paid, C's line denied (CO-50).
    assert (k.lines, k.denied, k.denial_rate) == (2, 1, 0.5)
    assert [(r.by, r.name, r.denied, r.lines, r.rate) for r in k.denials] == [
        ("group", "CO", 1, 2, 0.5), ("reason", "CO-50 Not medically necessary", 1, 2, 0.5),
        ("payer", "Blue Shield Test Plan", 1, 2, 0.5)]
    # Charges by date of service: 125 + 215 + 125 = 465; collected: 80 (insurer) + 20 (desk) = 100;
    # contractual: CO-45 25 (C's CO-50 denial stays owing, not adjusted).
    assert (k.charges, k.collections, k.contractual) == (D("465.00"), D("100.00"), D("25.00"))
    assert k.gross_collection_rate == pytest.approx(100 / 465)
    assert k.net_collection_rate == pytest.approx(100 / 440)
    # Owed today: C 125 (insurer, today) + E 125 (insurer, 119 days old); A is settled, B reversed.
    # Charges over the last 90 days: A 125 + B (215 - 215) + C 125 = 250: 250 / (250 / 90) = 90.0 days.
    assert (k.ar_owed, k.ar_over_90, k.ar_over_90_rate) == (D("250.00"), D("125.00"), 0.5)
    assert k.days_in_ar == D("90.0")


def test_an_empty_range_has_nothing_to_count(history):
    billing, _old = history
    k = BillingKpiService(billing.manager).kpis(dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert (k.claims_ready, k.acknowledged, k.lines, k.charges, k.collections) == (0, 0, 0, D("0.00"), D("0.00"))
    assert [k.clean_claim_rate, k.first_pass_acceptance, k.denial_rate, k.gross_collection_rate,
            k.net_collection_rate, k.days_in_ar, k.ar_over_90_rate] == [None] * 7
    assert k.denials == ()
    report = ReportService(billing.manager).run("billing-kpi", dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    values = {row[0]: row[1] for row in report.sections[0].rows}
    assert set(values.values()) == {"—"}


def test_the_report_the_dashboard_and_the_months_agree(history):
    billing, _old = history
    report = ReportService(billing.manager).run("billing-kpi", TODAY, TODAY)
    values = {row[0]: row[1] for row in report.sections[0].rows}
    assert values == {"Clean-claim rate": "66.7%", "First-pass acceptance (277CA)": "50.0%",
                      "Denial rate": "50.0%", "Gross collection rate": "21.5%", "Net collection rate": "22.7%",
                      "Days in A/R": "90.0 days", "A/R over 90 days": "50.0%"}
    months = report.sections[2].rows
    assert [m[0] for m in months][-2:] == ["10/2026", "11/2026"] and len(months) == 12
    assert months[-1][1:] == pytest.approx((2 / 3, 0.5, 0.5, 100 / 465, 100 / 440))
    assert months[7][0] == "07/2026" and months[7][1] == 1.0  # E: ready in July, never sent back
    assert [s.title for s in report.series] == ["Clean-claim rate per month", "Denial rate per month",
                                                "Net collection rate per month"]
    dashboard = KpiService(billing.manager).dashboard("custom", TODAY, TODAY, with_trend=False)
    assert dashboard.row("net_collection_rate").now == pytest.approx(100 / 440)
    assert dashboard.row("denial_rate").now == 0.5
    assert dashboard.row("days_in_ar").now == D("90.0")


def test_only_people_who_read_reports_see_them(history, as_role):
    with pytest.raises(PermissionDenied):
        BillingKpiService(as_role("front_desk")).kpis(TODAY, TODAY)


def test_the_command_prints_json(history, db_url, cli):  # noqa: F811
    result = cli("--db", db_url, "report", "billing-kpi", "--from", "11/23/2026", "--to", "11/23/2026",
                 "--format", "json", "--as", "manager")
    assert result.exit_code == 0, result.text
    found = json.loads(result.stdout)
    figures = {row["Figure"]: row["Value"] for row in found["sections"][0]["rows"]}
    assert figures["Clean-claim rate"] == "66.7%" and figures["Days in A/R"] == "90.0 days"
    assert found["sections"][1]["rows"][1] == {"By": "reason", "Group, reason or payer": "CO-50 Not medically "
                                               "necessary", "Denied lines": "1", "Lines": "2", "Denial rate": "50.0"}
