"""Command line: `officeconsole` opens the console; its sub-commands are the batch jobs.

Textual is imported only by the commands that open the console, so batch jobs start fast.
"""

from __future__ import annotations

from officeconsole.cli.app import app
from officeconsole.cli.audit import audit_app
from officeconsole.cli.db import db_app
from officeconsole.cli.demo import demo
from officeconsole.cli.info import info
from officeconsole.cli.payers import payer_app
from officeconsole.cli.users import user_app

app.command("info")(info)
app.command("demo")(demo)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(payer_app, name="payer")


def main() -> None:
    app(prog_name="officeconsole")


__all__ = ["app", "main"]
