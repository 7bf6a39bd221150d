"""Waiting for the console's workers in benchmarks, whatever became of them."""

from __future__ import annotations

from textual.app import App
from textual.worker import WorkerCancelled


async def workers_done(app: App) -> None:
    """Every worker finished; a screen that was closed meanwhile cancels its own, which is fine."""
    try:
        await app.workers.wait_for_complete()
    except WorkerCancelled:
        pass
