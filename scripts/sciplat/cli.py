"""The `sciplat` command: one entry point, one subcommand per capability."""

from __future__ import annotations

import importlib
import sys

import typer

from sciplat import __version__, console
from sciplat.errors import SciplatError

app = typer.Typer(
    name="sciplat",
    help=(
        "Stand up the notebook service of a science platform on GKE.\n\n"
        "Example: sciplat validate sandbox && sciplat render sandbox"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

err_console = console.err

# Each capability lives in its own module with a `register(app)` function.
COMMAND_MODULES = (
    "sciplat.commands",
    "sciplat.capacity.cli",
    "sciplat.images.cli",
    "sciplat.review.cli",
    "sciplat.workflow",
    "sciplat.tfcheck",
    "sciplat.tfdocs",
    "sciplat.verify.cli",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sciplat {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Stand up the notebook service of a science platform on GKE."""


def _register_all() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)


_register_all()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code.

    Usage errors are reported by typer (exit 2); a SciplatError becomes its message on stderr and
    its exit code; nothing reaches the user as a traceback.
    """
    try:
        app(args=argv, prog_name="sciplat")
    except SystemExit as exc:
        if exc.code is None:
            return 0
        if isinstance(exc.code, int):
            return exc.code
        err_console.print(str(exc.code), markup=False)
        return 1
    except SciplatError as exc:
        err_console.print(str(exc), markup=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        return 130
    except OSError as exc:  # a safety net: a file or directory the command could not use
        where = f"{exc.filename}: " if exc.filename else ""
        err_console.print(f"sciplat: {where}{exc.strerror or exc}", markup=False)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
