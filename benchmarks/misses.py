"""Where the time goes in each figure that misses its target: a profile taken on the benchmark
clinic (1,000,000 patients), named by the start of the figure's name. docs/performance.md
lists every missed target with its entry here (benchmarks/table.py), so a miss is never shown
without its explanation, and a miss with none says so.

Profile a figure again with `python -m cProfile -s cumtime -m benchmarks --db URL` (or the
part's own service call) and update its entry when the work it describes changes.
"""

from __future__ import annotations

PROFILES: dict[str, str] = {}


def why_missed(figure: str) -> str:
    """The profile of a missed figure, or a note that none is recorded yet."""
    found = [text for start, text in PROFILES.items() if figure.startswith(start)]
    return found[0] if found else "No profile recorded for it yet."
