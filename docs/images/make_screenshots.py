"""Screenshots for the README: the demo clinic built in a temporary folder, the console driven by
Pilot, the screen saved as SVG by Textual.

    python docs/images/make_screenshots.py      # writes docs/images/schedule.svg
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZE = (140, 42)


async def _shoot(url: str, out: Path) -> None:
    from officeconsole.bootstrap import open_database
    from officeconsole.demo.clinic import DEMO_PASSWORD
    from officeconsole.tui.app import OfficeApp

    opened = open_database(url)
    app = OfficeApp(opened.ctx, opened.paths)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await _settle(pilot)
            await pilot.press(*"desk", "enter", *DEMO_PASSWORD, "enter")  # the front desk lands on today's schedule
            await _settle(pilot)
            for _ in range(max(0, 7 - dt.date.today().weekday()) if dt.date.today().weekday() >= 5 else 0):
                await pilot.press("right_square_bracket")  # a weekend: on to Monday, a working day
                await _settle(pilot)
            app.save_screenshot(filename=out.name, path=str(out.parent))
    finally:
        opened.ctx.db.dispose()


async def _settle(pilot) -> None:
    for _ in range(4):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.2)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="oc-screens-") as home:
        os.environ["OFFICECONSOLE_HOME"] = home  # every folder in the throwaway place
        from officeconsole.bootstrap import open_database
        from officeconsole.config import Paths, normalize_db_url
        from officeconsole.demo import build_demo

        paths = Paths.discover()
        paths.ensure()
        url = normalize_db_url(str(Path(home) / "demo-clinic.db"))
        opened = open_database(url, paths=paths)
        try:
            build_demo(opened.ctx, patients=400, claims_dir=paths.reports_dir / "claims")
        finally:
            opened.ctx.db.dispose()
        out = HERE / "schedule.svg"
        asyncio.run(_shoot(url, out))
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent.parent))
    raise SystemExit(main())
