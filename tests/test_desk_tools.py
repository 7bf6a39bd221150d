"""The front desk's daily tools: patient alerts and notes, confirmations, reminders sent through the
clinic's command, recalls and the printable day list."""

from __future__ import annotations

import datetime as dt
import json
import sys

import pytest
from sqlalchemy import select

from officeconsole.models import Appointment, AuditEvent, ReminderSent
from officeconsole.services.common.errors import PermissionDenied, ValidationError
from officeconsole.services.frontdesk.patient_alerts import PatientAlertService
from officeconsole.services.reporting.reports import ReportService
from officeconsole.services.scheduling.booking import BookingInput
from officeconsole.services.scheduling.day_lists import DayListService
from officeconsole.services.scheduling.recalls import RecallService, add_months
from officeconsole.services.scheduling.reminders import ReminderService, reminder_csv
from officeconsole.services.scheduling.schedule import ScheduleService

from tests.conftest import MONDAY
from tests.factories import register
from tests.pdf_text import pdf_text

TUESDAY = MONDAY + dt.timedelta(days=1)


def _actions(ctx, prefix: str) -> list[str]:
    with ctx.db.read() as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like(prefix + "%"))))


# ----- alerts and notes -------------------------------------------------------------------------
def test_an_alert_shows_on_the_schedule_until_it_expires_or_is_ended(ctx, clock, sched, desk_ctx):
    alerts = PatientAlertService(desk_ctx)
    visit = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    interpreter = alerts.add_alert(sched["ann"], "  Needs a Spanish interpreter ")
    balance = alerts.add_alert(sched["ann"], "Collect the balance", expires_on=MONDAY - dt.timedelta(days=1))
    assert [a.text for a in alerts.alerts_for(sched["ann"])] == ["Needs a Spanish interpreter", "Collect the balance"]
    [row] = ScheduleService(desk_ctx).day(MONDAY)
    assert row.id == visit.id and row.alerts == ("Needs a Spanish interpreter",) and row.mark == "!"
    assert row.alerts == ("Needs a Spanish interpreter",)  # on 11/30 the balance alert has expired
    assert alerts.alert_texts([sched["ann"], sched["bob"]]) == {
        sched["ann"]: ["Needs a Spanish interpreter", "Collect the balance"]}
    clock.advance(dt.timedelta(days=7))  # past the balance alert's last day
    assert [a.id for a in alerts.alerts_for(sched["ann"])] == [interpreter.id]
    alerts.end_alert(interpreter.id, interpreter.version)
    assert alerts.alerts_for(sched["ann"]) == []
    assert balance.created_by == "Dana Desk"
    assert _actions(ctx, "patient_alert.") == ["patient_alert.add", "patient_alert.add", "patient_alert.end"]


def test_alert_text_with_markup_or_escapes_is_kept_as_plain_text(sched, desk_ctx):
    alerts = PatientAlertService(desk_ctx)
    made = alerts.add_alert(sched["ann"], "[bold red]VIP[/] \x1b[31mred\x1b[0m \x07bell")
    assert made.text == "[bold red]VIP[/] red bell"  # control characters gone, brackets kept to show literally


def test_bad_alerts_are_refused(sched, desk_ctx, clock):
    alerts = PatientAlertService(desk_ctx)
    with pytest.raises(ValidationError) as empty:
        alerts.add_alert(sched["ann"], "  \x1b[0m ")
    assert "text" in empty.value.errors
    with pytest.raises(ValidationError) as long:
        alerts.add_alert(sched["ann"], "x" * 121)
    assert "note" in long.value.errors["text"]
    with pytest.raises(ValidationError) as past:
        alerts.add_alert(sched["ann"], "Interpreter", expires_on="2020-01-01")
    assert "passed" in past.value.errors["expires_on"]


def test_notes_are_dated_with_their_writer_and_reading_them_is_audited(ctx, clinic, sched, desk_ctx, as_role):
    notes = PatientAlertService(desk_ctx)
    notes.add_note(sched["ann"], "Called about the bill; will pay Friday", kind="billing")
    PatientAlertService(as_role("billing")).add_note(sched["ann"], "Payment plan agreed", kind="phone")
    rows = PatientAlertService(as_role("provider")).notes_for(sched["ann"])  # everyone reads
    assert [n.kind for n in rows] == ["phone", "billing"]  # newest first
    assert {n.written_by for n in rows} == {"Dana Desk", "Billie Biller"}
    assert "patient_note.view" in _actions(ctx, "patient_note.")
    with pytest.raises(PermissionDenied):
        PatientAlertService(as_role("provider")).add_note(sched["ann"], "A provider may not write desk notes")
    with pytest.raises(ValidationError):
        notes.add_note(sched["ann"], "x", kind="gossip")


# ----- confirmations and reminders ---------------------------------------------------------------
def test_confirming_a_visit_shows_on_the_schedule_and_the_no_show_report_splits_it(ctx, clock, sched, desk_ctx,
                                                                                    manager_ctx):
    book = sched["book"]
    ann = book.book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    bob = book.book(BookingInput(sched["bob"], sched["lee"], sched["type"], MONDAY, "10:00"))
    reminders = ReminderService(desk_ctx)
    reminders.mark_visit(ann.id, "left_message", "phone")
    reminders.mark_visit(ann.id, "confirmed", "text")
    reminders.mark_visit(bob.id, "left_message", "phone")
    rows = {r.id: r for r in ScheduleService(desk_ctx).day(MONDAY)}
    assert (rows[ann.id].confirmation, rows[ann.id].confirmed_how, rows[ann.id].mark) == ("confirmed", "text", "☑")
    assert rows[bob.id].mark == "☎"
    with pytest.raises(ValidationError):
        reminders.mark_visit(ann.id, "confirmed", "pigeon")
    with ctx.db.write() as session:  # both missed the visit
        for visit in (ann, bob):
            session.get(Appointment, visit.id).status = "no_show"
    clock.advance(dt.timedelta(days=8))
    report = ReportService(manager_ctx).no_shows(MONDAY, MONDAY)
    total = report.sections[0].totals
    columns = [c.heading for c in report.sections[0].columns]
    assert total[columns.index("No-shows")] == 2
    assert total[columns.index("Confirmed no-shows")] == 1
    assert total[columns.index("Unconfirmed no-shows")] == 1


def test_the_reminder_list_has_email_and_marks_the_unreachable(sched, desk_ctx):
    nobody = register(desk_ctx, first_name="Nomail", phone="", email="", preferred_contact="mail").id
    for patient, at in ((sched["ann"], "09:00"), (nobody, "09:20")):
        sched["book"].book(BookingInput(patient, sched["lee"], sched["type"], MONDAY, at))
    rows = ReminderService(desk_ctx).reminders(MONDAY)
    text = reminder_csv(rows)
    assert "E-mail" in text.splitlines()[0] and "jane@example.org" in text
    assert text.splitlines()[2].endswith(",unreachable")


def test_reminder_files_as_one_ics_per_appointment(tmp_path, sched, desk_ctx):
    from icalendar import Calendar

    made = [sched["book"].book(BookingInput(sched[p], sched["lee"], sched["type"], MONDAY, at))
            for p, at in (("ann", "09:00"), ("bob", "09:20"))]
    paths = ReminderService(desk_ctx).write_reminder_files(MONDAY, tmp_path, "ics")
    assert len(paths) == 2
    event = Calendar.from_ical(paths[0].read_bytes()).walk("VEVENT")[0]
    assert str(event["uid"]) == f"appointment-{made[0].id}@officeconsole"
    assert event.decoded("dtstart").hour == 9
    [csv_file] = ReminderService(desk_ctx).write_reminder_files(MONDAY, tmp_path, "csv")
    assert csv_file.name == f"reminders-{MONDAY:%Y-%m-%d}.csv"


def _script(tmp_path, body: str) -> str:
    script = tmp_path / "gateway.py"
    script.write_text(body)
    return f"{sys.executable} {script}"


def test_sending_reminders_records_each_and_never_sends_twice(ctx, tmp_path, sched, desk_ctx):
    got = tmp_path / "got.jsonl"
    command = _script(tmp_path, "import sys\n"
                                f"open({str(got)!r}, 'a').write(sys.stdin.read() + '\\n')\nprint('queued')\n")
    nobody = register(desk_ctx, first_name="Nomail", phone="", email="", preferred_contact="mail").id
    for patient, at in ((sched["ann"], "09:00"), (sched["bob"], "09:20"), (nobody, "09:40")):
        sched["book"].book(BookingInput(patient, sched["lee"], sched["type"], MONDAY, at))
    service = ReminderService(desk_ctx)
    first = service.send_reminders(MONDAY, command)
    assert [o.outcome for o in first.outcomes] == ["sent", "sent", "unreachable"]
    sent = [json.loads(line) for line in got.read_text().splitlines()]
    assert [m["patient"]["email"] for m in sent] == ["jane@example.org"] * 2
    assert sent[0]["kind"] == "day_before" and sent[0]["start"].startswith(f"{MONDAY}T09:00")
    again = service.send_reminders(MONDAY, command)
    assert [o.outcome for o in again.outcomes] == ["already sent", "already sent", "unreachable"]
    assert len(got.read_text().splitlines()) == 2  # nothing sent twice
    assert service.send_reminders(MONDAY, command, kind="week_before").count("sent") == 2  # another kind
    with ctx.db.read() as session:
        assert {r.detail for r in session.scalars(select(ReminderSent))} == {"queued"}


def test_a_failing_or_hanging_command_is_recorded_and_the_rest_go_on(ctx, tmp_path, sched, desk_ctx):
    marker = tmp_path / "calls"
    command = _script(tmp_path, "import json, sys, time\n"
                                "m = json.load(sys.stdin)\n"
                                f"open({str(marker)!r}, 'a').write(m['patient']['name'] + '\\n')\n"
                                "if m['start'].endswith('09:00:00-05:00'): time.sleep(30)\n"
                                "if m['start'].endswith('09:20:00-05:00'): sys.exit('gateway refused')\n"
                                "print('ok')\n")
    third = register(desk_ctx, first_name="Cara").id
    for patient, at in ((sched["ann"], "09:00"), (sched["bob"], "09:20"), (third, "09:40")):
        sched["book"].book(BookingInput(patient, sched["lee"], sched["type"], MONDAY, at))
    result = ReminderService(desk_ctx).send_reminders(MONDAY, command, timeout=1.5)
    assert [o.outcome for o in result.outcomes] == ["failed", "failed", "sent"]
    assert "within 1.5 seconds" in result.outcomes[0].detail
    assert "gateway refused" in result.outcomes[1].detail
    retry = ReminderService(desk_ctx).send_reminders(MONDAY, _script(tmp_path, "print('fine')\n"))
    assert [o.outcome for o in retry.outcomes] == ["sent", "sent", "already sent"]  # failures are tried again
    assert _actions(ctx, "reminder.").count("reminder.failed") == 2
    missing = ReminderService(desk_ctx).send_reminders(TUESDAY, "no-such-gateway-command")
    assert missing.outcomes == []


def test_a_command_that_cannot_start_is_recorded_as_failed(sched, desk_ctx):
    sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    [outcome] = ReminderService(desk_ctx).send_reminders(MONDAY, "/no/such/gateway --now").outcomes
    assert outcome.outcome == "failed" and "cannot run" in outcome.detail
    with pytest.raises(ValidationError):
        ReminderService(desk_ctx).send_reminders(MONDAY, "   ")


# ----- recalls ----------------------------------------------------------------------------------
def _seen(ctx, sched, patient: str, day: dt.date) -> int:
    at = "09:00" if patient == "ann" else "10:00"
    visit = sched["book"].book(BookingInput(sched[patient], sched["lee"], sched["type"], day, at,
                                            override_reason="past visit"))
    with ctx.db.write() as session:
        session.get(Appointment, visit.id).status = "checked_out"
    return visit.id


def test_add_months_keeps_the_day_or_the_months_last():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 11, 23), -12) == dt.date(2025, 11, 23)
    assert add_months(dt.date(2026, 11, 23), 3) == dt.date(2027, 2, 23)


def test_the_recall_list_shows_patients_due_without_a_booking(ctx, sched, desk_ctx, manager_ctx):
    recalls = RecallService(manager_ctx)
    rule = recalls.set_recall_rule("Follow-up every 3 months", sched["type"], 3)
    _seen(ctx, sched, "ann", dt.date(2026, 7, 1))  # due 10/01: overdue
    _seen(ctx, sched, "bob", dt.date(2026, 7, 1))
    _seen(ctx, sched, "bob", dt.date(2026, 10, 1))  # last visit 10/01: due 01/01, not yet
    due = RecallService(desk_ctx).recall_list()
    assert [(r.patient_id, r.last_visit, r.due_on) for r in due] == [
        (sched["ann"], dt.date(2026, 7, 1), dt.date(2026, 10, 1))]
    assert due[0].phone and due[0].rule_id == rule.id
    assert [r.patient_id for r in RecallService(desk_ctx).recall_list(within_days=60)] == [sched["ann"], sched["bob"]]
    sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    assert RecallService(desk_ctx).recall_list() == []  # booked ahead: off the list
    assert "recall.list" in _actions(ctx, "recall.")


def test_contacted_stays_listed_and_declined_leaves_the_list(ctx, sched, desk_ctx, manager_ctx):
    rule = RecallService(manager_ctx).set_recall_rule("Annual", sched["type"], 12)
    _seen(ctx, sched, "ann", dt.date(2025, 6, 2))
    _seen(ctx, sched, "bob", dt.date(2025, 6, 3))
    recalls = RecallService(desk_ctx)
    recalls.mark_recall(rule.id, sched["ann"], "contacted", "left a voicemail")
    recalls.mark_recall(rule.id, sched["ann"], "contacted")  # again: the latest day counts
    recalls.mark_recall(rule.id, sched["bob"], "declined", "moving away")
    [ann] = recalls.recall_list()
    assert ann.patient_id == sched["ann"] and ann.contacted_on == dt.date(2026, 11, 23)
    with pytest.raises(Exception, match="not on the recall list"):
        recalls.mark_recall(rule.id, sched["bob"], "declined")
    with pytest.raises(ValidationError):
        recalls.mark_recall(rule.id, sched["ann"], "maybe")


def test_recall_rules_are_a_managers_and_checked(sched, desk_ctx, manager_ctx):
    with pytest.raises(PermissionDenied):
        RecallService(desk_ctx).set_recall_rule("Annual", sched["type"], 12)
    recalls = RecallService(manager_ctx)
    with pytest.raises(ValidationError) as bad:
        recalls.set_recall_rule("", sched["type"], 0)
    assert set(bad.value.errors) == {"name", "months"}
    recalls.set_recall_rule("Annual", sched["type"], 12)
    changed = recalls.set_recall_rule("Yearly", sched["type"], 11, active=False)  # one rule per type: changed
    assert [(r.name, r.months, r.active) for r in recalls.recall_rules()] == [("Yearly", 11, False)]
    assert changed.type_name == "Follow-up"


# ----- day lists --------------------------------------------------------------------------------
def test_the_day_list_pdf_has_each_provider_and_the_check_in_list(ctx, sched, desk_ctx):
    book = sched["book"]
    book.book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    book.book(BookingInput(sched["bob"], sched["kim"], sched["type"], MONDAY, "10:00"))
    PatientAlertService(desk_ctx).add_alert(sched["bob"], "Guardian must attend")
    text = pdf_text(DayListService(desk_ctx).day_list_pdf(MONDAY))
    assert "Maple Street Family Practice" in text
    assert "Avery Lee" in text and "Jo Kim" in text and "Check-in list" in text
    assert "Alert: Guardian must attend" in text
    assert "schedule.print" in _actions(ctx, "schedule.print")
    empty = pdf_text(DayListService(desk_ctx).day_list_pdf(TUESDAY))
    assert "Nothing booked." in empty
