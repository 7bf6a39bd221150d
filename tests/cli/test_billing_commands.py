"""`officeconsole billing ready|export-837|resend|batches|post-835|denials|aging|statements|identities`."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from officeconsole.services.x12_check import x12_errors

from tests.billing_setup import make_billing
from officeconsole.demo.x835 import Clp, Svc, make_835


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
    assert "1 claims marked ready; 1 need fixing." in ready.stdout and "Place of service 00" in ready.stdout
    out = tmp_path / "claims"
    exported = cli("--db", db_url, "billing", "export-837", "--out", str(out), "--as", "biller")
    assert exported.exit_code == 0, exported.text
    assert "Batch 1: 1 claims, $185.00" in exported.stdout
    [file] = out.glob("837P-*.x12")
    assert x12_errors(file.read_text()) == []
    nothing = cli("--db", db_url, "billing", "export-837", "--out", str(out), "--as", "biller")
    assert nothing.exit_code == 1 and "No claims are ready" in nothing.stderr
    resent = cli("--db", db_url, "billing", "resend", "1", "--out", str(out), "--as", "biller")
    assert "Batch 2 (again): 1 claims" in resent.stdout
    assert "837P-000000002" in cli("--db", db_url, "billing", "batches", "--as", "biller").stdout

    remit = tmp_path / "remit.835"
    remit.write_text(make_835([Clp(f"OC{good.id}", "1", [Svc("99214", D(185), D(100), 1, str(good.lines[0].id), (),
                                                            [("CO", "45", D(55)), ("PR", "3", D(30))])])]))
    posted = cli("--db", db_url, "billing", "post-835", str(remit), "--as", "biller")
    assert posted.exit_code == 0, posted.text
    assert "$100.00 received, $100.00 applied to 1 claims" in posted.stdout and "$30.00" in posted.stdout
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
