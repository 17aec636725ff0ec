"""The ``infrabt`` command line: thin wrappers over the Python API, one-line errors, rich progress."""

import functools
import logging
import sys
from collections.abc import Callable

import typer
from rich.console import Console

from engine.errors import InfrabtError

console = Console(stderr=True)

app = typer.Typer(
    name="infrabt",
    help="Backtest the 'own the rails' infrastructure thesis on real prices, through real crises.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Fetch, import and inspect the local price cache.", no_args_is_help=True)
app.add_typer(data_app, name="data")


def friendly_errors(command: Callable) -> Callable:
    """Turn an ``InfrabtError`` into one red line and exit code 2, instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InfrabtError as exc:
            console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None
        except KeyboardInterrupt:
            console.print("[yellow]interrupted[/]: nothing half-written was kept.")
            raise typer.Exit(code=130) from None

    return wrapper


def main() -> None:  # pragma: no cover - console entry point
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    app()
