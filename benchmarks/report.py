"""Figures, their baselines and targets: printed as a Markdown table, saved as JSON."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sqlite3
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

RESULTS_DIR = Path(__file__).parent / "results"


@dataclass
class Figure:
    """One measured figure beside the baseline measured in the same run.

    `target` is a limit on `value` (lower is better) or, when `target_ratio` is set, on
    value / baseline.
    """

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: float | None = None
    target_ratio: float | None = None
    note: str = ""
    missing: str = ""  # why nothing could be measured: the row then fails rather than print a false figure
    busy: str = ""  # the machine was loaded beyond its cores: the target is not judged on this run

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        if self.missing:
            return False
        if self.busy:
            return None
        checks = []
        if self.target is not None:
            checks.append(self.value <= self.target)
        if self.target_ratio is not None and self.ratio is not None:
            checks.append(self.ratio <= self.target_ratio)
        return all(checks) if checks else None

    def target_text(self) -> str:
        parts = []
        if self.target is not None:
            parts.append(f"≤ {fmt_number(self.target)} {self.unit}")
        if self.target_ratio is not None:
            parts.append(f"≤ {self.target_ratio:g}× baseline")
        return ", ".join(parts) or "—"


def fmt_number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def markdown(figures: list[Figure]) -> str:
    lines = ["| figure | value | baseline | ratio | target | met? |", "|---|---:|---:|---:|---|:---:|"]
    for f in figures:
        baseline = f"{fmt_number(f.baseline)} {f.unit} ({f.baseline_name})" if f.baseline is not None else "—"
        ratio = f"{f.ratio:.1f}×" if f.ratio is not None else "—"
        met = f"not judged: {f.busy}" if f.busy and not f.missing else {True: "yes", False: "**no**", None: "—"}[f.met]
        value = f"not measured: {f.missing}" if f.missing else f"{fmt_number(f.value)} {f.unit}"
        lines.append(f"| {f.name} | {value} | {baseline} | {ratio} | {f.target_text()} | {met} |")
    return "\n".join(lines)


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):  # not on every platform
        return None


def judge(figures: list[Figure], info: dict, load_at_start: float | None) -> None:
    """Record the load at the start and end of the run; on a machine loaded beyond its cores the
    targets are not judged (each row says so) rather than called met or missed."""
    info["load_start"], info["load_end"] = load_at_start, load_average()
    cores = os.cpu_count() or 1
    worst = max((load for load in (info["load_start"], info["load_end"]) if load is not None), default=None)
    if worst is not None and worst > cores:
        info["judged"] = False
        for figure in figures:
            figure.busy = f"machine busy (load {worst:.1f} on {cores} cores)"
    else:
        info["judged"] = True


def machine_info(db_url: str, dataset: dict) -> dict:
    versions = {}
    for package in ("textual", "sqlalchemy", "alembic", "psycopg", "rich"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "sqlite": sqlite3.sqlite_version,
        "packages": versions,
        "database": db_url.split("@")[-1] if "@" in db_url else db_url,
        "dataset": dataset,
    }


def save(figures: list[Figure], info: dict, label: str) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{stamp}-{label}.json"
    payload = {"machine": info, "figures": [
        {**asdict(f), "ratio": f.ratio, "met": f.met} for f in figures]}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    return path
