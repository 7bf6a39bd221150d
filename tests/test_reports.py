"""Reports: figures checked against data made through the services (and, for a day, against the
close-out's day sheet); every payment counts; waits per day and provider; ranges and files."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from officeconsole.models import AuditEvent
from officeconsole.services.billing.claims import ClaimService
from officeconsole.services.billing.receivables import ReceivablesService
from officeconsole.services.billing.remittance import (
    Adjustment,
    ClaimPayment,
    LinePayment,
    RemitInput,
    RemittanceService,
)
from officeconsole.services.common.errors import PermissionDenied, ValidationError
from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService
from officeconsole.services.frontdesk.flow import FlowService
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key
from officeconsole.services.practice.rooms import RoomService
from officeconsole.services.reporting.day_sheet import read_day_sheet
from officeconsole.services.reporting.report_files import report_csv
from officeconsole.services.reporting.report_model import WaitStats, wait_stats
from officeconsole.services.reporting.reports import ReportError, ReportService
from officeconsole.services.scheduling.booking import BookingInput

from tests.billing_setup import make_billing
from tests.conftest import NOW

MONDAY = NOW.date()  # 2026-11-23
TUESDAY = MONDAY + dt.timedelta(days=1)


def at(day: dt.date, hhmm: str) -> dt.datetime:
    """A clinic-local (New York) time as the UTC instant the clock holds."""
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, hour + 5, minute, tzinfo=dt.UTC)  # EST, UTC-5


def pay(ctx, patient_id: int, amount: str, method: str, **kw):
    key = new_request_key()
    return LedgerService(ctx).post_payment(PaymentInput(patient_id, amount, method, request_key=key, **kw))


def by_heading(section, row) -> dict:
    return {c.heading: v for c, v in zip(section.columns, row, strict=True)}


def test_two_equal_payments_by_one_patient_on_one_day_are_two_payments(ctx, clock, sched, desk_ctx, manager_ctx):
    pay(desk_ctx, sched["ann"], "25", "cash")
    pay(desk_ctx, sched["ann"], "25", "cash")  # the same patient, amount, method and day: a second payment
    card = pay(desk_ctx, sched["bob"], "40", "card")
    clock.at = at(TUESDAY, "09:00")
    LedgerService(manager_ctx).void_payment(card.id, "card charged twice", new_request_key())
    report = ReportService(manager_ctx).payments(MONDAY, TUESDAY)
    [section] = report.sections
    monday, tuesday = (by_heading(section, row) for row in section.rows)
    assert (monday["Cash"], monday["Card"], monday["Desk total"]) == (D("50.00"), D("40.00"), D("90.00"))
    assert (tuesday["Card"], tuesday["Desk total"]) == (D("-40.00"), D("-40.00"))  # the void, on its own day
    assert by_heading(section, section.totals)["Desk total"] == D("50.00")
    assert "2026-11-23,50.00,40.00,0.00,90.00,0.00,90.00" in report_csv(report)
    assert report.series[0].values == (90.0, -40.0)


@pytest.fixture
def day(ctx, clock, sched, desk_ctx, manager_ctx):
    """Monday: Ann seen at 08:00 and waited 18 minutes for Dr Lee, Bob seen by Dr Kim after 30
    minutes. Tuesday: Ann again (10 minutes, a mistaken "with provider" undone first), Bob a
    no-show, Carl cancelled."""
    from tests.factories import register

    carl = register(desk_ctx, first_name="Carl").id
    book, lee, kim, kind = sched["book"], sched["lee"], sched["kim"], sched["type"]
    clock.at = at(MONDAY, "07:00")
    visits = {"ann1": book.book(BookingInput(sched["ann"], lee, kind, MONDAY, "08:00")),
              "bob1": book.book(BookingInput(sched["bob"], kim, kind, MONDAY, "08:20")),
              "ann2": book.book(BookingInput(sched["ann"], lee, kind, TUESDAY, "08:00")),
              "bob2": book.book(BookingInput(sched["bob"], lee, kind, TUESDAY, "08:20")),
              "carl": book.book(BookingInput(carl, kim, kind, TUESDAY, "09:00"))}
    rooms = [RoomService(manager_ctx).add_room(name).id for name in ("Exam 1", "Exam 2")]
    flow, desk = FlowService(desk_ctx), CheckInService(desk_ctx)

    def visit(key: str, day: dt.date, arrive: str, room: str, provider: str, room_id: int, undo: str = ""):
        clock.at = at(day, arrive)
        row = desk.check_in(CheckInInput(visits[key].id, visits[key].version))
        clock.at = at(day, room)
        row = flow.advance(row.appointment_id, row.version, room_id)
        if undo:
            clock.at = at(day, undo)
            row = flow.undo(row.appointment_id, flow.advance(row.appointment_id, row.version).version)
        clock.at = at(day, provider)
        row = flow.advance(row.appointment_id, row.version)
        clock.advance(dt.timedelta(minutes=15))
        desk.check_out(row.appointment_id, row.version)

    visit("ann1", MONDAY, "08:00", "08:05", "08:18", rooms[0])
    visit("bob1", MONDAY, "08:20", "08:25", "08:50", rooms[1])
    visit("ann2", TUESDAY, "08:00", "08:02", "08:10", rooms[0], undo="08:04")
    clock.at = at(TUESDAY, "09:00")
    flow.mark_no_show(visits["bob2"].id, visits["bob2"].version)
    book.cancel(visits["carl"].id, visits["carl"].version, "patient_cancelled")
    clock.at = at(TUESDAY, "18:00")
    return visits


def test_wait_times_per_day_and_provider(day, manager_ctx):
    report = ReportService(manager_ctx).wait_times(MONDAY, TUESDAY)
    by_day, by_provider = report.sections
    assert by_day.rows == ((MONDAY, 2, 24.0, 24.0, 30, 30), (TUESDAY, 1, 10.0, 10.0, 10, 10))
    assert by_day.totals == ("Total", 3, 19.3, 18.0, 30, 30)
    assert by_provider.rows == (("Avery Lee", 2, 14.0, 14.0, 18, 18), ("Jo Kim", 1, 30.0, 30.0, 30, 30))
    assert report.series[0].values == (24.0, 10.0)


def test_no_shows_booked_seen_cancelled_and_rates(day, manager_ctx):
    report = ReportService(manager_ctx).no_shows(MONDAY, TUESDAY)
    by_day, by_provider = report.sections
    # The last two: no-shows the patient had confirmed, and the rest (none was confirmed here).
    assert by_day.rows == ((MONDAY, 2, 2, 0, 0, 0.0, 0.0, 0, 0),
                           (TUESDAY, 3, 1, 1, 1, 0.5, pytest.approx(1 / 3), 0, 1))
    assert by_day.totals == ("Total", 5, 3, 1, 1, 0.25, 0.2, 0, 1)
    assert by_provider.rows == (("Avery Lee", 3, 2, 1, 0, pytest.approx(1 / 3), 0.0, 0, 1),
                                ("Jo Kim", 2, 1, 0, 1, 0.0, 0.5, 0, 0))
    assert report.series[0].labels == ("11/23", "11/24") and report.series[0].values == (0.0, 0.5)


def test_each_day_of_the_day_sheet_report_matches_the_close_out_day_sheet(day, ctx, sched, desk_ctx, manager_ctx):
    pay(desk_ctx, sched["ann"], "25", "cash")
    pay(desk_ctx, sched["ann"], "25", "cash")
    report = ReportService(manager_ctx).day_sheets(MONDAY, TUESDAY)
    [section] = report.sections
    for row in section.rows:
        mine = by_heading(section, row)
        sheet = read_day_sheet(manager_ctx, mine["Day"])
        assert (mine["Visits"], mine["No-shows"], mine["Cancelled"], mine["New patients"]) == (
            sheet.visits, sheet.no_shows, sheet.cancellations, sheet.new_patients)
        assert (mine["Charges"], mine["Desk paid"], mine["Insurers paid"], mine["Adjustments"]) == (
            sheet.charges, sheet.desk_payments, sheet.insurer_payments, sheet.adjustments)
        assert mine["Avg wait"] == pytest.approx(sheet.average_wait, abs=0.05)
    totals = by_heading(section, section.totals)
    assert (totals["Visits"], totals["No-shows"], totals["Desk paid"], totals["Avg wait"]) == (3, 1, D("50.00"), 19.3)
    assert [s.title for s in report.series] == ["Visits per day", "No-show rate", "Collections per day"]


def test_production_by_provider_with_insurer_payments_and_adjustments(ctx, clock, sched, as_role, clinic, tmp_path):
    billing = make_billing(sched, as_role, clinic)
    [claim] = [billing.coded()]  # 99213 at $125 for Dr Lee, today
    billing.coded(lines=(("99214", "", 1, "1"), ("36415", "", 2, "1")))  # $185 + 2 x $15
    ClaimService(billing.biller).mark_all_ready()
    ClaimService(billing.biller).export_837(tmp_path)
    RemittanceService(billing.biller).post(RemitInput(billing.payer_id, "C1", MONDAY, "check", [ClaimPayment(
        claim.id, [LinePayment(claim.lines[0].id, "70", None, [Adjustment("CO", "45", "25"),
                                                               Adjustment("PR", "3", "30")])])]))
    report = ReportService(as_role("billing")).production(MONDAY, MONDAY)
    [section] = report.sections
    assert section.rows == (("Avery Lee", 2, D("340.00"), D("170.00"), D("70.00"), D("25.00")),)
    assert section.totals == ("Total", 2, D("340.00"), D("170.00"), D("70.00"), D("25.00"))
    assert report.series[0].values == (340.0,)


def test_aging_is_the_receivables_aging_as_of_the_last_day(ctx, clock, sched, as_role, clinic, tmp_path):
    billing = make_billing(sched, as_role, clinic)
    billing.coded()
    ClaimService(billing.biller).mark_all_ready()
    ClaimService(billing.biller).export_837(tmp_path)
    clock.advance(dt.timedelta(days=40))
    end = ctx.today() - dt.timedelta(days=1)
    report = ReportService(billing.manager).ar_aging(None, end)
    payers, patients = report.sections
    aging = ReceivablesService(billing.manager).aging(end)
    assert report.period == f"as of {end:%m/%d/%Y}"
    assert payers.rows == (("Blue Shield Test Plan", D("0.00"), D("125.00"), D("0.00"), D("0.00"), D("0.00"),
                            D("125.00")),) == tuple((r.name, *r.buckets, r.total) for r in aging.payers)
    assert patients.rows == () and patients.totals[-1] == D("0.00")


def test_ranges_defaults_and_bad_input(ctx, clinic, manager_ctx, desk_ctx):
    reports = ReportService(manager_ctx)
    default = reports.day_sheets()
    assert (default.start, default.end, len(default.sections[0].rows)) == (
        MONDAY - dt.timedelta(days=29), MONDAY, 30)
    with pytest.raises(ValidationError, match="has not happened yet"):
        reports.payments(MONDAY, TUESDAY)
    with pytest.raises(ValidationError, match="has not happened yet"):
        reports.payments(TUESDAY)
    with pytest.raises(ValidationError, match="after it ends"):
        reports.no_shows(MONDAY, MONDAY - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="choose one of day-sheet, production"):
        reports.run("sales", MONDAY, MONDAY)
    with pytest.raises(PermissionDenied):
        ReportService(desk_ctx).run("payments")


def test_a_local_day_is_the_clinic_s_day_across_the_dst_change(ctx, clock, sched, desk_ctx, manager_ctx):
    """Sunday 11/01/2026 has 25 hours in New York: 23:30 that night is still Sunday."""
    sunday = dt.date(2026, 11, 1)
    clock.at = dt.datetime(2026, 11, 2, 4, 30, tzinfo=dt.UTC)  # 23:30 EST on Sunday
    pay(desk_ctx, sched["ann"], "15", "check", reference="1001")
    report = ReportService(manager_ctx).payments(sunday - dt.timedelta(days=1), sunday)
    assert [(row[0], row[3]) for row in report.sections[0].rows] == [(sunday, D("15.00"))]


def test_export_csv_and_pdf_audited_and_an_unwritable_folder_refused(ctx, sched, desk_ctx, manager_ctx, tmp_path):
    pay(desk_ctx, sched["ann"], "25", "card")
    folder = tmp_path / "reports"
    reports = ReportService(manager_ctx)
    report = reports.no_shows(MONDAY, MONDAY)
    path = reports.export(report, "csv", folder)
    assert path.name == "no-shows-2026-11-23.csv"
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[0] == ["Day", "Booked", "Seen", "No-shows", "Cancelled", "No-show %", "Cancelled %",
                       "Confirmed no-shows", "Unconfirmed no-shows"]
    assert rows[1] == ["Total", "0", "0", "0", "0", "", "", "0", "0"] and rows[2] == []  # then the provider section
    pdf = reports.export(reports.payments(MONDAY - dt.timedelta(days=6), MONDAY), "pdf", folder, "week.pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and sorted(p.name for p in folder.iterdir()) == [
        "no-shows-2026-11-23.csv", "week.pdf"]
    with ctx.db.read() as session:
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.action == "report.export")).all() == [
            "report.export"] * 2
    with pytest.raises(ReportError, match="Cannot write the report"):
        reports.export(report, "csv", "/dev/null/reports")
    with pytest.raises(ValidationError, match="csv, json or pdf"):
        reports.export(report, "xlsx", folder)


def test_wait_statistics_from_counts():
    assert wait_stats(Counter()) == WaitStats(0, None, None, None, None)
    assert wait_stats(Counter({10: 1, 18: 1, 30: 1})) == WaitStats(3, 19.3, 18.0, 30, 30)
    assert wait_stats(Counter({5: 2, 9: 2})) == WaitStats(4, 7.0, 7.0, 9, 9)  # the middle two averaged
    nine_and_one = Counter({10: 9, 60: 1})
    assert wait_stats(nine_and_one).p90 == 10 and wait_stats(nine_and_one + Counter({60: 1})).p90 == 60


def test_aging_report_totals_every_patient_and_lists_credits_on_their_own(ctx, sched, as_role, clinic):
    from tests.factories import register

    billing = make_billing(sched, as_role, clinic)
    for name in ("Sam", "Tia"):  # two self-pay visits of $125, one paid down to $100
        own = billing.coded(patient_id=register(billing.desk, first_name=name, last_name="Selfpay").id)
        ClaimService(billing.biller).bill_self_pay(own.id, own.version)
    LedgerService(billing.desk).post_payment(PaymentInput(own.patient_id, "25", "cash", request_key=new_request_key()))
    LedgerService(billing.desk).post_payment(PaymentInput(sched["ann"], "40", "cash", request_key=new_request_key()))
    report = ReportService(billing.manager).ar_aging(None, ctx.today())
    _payers, patients = report.sections
    assert patients.rows[-1] == ("Credits (1 patient)", *(D("0.00"),) * 5, D("-40.00"))
    assert patients.totals == ("Total, every patient", D("225.00"), *(D("0.00"),) * 4, D("185.00"))
    assert "patients owe $225.00, less $40.00 in credits" in report.notes[0]
