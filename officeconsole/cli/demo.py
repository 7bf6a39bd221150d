"""`officeconsole demo`: build a generated clinic in a throwaway database and open it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy import select
from sqlalchemy.engine import make_url

from officeconsole.bootstrap import open_database
from officeconsole.cli._common import err, out, say
from officeconsole.config import Paths, describe_url, normalize_db_url
from officeconsole.db.database import Database
from officeconsole.db.engine import check_connection
from officeconsole.models import ClinicSettings
from officeconsole.services.common.errors import OfficeError, SetupError


def demo(
    db: Annotated[str | None, typer.Option("--db", help="Where to build it (default: a demo file in the data folder).")] = None,
    patients: Annotated[int, typer.Option("--patients", min=1, max=200_000, help="How many patients.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same clinic.")] = 7,
    no_open: Annotated[bool, typer.Option("--no-open", help="Only build it and print where it is.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace a SQLite file that is not a demo clinic.")] = False,
) -> None:
    """Build a deterministic demo clinic (staff, payers, patients, the last 60 and next 30 days of schedule) and open it."""
    from officeconsole.demo import build_demo  # Faker loads only for the demo

    paths = Paths.discover()
    paths.ensure()
    url = normalize_db_url(db or str(paths.data_dir / "demo" / "demo-clinic.db"))
    _make_room(url, force)
    opened = open_database(url, paths=paths)
    try:
        with err.status("Building the demo clinic…") as status:
            def progress(name: str) -> None:
                status.update(f"Building the demo clinic: {name}…")

            summary = build_demo(opened.ctx, patients=patients, seed=seed, claims_dir=paths.reports_dir / "claims",
                                 progress=progress)
    finally:
        opened.ctx.db.dispose()
    _print_summary(summary, url)
    if no_open:
        return
    from officeconsole.tui.app import run_console

    reopened = open_database(url, paths=paths)
    try:
        run_console(reopened, notice=f"Demo clinic: log in as desk (front desk) or manager; "
                                     f"every demo password is {summary.logins[0].password}")
    finally:
        reopened.ctx.db.dispose()


def _make_room(url: str, force: bool) -> None:
    """A demo SQLite file is rebuilt each run; any other existing database is left alone."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return  # a server database must be empty: build_demo refuses one that holds a clinic
    path = Path(parsed.database or "")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        return
    if not force and not _is_demo(url):
        raise SetupError(f"{path} exists and is not a demo clinic: choose another --db, or pass --force to replace it.")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _is_demo(url: str) -> bool:
    from officeconsole.demo.clinic import CLINIC_NAME

    database = Database.from_url(url)
    try:
        check_connection(database.engine)
        with database.read() as session:
            return session.scalar(select(ClinicSettings.name)) in (CLINIC_NAME, None)
    except OfficeError:
        return False
    except Exception:  # noqa: BLE001 - an unreadable or foreign file is "not a demo"
        return False
    finally:
        database.dispose()


def _print_summary(summary, url: str) -> None:
    say(f"Demo clinic {summary.clinic_name!r} is ready: {summary.patients} patients, "
        f"{summary.policies} insurance policies, {summary.appointments} appointments.")
    say(f"Database: {describe_url(url)}")
    table = Table(title="Demo logins", title_justify="left")
    for column in ("Username", "Name", "Role", "Password"):
        table.add_column(column)
    for login in summary.logins:
        table.add_row(Text(login.username), Text(login.full_name), Text(login.role.label), Text(login.password))
    out.print(table)
