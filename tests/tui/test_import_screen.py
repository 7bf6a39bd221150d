"""The Move in screen (Practice setup -> m): a dry run by Enter, the import by Ctrl+S, all by keys."""

from __future__ import annotations

from sqlalchemy import func, select
from textual.widgets import Static

from officeconsole.models import Patient
from officeconsole.tui.screens.import_data import ImportScreen
from officeconsole.tui.screens.practice_setup import PracticeSetupScreen

from tests.import_files import write_csv
from tests.tui.conftest import login, settle, type_text


def shown(app) -> str:
    return str(app.screen.query_one("#import-report", Static).render())


def patients(ctx) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(Patient))


async def test_a_manager_checks_then_imports_a_file_by_keys(make_app, clinic, ctx, tmp_path):
    path = write_csv(tmp_path / "pts.csv", ["Chart No", "Last Name", "First Name", "DOB"],
                     [["A1", "Ames", "Ann", "01/02/1970"], ["A2", "[b]Bold[/b]", "Bea", "03/04/05"]])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "manager")
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, PracticeSetupScreen)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, ImportScreen)
        await pilot.press("ctrl+s")  # nothing checked yet: nothing imported
        await settle(pilot)
        await type_text(pilot, str(path))
        await pilot.press("enter")
        await settle(pilot)
        text = shown(app)
        assert "Dry run (nothing written)" in text and "new 1" in text and "refused 1" in text
        assert "line 3  A2:" in text and "ambiguous" in text
        assert patients(ctx) == 0
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Imported: patients" in shown(app)
        assert patients(ctx) == 1
        assert (tmp_path / "pts.rejects.csv").exists()
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PracticeSetupScreen)


async def test_a_bad_file_says_why_on_screen(make_app, clinic, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_bytes(b"%PDF-1.4 not a csv")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, "manager")
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await type_text(pilot, str(path))
        await pilot.press("enter")
        await settle(pilot)
        assert "is a PDF, not a CSV" in shown(app)
