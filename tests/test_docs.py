"""The documentation tells the truth about the command line.

docs/cli.md is generated from the Typer app and must match it; every `officeconsole ...` command
quoted in README.md and docs/*.md (inline code or a code block) must name real commands and
options; `officeconsole --version` prints the package version.
"""

from __future__ import annotations

import itertools
import json
import re
import tomllib
from pathlib import Path

import typer.main
from typer.testing import CliRunner

from benchmarks import table
from benchmarks.report import Figure
from officeconsole.cli import app
from officeconsole.cli.docs_gen import REGENERATE, render

from tests.test_command_hints import problem

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CODE_SPAN = re.compile(r"`([^`\n]+)`")
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
COMMAND = re.compile(r"(?<![\w.-])officeconsole(?:\.exe)?(?=\s|$)([^\n]*)")


def _quoted(text: str):
    """Every `officeconsole ...` command line quoted in a page: code spans and code blocks."""
    blocks = FENCE.findall(text)
    spans = CODE_SPAN.findall(FENCE.sub("", text))
    for snippet in [*spans, *(line for block in blocks for line in block.splitlines())]:
        for match in COMMAND.finditer(snippet):
            yield match.group(1).strip()


def _variants(rest: str) -> list[list[str]]:
    """The command lines a quoted synopsis stands for: `a\\|b` alternatives, `[--opt X]` brackets."""
    words = []
    for word in rest.replace("\\|", "|").split():
        if word in {"|", "/", "...", "…"} or word.startswith(("#", "<", "$", ">")):
            break  # the end of the command: a pipe, a comment, a redirect, another command
        word = word.strip("[]()")
        words.append([w for w in word.split("|") if w] or [""])
    return [list(combo) for combo in itertools.product(*words)][:64]


def test_cli_reference_is_current():
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == render(), f"docs/cli.md is out of date: run `{REGENERATE}`"


def test_the_synopsis_reader():
    assert _variants("db upgrade\\|current --db X") == [["db", "upgrade", "--db", "X"], ["db", "current", "--db", "X"]]
    assert _variants("demo [--db PATH] # a comment") == [["demo", "--db", "PATH"]]
    assert problem(["billing", "no-such-command"]) is not None


def test_every_command_quoted_in_the_docs_exists(monkeypatch):
    tree = typer.main.get_command(app)  # built once: the checker would build it for every line
    monkeypatch.setattr(typer.main, "get_command", lambda _app: tree)
    wrong = []
    for page in PAGES:
        for rest in _quoted(page.read_text(encoding="utf-8")):
            for words in _variants(rest):
                if issue := problem(words):
                    wrong.append(f"{page.relative_to(ROOT)}: `officeconsole {rest}`: {issue}")
    assert not wrong, "\n".join(dict.fromkeys(wrong))


def test_version_prints_the_package_version():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"officeconsole {version}"


def test_performance_table_shows_the_newest_full_run_per_engine(tmp_path, monkeypatch):
    def write(name: str, value: float) -> None:
        figure = Figure("patient search p95", value, "ms", 0.5, "raw SQL p95", target=2, target_ratio=20)
        (tmp_path / name).write_text(json.dumps({"machine": {"python": "3.11", "cpus": 2, "dataset": {"patients": 10}},
                                                 "figures": [{**figure.__dict__}]}), encoding="utf-8")

    write("20260101T000000Z-full-sqlite.json", 1.5)
    write("20260201T000000Z-quick-full-sqlite.json", 9.0)  # a quick run never hides a full one
    page = table.render(table.load_runs(tmp_path))
    assert "| patient search p95 | 1.50 ms | 0.50 ms (raw SQL p95) | 3.0× | ≤ 2.00 ms, ≤ 20× baseline | yes |" in page
    assert "## SQLite" in page and "## PostgreSQL" not in page and "9.00 ms" not in page
    assert "python -m benchmarks.table" in page


def test_performance_page_names_each_miss_with_its_profile_and_each_slow_server_figure(tmp_path, monkeypatch):
    from benchmarks import misses

    monkeypatch.setattr(misses, "PROFILES", {"A/R aging": "Two thirds of it is the patients' read."})

    def write(name: str, search: float, aging: float) -> None:
        figures = [Figure("patient search p95", search, "ms", target=2), Figure("A/R aging p95", aging, "ms", target=300),
                   Figure("close-day", 0.5, "s", target=2)]
        (tmp_path / name).write_text(json.dumps({"machine": {}, "figures": [{**f.__dict__} for f in figures]}),
                                     encoding="utf-8")

    write("20260101T000000Z-full-sqlite.json", 1.0, 900)
    write("20260101T000000Z-full-postgresql.json", 3.0, 400)
    page = table.render(table.load_runs(tmp_path))
    sqlite, server = page.split("## PostgreSQL")
    assert "- A/R aging p95: 900 ms against ≤ 300 ms. Two thirds of it is the patients' read." in sqlite
    assert "patient search p95: 1.00 ms against" not in sqlite  # met: not listed
    assert "- patient search p95: 3.00 ms against ≤ 2.00 ms. No profile recorded for it yet." in server
    assert "- patient search p95: 3.00 ms against 1.00 ms on SQLite (3.0×)" in server
    assert "A/R aging p95: 400 ms against 900" not in server and "close-day: 0.50" not in server
