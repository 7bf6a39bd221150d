"""The console's sections come from one table: each key opens its screen, the palette offers the
sections the role may open, and the help screen lists the same keys."""

from __future__ import annotations

from rich.console import Console

from officeconsole.tui.modals.help import HelpScreen
from officeconsole.tui.sections import SECTIONS

from tests.tui.conftest import login, settle


async def test_every_section_opens_by_its_key_for_the_manager(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await login(pilot, "manager")
        for section in SECTIONS:
            await pilot.press(section.key)
            await settle(pilot)
            assert type(app.screen) is section.screen_class(), section.key
            await pilot.press("escape")
            await settle(pilot)


async def test_palette_and_help_offer_only_what_the_role_may_open(make_app, clinic):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await login(pilot, "desk")
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Schedule" in titles and "Check-in" in titles
        assert "Billing queue" not in titles and "Practice setup" not in titles
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=120, record=True)
        console.print(app.screen.query_one("Static").content)
        shown = console.export_text()
        assert "F2" in shown and "Schedule: today's appointments" in shown and "F12" in shown
        assert "F5" not in shown and "Billing queue" not in shown
        app.open_section(next(s for s in SECTIONS if s.action == "practice_setup"))  # asked for by name
        await settle(pilot)
        assert any("Practice setup is for managers." in n.message for n in app._notifications)
