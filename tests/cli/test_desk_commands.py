"""`schedule remind|confirm|print`, `recall list|rules|set` and `patient alert|note` on the two-provider
schedule from conftest."""

from __future__ import annotations

import datetime as dt
import json
import sys

from sqlalchemy import select

from officeconsole.models import Appointment, Patient
from officeconsole.services.scheduling.booking import BookingInput

from tests.conftest import MONDAY
from tests.pdf_text import pdf_text


def _mrn(ctx, patient_id: int) -> str:
    with ctx.db.read() as session:
        return session.scalar(select(Patient.mrn).where(Patient.id == patient_id))


def test_remind_writes_files_and_sends_through_the_command_once(cli, db_url, sched, tmp_path):
    visit = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    got = tmp_path / "got.jsonl"
    gateway = tmp_path / "gateway.py"
    gateway.write_text(f"import sys\nopen({str(got)!r}, 'a').write(sys.stdin.read() + '\\n')\nprint('queued')\n")
    command = f"{sys.executable} {gateway}"
    out = tmp_path / "reminders"
    sent = cli("--db", db_url, "schedule", "remind", "--as", "desk", "--date", "2026-11-30", "--out", str(out),
               "--send-with", command)
    assert sent.exit_code == 0, sent.text
    assert "1 sent, 0 failed" in sent.stdout
    assert json.loads(got.read_text())["appointment_id"] == visit.id
    assert (out / "reminders-2026-11-30.csv").exists()
    again = cli("--db", db_url, "schedule", "remind", "--as", "desk", "--date", "2026-11-30", "--out", str(out),
                "--send-with", command)
    assert "0 sent, 0 failed, 1 already sent" in again.stdout
    assert len(got.read_text().splitlines()) == 1
    ics = cli("--db", db_url, "schedule", "remind", "--as", "desk", "--date", "2026-11-30", "--out", str(out),
              "--files", "ics")
    assert ics.exit_code == 0, ics.text
    assert [p.suffix for p in out.glob("appointment-*")] == [".ics"]


def test_a_failing_command_exits_non_zero_after_trying_every_visit(cli, db_url, sched, tmp_path):
    for patient, at in (("ann", "09:00"), ("bob", "09:20")):
        sched["book"].book(BookingInput(sched[patient], sched["lee"], sched["type"], MONDAY, at))
    result = cli("--db", db_url, "schedule", "remind", "--as", "desk", "--date", "2026-11-30", "--out",
                 str(tmp_path), "--send-with", f"{sys.executable} -c 'import sys; sys.exit(3)'")
    assert result.exit_code == 1
    assert "0 sent, 2 failed" in result.stdout and "exit 3" in result.stdout


def test_confirm_shows_in_the_export(cli, db_url, sched):
    visit = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    done = cli("--db", db_url, "schedule", "confirm", str(visit.id), "--as", "desk", "--how", "text")
    assert done.exit_code == 0, done.text
    export = cli("--db", db_url, "schedule", "export", "--as", "desk", "--date", "2026-11-30").stdout
    assert "confirmed (text)" in export
    bad = cli("--db", db_url, "schedule", "confirm", str(visit.id), "--as", "desk", "--how", "pigeon")
    assert bad.exit_code != 0 and "phone, text, email, in_person" in bad.text


def test_print_writes_the_day_list_pdf(cli, db_url, sched, tmp_path):
    sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], MONDAY, "09:00"))
    target = tmp_path / "day.pdf"
    result = cli("--db", db_url, "schedule", "print", "--as", "desk", "--date", "2026-11-30", "--out", str(target))
    assert result.exit_code == 0, result.text
    text = pdf_text(target.read_bytes())
    assert "Check-in list" in text and "Testperson, Ann" in text


def test_recall_set_rules_and_list_as_csv(cli, db_url, ctx, sched):
    visit = sched["book"].book(BookingInput(sched["ann"], sched["lee"], sched["type"], dt.date(2025, 5, 5), "09:00",
                                            override_reason="past visit"))
    with ctx.db.write() as session:
        session.get(Appointment, visit.id).status = "checked_out"
    denied = cli("--db", db_url, "recall", "set", "Annual", "--type", "Follow-up", "--months", "12", "--as", "desk")
    assert denied.exit_code != 0
    made = cli("--db", db_url, "recall", "set", "Annual", "--type", "Follow-up", "--months", "12", "--as", "manager")
    assert made.exit_code == 0, made.text
    rules = cli("--db", db_url, "recall", "rules", "--as", "desk", "--format", "csv").stdout.splitlines()
    assert rules[1] == "Annual,Follow-up,12,yes"
    listed = cli("--db", db_url, "recall", "list", "--as", "desk", "--format", "csv").stdout.splitlines()
    assert listed[0] == "Rule,Patient,MRN,Phone,E-mail,Last visit,Due,Contacted"
    assert listed[1].startswith('Annual,"Testperson, Ann",') and "05/05/2025,05/05/2026" in listed[1]


def test_patient_alerts_and_notes(cli, db_url, ctx, sched):
    mrn = _mrn(ctx, sched["ann"])
    added = cli("--db", db_url, "patient", "alert", "add", mrn, "[red]Needs an interpreter[/]", "--as", "desk")
    assert added.exit_code == 0, added.text
    listed = cli("--db", db_url, "patient", "alert", "list", mrn, "--as", "drlee", "--format", "json")
    [alert] = json.loads(listed.stdout)
    assert alert["alert"] == "[red]Needs an interpreter[/]"
    ended = cli("--db", db_url, "patient", "alert", "end", mrn, str(alert["id"]), "--as", "desk")
    assert ended.exit_code == 0, ended.text
    assert json.loads(cli("--db", db_url, "patient", "alert", "list", mrn, "--as", "desk", "--format",
                          "json").stdout) == []
    cli("--db", db_url, "patient", "note", "add", mrn, "Called about the bill", "--kind", "billing", "--as", "biller")
    notes = cli("--db", db_url, "patient", "note", "list", mrn, "--as", "desk", "--format", "csv").stdout.splitlines()
    assert notes[1].endswith("billing,Billie Biller,Called about the bill")
    refused = cli("--db", db_url, "patient", "note", "add", mrn, "x", "--as", "drlee")
    assert refused.exit_code != 0
