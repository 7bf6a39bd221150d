"""A bug in a screen's background work reaches the person as one message with an error id (the
detail in the local log), never a traceback or the error's own text."""

from __future__ import annotations

import pytest
from textual.worker import WorkerFailed

from tests.tui.conftest import login, settle


async def test_an_unexpected_worker_error_is_one_message(make_app, clinic, tmp_path, monkeypatch):
    monkeypatch.setenv("OFFICECONSOLE_HOME", str(tmp_path / "home"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await login(pilot, "desk")

        def broken() -> None:
            raise RuntimeError("a bug that quotes Zoe Testwell")

        worker = app.screen.call_service(broken)
        with pytest.raises(WorkerFailed):
            await worker.wait()
        await pilot.pause()
        await pilot.pause()
        [message] = [n.message for n in app._notifications if "unexpected" in n.message]
        assert message.startswith("Something unexpected went wrong (RuntimeError, error ")
        assert "Zoe" not in message and "errors.log" in message


async def test_a_failure_while_opening_ends_the_console_with_one_line(db_url, clinic, tmp_path, monkeypatch):
    from officeconsole.services.security import auth
    from officeconsole.tui.app import OfficeApp

    monkeypatch.setenv("OFFICECONSOLE_HOME", str(tmp_path / "home"))

    def refused(database):
        raise RuntimeError("permission denied for schema public")

    monkeypatch.setattr(auth, "needs_setup", refused)
    app = OfficeApp(db=db_url)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(50):
            if app.return_code is not None:
                break
            await pilot.pause(0.05)
    assert app.return_code == 1
    assert app.start_error.startswith("the console could not open the database: permission denied for schema public")


async def test_a_failure_after_login_is_said_and_the_login_screen_stays(make_app, clinic, tmp_path, monkeypatch):
    from officeconsole.services.practice import setup_check
    from officeconsole.tui.screens.login import LoginScreen

    monkeypatch.setenv("OFFICECONSOLE_HOME", str(tmp_path / "home"))

    def broken(session):
        raise RuntimeError("the setup check failed")

    monkeypatch.setattr(setup_check, "setup_status", broken)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await login(pilot, "manager", home=True)
        assert isinstance(app.screen, LoginScreen)
        assert any(n.message.startswith("Your screens could not be opened: the setup check failed (error ")
                   for n in app._notifications)
