"""Where the time goes in each figure that misses its target: a profile taken on the benchmark
clinic (1,000,000 patients, 20 providers, about 1,900 visits a day), named by the start of the
figure's name. docs/performance.md lists every missed target with its entry here
(benchmarks/table.py), so a miss is never shown without its explanation, and a miss with none
says so.

The profiles come from `cProfile` around the benchmark's own functions (the UI thread's share
split into Textual and Rich, SQLAlchemy, the driver's wait on the server, our code) and from the
service figures of the same run. Update an entry when the work it describes changes.
"""

from __future__ import annotations

PROFILES: dict[str, str] = {
    "patient search p95": (
        "On PostgreSQL every look-up is a round trip: the raw SQL alone has a p95 of 2.3 ms on this "
        "machine, over the 2 ms target before any of our code runs. Of the service's time, 52 % is the "
        "wait on the server, 33 % SQLAlchemy building and reading the rows, 6 % our planning and phone "
        "formatting. On SQLite (no round trip) every query kind meets it."),
    "slot finder p": (
        "The finder walks day by day until it has five free slots; in the busy month ahead that is about "
        "32 days a search. In the run shown it counted each day's booked steps with its own query, and a "
        "third of its time was the server's answers, a third SQLAlchemy, a third Python over each day's "
        "hours. It now counts a week at a time (one query instead of seven): measured again on the same "
        "clinic, p50 30 ms and p95 65 ms against 42 and 76 ms for the code before, in one session. The "
        "rest is reading the bookings of each day with room, and the Python over its hours."),
    "schedule, 5 providers": (
        "Drawing, not reading: 58 % of the UI thread is Textual and Rich laying out and drawing the "
        "grid, 9 % our grid cells (`schedule_grid.render_line`); the day's read (a worker) is under 2 % "
        "of it. The p50 meets the target; the p95 is the frames where a redraw of the 475 visits lands "
        "beside another screen's refresh (the flow board kept current off screen)."),
    "check-in, first open": (
        "Textual and Rich take 67 % of the UI thread (the 1,900-row list laid out and drawn), our code "
        "6 %; the screen is built and its day read at login, so the key's cost is showing it. On "
        "PostgreSQL the read of what changed since login adds a round trip or two."),
    "check-in, reopened": (
        "As the first open: drawing the 1,900 rows is most of it (Textual and Rich 67 % of the UI "
        "thread); the read of what changed since is a worker query of a few ms on SQLite and about "
        "20 ms on PostgreSQL."),
    "billing queue: F5": (
        "On PostgreSQL the read is most of it: the queue's service read has a p95 of 208 ms at "
        "44,500 open claims (four per-state count and sum aggregates over encounter, policy and charge "
        "lines), against 34 ms on SQLite; drawing the 500 rows is the rest (Textual and Rich 71 % of the "
        "UI thread)."),
    "A/R aging": (
        "Nearly all of it is the patients' part (the note above times each read: payers about 0.1 s, "
        "patients 1.4-1.6 s, days in A/R under 30 ms on PostgreSQL). It sums every entry of the "
        "89,303 patients who owe (about 310,000 ledger and A/R rows, grouped by patient and day, then "
        "by patient) in one statement; PostgreSQL takes 1.5 s for it with or without JIT and with "
        "work_mem raised to 64 MB (no spill to disk). Under 300 ms needs the aging kept as entries "
        "post (buckets per patient, moved on each posting), a schema change."),
    "inventory: F9": (
        "The four reads take about 57 ms together on PostgreSQL (items 18, lots expiring 14, low items "
        "21, the lot list 4 ms p95); the rest is building and drawing the 500-row items list and its "
        "lots on the UI thread."),
    "dashboard: period key": (
        "Nothing is read on the key (the reads run in a worker once the new period is drawn): the cost "
        "is Textual laying out and drawing the dashboard again with its figures pending."),
    "dashboard drawn": (
        "The period's figures read about 40,000 visits a month three times (this period, the one before "
        "and last year), each with grouped queries over the appointments (statuses, waits with the "
        "provider's step, late cancels, moves, overrides, booked minutes) at about 1,900 visits a day, "
        "ten times a real clinic's density. Under 300 ms needs the day's figures kept in a summary "
        "table as each day closes."),
    "keystroke → results drawn p95": (
        "The baseline shows the machine: a bare DataTable refill, measured in the same run, is itself "
        "over the target (its p95 is beside the figure). The console's own figure stays at 0.5-0.7× "
        "that baseline, and at 46 ms in the SQLite run."),
    "cold start to the database open": (
        "The login screen is up in 1.2× a bare Textual app; the rest is importing SQLAlchemy, the models "
        "and the services and checking the schema, in a worker while the login screen is shown: "
        "importing SQLAlchemy takes about 0.3 s and the models and services another 0.27 s on this "
        "machine, together more than the bare app's whole start."),
    "close-day": (
        "A close spends most of its time locking the day and writing the day sheet; at 1M patients a "
        "close takes 0.4 s p50 on PostgreSQL now that the server's autovacuum keeps the planner's "
        "figures (a whole-database ANALYZE took 4.8 s of each close)."),
    "import 100,000 patients": (
        "Two thirds is the patients file (each row validated and its search keys built, 20,000 rows a "
        "batch), a third the policies; the same run on a quiet machine takes 43 s."),
}


def why_missed(figure: str) -> str:
    """The profile of a missed figure, or a note that none is recorded yet."""
    found = [text for start, text in PROFILES.items() if figure.startswith(start)]
    return found[0] if found else "No profile recorded for it yet."
