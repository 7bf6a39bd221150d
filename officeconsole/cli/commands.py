"""Every batch command, assembled on the Typer app (loaded only when a command is given)."""

from __future__ import annotations

import officeconsole.cli.billing_cycle  # noqa: F401  (post-ack, refunds, eligibility: on billing_app)
from officeconsole.cli.appointment_types import type_app
from officeconsole.cli.audit import audit_app
from officeconsole.cli.backup import backup, restore
from officeconsole.cli.billing import billing_app
from officeconsole.cli.clinic import clinic_app
from officeconsole.cli.closeout import close_day, close_history, close_settings, reopen_day
from officeconsole.cli.db import db_app
from officeconsole.cli.demo import demo
from officeconsole.cli.desk import patient_app, recall_app  # also schedule remind|confirm|print
from officeconsole.cli.export import export_app
from officeconsole.cli.fees import fees_app
from officeconsole.cli.flow import flow, room_app
from officeconsole.cli.hours import hours_app
from officeconsole.cli.importing import import_app
from officeconsole.cli.info import info
from officeconsole.cli.inventory import inventory_app
from officeconsole.cli.payers import payer_app
from officeconsole.cli.providers import provider_app
from officeconsole.cli.report import report
from officeconsole.cli.root import app
from officeconsole.cli.roster import roster_app
from officeconsole.cli.schedule import schedule_app
from officeconsole.cli.setup import setup_app
from officeconsole.cli.users import user_app

app.command("info")(info)
app.command("demo")(demo)
app.command("flow")(flow)
app.command("report")(report)
app.command("backup")(backup)
app.command("restore")(restore)
app.command("close-day")(close_day)
app.command("reopen-day")(reopen_day)
app.command("close-settings")(close_settings)
app.command("close-history")(close_history)
app.add_typer(db_app, name="db")
app.add_typer(setup_app, name="setup")
app.add_typer(clinic_app, name="clinic")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(payer_app, name="payer")
app.add_typer(provider_app, name="provider")
app.add_typer(type_app, name="appointment-type")
app.add_typer(schedule_app, name="schedule")
app.add_typer(hours_app, name="hours")
app.add_typer(room_app, name="room")
app.add_typer(fees_app, name="fees")
app.add_typer(billing_app, name="billing")
app.add_typer(roster_app, name="roster")
app.add_typer(inventory_app, name="inventory")
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")
app.add_typer(recall_app, name="recall")
app.add_typer(patient_app, name="patient")

__all__ = ["app"]
