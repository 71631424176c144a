"""`sciplat capacity`: size an environment and explain the numbers."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import typer

from sciplat import console as consoles
from sciplat.capacity.errors import CapacityError
from sciplat.capacity.plan import MAX_USERS, Planner
from sciplat.errors import UsageError

console = consoles.out
if not console.is_terminal:  # pipes and files: wide enough that the tables stay readable
    console = consoles.make_console(width=120)


def register(app: typer.Typer) -> None:
    app.command("capacity")(capacity)


def _field_path(dotted: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    for piece in dotted.split("."):
        m = re.fullmatch(r"([^\[]*)((?:\[\d+\])*)", piece)
        if m is None:
            parts.append(piece)
            continue
        if m[1]:
            parts.append(int(m[1]) if m[1].isdigit() else m[1])
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", m[2]))
    return tuple(parts)


def _load(env_name: str | None) -> tuple[dict[str, Any], Any]:
    """(environment dict, Environment or None for the seed defaults)."""
    if env_name is None:
        from sciplat.capacity.defaults import seed_environment

        return seed_environment(), None
    from sciplat.config import load_environment

    env = load_environment(env_name)
    return env.data, env


def _located(exc: CapacityError, env: Any) -> UsageError:
    """Name the file and line of the field a CapacityError is about, when there is one."""
    if env is None or not exc.field or exc.field.startswith("-"):
        return exc
    try:
        line = env.line_of(_field_path(exc.field))
        shown: Path = env.path
        with contextlib.suppress(ValueError):
            shown = env.path.resolve().relative_to(Path.cwd().resolve())
    except Exception:  # no line known: keep the message as it is
        return exc
    return CapacityError("", f"{shown}:{line}: {exc}")


def capacity(
    env: str | None = typer.Argument(
        None,
        metavar="[ENV]",
        help="Environment name (env/NAME.yaml) or YAML path; the seed's defaults when omitted.",
    ),
    users: int | None = typer.Option(
        None, "--users", help=f"Concurrent users at peak (1 to {MAX_USERS:,}); overrides the env."
    ),
    machine_type: str | None = typer.Option(
        None, "--machine-type", help="Machine type of the first user pool, e.g. n2-standard-16."
    ),
    optimize: bool = typer.Option(
        False, "--optimize", help="Search the catalogue for the cheapest machine type."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as one JSON object."),
    markdown: bool = typer.Option(False, "--markdown", help="Print the plan as Markdown."),
    plot: Path | None = typer.Option(
        None, "--plot", metavar="FILE.png", help="Draw nodes and cost against users (1 to 10^4)."
    ),
    prices: Path | None = typer.Option(
        None,
        "--prices",
        metavar="FILE",
        help="A price table (JSON/YAML) instead of the shipped one.",
    ),
) -> None:
    """Size an environment: nodes, disks, Filestore, IP ranges and monthly cost.

    Shows users per node and the constraint that binds it;
    the user and core pools' autoscaling bounds;
    Filestore tiers and capacities; the largest cluster the IP ranges allow;
    each cost line; and what breaks first at 10^3 and 10^4 concurrent users.

    Example: sciplat capacity stable --users 300 --optimize --plot build/stable/capacity.png
    """
    if as_json and markdown:
        raise UsageError("--json and --markdown: choose one")
    if users is not None and not 1 <= users <= MAX_USERS:
        raise CapacityError("--users", f"{users} is out of range (1 to {MAX_USERS:,})")
    if plot is not None and plot.suffix.lower() != ".png":
        raise CapacityError("--plot", f"{plot}: the plot is a PNG file (FILE.png)")
    data, environment = _load(env)
    try:
        planner = Planner(data, machine_type=machine_type, prices_path=prices)
        sizing = planner.plan(users).to_dict()
        from sciplat.capacity.scale import breakpoints, scale_report

        scale = (breakpoints(planner), scale_report(planner))
        opt = None
        if optimize:
            from sciplat.capacity.optimize import optimize as run_optimizer

            opt = run_optimizer(data, users=users, prices=planner.prices)
        if plot is not None:
            from sciplat.capacity.plot import write_plot

            write_plot(planner, plot, target=sizing["users"]["peak_concurrent"])
    except CapacityError as exc:
        if machine_type and exc.field == "node_pools.user[0].machine_type":
            message = str(exc).split(": ", 1)[1]
            raise CapacityError("--machine-type", message) from None
        raise _located(exc, environment) from None

    if as_json:
        out = dict(sizing)
        out["scale"] = {"limits": scale[0], "targets": scale[1]}
        if opt is not None:
            out["optimizer"] = opt
        if plot is not None:
            out["plot"] = str(plot)
        typer.echo(json.dumps(out, indent=2))
        return
    if markdown:
        from sciplat.capacity.report import to_markdown

        typer.echo(to_markdown(sizing, optimizer=opt, scale=scale), nl=False)
        return
    from sciplat.capacity.report import print_plan

    print_plan(console, sizing, optimizer=opt, scale=scale)
    if plot is not None:
        console.print(f"plot written to {plot}")
