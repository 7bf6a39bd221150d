"""The schedule: a day's rows and the slot finder, each against the one read it cannot avoid.

The generated schedule is nearly full for the next 30 days (about 95 five-minute visits per
provider-day), so a search for a 20- or 40-minute gap walks a month of days before it finds
one: the worst case a front desk meets. The baseline is the raw SQL read of one day's booked
steps for every provider, through the driver.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

from benchmarks.settle import workers_done
from officeconsole.services.common.context import ServiceContext
from officeconsole.services.scheduling.schedule import ScheduleService, day_bounds
from officeconsole.services.scheduling.slot_finder import SlotFinder, SlotQuery

PARTS = ("any", "morning", "afternoon")


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(round(0.95 * (len(ordered) - 1)))]


def _day_params(ctx: ServiceContext, day: dt.date) -> tuple:
    """A clinic day's bounds as the driver takes them (SQLite stores naive ISO text)."""
    start, end = (t.replace(tzinfo=None) for t in day_bounds(day, ctx))
    return (start.isoformat(sep=" "), end.isoformat(sep=" ")) if ctx.db.dialect == "sqlite" else (start, end)


def _timed_raw(raw, cursor, sql: str, params: tuple) -> float:
    """One plain read through the driver, in ms: the floor a service's figure is set beside."""
    tick = time.perf_counter()
    cursor.execute(sql, params)
    cursor.fetchall()
    raw.rollback()
    return (time.perf_counter() - tick) * 1000


def measure_slot_finder(ctx: ServiceContext, runs: int = 40) -> dict[str, tuple[float, float]]:
    schedule = ScheduleService(ctx)
    providers = [p.id for p in schedule.providers()]
    types = schedule.types()
    queries = [SlotQuery(type_id=types[n % len(types)].id, provider_id=None if n % 3 == 0 else providers[n % len(providers)],
                         part=PARTS[n % 3], count=5) for n in range(runs)]
    finder = SlotFinder(ctx)
    raw = ctx.db.engine.raw_connection()
    cursor = raw.cursor()
    mark = "?" if ctx.db.dialect == "sqlite" else "%s"
    sql = f"SELECT provider_id, slot_start FROM booked_slot WHERE slot_start >= {mark} AND slot_start < {mark}"
    params = _day_params(ctx, ctx.today())
    try:
        finder.find(queries[0])  # warm up
        timings: dict[str, list[float]] = {"service": [], "raw": []}
        for query in queries:
            tick = time.perf_counter()
            found = finder.find(query)
            timings["service"].append((time.perf_counter() - tick) * 1000)
            assert found, "the benchmark clinic should always have a free slot"
            timings["raw"].append(_timed_raw(raw, cursor, sql, params))
    finally:
        cursor.close()
        raw.close()
    return {name: _percentiles(samples) for name, samples in timings.items()}


def measure_day_read(ctx: ServiceContext, days: int = 10, repeats: int = 3) -> dict:
    """`ScheduleService.day` for the busiest clinic days around today against one plain SELECT of the
    same rows through the driver: (p50, p95) ms of each, and the most rows a day held."""
    schedule = ScheduleService(ctx)
    candidates = [ctx.today() + dt.timedelta(days=n) for n in range(-days, days)]
    rows = {day: len(schedule.day(day)) for day in candidates}
    busiest = sorted(candidates, key=lambda day: -rows[day])[:days]
    raw = ctx.db.engine.raw_connection()
    cursor = raw.cursor()
    mark = "?" if ctx.db.dialect == "sqlite" else "%s"
    sql = (f"{_DAY_SQL} WHERE a.start_at >= {mark} AND a.start_at < {mark} ORDER BY a.start_at, u.full_name")
    timings: dict[str, list[float]] = {"service": [], "raw": []}
    try:
        for _ in range(repeats):
            for day in busiest:
                tick = time.perf_counter()
                schedule.day(day)
                timings["service"].append((time.perf_counter() - tick) * 1000)
                timings["raw"].append(_timed_raw(raw, cursor, sql, _day_params(ctx, day)))
    finally:
        cursor.close()
        raw.close()
    return {**{name: _percentiles(samples) for name, samples in timings.items()}, "rows": rows[busiest[0]]}


# The schedule's columns for a day, as one plain SELECT: the floor under ScheduleService.day.
_DAY_SQL = """SELECT a.id, a.version, a.provider_id, u.full_name, a.patient_id, p.last_name, p.first_name, p.mrn,
 p.phone, p.preferred_contact, t.name, t.colour, a.start_at, a.end_at, a.status, a.reason, p.email, c.state, c.how
 FROM appointment a JOIN provider pr ON pr.id = a.provider_id JOIN app_user u ON u.id = pr.user_id
 JOIN patient p ON p.id = a.patient_id JOIN appointment_type t ON t.id = a.type_id
 LEFT JOIN visit_confirmation c ON c.appointment_id = a.id"""


async def _day_render(ctx: ServiceContext, username: str, password: str, presses: int,
                      providers: int | None) -> tuple[list[float], int]:
    import asyncio

    from textual import events

    from officeconsole.services.security import auth
    from officeconsole.tui.app import OfficeApp
    from officeconsole.tui.screens.schedule import ScheduleScreen

    app = OfficeApp(ctx)
    samples: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        await workers_done(app)
        await pilot.pause()
        app.start_session(auth.login(ctx, username, password))
        await workers_done(app)
        await pilot.pause()
        team = None
        if providers:
            team = [p.id for p in ScheduleService(app.ctx).providers()][:providers]
        app.push_screen(ScheduleScreen(provider_ids=team))
        while not (isinstance(app.screen, ScheduleScreen) and app.screen.plan is not None):
            await pilot.pause(0.01)
        screen = app.screen
        shown = 0
        shown_plan = asyncio.Event()
        show = screen._show

        def _show_and_signal(plan) -> None:  # the screen's own handler, then wake the timer
            show(plan)
            shown_plan.set()

        screen._show = _show_and_signal  # load() looks the handler up on each call
        for press in range(presses + 1):  # the first, unmeasured, warms the grid up
            shown_plan.clear()
            drawn = asyncio.Event()
            start = time.perf_counter()
            app.post_message(events.Key("right_square_bracket", "]"))
            await shown_plan.wait()
            app.call_after_refresh(drawn.set)
            await drawn.wait()
            if press:
                samples.append((time.perf_counter() - start) * 1000)
            shown = max(shown, len(screen.plan.rows))
            await workers_done(app)  # the waitlist line's worker too, before the next press
    return samples, shown


def measure_day_render(ctx: ServiceContext, username: str, password: str, presses: int = 20,
                       providers: int | None = None) -> tuple[float, float, int]:
    """Keypress (next day) to the schedule drawn: (p50 ms, p95 ms, most appointments in a day shown).

    `providers` limits the columns to the first N providers (the desk's usual view is five)."""
    import asyncio

    samples, shown = asyncio.run(_day_render(ctx, username, password, presses, providers))
    p50, p95 = _percentiles(samples)
    return p50, p95, shown
