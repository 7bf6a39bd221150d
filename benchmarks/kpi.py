"""The manager's dashboard under Pilot on the generated clinic: from a period key (`[` the
month before, `t` back to this month) to the new period drawn (its dates, every figure "…"),
to the figures drawn (the first read: visits, rates, waits, utilisation, per provider and desk
user) and to the dashboard complete (collections, the rates read from A/R, days in A/R, the
twelve-month trend). Also the service alone over a ten-year range.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import time

from textual import events

from benchmarks.report import Figure
from benchmarks.settle import workers_done
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.reporting.kpi import KpiService
from officeconsole.services.security import auth


def _p50_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def _screen(ctx: ServiceContext, username: str, password: str, presses: int
                  ) -> tuple[list[float], list[float], list[float]]:
    from officeconsole.tui.app import OfficeApp
    from officeconsole.tui.screens.dashboard import DashboardScreen

    pending_shown, first_shown, all_shown = asyncio.Event(), asyncio.Event(), asyncio.Event()
    pending, first, show = DashboardScreen._show_pending, DashboardScreen._first, DashboardScreen._show

    def _pending(self, start, end) -> None:
        pending(self, start, end)
        pending_shown.set()

    def _first(self, dashboard) -> None:
        first(self, dashboard)
        first_shown.set()

    def _show(self, dashboard) -> None:
        show(self, dashboard)
        if dashboard.complete:
            all_shown.set()

    async def drawn(start: float) -> float:
        done = asyncio.Event()
        app.call_after_refresh(done.set)
        await done.wait()
        return (time.perf_counter() - start) * 1000

    app = OfficeApp(ctx)
    periods, figures, complete = [], [], []
    try:
        DashboardScreen._show_pending, DashboardScreen._first, DashboardScreen._show = _pending, _first, _show
        async with app.run_test(size=(160, 48)) as pilot:
            await workers_done(app)
            await pilot.pause()
            app.start_session(auth.login(ctx, username, password))  # the manager lands on the dashboard
            await workers_done(app)
            await pilot.pause()
            assert isinstance(app.screen, DashboardScreen), "the manager should land on the dashboard"
            for run in range(presses + 1):  # the first, unmeasured, warms the queries' plans
                pending_shown.clear()
                first_shown.clear()
                all_shown.clear()
                key = "left_square_bracket" if run % 2 == 0 else "t"
                start = time.perf_counter()
                app.post_message(events.Key(key, "[" if key != "t" else "t"))
                await pending_shown.wait()
                period = await drawn(start)
                await first_shown.wait()
                shown = await drawn(start)
                await all_shown.wait()
                done = await drawn(start)
                await workers_done(app)
                if run:
                    periods.append(period)
                    figures.append(shown)
                    complete.append(done)
    finally:
        DashboardScreen._show_pending, DashboardScreen._first, DashboardScreen._show = pending, first, show
    return periods, figures, complete


def figures(ctx: ServiceContext, manager: ServiceContext, username: str, password: str, quick: bool) -> list[Figure]:
    presses = 6 if quick else 20
    periods, drawn, complete = asyncio.run(_screen(ctx, username, password, presses))
    p50, p95 = _p50_p95(periods)
    d50, d95 = _p50_p95(drawn)
    c50, c95 = _p50_p95(complete)
    today = manager.today()
    tick = time.perf_counter()
    KpiService(manager).dashboard("custom", today - dt.timedelta(days=3650), today)
    ten_years = (time.perf_counter() - tick) * 1000
    return [
        Figure("dashboard: period key → new period drawn p95 (figures pending)", p95, "ms", target=50,
               note=f"p50 {p50:.0f} ms; {presses} presses of [ and t; nothing read yet, reads run off the UI thread"),
        Figure("dashboard drawn p95 (period key → figures drawn)", d95, "ms", target=300,
               note=f"p50 {d50:.0f} ms; {presses} presses of [ and t; visits, rates, waits, utilisation, people"),
        Figure("dashboard complete p95 (+ collections, A/R rates, days in A/R, 12-month trend)", c95, "ms",
               note=f"p50 {c50:.0f} ms; no target: filled in after the figures are drawn"),
        Figure("KPI figures over ten years, with last year's and the previous ten (service)", ten_years, "ms",
               note="one call; what `report kpi --from` ten years back reads"),
    ]
