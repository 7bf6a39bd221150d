"""docs/cli.md, generated from the Typer app: every command, its help text, arguments and options.

    python -m officeconsole.cli.docs_gen            # write docs/cli.md
    python -m officeconsole.cli.docs_gen --check    # exit 1 when docs/cli.md is out of date

The page is built from Click's own description of the commands (names, help, parameters), not
from a terminal rendering of `--help`, so it reads the same whatever the terminal width.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import typer

CLI_DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
REGENERATE = "python -m officeconsole.cli.docs_gen"
PROG = "officeconsole"


def root_command():
    """The Click command behind `officeconsole` (every sub-app attached)."""
    from officeconsole.cli.commands import app

    return typer.main.get_command(app)


def _subcommands(command, ctx) -> list:
    if not hasattr(command, "list_commands"):
        return []
    found = (command.get_command(ctx, name) for name in command.list_commands(ctx))
    return [sub for sub in found if sub is not None and not getattr(sub, "hidden", False)]


def walk(command=None, parent=None, name: str = PROG) -> Iterator[tuple[list[str], object, object]]:
    """(path, command, context) for the root and every command under it, depth first, in listed order."""
    command = command if command is not None else root_command()
    ctx = command.context_class(command, info_name=name, parent=parent)
    path = ctx.command_path.split()
    yield path, command, ctx
    for sub in _subcommands(command, ctx):
        yield from walk(sub, ctx, sub.name)


def command_tree() -> dict[tuple[str, ...], bool]:
    """Every command path (without `officeconsole`) mapped to whether it has sub-commands."""
    return {tuple(path[1:]): hasattr(command, "list_commands") for path, command, _ in walk()}


def _clean(text: str | None) -> str:
    lines = [line.rstrip() for line in (text or "").replace("\b\n", "").splitlines()]
    return "\n".join(lines).strip()


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _default(param) -> str:
    default = getattr(param, "default", None)
    if default is None or default is False or default == () or callable(default):
        return ""
    if getattr(param, "show_default", True) is False:
        return ""
    text = str(default.value if hasattr(default, "value") else default)
    return "" if text.startswith("/") or ":\\" in text else text  # never a machine's own path


def _param_rows(command, ctx) -> tuple[list[str], list[str]]:
    arguments, options = [], []
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False) or param.name == "help":
            continue
        help_text = _cell(_clean(getattr(param, "help", "")))
        if param.param_type_name == "argument":
            required = "required" if param.required else "optional"
            arguments.append(f"| `{(param.metavar or param.name).upper()}` | {required} | {help_text} |")
            continue
        names = ", ".join(f"`{opt}`" for opt in [*param.opts, *param.secondary_opts])
        extra = []
        if getattr(param, "envvar", None) and getattr(param, "show_envvar", False):
            envvars = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar)
            extra.append("env: " + ", ".join(f"`${e}`" for e in envvars))
        if default := _default(param):
            extra.append(f"default: `{default}`")
        if param.required:
            extra.append("required")
        detail = help_text + (f" ({'; '.join(extra)})" if extra else "")
        options.append(f"| {names} | {detail} |")
    return arguments, options


def render() -> str:
    out = [
        "# Command reference",
        "",
        f"Generated from the command definitions by `{REGENERATE}`; do not edit by hand.",
        "Every command also answers `--help`. Commands that act as someone take `--as USERNAME`",
        "(or `$OFFICECONSOLE_USER`) and read the password from `$OFFICECONSOLE_PASSWORD` or a prompt.",
        "Exit status: 0 done, 1 refused or failed (one `error: ...` line on stderr), 2 a command line",
        "it cannot read; `close-day` has its own (see [operations.md](operations.md#exit-codes)).",
        "",
    ]
    entries = list(walk())
    out += ["## Commands", ""]
    for path, command, _ in entries[1:]:
        anchor = "-".join(path).lower()
        summary = _cell(_clean(command.get_short_help_str(limit=120)))
        out.append(f"- [`{' '.join(path)}`](#{anchor}): {summary}")
    out.append("")
    for path, command, ctx in entries:
        level = "#" * min(2 + len(path) - 1, 4)
        out += [f"{level} {' '.join(path)}", ""]
        if help_text := _clean(command.help):
            out += [help_text, ""]
        pieces = re.sub(r"\{(\w+)\}", lambda m: m[1].upper(), " ".join(command.collect_usage_pieces(ctx)))
        out += ["```", f"{' '.join(path)} {pieces}".rstrip(), "```", ""]
        arguments, options = _param_rows(command, ctx)
        if arguments:
            out += ["| argument | | |", "|---|---|---|", *arguments, ""]
        if options:
            out += ["| option | |", "|---|---|", *options, ""]
        subs = _subcommands(command, ctx)
        if subs and len(path) > 1:
            out += ["Sub-commands: " + ", ".join(f"`{sub.name}`" for sub in subs) + ".", ""]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in args:
        current = CLI_DOC.read_text(encoding="utf-8") if CLI_DOC.exists() else ""
        if current != text:
            print(f"docs/cli.md is out of date: run `{REGENERATE}`", file=sys.stderr)
            return 1
        return 0
    CLI_DOC.write_text(text, encoding="utf-8")
    print(f"wrote {CLI_DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
