"""Run `officeconsole` commands in-process, as a person would type them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import typer
import typer.testing
from typer.main import get_command
from typer.testing import CliRunner

from officeconsole.cli import app
from officeconsole.services.common.clock import SystemClock

from tests.conftest import NOW
from tests.factories import PASSWORD


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


_commands: dict[typer.Typer, object] = {}


def _built_once(typer_app: typer.Typer):
    """Typer's runner builds the whole command tree from every command's type hints at each call
    (most of a quick command's time); the tree is the same each time, so it is built once."""
    if typer_app not in _commands:
        _commands[typer_app] = get_command(typer_app)
    return _commands[typer_app]


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """`cli("user", "list", "--as", "manager")` with its own home folder and no real user settings,
    on the tests' fixed clock (Monday 11/23/2026 10:00 in New York), so no answer depends on the
    day the suite runs."""
    monkeypatch.setattr(SystemClock, "now", lambda self: NOW)
    monkeypatch.setenv("OFFICECONSOLE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("OFFICECONSOLE_DB", raising=False)
    monkeypatch.setenv("OFFICECONSOLE_PASSWORD", PASSWORD)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(typer.testing, "_get_command", _built_once)
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        result = runner.invoke(app, list(args), env=env, input=input, catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def seeded_url(db_url, clinic) -> str:
    """A clinic set up by the factories (users manager, desk, biller, drlee, admin)."""
    return db_url
