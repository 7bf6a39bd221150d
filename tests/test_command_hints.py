"""Every command a message or help text tells a person to run exists, with the options it names.

Messages quote commands in backticks (`officeconsole user unlock NAME`); each quoted command is
walked through the Typer app: the groups and subcommands must exist, and each `--option` named
must be one the command takes. A renamed command cannot leave a message pointing at nothing.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import typer.main

from officeconsole.cli import app

PACKAGE = Path(__file__).resolve().parent.parent / "officeconsole"
QUOTED = re.compile(r"`officeconsole((?: [^`]*)?)`")


def _quoted_commands():
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for match in QUOTED.finditer(node.value):
                    yield f"{path.relative_to(PACKAGE.parent)}:{node.lineno}", match.group(1).split()


def problem(words: list[str]) -> str | None:
    """What is wrong with `officeconsole WORDS`, or None."""
    command = typer.main.get_command(app)
    value_next = False
    for word in words:
        if value_next:  # the value of the option before it, never a command
            value_next = False
        elif word.startswith("-"):
            option = word.split("=", 1)[0]
            params = {name: param for param in command.params
                      for name in [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]}
            if option not in params.keys() | {"--help", "-h"}:
                return f"{command.name} has no option {option}"
            value_next = "=" not in word and option in params and not getattr(params[option], "is_flag", False)
        elif hasattr(command, "commands") and re.fullmatch(r"[a-z][a-z0-9-]*", word):
            if word not in command.commands:
                return f"{command.name or 'officeconsole'} has no command {word!r}"
            command = command.commands[word]
        elif hasattr(command, "commands"):
            return None  # "officeconsole billing ..." names the group only
    return None


def test_the_checker_finds_what_is_wrong():
    assert problem(["user", "add"]) is None
    assert problem(["users", "unlock"]) == "officeconsole has no command 'users'"
    assert problem(["close-day", "--date", "D", "--dry-run"]) is None
    assert problem(["close-day", "--dryrun"]) == "close-day has no option --dryrun"


def test_every_quoted_command_exists(monkeypatch):
    tree = typer.main.get_command(app)  # built once: the checker would build it for every quote
    monkeypatch.setattr(typer.main, "get_command", lambda _app: tree)
    wrong = [f"{where}: `officeconsole {' '.join(words)}`: {issue}"
             for where, words in _quoted_commands() if (issue := problem(words))]
    assert not wrong, "\n".join(wrong)
