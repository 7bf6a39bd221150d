"""Keys that arrive in one burst (a fast typist, a paste, a scanner, a terminal under load) land where
they were meant: Tab moves on before the next letters, and Ctrl+S saves what was typed before it."""

from __future__ import annotations

from textual import events

from officeconsole.services.security import auth
from officeconsole.tui.screens.practice_setup import PracticeSetupScreen

from tests.tui.conftest import settle


def burst(app, *parts: str) -> None:
    """Queue every key at once, as a terminal delivers a burst, without waiting between them."""
    for part in parts:
        keys = [part] if part in ("tab", "ctrl+s") else list(part)
        for key in keys:
            name = "space" if key == " " else key
            app.post_message(events.Key(name, None if len(key) > 1 and key != " " else key))


async def test_a_burst_of_keys_fills_the_wizard_field_by_field(make_app, ctx):
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        burst(app, "Oak Clinic", "tab", "tab", "boss", "tab", "Bo Boss", "tab", "long enough 1", "tab",
              "long enough 1", "ctrl+s")
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, PracticeSetupScreen)
        assert app.ctx.actor.username == "boss" and app.ctx.actor.full_name == "Bo Boss"
    assert not auth.needs_setup(ctx.db)
