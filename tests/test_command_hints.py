"""Every command a message or help text tells a person to run exists, with the options it names.

Messages quote commands in backticks (`officeconsole user unlock NAME`); each quoted command is
walked through the Typer app: the groups and subcommands must exist, and each `--option` named
must be one the command takes. A renamed command cannot leave a message pointing at nothing.
An f-string is read whole, its values as placeholders, so a command with a date or a file in it
is checked too; and a command written without its backticks is itself a failure, since the
checker could not tell where it ends.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import typer.main

from officeconsole.cli import app

PACKAGE = Path(__file__).resolve().parent.parent / "officeconsole"
QUOTED = re.compile(r"`officeconsole((?: [^`]*)?)`")
UNQUOTED = re.compile(r"(?<![`\w.-])officeconsole ([a-z][a-z0-9-]*)")
WHOLE = re.compile(r"officeconsole [a-z][a-z0-9 |-]*")  # "officeconsole provider add|edit"
VALUE = "VALUE"  # what an f-string's {...} reads as


def _joined(node: ast.JoinedStr) -> str:
    return "".join(v.value if isinstance(v, ast.Constant) else VALUE for v in node.values)


def _strings(tree: ast.AST):
    """(line, text) of every string literal in `tree`; an f-string whole, its values as VALUE."""
    parts = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
             for inner in ast.walk(node) if inner is not node}
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and id(node) not in parts:  # not a format spec inside one
            yield node.lineno, _joined(node)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts:
            yield node.lineno, node.value


@functools.cache
def _package_strings() -> list[tuple[str, str]]:
    return [(f"{path.relative_to(PACKAGE.parent)}:{line}", text) for path in sorted(PACKAGE.rglob("*.py"))
            for line, text in _strings(ast.parse(path.read_text(encoding="utf-8")))]


@functools.cache
def _tree():
    """The Typer app as Click commands, built once (it takes seconds)."""
    return typer.main.get_command(app)


def _commands_in(text: str):
    """The words of each command `text` quotes; a string that is a command (a table of them) whole."""
    if WHOLE.fullmatch(text):
        yield text.split()[1:]
    for match in QUOTED.finditer(text):
        yield match.group(1).split()


def _quoted_commands():
    for where, text in _package_strings():
        for words in _commands_in(text):
            yield where, words


def problem(words: list[str]) -> str | None:
    """What is wrong with `officeconsole WORDS`, or None."""
    command = _tree()
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
        elif hasattr(command, "commands") and re.fullmatch(r"[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*", word):
            missing = [name for name in word.split("|") if name not in command.commands]  # "add|edit": both
            if missing:
                return f"{command.name or 'officeconsole'} has no command {missing[0]!r}"
            command = command.commands[word.split("|")[0]]
        elif hasattr(command, "commands"):
            return None  # "officeconsole billing ..." names the group only
    return None


def test_the_checker_finds_what_is_wrong():
    assert problem(["user", "add"]) is None
    assert problem(["users", "unlock"]) == "officeconsole has no command 'users'"
    assert problem(["close-day", "--date", "D", "--dry-run"]) is None
    assert problem(["close-day", "--dryrun"]) == "close-day has no option --dryrun"
    assert problem(["provider", "add|edit"]) is None
    assert problem(["provider", "add|change"]) == "provider has no command 'change'"


def test_every_quoted_command_exists():
    wrong = [f"{where}: `officeconsole {' '.join(words)}`: {issue}"
             for where, words in _quoted_commands() if (issue := problem(words))]
    assert not wrong, "\n".join(wrong)


def test_an_f_string_command_is_read_whole():
    tree = ast.parse('f"A manager can reopen it: `officeconsole reopen-day {day:%Y-%m-%d} --reasons \\"...\\"`"')
    [(_, text)] = _strings(tree)
    [words] = _commands_in(text)
    assert words == ["reopen-day", VALUE, "--reasons", '"..."']
    assert problem(words) == "reopen-day has no option --reasons"


def test_every_command_in_a_message_is_quoted():
    """A command typed into a message without its backticks is not checked above: name each one."""
    commands = set(_tree().commands)
    bare = [f"{where}: officeconsole {match.group(1)}" for where, text in _package_strings()
            if not WHOLE.fullmatch(text)
            for match in UNQUOTED.finditer(text) if match.group(1) in commands]
    assert not bare, "quote these commands in backticks:\n" + "\n".join(bare)
