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
