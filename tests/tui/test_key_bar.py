"""The key bar offers only what the signed-in role may do: nothing before sign-in, no billing keys at
the desk, and lock and log out always."""

from __future__ import annotations

from officeconsole.tui.screens.patients import PatientsScreen
from officeconsole.tui.widgets.key_bar import KeyBar

from tests.tui.conftest import login, settle


def key_line(app) -> str:
    return str(app.screen.query_one(KeyBar).render())


async def test_keys_follow_the_role(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot)
        shown = key_line(app)
        assert "Schedule" not in shown and "Billing" not in shown  # before sign-in

        await login(pilot, "desk")
        assert isinstance(app.screen, PatientsScreen)
        shown = key_line(app)
        assert str(app.screen.query_one("#header-keys").render()) == "F12 Lock · ^L Log out"
        for offered in ("f2", "Schedule", "Check-in"):
            assert offered in shown, (offered, shown)
        for refused in ("Billing", "Reports", "Setup"):
            assert refused not in shown, (refused, shown)
        await pilot.press("f5")  # not offered, and does nothing
        await settle(pilot)
        assert isinstance(app.screen, PatientsScreen)
        assert not [n for n in app._notifications if "billing" in n.message.lower()]

        await pilot.press("ctrl+l")
        await settle(pilot)
        await login(pilot, "biller")
        shown = key_line(app)
        assert "Billing" in shown and "Reports" in shown
        assert "Check-in" not in shown and "Setup" not in shown
