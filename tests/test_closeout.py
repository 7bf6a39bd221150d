"""The nightly close: no-shows, missing charges, payments against the counted drawer, the day sheet;
a dry run changes nothing and a rerun counts nothing twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from officeconsole.models import Appointment, AuditEvent, ClosedDay, CloseRun, LedgerEntry
from officeconsole.services.billing.encounters import ChargeInput, EncounterService
from officeconsole.services.billing.fees import FeeService
from officeconsole.services.common.errors import PermissionDenied, ValidationError
from officeconsole.services.frontdesk.checkin import CheckInInput, CheckInService
from officeconsole.services.frontdesk.ledger import LedgerService, PaymentInput, new_request_key
from officeconsole.services.operations.closed_days import DayClosed
from officeconsole.services.operations.closeout import CloseOutService, CloseSettings
from officeconsole.services.operations.day_lock import DayLockService
from officeconsole.services.reporting.day_sheet import read_day_sheet, sheet_pdf
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.staffing.credentials import CredentialInput, CredentialService
from officeconsole.services.stock.inventory import InventoryService, ItemInput, ReceiveLine

from tests.conftest import NOW, engine_name
from tests.pdf_text import pdf_text


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


def step(result, name):
    return next(s for s in result.steps if s.name == name)


def version(ctx, appointment_id):
    with ctx.db.read() as session:
        return session.get(Appointment, appointment_id).version


def test_close_marks_no_shows_reconciles_locks_and_writes_the_day_sheet(ctx, day, manager_ctx, tmp_path):
    closer = CloseOutService(manager_ctx)
    dry = closer.close_day(cash_counted="45", dry_run=True, reports_dir=tmp_path)
    assert "1 would be marked no-show" in dry.steps[1].lines[0] and dry.files == [] and dry.run_id is None
    assert [s.name for s in dry.steps][-5:] == ["Lock the day", "Day sheet", "Backup", "Reminders", "Alerts"]
    assert status(ctx, day["bob"]) == "scheduled"  # the dry run changed nothing
    assert DayLockService(manager_ctx).closure(NOW.date()) is None
    result = closer.close_day(cash_counted="45", card_counted="40", reports_dir=tmp_path)
    assert status(ctx, day["bob"]) == "no_show"
    assert result.steps[1].lines == ["1 marked no-show; 1 no-shows and 0 cancellations in all",
                                     "still in the clinic, not checked out: 08:00 Testperson, Ann (arrived)"]
    assert result.steps[2].lines == ["every visit seen has charges"] and not result.blocked
    assert result.expected == {"cash": Decimal("50.00"), "card": Decimal("40.00")}  # two $25 payments, both counted
    assert result.variance == {"cash": Decimal("-5.00"), "card": Decimal("0.00")}
    sheet = result.sheet
    assert (sheet.charges, sheet.desk_payments, sheet.visits, sheet.no_shows) == (Decimal("125.00"), Decimal("90.00"), 1, 1)
    assert sheet.no_show_rate == 0.5
    csv_file, pdf_file = result.files
    assert "Charges: Avery Lee (1 visit),125.00" in csv_file.read_text() and pdf_file.read_bytes().startswith(b"%PDF")
    closed = DayLockService(manager_ctx).closure(NOW.date())
    assert closed.closed_by == "Morgan Manager" and closed.close_run_id == result.run_id
    first_csv, first_pdf = csv_file.read_bytes(), pdf_file.read_bytes()
    again = closer.close_day(cash_counted="45", card_counted="40", reports_dir=tmp_path)
    assert again.already is not None and again.run_id == result.run_id
    assert "nothing was counted again" in again.steps[0].lines[0]
    assert any("reopen-day 2026-11-23" in line for line in again.steps[0].lines)
    assert csv_file.read_bytes() == first_csv and pdf_file.read_bytes() == first_pdf  # the same day sheet
    with ctx.db.read() as session:
        runs = session.execute(select(CloseRun.status, CloseRun.cash_counted).order_by(CloseRun.id)).all()
        entries = [(e.kind, e.method, e.amount, e.posted_at) for e in session.scalars(select(LedgerEntry))]
    assert runs == [("closed", Decimal("45.00"))]  # the rerun recorded nothing new
    # The sheet against the ledger itself: every payment and void posted that day, by method.
    by_method: dict[str, Decimal] = {}
    for kind, method, amount, posted_at in entries:
        if kind in ("payment", "void") and posted_at.astimezone(ctx.timezone).date() == NOW.date():
            by_method[method] = by_method.get(method, Decimal(0)) - amount
    assert sheet.payments_by_method == by_method == {"cash": Decimal("50.00"), "card": Decimal("40.00")}


def test_a_closed_day_refuses_changes_dated_in_it(ctx, day, sched, manager_ctx, desk_ctx, as_role, clock, tmp_path):
    book = sched["book"]
    late = book.book(BookingInput(sched["bob"], sched["kim"], sched["type"], NOW.date(), "17:40",
                                  override_reason="after hours"))  # not yet a no-show at 18:00
    CloseOutService(manager_ctx).close_day(reports_dir=tmp_path)
    with pytest.raises(DayClosed, match="reopen-day 2026-11-23"):
        book.book(BookingInput(sched["ann"], sched["kim"], sched["type"], NOW.date(), "16:00",
                               override_reason="late entry"))
    with pytest.raises(DayClosed):
        book.cancel(late.id, late.version, "patient_cancelled")
    with pytest.raises(DayClosed):  # moving a visit out of the closed day
        book.move(late.id, late.version, NOW.date() + dt.timedelta(days=1), "09:00")
    tomorrow = book.book(BookingInput(sched["bob"], sched["lee"], sched["type"], NOW.date() + dt.timedelta(days=1),
                                      "09:00"))
    with pytest.raises(DayClosed):  # and into it
        book.move(tomorrow.id, tomorrow.version, NOW.date(), "16:00", override_reason="late entry")
    with pytest.raises(DayClosed):  # money taken after the close, still that day
        LedgerService(desk_ctx).post_payment(PaymentInput(sched["ann"], "5", "cash", request_key=new_request_key()))
    coding = EncounterService(as_role("billing"))
    encounter = coding.for_visit(day["ann"])
    with pytest.raises(DayClosed):  # a late charge for a visit of the closed day
        coding.add_charge(encounter.id, encounter.version, ChargeInput("99213", allow_duplicate=True))
    with ctx.db.read() as session:
        assert session.get(Appointment, day["bob"]).status == "no_show"
        payment = session.scalars(select(LedgerEntry.id).where(LedgerEntry.kind == "payment",
                                                               LedgerEntry.method == "card")).one()
    clock.at = NOW + dt.timedelta(days=1)  # the next morning: work dated today goes on
    void = LedgerService(as_role("manager")).void_payment(payment, "wrong patient", new_request_key())
    assert void.amount == Decimal("40.00")
    assert read_day_sheet(manager_ctx, NOW.date()).desk_payments == Decimal("90.00")  # unchanged



def test_a_day_locked_inside_a_transaction_refuses_that_transactions_later_writes(ctx, day, manager_ctx, tmp_path):
    """A transaction remembers the days it found open (a batch asks once), but never past a lock
    it makes itself: the visit written before the lock goes through, the one after is refused."""
    from officeconsole.services.operations import closed_days

    run_id = CloseOutService(manager_ctx).close_day(reports_dir=tmp_path).run_id
    DayLockService(manager_ctx).reopen(NOW.date(), "a late charge")
    with pytest.raises(DayClosed), ctx.db.write() as session:
        visit = session.get(Appointment, day["ann"])
        visit.override_reason = "checked"
        session.flush()  # the day is open: remembered
        starts, ends = closed_days.day_bounds_utc(NOW.date(), ctx.timezone)
        session.add(ClosedDay(day=NOW.date(), starts_at=starts, ends_at=ends, closed_at=NOW,
                              closed_by_id=manager_ctx.actor.user_id, close_run_id=run_id))
        visit.override_reason = "written in the flush that locks the day"
        session.flush()  # checked before the lock's row is written: it goes through, and is not remembered
        visit.override_reason = "written after the lock"
        session.flush()
    with ctx.db.read() as session:
        assert session.get(Appointment, day["ann"]).override_reason == ""  # nothing of it stays


def test_the_database_refuses_money_posted_in_a_closed_day(ctx, day, sched, manager_ctx, clinic, tmp_path):
    CloseOutService(manager_ctx).close_day(reports_dir=tmp_path)
    with pytest.raises(DBAPIError, match="closed"), ctx.db.engine.begin() as connection:  # no service, no guard
        connection.execute(insert(LedgerEntry.__table__).values(
            patient_id=sched["ann"], kind="adjustment", amount=Decimal("-5"), method="", reference="", memo="",
            posted_by_id=clinic.actors["manager"].user_id, posted_at=NOW, reason="", request_key="raw-1"))


def test_reopen_needs_a_manager_and_a_reason_and_the_day_closes_again(ctx, day, manager_ctx, desk_ctx, as_role,
                                                                      tmp_path):
    closer, locks = CloseOutService(manager_ctx), DayLockService(manager_ctx)
    first = closer.close_day(reports_dir=tmp_path)
    with pytest.raises(PermissionDenied):
        DayLockService(desk_ctx).reopen(NOW.date(), "fix a charge")
    with pytest.raises(ValidationError, match="Say why"):
        locks.reopen(NOW.date(), " ")
    locks.reopen(NOW.date(), "late charge for Ann's visit")
    with pytest.raises(ValidationError, match="not closed"):
        locks.reopen(NOW.date(), "again")
    coding = EncounterService(as_role("billing"))
    encounter = coding.for_visit(day["ann"])
    coding.add_charge(encounter.id, encounter.version, ChargeInput("99213", units=2, allow_duplicate=True))
    second = closer.close_day(reports_dir=tmp_path)
    assert second.already is None and second.run_id != first.run_id
    assert (first.sheet.charges, second.sheet.charges) == (Decimal("125.00"), Decimal("375.00"))
    assert locks.closure(NOW.date()).close_run_id == second.run_id
    with ctx.db.read() as session:
        actions = session.scalars(select(AuditEvent.summary).where(AuditEvent.action == "day.reopen")).all()
    assert actions == ["2026-11-23 reopened: late charge for Ann's visit"]
    assert [(r.status, r.in_force, r.charges) for r in closer.runs(NOW.date())] == [
        ("closed", False, Decimal("125.00")), ("closed", True, Decimal("375.00"))]


def test_backup_step_and_a_rerun_that_finishes_a_failed_backup(ctx, day, manager_ctx, tmp_path, monkeypatch):
    closer = CloseOutService(manager_ctx)
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    first = closer.close_day(reports_dir=tmp_path, backup_dir=not_a_folder)
    assert first.failed and "FAILED" in step(first, "Backup").lines[0]
    assert DayLockService(manager_ctx).closure(NOW.date()).backed_up_at is None  # locked, backup still owed
    backups = tmp_path / "backups"
    if ctx.db.dialect == "postgresql":  # pg_dump is slow to start: the step, not pg_dump, is under test
        from officeconsole.services.operations import backups as backup_module

        monkeypatch.setattr(backup_module, "_pg_dump", lambda url, target: target.write_bytes(b"dump"))
        monkeypatch.setattr(backup_module, "verify_dump", lambda path, name="": {"patient": 1})
    rerun = closer.close_day(reports_dir=tmp_path, backup_dir=backups)
    assert not rerun.failed and rerun.already is not None
    made = list(backups.iterdir())
    assert len(made) == 1 and "verified" in step(rerun, "Backup").lines[0]
    assert DayLockService(manager_ctx).closure(NOW.date()).backup_file == str(made[0])
    third = closer.close_day(reports_dir=tmp_path, backup_dir=backups)
    assert step(third, "Backup").lines[0].startswith("done at") and len(list(backups.iterdir())) == 1


def test_reminders_and_credential_alerts(ctx, day, sched, manager_ctx, clinic, clock, tmp_path):
    CredentialService(manager_ctx).add_credential(CredentialInput(
        clinic.actors["provider"].user_id, "state_licence", "Medical licence", "036-1", "IL", "2026-12-20"))
    stock = InventoryService(manager_ctx)
    gloves = stock.add_item(ItemInput("Gloves", "supply", "box", reorder_point=5, par_level=20)).id
    flu = stock.add_item(ItemInput("Flu vaccine", "vaccine", "dose", reorder_point=1, par_level=5)).id
    stock.receive([ReceiveLine(gloves, 2), ReceiveLine(flu, 3, "FLU9", "2026-12-01")], new_request_key())
    clock.at = NOW.replace(hour=12)
    sched["book"].book(BookingInput(sched["bob"], sched["kim"], sched["type"], NOW.date() + dt.timedelta(days=2),
                                    "09:00"))
    clock.at = NOW.replace(hour=23)
    result = CloseOutService(manager_ctx).close_day(reports_dir=tmp_path)
    assert step(result, "Reminders").lines[0] == "1 patient to remind for Wednesday 11/25/2026"
    assert step(result, "Alerts").lines == ["Avery Lee: Medical licence expires 12/20/2026 (in 27 days)",
                                            "low stock: Gloves, 2 box (reorder at 5)",
                                            "Flu vaccine lot FLU9: 3 expires 12/01/2026"]
    rows = (tmp_path / "reminders-2026-11-25.csv").read_text().splitlines()
    assert rows[0].startswith("Name,Phone") and "Testperson" in rows[1] and "2026-11-25 09:00" in rows[1]


def test_missing_charges_warn_or_block(ctx, sched, desk_ctx, manager_ctx, clock, tmp_path):
    clock.at = NOW.replace(hour=12)
    visit = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], NOW.date(), "08:00"))
    clock.at = NOW.replace(hour=13)
    CheckInService(desk_ctx).check_in(CheckInInput(visit.id, visit.version))
    clock.at = NOW.replace(hour=23)
    closer = CloseOutService(manager_ctx)
    warned = closer.close_day(dry_run=True, reports_dir=tmp_path)
    assert not warned.blocked and "Testperson, Ann: seen, no charges" in warned.steps[2].lines[0]
    assert warned.steps[2].warning  # not "ok": the close goes on, but someone should look
    assert closer.set_settings(missing_charges="BLOCK") == CloseSettings(30, "block")
    blocked = closer.close_day(reports_dir=tmp_path)
    assert blocked.blocked and "block the close" in blocked.steps[2].lines[-1]
    assert DayLockService(manager_ctx).closure(NOW.date()) is None and blocked.files == []
    assert [(r.status, r.in_force) for r in closer.runs(NOW.date())] == [("blocked", False)]
    warned = closer.close_day(missing_charges_block=False, reports_dir=tmp_path)  # the manager's choice tonight
    assert not warned.blocked and warned.run_id is not None


def test_close_settings_are_checked(manager_ctx, desk_ctx, clinic):
    closer = CloseOutService(manager_ctx)
    with pytest.raises(ValidationError, match="warn or block"):
        closer.set_settings(missing_charges="sometimes")
    with pytest.raises(ValidationError, match="0 to 480"):
        closer.set_settings(grace_minutes="soon")
    with pytest.raises(PermissionDenied):
        CloseOutService(desk_ctx).set_settings(grace_minutes=10)
    assert closer.set_settings(grace_minutes="15") == CloseSettings(15, "warn") == closer.settings()


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


def test_a_payment_taken_while_the_close_runs_is_in_the_printed_and_the_recorded_variance(ctx, day, sched,
                                                                                          manager_ctx, desk_ctx,
                                                                                          tmp_path):
    """The desk takes $10 cash as the lock starts: the printed expected takings and variance are the
    ones the run record stores, worked out once, in the lock's transaction."""
    def progress(name: str) -> None:
        if name == "Lock the day":
            LedgerService(desk_ctx).post_payment(PaymentInput(sched["bob"], "10", "cash",
                                                              request_key=new_request_key()))

    result = CloseOutService(manager_ctx).close_day(cash_counted="60", card_counted="40", reports_dir=tmp_path,
                                                    progress=progress)
    with ctx.db.read() as session:
        run = session.get(CloseRun, result.run_id)
        recorded = {"cash": run.cash_counted - run.cash_expected, "card": run.card_counted - run.card_expected}
        expected = {"cash": run.cash_expected, "card": run.card_expected}
    assert expected == {"cash": Decimal("60.00"), "card": Decimal("40.00")}  # the $10 taken during the close too
    assert result.variance == recorded == {"cash": Decimal("0.00"), "card": Decimal("0.00")}
    assert {m: result.expected[m] for m in expected} == expected
    assert step(result, "Payments reconciled").lines[0] == "Cash: expected $60.00, counted $60.00, variance $0.00"
    assert result.sheet.desk_payments == Decimal("100.00")


def test_a_drawer_that_is_off_is_a_warning_and_the_printed_sheet_says_it_in_money(ctx, day, manager_ctx,
                                                                                    tmp_path):
    """Cash counted $5 short: the dry run warns on the reconcile step (a drawer that matches does
    not); the printed sheet heads with the clinic's name and shows $ amounts, the counted drawer
    and its variance."""
    closer = CloseOutService(manager_ctx)
    short = closer.close_day(cash_counted="45", dry_run=True, reports_dir=tmp_path)
    reconciled = step(short, "Payments reconciled")
    assert reconciled.warning and not reconciled.blocking and not short.blocked
    assert reconciled.lines[0] == "Cash: expected $50.00, counted $45.00, variance -$5.00 (short)"
    even = closer.close_day(cash_counted="50", card_counted="40", dry_run=True, reports_dir=tmp_path)
    assert not step(even, "Payments reconciled").warning
    result = closer.close_day(cash_counted="1045.5", card_counted="40", reports_dir=tmp_path)
    assert step(result, "Payments reconciled").warning
    csv_file, pdf_file = result.files
    text = pdf_text(pdf_file.read_bytes())
    assert text.startswith("Maple Street Family Practice")
    for shown in ("Charges: Avery Lee (1 visit)", "$125.00", "Payments at the desk: total", "$90.00",
                  "Drawer: cash expected", "$50.00", "Drawer: cash counted", "$1,045.50",
                  "Drawer: cash variance", "$995.50", "Drawer: card variance", "$0.00"):
        assert shown in text, shown
    assert "Charges: total$125.00" in text and "total125.00" not in text  # amounts as money, not bare numbers
    assert "Clinic,Maple Street Family Practice" in csv_file.read_text()
    assert "Drawer: cash counted,1045.50" in csv_file.read_text()  # the CSV keeps plain numbers
    again = closer.close_day(reports_dir=tmp_path)  # a rerun prints the same drawer from the run record
    assert again.already is not None and pdf_file.read_bytes() == sheet_pdf(again.sheet)


def test_close_day_says_how_much_room_the_backup_has(manager_ctx, clinic, tmp_path, monkeypatch):
    import shutil as disk

    from officeconsole.services.operations import closeout_steps

    result = CloseOutService(manager_ctx).close_day(dt.date(2026, 11, 22), dry_run=True, backup_dir=tmp_path)
    room = next(s for s in result.steps if s.name == "Disk space")
    assert not room.warning and "GB free in" in room.lines[0]
    monkeypatch.setattr(closeout_steps.shutil, "disk_usage", lambda path: disk._ntuple_diskusage(100, 100, 0))
    tight = CloseOutService(manager_ctx).close_day(dt.date(2026, 11, 22), dry_run=True, backup_dir=tmp_path)
    room = next(s for s in tight.steps if s.name == "Disk space")
    assert room.warning and "less than twice the database's size is free" in room.lines[-1]


@pytest.mark.skipif(engine_name() != "sqlite", reason="SQLite's plan without statistics (PostgreSQL keeps its own)")
def test_the_close_reads_the_day_through_indexes_even_without_statistics(ctx, clinic):
    """Without statistics SQLite would sum insurer money on the kind index (every payment ever
    posted) and find the day's encounters by scanning them all; the close's queries leave it only
    the posted-date and the (status, date of service) indexes."""
    from officeconsole.models import Encounter
    from officeconsole.services.operations.closed_days import day_bounds_utc
    from officeconsole.services.reporting.day_sheet import insurer_money_query, served_on

    def plan(session, query) -> str:
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        return " ".join(str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))

    with ctx.db.read() as session:
        assert not session.execute(text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")).all() or \
            not session.execute(text("SELECT 1 FROM sqlite_stat1 WHERE tbl IN ('ar_entry', 'encounter')")).all()
        money = plan(session, insurer_money_query(*day_bounds_utc(NOW.date(), ctx.timezone)))
        visits = plan(session, select(Encounter.id).where(served_on(NOW.date())))
    assert "USING INDEX ix_ar_entry_posted" in money and "ix_ar_entry_charged" not in money, money
    assert "INDEX ix_encounter_status_service (status=? AND date_of_service=?)" in visits, visits
