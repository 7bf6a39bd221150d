"""`officeconsole report NAME` as a manager (or a script) runs it, and what it says to bad input."""

from __future__ import annotations

import csv
import io

import pytest

from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key

DAY = "2026-11-23"  # the test clock's day: the payments below are posted on it


@pytest.fixture
def paid(db_url, clinic, desk_ctx):
    """Two equal cash payments by one patient on one day, and a card payment."""
    from tests.factories import register

    patient = register(desk_ctx).id
    for amount, method in (("25", "cash"), ("25", "cash"), ("40", "card")):
        LedgerService(desk_ctx).post_payment(PaymentInput(patient, amount, method, request_key=new_request_key()))
    return db_url


def test_table_csv_and_pdf(cli, paid, tmp_path):
    table = cli("--db", paid, "report", "payments", "--from", "11/20/2026", "--to", DAY, "--as", "manager")
    assert table.exit_code == 0, table.text
    assert "Payments by method, 11/20/2026 to 11/23/2026" in table.stdout
    assert "Mon 11/23/2026" in table.stdout and "$50.00" in table.stdout and "$90.00" in table.stdout
    rows = list(csv.reader(io.StringIO(cli("--db", paid, "report", "payments", "--from", DAY, "--to", DAY,
                                           "--format", "csv", "--as", "biller").stdout)))
    assert rows == [["Day", "Cash", "Card", "Check", "Desk total", "Insurers", "Total"],
                    [DAY, "50.00", "40.00", "0.00", "90.00", "0.00", "90.00"],
                    ["Total", "50.00", "40.00", "0.00", "90.00", "0.00", "90.00"]]
    out = tmp_path / "sheet.pdf"
    pdf = cli("--db", paid, "report", "day-sheet", "--from", DAY, "--to", DAY, "--format", "pdf", "--out", str(out),
              "--as", "manager")
    assert pdf.exit_code == 0, pdf.text
    assert out.read_bytes().startswith(b"%PDF") and str(out) in pdf.stdout
    default = cli("--db", paid, "report", "aging", "--to", DAY, "--format", "pdf", "--as", "manager")
    assert default.exit_code == 0, default.text
    assert "aging-2026-11-23.pdf" in default.stdout
    assert [p.name for p in (tmp_path / "home" / "reports").glob("aging-*.pdf")] == ["aging-2026-11-23.pdf"]
    saved = cli("--db", paid, "report", "no-shows", "--from", DAY, "--to", DAY, "--format", "csv", "--out",
                str(tmp_path), "--as", "manager")
    assert saved.exit_code == 0 and (tmp_path / "no-shows-2026-11-23.csv").read_text().startswith("Day,Booked")


@pytest.mark.parametrize(("args", "message"), [
    (["sales"], "There is no report 'sales': choose one of day-sheet, production, payments, no-shows, "
                "wait-times, aging, kpi, billing-kpi."),
    (["payments", "--from", "2026-11-20", "--to", "2026-11-01"], "after it ends"),
    (["payments", "--to", "2099-01-01"], "01/01/2099 has not happened yet"),
    (["payments", "--from", "2099-01-01"], "01/01/2099 has not happened yet"),
    (["payments", "--from", "11/31/2026"], "--from: '11/31/2026' is not a date"),
    (["payments", "--to", "last week"], "--to: 'last week' is not a date"),
    (["payments", "--format", "xls"], "--format: table, csv, json or pdf, not 'xls'"),
    (["payments", "--out", "x.csv"], "--out writes a file: add --format csv"),
    (["payments", "--to", DAY, "--format", "csv", "--out", "/dev/null/x.csv"], "Cannot write the report"),
])
def test_bad_input_is_one_line_and_exit_1(cli, db_url, clinic, args, message):
    result = cli("--db", db_url, "report", *args, "--as", "manager")
    assert result.exit_code == 1, result.text
    assert message in result.stderr and result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.text


def test_the_front_desk_may_not_run_reports(cli, db_url, clinic):
    desk = cli("--db", db_url, "report", "payments", "--to", DAY, "--as", "desk")
    assert desk.exit_code == 1 and "Permission denied" in desk.stderr
