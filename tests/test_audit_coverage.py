"""What leaves the console or shows many patients at once is audited: report runs, the reminder
list export (logins, backups, report files, receipts and statements have their own tests)."""

from __future__ import annotations

from sqlalchemy import select

from officeconsole.models import AuditEvent
from officeconsole.services.reporting.reports import ReportService
from officeconsole.services.scheduling.schedule import ScheduleService

from tests.conftest import MONDAY


def last_event(ctx) -> tuple[str, str, str, str]:
    with ctx.db.read() as session:
        e = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        return e.username, e.action, e.entity_id, e.summary


def test_report_runs_and_the_reminder_export_are_audited(ctx, clinic, as_role):
    report = ReportService(as_role("billing")).run("no-shows")
    assert last_event(ctx) == ("biller", "report.run", "no-shows",
                               f"{report.title} {report.start:%m/%d/%Y}-{report.end:%m/%d/%Y}")
    assert ScheduleService(as_role("front_desk")).reminder_list(MONDAY) == []
    assert last_event(ctx) == ("desk", "schedule.export", MONDAY.isoformat(),
                               f"reminder list {MONDAY:%m/%d/%Y}: 0 patients")
