"""Helpers for driving the console with Pilot the way a person would."""

from __future__ import annotations

import pytest
from textual.worker import WorkerCancelled

from officeconsole.tui.app import OfficeApp

from tests.factories import PASSWORD


async def settle(pilot) -> None:
    """Wait for every worker (database calls) and the screen updates they cause."""
    for _ in range(3):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            pass  # a screen closed meanwhile cancelled its own workers
        await pilot.pause()


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[("space" if ch == " " else ch) for ch in text])


async def login(pilot, username: str, password: str = PASSWORD, *, home: bool = False) -> None:
    """Log in; unless `home`, step back to Patients from the front desk's schedule (or from the
    Practice setup a manager lands on while nothing can be booked)."""
    from officeconsole.tui.screens.practice_setup import PracticeSetupScreen
    from officeconsole.tui.screens.schedule import ScheduleScreen

    await settle(pilot)
    await type_text(pilot, username)
    await pilot.press("enter")
    await type_text(pilot, password)
    await pilot.press("enter")
    await settle(pilot)
    if not home and isinstance(pilot.app.screen, (ScheduleScreen, PracticeSetupScreen)):
        await pilot.press("escape")
        await settle(pilot)


async def open_record(pilot, query: str) -> None:
    """Search for `query` and open the first match, as a person would."""
    await type_text(pilot, query)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


@pytest.fixture
def make_app(ctx):
    def _make(notice: str | None = None) -> OfficeApp:
        return OfficeApp(ctx, notice=notice)

    return _make
