"""The ``cxlab`` command line.

Each command is a thin wrapper over a package function. Errors that cxlab raises on
purpose (:class:`cxlab.errors.CxlabError`) are printed as one clear message, without a
traceback, and the command exits with status 1.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from cxlab.errors import CxlabError

app = typer.Typer(
    name="cxlab",
    help="cxlab: CX research workspace (sample data, validation, warehouse, reports).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


def fail(err: Exception) -> None:
    console.print(f"[bold red]error:[/] {err}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(1)


# Commands are registered below by topic; keep each a thin call into the package.
# ---------------------------------------------------------------- commands


# ---------------------------------------------------------------- entry point

def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: CxlabError → message and exit 1, no traceback."""
    try:
        app(args=argv, standalone_mode=True)
    except CxlabError as err:  # raised outside a command's own handling
        console.print(f"[bold red]error:[/] {err}", highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
