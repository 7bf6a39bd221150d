"""The `officeconsole` command: the console by default, batch commands beside it."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from officeconsole import error_log
from officeconsole.cli._common import DbOption, err, forget_signed_in, open_db, record_refusal
from officeconsole.services.common.errors import OfficeError, PermissionDenied
from officeconsole.services.common.printable import printable

try:  # Typer carries its own copy of Click from 0.20 on
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - an older Typer on plain Click
    from click import exceptions as click_errors


class OfficeGroup(TyperGroup):
    """Turns every expected failure into one line on stderr and exit status 1; a command line it
    cannot read (a missing `--as`, an unknown option) into one line and exit status 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError as exc:
            exc.show()  # a group named alone: its help, as before
            sys.exit(exc.exit_code)
        except click_errors.ClickException as exc:
            where = exc.ctx.command_path if getattr(exc, "ctx", None) is not None else "officeconsole"
            err.print(f"error: {printable(exc.format_message())} (see `{where} --help`)", markup=False,
                      highlight=False, soft_wrap=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            err.print("error: stopped.", markup=False, highlight=False)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: typer.Context):
        forget_signed_in()
        try:
            return super().invoke(ctx)
        except OfficeError as exc:
            if isinstance(exc, PermissionDenied):
                record_refusal(exc.message)
            err.print(f"error: {printable(str(exc))}", markup=False, highlight=False)
            raise typer.Exit(1) from None
        except SQLAlchemyError as exc:
            if (cause := error_log.known_cause(exc)) is not None:
                err.print(f"error: {cause}", markup=False, highlight=False)
                raise typer.Exit(1) from None
            error_id = error_log.record(exc)
            err.print(f"error: the database refused the request: {printable(error_log.first_line(exc))} "
                      f"(error {error_id}, details in {error_log.log_path()})", markup=False)
            raise typer.Exit(1) from None
        except (click_errors.ClickException, typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - one line for the person, the stack in the log
            error_id = error_log.record(exc)
            err.print(f"error: something unexpected went wrong ({type(exc).__name__}, error {error_id}); the "
                      f"details are in {error_log.log_path()}.", markup=False, highlight=False)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=OfficeGroup,
    name="officeconsole",
    help="Office Console: the front desk and practice management console. "
         "With no command, opens the console.",
    no_args_is_help=False,
    add_completion=True,  # --install-completion: commands and options complete in bash, zsh, fish, PowerShell
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def package_version() -> str:
    """The installed version (pyproject's `version`, as pip recorded it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("officeconsole")
    except PackageNotFoundError:  # pragma: no cover - run from a tree that was never installed
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"officeconsole {package_version()}")
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: DbOption = None,
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_print_version,
                                          help="Print the version and exit.")] = False,
) -> None:
    ctx.obj = {"db": db}
    if ctx.invoked_subcommand is None:
        open_console(ctx, db)


@app.command("open")
def open_console(ctx: typer.Context, db: DbOption = None) -> None:
    """Open the console (the setup wizard on an empty database, else the login screen)."""
    opened = open_db(ctx, db)
    from officeconsole.tui.app import run_console  # Textual loads only when a screen is wanted

    run_console(opened)
