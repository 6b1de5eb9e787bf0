"""The `warroom` command line: one module per command group, all registered on one Typer app."""

import importlib
import pkgutil
import sys

import typer
from rich.console import Console
from rich.markup import escape

from warroom import __version__
from warroom.errors import UserError

app = typer.Typer(
    name="warroom",
    help="Warroom: the data war room for an e-commerce sale day (Double 11).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        print(f"warroom {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Warroom: one set of live numbers for operations, finance and tech."""


# Command modules (warroom/cli/*_cmd.py) register themselves on `app` when imported: adding a command
# group is adding a file.
for _module in pkgutil.iter_modules(__path__):
    if _module.name.endswith("_cmd"):
        importlib.import_module(f"{__name__}.{_module.name}")


def main() -> None:
    """Entry point: a UserError prints its message and exits 2; anything else is a bug and shows its trace."""
    try:
        # In non-standalone mode click returns a command's exit code instead of exiting.
        sys.exit(app(standalone_mode=False) or 0)
    except UserError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except Exception as exc:  # click's usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
