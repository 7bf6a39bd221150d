"""The nightly close: no-shows, missing charges, payments against the counted drawer, the day sheet;
a dry run changes nothing and a rerun counts nothing twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from officeconsole.models import Appointment, CloseRun
from officeconsole.services.booking import BookingInput
from officeconsole.services.checkin import CheckInInput, CheckInService
from officeconsole.services.closeout import CloseOutService
from officeconsole.services.encounters import ChargeInput, EncounterService
from officeconsole.services.errors import PermissionDenied, ValidationError
from officeconsole.services.fees import FeeService
from officeconsole.services.ledger import LedgerService, PaymentInput, new_request_key

from tests.conftest import NOW


@pytest.fixture
def day(ctx, clock, sched, desk_ctx, as_role, clinic):
    """Monday: Ann seen and coded (a $25 cash copay, twice the same amount as a second payment),
    Bob never came; a $40 card payment on account."""
    FeeService(as_role("billing")).import_csv("99213,Office visit,125\n")
    clock.at = NOW.replace(hour=12)  # 07:00 in New York: book the morning
    ann = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], NOW.date(), "08:00"))
    bob = sched["book"].book(BookingInput(sched["bob"], sched["lee"], sched["type"], NOW.date(), "08:20"))
    clock.at = NOW.replace(hour=13)  # 08:00
    CheckInService(desk_ctx).check_in(CheckInInput(ann.id, ann.version, payment=PaymentInput(
        sched["ann"], "25", "cash", memo="Copay", appointment_id=ann.id, request_key=new_request_key())))
    LedgerService(desk_ctx).post_payment(PaymentInput(sched["ann"], "25", "cash", request_key=new_request_key()))
    LedgerService(desk_ctx).post_payment(PaymentInput(sched["bob"], "40", "card", request_key=new_request_key()))
    coding = EncounterService(as_role("billing"))
    encounter = coding.for_visit(ann.id)
    encounter = coding.set_diagnoses(encounter.id, encounter.version, ["I10"])
    coding.add_charge(encounter.id, encounter.version, ChargeInput("99213"))
    clock.at = NOW.replace(hour=23)  # 18:00: closing time
    return {"ann": ann.id, "bob": bob.id}


def status(ctx, appointment_id):
    with ctx.db.read() as session:
        return session.get(Appointment, appointment_id).status


def test_close_marks_no_shows_reconciles_and_writes_the_day_sheet(ctx, day, manager_ctx, tmp_path):
    closer = CloseOutService(manager_ctx)
    dry = closer.close_day(cash_counted="45", dry_run=True, reports_dir=tmp_path)
    assert "1 would be marked no-show" in dry.steps[0].lines[0] and dry.files == [] and dry.run_id is None
    assert status(ctx, day["bob"]) == "scheduled"  # the dry run changed nothing
    result = closer.close_day(cash_counted="45", card_counted="40", reports_dir=tmp_path)
    assert status(ctx, day["bob"]) == "no_show" and result.steps[0].lines == ["1 marked no-show"]
    assert result.steps[1].lines == ["every visit seen has charges"] and not result.blocked
    assert result.expected == {"cash": Decimal("50.00"), "card": Decimal("40.00")}  # two $25 payments, both counted
    assert result.variance == {"cash": Decimal("-5.00"), "card": Decimal("0.00")}
    sheet = result.sheet
    assert (sheet.charges, sheet.desk_payments, sheet.visits, sheet.no_shows) == (Decimal("125.00"), Decimal("90.00"), 1, 1)
    assert sheet.no_show_rate == 0.5
    csv_file, pdf_file = result.files
    assert "Charges: Avery Lee (1 visits),125.00" in csv_file.read_text() and pdf_file.read_bytes().startswith(b"%PDF")
    first_csv, first_pdf = csv_file.read_bytes(), pdf_file.read_bytes()
    again = closer.close_day(cash_counted="45", card_counted="40", reports_dir=tmp_path)
    assert again.steps[0].lines == ["0 marked no-show"]  # nothing counted twice
    assert csv_file.read_bytes() == first_csv and pdf_file.read_bytes() == first_pdf
    with ctx.db.read() as session:
        runs = session.execute(select(CloseRun.status, CloseRun.cash_counted).order_by(CloseRun.id)).all()
    assert runs == [("done", Decimal("45.00")), ("done", Decimal("45.00"))]


def test_missing_charges_warn_or_block(ctx, sched, desk_ctx, manager_ctx, clock, tmp_path):
    clock.at = NOW.replace(hour=12)
    visit = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], NOW.date(), "08:00"))
    clock.at = NOW.replace(hour=13)
    CheckInService(desk_ctx).check_in(CheckInInput(visit.id, visit.version))
    clock.at = NOW.replace(hour=23)
    closer = CloseOutService(manager_ctx)
    warned = closer.close_day(reports_dir=tmp_path)
    assert not warned.blocked and "Testperson, Ann: seen, no charges" in warned.steps[1].lines[0]
    blocked = closer.close_day(missing_charges_block=True, dry_run=True, reports_dir=tmp_path)
    assert blocked.blocked


def test_bad_input_is_refused(ctx, clinic, manager_ctx, desk_ctx, tmp_path):
    closer = CloseOutService(manager_ctx)
    with pytest.raises(ValidationError, match="has not happened yet"):
        closer.close_day(ctx.today() + dt.timedelta(days=1), reports_dir=tmp_path)
    with pytest.raises(ValidationError, match="not an amount"):
        closer.close_day(cash_counted="a lot", reports_dir=tmp_path)
    with pytest.raises(ValidationError, match="cannot be negative"):
        closer.close_day(cash_counted="-5", reports_dir=tmp_path)
    with pytest.raises(PermissionDenied):
        CloseOutService(desk_ctx).close_day(reports_dir=tmp_path)
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(CloseRun)) == 0
