"""The manager lands on the dashboard after login, changes the period by keys, and reads the
same numbers `officeconsole report kpi --format json` gives for that period."""

from __future__ import annotations

import datetime as dt
import json

from officeconsole.tui.screens.dashboard import DashboardScreen
from officeconsole.tui.widgets.results_table import ResultsTable

from tests.cli.conftest import cli  # noqa: F401 - the fixture
from tests.test_kpi import history  # noqa: F401 - the fixture: a hand-computed history
from tests.tui.conftest import login, settle


def plain(text: str | None) -> str | None:
    """A shown figure as the JSON writes it: 1,204 -> 1204, 25.0% -> 25.0, $25.00 -> 25.00, — -> None."""
    if text is None or text.strip() in ("—", ""):
        return None
    return text.strip().replace("$", "").replace(",", "").removesuffix("%")


def reported(cli, db_url, start: dt.date, end: dt.date) -> dict[str, tuple]:  # noqa: F811 - the fixture, by name
    result = cli("--db", db_url, "report", "kpi", "--from", start.isoformat(), "--to", end.isoformat(),
                 "--format", "json", "--as", "manager")
    assert result.exit_code == 0, result.text
    data = json.loads(result.stdout)
    found = {}
    for section in data["sections"]:
        for row in section["rows"]:
            if "Figure" in row:
                values = list(row.values())
                found[row["Figure"]] = (values[1], values[2], values[4])  # this period, previous, last year
    return found


def shown(screen: DashboardScreen) -> dict[str, tuple]:
    table = screen.query_one("#dash-figures", ResultsTable)
    return {cells[0].strip(): (plain(cells[1]), plain(cells[3]), plain(cells[4])) for cells in table._cells}


async def test_manager_lands_on_the_dashboard_and_reads_the_reports_numbers(make_app, db_url, history, cli):  # noqa: F811
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await login(pilot, "manager", home=True)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert screen.dashboard is not None and screen.dashboard.complete
        numbers = shown(screen)
        assert numbers["Visits"] == ("3", "1", "0") and numbers["No-show rate"] == ("25.0", "50.0", None)
        assert numbers["Average wait (min)"] == ("15.0", "10.0", None)
        assert numbers == reported(cli, db_url, dt.date(2026, 11, 1), dt.date(2026, 11, 23))
        assert "Today: 1 booked · 1 arrived · 1 waiting, longest 60 min" in str(
            screen.query_one("#dash-today").render())

        await pilot.press("left_square_bracket")  # the month before: the whole of October
        await settle(pilot)
        assert (screen.dashboard.span.start, screen.dashboard.span.end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
        assert shown(screen)["Visits"][0] == "1"
        assert shown(screen) == reported(cli, db_url, dt.date(2026, 10, 1), dt.date(2026, 10, 31))

        await pilot.press("w")  # the week holding 10/31
        await settle(pilot)
        week = screen.dashboard.span
        assert (week.start, week.end) == (dt.date(2026, 10, 26), dt.date(2026, 11, 1))
        assert shown(screen) == reported(cli, db_url, week.start, week.end)

        await pilot.press("t", "m")  # back to now, by month
        await settle(pilot)
        assert screen.dashboard.span.start == dt.date(2026, 11, 1) and shown(screen)["Visits"][0] == "3"


async def test_dashboard_at_80_columns_switches_figures_and_people(make_app, db_url, history):  # noqa: F811
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "manager", home=True)
        await settle(pilot)
        screen = app.screen
        figures, people = screen.query_one("#dash-figures"), screen.query_one("#dash-people")
        assert figures.display and not people.display
        await pilot.press("v")
        await settle(pilot)
        assert people.display and not figures.display
        assert any("Avery Lee" in cells[0] for cells in people._cells)
        await pilot.press("escape")
        await settle(pilot)
        from officeconsole.tui.screens.patients import PatientsScreen

        assert isinstance(app.screen, PatientsScreen)


async def test_a_period_key_draws_the_period_before_its_figures_are_read(make_app, db_url, history, monkeypatch):  # noqa: F811
    """The new period's dates and "…" for every figure are drawn by the key itself; the figures
    fill in when the reads (held here) come back, and a read for a period left behind is dropped."""
    import threading

    from officeconsole.services.reporting.kpi import KpiService

    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await login(pilot, "manager", home=True)
        await settle(pilot)
        screen = app.screen
        gate, read = threading.Event(), KpiService.dashboard
        monkeypatch.setattr(KpiService, "dashboard", lambda *a, **k: gate.wait(10) and read(*a, **k))
        await pilot.press("left_square_bracket")  # October, its reads held
        assert "10/01/2026 to 10/31/2026" in str(screen.query_one("#dash-title").render())
        assert set(shown(screen).values()) == {("…", "…", "…")}
        assert "Today is outside this period" in str(screen.query_one("#dash-today").render())
        await pilot.press("t")  # back to November before October's figures come
        assert "11/01/2026 to 11/23/2026" in str(screen.query_one("#dash-title").render())
        assert str(screen.query_one("#dash-today").render()) == "Today: …"
        gate.set()
        await settle(pilot)
        assert screen.dashboard.complete and screen.dashboard.span.start == dt.date(2026, 11, 1)
        assert shown(screen)["Visits"] == ("3", "1", "0")
