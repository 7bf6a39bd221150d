"""Helpers for driving the console with Pilot the way a person would."""

from __future__ import annotations

import asyncio
import time
import unicodedata

import pytest
from textual import events
from textual.app import App
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerCancelled

from officeconsole.tui.app import OfficeApp

from tests.factories import PASSWORD


async def settle(pilot, *, rounds: int = 20) -> None:
    """Wait for every worker (database calls) and the screen updates they cause; stop as soon as
    a pause leaves no worker pending or running (a worker's callback may start the next one) and
    no call waiting for the next refresh (a screen may start its read once it is drawn)."""
    app = pilot.app
    workers = app.workers
    for _ in range(rounds):
        try:
            await workers.wait_for_complete()
        except WorkerCancelled:
            pass  # a screen closed meanwhile cancelled its own workers
        await pilot.pause()
        await _handled(pilot)
        after_refresh = any(screen._callbacks for screen in app.screen_stack)  # e.g. a read started once drawn
        if not after_refresh and all(worker.is_finished for worker in workers):
            return


async def _handled(pilot) -> None:
    """Wait until the app and every widget on screen have handled every message they hold (a key,
    the focus change it asks for, ...): a message round, without Pilot's wait for the CPU to idle."""
    app = pilot.app
    for _ in range(50):
        await pilot._wait_for_screen()
        if not any(pump.message_queue_size for pump in (app, *app.screen.walk_children(with_self=True))):
            return


async def _press_keys(app: App, keys) -> None:
    """`pilot.press`, as Textual sends the keys, except that the wait after each key for the key to
    be handled is a message round (`_handled`) instead of a wait for the process to idle: Textual
    waits for the CPU to idle twice per key (at least 20 ms each), here once, after the key's
    animations, so after each key the process has idled, as after Textual's own press. A key
    after the first also waits for the workers the keys before it started (a database read can
    leave the process idle while it waits on the server)."""
    pilot = Pilot(app)
    for n, key in enumerate(keys):
        if n:  # keys pressed together are pressed as a person would: each once the last one's reading is shown
            await _workers_done(app)
        if key.startswith("wait:"):
            await asyncio.sleep(float(key.split(":")[1]) / 1000)
            await app.animator.wait_until_complete()
            continue
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        try:
            char = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
        except KeyError:
            char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(app)
        app.post_message(event)
        await _handled(pilot)
        await app.animator.wait_until_complete()
        await wait_for_idle(0)


async def _workers_done(app: App) -> None:
    try:
        await app.workers.wait_for_complete()
    except WorkerCancelled:
        pass  # a screen closed meanwhile cancelled its own workers
    await _handled(Pilot(app))


async def wait_for_idle(min_sleep: float = 0.0, max_sleep: float = 1.0) -> None:
    """Textual's wait for the process to idle, in 2 ms steps instead of 20 ms ones: the process is
    idle once a step passes with under a quarter of it spent on the CPU (the UI loop or a worker's
    thread), so a test waits for the work a key set off, not for a fixed 20 ms slice after it."""
    step = 0.002
    start = time.monotonic()
    while True:
        cpu = time.process_time()
        await asyncio.sleep(step)
        elapsed = time.monotonic() - start
        if elapsed >= max_sleep:
            return
        if elapsed > min_sleep and time.process_time() - cpu < step / 4:
            return


@pytest.fixture(autouse=True)
def quick_keys(monkeypatch):
    import textual.pilot

    monkeypatch.setattr(App, "_press_keys", _press_keys)
    monkeypatch.setattr(textual.pilot, "wait_for_idle", wait_for_idle)
    monkeypatch.setattr(Pilot, "resize_terminal", _resize_terminal)


_pilot_resize = Pilot.resize_terminal


async def _resize_terminal(self: Pilot, width: int, height: int) -> None:
    """Pilot's resize, then a wait for the app's resize timer (1/120 s) to fire and the new
    layout to be handled, instead of a wait for idle that the timer may outlast."""
    await _pilot_resize(self, width, height)
    for _ in range(100):
        if self.app._resize_timer is None:
            break
        await asyncio.sleep(0.002)
    await _handled(self)
    await wait_for_idle(0)


async def type_text(pilot, text: str) -> None:
    """Type `text` through the app's own key handling, one Key event per character: each key, and
    what it sets off on screen, is handled before the next is sent (so a key that moves the focus
    moves it for the next), but the workers a key starts are not waited for, as with a quick typist.
    Pilot's press also waits twice per key for the process to idle: here that wait comes once, at
    the end."""
    app = pilot.app
    for ch in text:
        event = events.Key(_character_to_key(ch), ch)
        event.set_sender(app)
        app.post_message(event)
        await _handled(pilot)
    await wait_for_idle(0)
    await app.animator.wait_until_complete()
    await wait_for_idle(0)
    await pilot._wait_for_screen()


async def login(pilot, username: str, password: str = PASSWORD, *, home: bool = False, typed: bool = False) -> None:
    """Log in; unless `home`, step back to Patients from the front desk's schedule, the manager's
    dashboard (or the Practice setup a manager lands on while nothing can be booked).

    The credentials go into the login form's fields and Enter submits them, through the screen's
    own sign-in path (the same worker and service a person's Enter starts); `typed` types them key
    by key instead, as tests/tui/test_login_and_setup.py does once."""
    from officeconsole.tui.screens.dashboard import DashboardScreen
    from officeconsole.tui.screens.login import LoginScreen
    from officeconsole.tui.screens.practice_setup import PracticeSetupScreen
    from officeconsole.tui.screens.schedule import ScheduleScreen

    await settle(pilot)
    screen = pilot.app.screen
    if typed or not isinstance(screen, LoginScreen):
        await type_text(pilot, username)
        await pilot.press("enter")
        await type_text(pilot, password)
    else:
        screen.query_one("#username", Input).value = username
        field = screen.query_one("#password", Input)
        field.value = password
        field.focus()
    await pilot.press("enter")
    await settle(pilot)
    if not home and isinstance(pilot.app.screen, (ScheduleScreen, PracticeSetupScreen, DashboardScreen)):
        await pilot.press("escape")
        await settle(pilot)


async def post_ack_from_queue(pilot, ack_file) -> None:
    """As the biller on the billing queue (F5): `a`, the acknowledgement file's path, Enter."""
    from officeconsole.tui.modals.reason import ReasonModal
    from officeconsole.tui.screens.billing_queue import BillingQueueScreen

    await pilot.press("f5")
    await settle(pilot)
    assert isinstance(pilot.app.screen, BillingQueueScreen)
    await pilot.press("a")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReasonModal)
    await type_text(pilot, str(ack_file))
    await pilot.press("enter")
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
