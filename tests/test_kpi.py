"""The dashboard's figures (services/kpi) against a small history worked out by hand: the month
to date (11/01-11/23/2026) against 10/01-10/23 and 11/01-11/23/2025, today, the trend, the
periods, and ranges with nothing in them."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest

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
from officeconsole.services.reporting.kpi import KpiService
from officeconsole.services.reporting.kpi.periods import Span, choose_span, kind_of, previous, step, year_before
from officeconsole.services.reporting.report_files import report_csv, report_json
from officeconsole.services.reporting.reports import ReportService
from officeconsole.services.scheduling.booking import BookingInput

from tests.billing_setup import make_billing
from tests.conftest import NOW
from tests.factories import register

TODAY = NOW.date()  # Monday 11/23/2026, 10:00 in New York
OCT_5, NOV_16, NOV_17 = dt.date(2026, 10, 5), dt.date(2026, 11, 16), dt.date(2026, 11, 17)
# Weekdays at 8 working hours (08-12, 13-17) for two providers: 11/02-11/23 has 16, 10/01-10/23 has 17.
WORK_NOW, WORK_BEFORE = 2 * 16 * 480, 2 * 17 * 480


def at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    offset = 4 if day < dt.date(2026, 11, 1) else 5  # EDT, then EST
    return dt.datetime(day.year, day.month, day.day, hour + offset, minute, tzinfo=dt.UTC)


@pytest.fixture
def history(ctx, clock, sched, desk_ctx, manager_ctx):
    """October 5: Ann (Dr Lee 08:00) arrives 07:50, the provider at 08:10: waited 10, on time;
    Bob (Dr Kim 08:20) a no-show.
    November 16: Ann (Lee 08:00) arrives 08:05, provider 08:25: waited 20, late (25); Bob (Kim
    08:20) arrives 08:10, provider 08:30: waited 10 (from 08:20), on time; Carl (Kim 09:00)
    cancelled at 08:30, a late cancel. November 17: Dee (Lee 10:00) moved to 11:00, a no-show.
    Today: Eve (Lee 09:00) arrived 08:55, still waiting at 10:00 (60 minutes); $25 cash taken."""
    people = {name: register(desk_ctx, first_name=name).id for name in ("Carl", "Dee", "Eve")}
    people.update(Ann=sched["ann"], Bob=sched["bob"])
    book, lee, kim, kind = sched["book"], sched["lee"], sched["kim"], sched["type"]
    room = RoomService(manager_ctx).add_room("Exam 1").id
    flow, desk = FlowService(desk_ctx), CheckInService(desk_ctx)

    def seen(visit, day, arrive, provider):
        clock.at = at(day, arrive)
        row = desk.check_in(CheckInInput(visit.id, visit.version))
        row = flow.advance(row.appointment_id, row.version, room)
        clock.at = at(day, provider)
        row = flow.advance(row.appointment_id, row.version)
        clock.at = at(day, provider) + dt.timedelta(minutes=10)
        desk.check_out(row.appointment_id, row.version)

    clock.at = at(OCT_5, "07:00")
    ann, bob = (book.book(BookingInput(people["Ann"], lee, kind, OCT_5, "08:00")),
                book.book(BookingInput(people["Bob"], kim, kind, OCT_5, "08:20")))
    seen(ann, OCT_5, "07:50", "08:10")
    clock.at = at(OCT_5, "09:00")
    flow.mark_no_show(bob.id, bob.version)

    clock.at = at(NOV_16, "07:00")
    visits = {n: book.book(BookingInput(people[n], p, kind, NOV_16, t))
              for n, p, t in (("Ann", lee, "08:00"), ("Bob", kim, "08:20"), ("Carl", kim, "09:00"))}
    dee = book.book(BookingInput(people["Dee"], lee, kind, NOV_17, "10:00"))
    dee = book.move(dee.id, dee.version, NOV_17, "11:00")
    seen(visits["Ann"], NOV_16, "08:05", "08:25")
    clock.at = at(NOV_16, "08:30")
    book.cancel(visits["Carl"].id, visits["Carl"].version, "patient_cancelled")
    seen(visits["Bob"], NOV_16, "08:10", "08:30")
    clock.at = at(NOV_17, "12:00")
    flow.mark_no_show(dee.id, dee.version)

    clock.at = at(TODAY, "08:00")
    eve = book.book(BookingInput(people["Eve"], lee, kind, TODAY, "09:00"))
    clock.at = at(TODAY, "08:55")
    desk.check_in(CheckInInput(eve.id, eve.version))
    clock.at = NOW
    LedgerService(desk_ctx).post_payment(PaymentInput(people["Eve"], "25", "cash", request_key=new_request_key()))
    return people


def test_each_figure_of_the_month_to_date_against_last_month_and_last_year(history, manager_ctx):
    d = KpiService(manager_ctx).dashboard()
    assert (d.span, d.before, d.year_ago) == (Span(dt.date(2026, 11, 1), TODAY), Span(dt.date(2026, 10, 1), dt.date(2026, 10, 23)),
                                              Span(dt.date(2025, 11, 1), dt.date(2025, 11, 23)))
    now = {r.figure.key: r.now for r in d.rows}
    before = {r.figure.key: r.before for r in d.rows}
    year_ago = {r.figure.key: r.year_ago for r in d.rows}
    assert now == {
        "visits": 3, "booked": 5, "new_patients": 5, "no_show_rate": 0.25, "late_cancel_rate": 0.2,
        "wait_average": 15.0, "wait_p90": 20, "on_time": 0.5, "overrides": 0, "reschedules": 1,
        "utilisation": 80 / WORK_NOW, "charges": D("0.00"), "collections": D("25.00"),
        "net_collection_rate": None, "denial_rate": None, "days_in_ar": None}
    assert before == {
        "visits": 1, "booked": 2, "new_patients": 0, "no_show_rate": 0.5, "late_cancel_rate": 0.0,
        "wait_average": 10.0, "wait_p90": 10, "on_time": 1.0, "overrides": 0, "reschedules": 0,
        "utilisation": 40 / WORK_BEFORE, "charges": D("0.00"), "collections": D("0.00"),
        "net_collection_rate": None, "denial_rate": None, "days_in_ar": None}
    assert (year_ago["visits"], year_ago["no_show_rate"], year_ago["wait_average"], year_ago["on_time"]) == (
        0, None, None, None)  # nothing a year ago: nothing to divide
    assert d.row("visits").change == "up" and d.row("visits").verdict == 1
    assert d.row("no_show_rate").change == "down" and d.row("no_show_rate").verdict == 1  # fewer is better
    assert d.row("wait_average").verdict == -1  # longer waits are worse
    assert d.row("no_show_rate").year_change == ""  # nothing to compare with
    assert d.today is not None and (d.today.booked, d.today.arrived, d.today.waiting, d.today.longest_wait,
                                    d.today.seen, d.today.no_shows, d.today.collected) == (1, 1, 1, 60, 0, 0, D("25.00"))
    providers = {row[0]: row for row in d.providers}
    assert providers["Avery Lee"][3:5] == (60, WORK_NOW // 2) and providers["Jo Kim"][3:5] == (20, WORK_NOW // 2)
    desk = {row[0]: row[1:] for row in d.desk}
    assert list(desk.values()) == [(3, 1, D("25.00"))]  # three check-ins and a payment this month, one user
    # The trend: twelve months to November; October and November as above.
    assert len(d.months) == 12 and d.months[-1] == dt.date(2026, 11, 1)
    assert d.trend["visits"][-2:] == (1, 3) and d.trend["no_show_rate"][-2:] == (0.5, 0.25)
    assert d.trend["visits"][0] == 0 and d.trend["wait_average"][0] is None


def test_money_figures_reuse_the_aging_definition_of_days_in_ar(ctx, clock, sched, as_role, clinic, tmp_path):
    billing = make_billing(sched, as_role, clinic)
    claim = billing.coded()  # 99213 at $125, today
    billing.coded(lines=(("99214", "", 1, "1"),))  # $185
    ClaimService(billing.biller).mark_all_ready()
    ClaimService(billing.biller).export_837(tmp_path)
    RemittanceService(billing.biller).post(RemitInput(billing.payer_id, "C1", TODAY, "check", [ClaimPayment(
        claim.id, [LinePayment(claim.lines[0].id, "70", None, [Adjustment("CO", "45", "25"),
                                                               Adjustment("PR", "3", "30")])])]))
    LedgerService(billing.desk).post_payment(PaymentInput(billing.patient_id, "30", "card",
                                                          request_key=new_request_key()))
    d = KpiService(billing.manager).dashboard()
    now = {r.figure.key: r.now for r in d.rows}
    assert (now["charges"], now["collections"]) == (D("310.00"), D("100.00"))
    assert now["net_collection_rate"] == pytest.approx(100 / (310 - 25))
    assert now["denial_rate"] == 0.0
    assert now["days_in_ar"] == ReceivablesService(billing.manager).aging(TODAY).days_in_ar is not None
    assert {name for name, _n in d.billers}  # the biller worked both claims
    assert max(n for _name, n in d.billers) == 2


def test_the_report_gives_the_dashboards_numbers_as_table_csv_and_json(history, manager_ctx):
    report = ReportService(manager_ctx).run("kpi")
    d = KpiService(manager_ctx).dashboard()
    rates = next(s for s in report.sections if s.title == "Rates")
    assert rates.rows[0] == ("No-show rate", 0.25, 0.5, "down", None, "")
    data = json.loads(report_json(report))
    assert data["from"] == "2026-11-01" and data["to"] == "2026-11-23"
    today = next(s for s in data["sections"] if s["title"] == "Today")
    assert today["rows"] == [{"Booked": "1", "Arrived": "1", "Waiting": "1", "Longest wait (min)": "60",
                              "Seen": "0", "No-shows": "0", "Collected": "25.00"}]
    waits = next(s for s in data["sections"] if s["title"] == "Waits")["rows"]
    assert waits[0]["11/01/2026 to 11/23/2026"] == f"{d.row('wait_average').now:.1f}" == "15.0"
    assert "No-show rate,25.0,50.0,down,,\r\n" in report_csv(report)


def test_ranges_with_nothing_show_nothing_and_divide_by_nothing(ctx, clinic, manager_ctx):
    d = KpiService(manager_ctx).dashboard("custom", dt.date(2016, 11, 24), TODAY)  # ten years, empty
    assert all(r.now in (None, 0, D("0.00")) for r in d.rows)
    assert d.row("no_show_rate").now is None and d.row("no_show_rate").change == ""
    report = ReportService(manager_ctx).run("kpi", dt.date(2016, 11, 24), TODAY)
    assert "Nothing" not in report.title and report_json(report)
    with pytest.raises(ValidationError, match="ten years at the most"):
        KpiService(manager_ctx).dashboard("custom", dt.date(2016, 11, 1), TODAY)
    with pytest.raises(ValidationError, match="has not happened yet"):
        KpiService(manager_ctx).dashboard("custom", TODAY, TODAY + dt.timedelta(days=1))


def test_the_front_desk_may_not_read_the_dashboard(desk_ctx):
    with pytest.raises(PermissionDenied):
        KpiService(desk_ctx).dashboard()


def test_periods_compare_like_with_like():
    today = TODAY
    month = choose_span("month", None, None, today)
    assert month == Span(dt.date(2026, 11, 1), today)
    assert previous("month", month) == Span(dt.date(2026, 10, 1), dt.date(2026, 10, 23))
    assert previous("month", Span(dt.date(2026, 3, 1), dt.date(2026, 3, 31))) == Span(dt.date(2026, 2, 1),
                                                                                      dt.date(2026, 2, 28))
    assert choose_span("week", None, None, today) == Span(today, today)  # a Monday
    quarter = choose_span("quarter", None, None, today)
    assert quarter == Span(dt.date(2026, 10, 1), today)
    assert previous("quarter", quarter) == Span(dt.date(2026, 7, 1), dt.date(2026, 8, 23))
    assert step("month", month, -1, today) == Span(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert step("month", month, 1, today) == month  # never into the future
    assert step("week", Span(today, today), -1, today) == Span(dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert year_before(Span(dt.date(2028, 2, 29), dt.date(2028, 2, 29))) == Span(dt.date(2027, 2, 28),
                                                                                 dt.date(2027, 2, 28))
    custom = Span(dt.date(2026, 11, 10), dt.date(2026, 11, 19))
    assert previous("custom", custom) == Span(dt.date(2026, 10, 31), dt.date(2026, 11, 9))
    assert kind_of(None, None, today) == "month"
    assert kind_of(dt.date(2026, 10, 1), dt.date(2026, 10, 31), today) == "month"
    assert kind_of(dt.date(2026, 10, 1), today, today) == "quarter"
    assert kind_of(dt.date(2026, 11, 10), dt.date(2026, 11, 19), today) == "custom"
