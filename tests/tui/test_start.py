"""Start-up as `officeconsole` does it: the login screen first, the database opened behind it."""

from __future__ import annotations

import asyncio
import threading

import pytest
from textual.widgets import Label

from officeconsole.cli import _NOT_CONSOLE, console_request
from officeconsole.tui.app import OfficeApp
from officeconsole.tui.screens.login import LoginScreen
from officeconsole.tui.screens.patients import PatientsScreen

from tests.tui.conftest import login, settle, type_text


@pytest.mark.parametrize(("args", "expected"), [
    ([], None), (["open"], None), (["--db", "x.db"], "x.db"), (["--db=x.db"], "x.db"),
    (["--db", "x.db", "open"], "x.db"), (["open", "--db", "x.db"], "x.db"),
    (["info"], _NOT_CONSOLE), (["--db", "x.db", "info"], _NOT_CONSOLE), (["--help"], _NOT_CONSOLE),
    (["--db"], _NOT_CONSOLE), (["open", "open"], _NOT_CONSOLE),
])
def test_which_command_lines_go_straight_to_the_console(args, expected):
    assert console_request(args) is expected or console_request(args) == expected


async def test_login_screen_is_drawn_before_the_database_opens(db_url, clinic, tmp_path, monkeypatch):
    monkeypatch.setenv("OFFICECONSOLE_HOME", str(tmp_path / "home"))
    gate = threading.Event()
    opened = OfficeApp._open

    def slow_open(self):
        gate.wait(10)
        return opened(self)

    monkeypatch.setattr(OfficeApp, "_open", slow_open)
    app = OfficeApp(db=db_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen) and not app.ready
        await type_text(pilot, "desk")
        await pilot.press("enter")
        await type_text(pilot, "correct horse")
        await pilot.press("enter")
        message = str(app.screen.query_one("#login-error", Label).render())
        assert "Still opening the database" in message
        gate.set()
        await settle(pilot)
        assert app.ready
        assert "Maple Street Family Practice" in str(app.screen.query_one("#header-clinic", Label).render())
        await login(pilot, "desk")
        assert isinstance(app.screen, PatientsScreen)


async def test_a_database_that_will_not_open_ends_with_one_message(tmp_path, monkeypatch):
    monkeypatch.setenv("OFFICECONSOLE_HOME", str(tmp_path / "home"))
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    app = OfficeApp(db=str(junk))
    async with app.run_test():
        for _ in range(250):
            if app.start_error:
                break
            await asyncio.sleep(0.02)
    assert app.return_code == 1
    assert app.start_error.startswith(f"{junk} is not an Office Console database (not a SQLite file, or damaged).")
    assert "officeconsole restore" in app.start_error  # says how to restore
