"""`sciplat storage ENV`: how homes and the shared area are used, and how they grow.

Measurements come from the usage job of the hub module (a ConfigMap in the Hub's namespace,
read with the current kubeconfig context) or, with `--home-root`, from measuring a directory tree
here, with the very code the job runs (modules/hub/files/measure_usage.py); such measurements are
kept in `build/ENV/storage-usage.json` so the next run shows the growth. The report: the top users,
the homes' total against the home Filestore capacity of the capacity plan, the shared area
against its capacity, the users over the soft limit (storage.home_per_user_gib) and the growth
since the previous measurement.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import typer
from rich.table import Table

from sciplat import console as consoles
from sciplat.config import REPO_ROOT, display_path
from sciplat.errors import UsageError
from sciplat.files import write_atomic

GIB = 2**30
MEASURE_SCRIPT = REPO_ROOT / "modules" / "hub" / "files" / "measure_usage.py"
CONFIGMAP = "sciplat-storage-usage"


def register(app: typer.Typer) -> None:
    app.command("storage")(storage)


@cache
def measure_module() -> ModuleType:
    """The usage job's own measuring code."""
    spec = importlib.util.spec_from_file_location("sciplat_measure_usage", MEASURE_SCRIPT)
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships with the repo
        raise UsageError(f"cannot load {MEASURE_SCRIPT}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _parse_time(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)


def report(
    history: list[dict[str, Any]],
    *,
    soft_limit_gib: float,
    home_capacity_gib: float,
    shared_capacity_gib: float,
    top: int,
) -> dict[str, Any]:
    """The report of the latest measurement against the previous one."""
    latest = history[-1]
    previous = history[-2] if len(history) > 1 else None
    before = previous["homes"] if previous else {}
    users = [
        {
            "user": name,
            "bytes": used,
            "gib": round(used / GIB, 3),
            "soft_limit_percent": round(100 * used / (soft_limit_gib * GIB), 1),
            "growth_bytes": used - before[name] if name in before else None,
        }
        for name, used in latest["homes"].items()
    ]
    users.sort(key=lambda u: (-u["bytes"], u["user"]))
    over = [u["user"] for u in users if u["bytes"] > soft_limit_gib * GIB]
    out: dict[str, Any] = {
        "time": latest["time"],
        "previous_time": previous["time"] if previous else None,
        "measurements": len(history),
        "homes": {
            "users": len(users),
            "bytes": latest["home_total"],
            "capacity_gib": home_capacity_gib,
            "percent_of_capacity": round(100 * latest["home_total"] / (home_capacity_gib * GIB), 2),
            "growth_bytes": latest["home_total"] - previous["home_total"] if previous else None,
        },
        "shared": {
            "bytes": latest["shared"],
            "capacity_gib": shared_capacity_gib,
            "percent_of_capacity": round(100 * latest["shared"] / (shared_capacity_gib * GIB), 2),
            "growth_bytes": latest["shared"] - previous["shared"] if previous else None,
        },
        "soft_limit_gib": soft_limit_gib,
        "over_soft_limit": over,
        "top": users[:top],
    }
    if previous:
        seconds = (_parse_time(latest["time"]) - _parse_time(previous["time"])).total_seconds()
        out["seconds_since_previous"] = int(seconds)
        out["days_since_previous"] = round(seconds / 86400, 3)
    return out


def _size(n: int | None, *, signed: bool = False) -> str:
    if n is None:
        return "-"
    sign = "+" if signed and n > 0 else ""
    for unit, factor in (("TiB", 2**40), ("GiB", GIB), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(n) >= factor:
            return f"{sign}{n / factor:,.2f} {unit}"
    return f"{sign}{n} B"


def _span(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 60:.0f} minutes" if seconds >= 60 else f"{seconds:.0f} seconds"


def _print(env_name: str, rep: dict[str, Any], source: str) -> None:
    console = consoles.out
    console.print(f"Storage of {env_name}, measured {rep['time']} ({source})")
    table = Table(title=f"Top {len(rep['top'])} homes", title_justify="left")
    table.add_column("user")
    table.add_column("home", justify="right")
    table.add_column(f"of soft limit ({rep['soft_limit_gib']:g} GiB)", justify="right")
    table.add_column("growth", justify="right")
    for u in rep["top"]:
        table.add_row(
            u["user"],
            _size(u["bytes"]),
            f"{u['soft_limit_percent']:.1f} %",
            _size(u["growth_bytes"], signed=True),
        )
    console.print(table)
    homes, shared = rep["homes"], rep["shared"]
    since = (
        f" since {rep['previous_time']} ({_span(rep['seconds_since_previous'])} earlier)"
        if rep["previous_time"]
        else " (first measurement: no growth yet)"
    )
    console.print(
        f"Homes:  {_size(homes['bytes'])} of {homes['capacity_gib']:,g} GiB "
        f"({homes['percent_of_capacity']:.2f} %), {homes['users']} users, "
        f"growth {_size(homes['growth_bytes'], signed=True)}{since}"
    )
    console.print(
        f"Shared: {_size(shared['bytes'])} of {shared['capacity_gib']:,g} GiB "
        f"({shared['percent_of_capacity']:.2f} %), "
        f"growth {_size(shared['growth_bytes'], signed=True)}"
    )
    over = rep["over_soft_limit"]
    console.print(
        f"Over the soft limit: {len(over)}" + (f" ({', '.join(over)})" if over else ""),
    )


def plot(history: list[dict[str, Any]], rep: dict[str, Any], path: Path) -> None:
    """Usage over time: homes and shared against their capacities, and the top homes now."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times = [_parse_time(m["time"]) for m in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.plot(times, [m["home_total"] / GIB for m in history], marker="o", label="homes")
    left.plot(times, [m["shared"] / GIB for m in history], marker="s", label="shared")
    left.set_ylabel("GiB used")
    left.set_title("Usage over time")
    left.legend()
    left.tick_params(axis="x", labelrotation=30)
    top = rep["top"]
    right.barh([u["user"] for u in reversed(top)], [u["gib"] for u in reversed(top)])
    right.axvline(rep["soft_limit_gib"], color="red", linestyle="--", label="soft limit")
    right.set_xlabel("GiB")
    right.set_title("Top homes")
    right.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _from_cluster(namespace: str, kubeconfig: Path | None, context: str | None) -> list[Any]:
    try:
        from kubernetes import client, config
        from kubernetes.client.exceptions import ApiException
    except ImportError:
        raise UsageError(
            "reading the cluster needs the kubernetes package; or measure a tree: --home-root DIR"
        ) from None
    try:
        api = config.new_client_from_config(
            config_file=str(kubeconfig) if kubeconfig else None, context=context
        )
    except Exception as exc:  # config errors are many types
        raise UsageError(f"cannot load the kubeconfig: {exc}") from None
    try:
        cm = client.CoreV1Api(api).read_namespaced_config_map(CONFIGMAP, namespace)
    except ApiException as exc:
        raise UsageError(
            f"cannot read configmap {namespace}/{CONFIGMAP}: {exc.status} {exc.reason}"
        ) from None
    try:
        history: list[Any] = json.loads((cm.data or {}).get("usage.json") or "[]")
    except ValueError:
        raise UsageError(f"configmap {namespace}/{CONFIGMAP}: usage.json is not JSON") from None
    return history


def storage(
    env: str = typer.Argument(..., metavar="ENV", help="Environment name or YAML path."),
    home_root: Path | None = typer.Option(
        None,
        "--home-root",
        help="Measure this directory tree (one home per subdirectory) instead of the cluster.",
    ),
    shared_root: Path | None = typer.Option(
        None, "--shared-root", help="The shared area's directory, measured with --home-root."
    ),
    history_file: Path | None = typer.Option(
        None,
        "--history",
        help="Where tree measurements are kept [default: build/ENV/storage-usage.json].",
    ),
    top: int = typer.Option(10, "--top", min=1, help="How many of the largest homes to list."),
    kubeconfig: Path | None = typer.Option(None, "--kubeconfig", help="Kubeconfig file."),
    context: str | None = typer.Option(None, "--context", help="Kubeconfig context."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    plot_path: Path | None = typer.Option(
        None, "--plot", help="Write a PNG: usage over time and the top homes."
    ),
) -> None:
    """Home and shared storage usage: top users, totals against capacity, growth.

    Example: sciplat storage stable --home-root /mnt/homes --shared-root /mnt/shared --plot u.png
    """
    from sciplat.capacity import plan_capacity
    from sciplat.config import load_environment

    environment = load_environment(env)
    sizing = plan_capacity(environment.data).to_dict()["filestore"]
    if shared_root is not None and home_root is None:
        raise UsageError("--shared-root needs --home-root")
    if home_root is not None:
        for flag, path in (("--home-root", home_root), ("--shared-root", shared_root)):
            if path is not None and not path.is_dir():
                raise UsageError(f"{flag}: {display_path(path)} is not a directory")
        store = history_file or Path("build") / environment.name / "storage-usage.json"
        history = _read_history(store)
        mod = measure_module()
        history = mod.append(history, mod.measure(home_root, shared_root), 60)
        try:
            write_atomic(store, json.dumps(history, indent=1, sort_keys=True) + "\n")
        except OSError as exc:
            raise UsageError(f"--history: cannot write {display_path(store)}: {exc}") from None
        source = f"{display_path(home_root)}, history in {display_path(store)}"
    else:
        namespace = environment.data["hub"]["namespace"]
        history = _from_cluster(namespace, kubeconfig, context)
        source = f"configmap {namespace}/{CONFIGMAP}"
    if not history:
        raise UsageError(f"no measurement yet ({source}); the usage job runs daily")
    rep = report(
        history,
        soft_limit_gib=environment.data["storage"]["home_per_user_gib"],
        home_capacity_gib=sizing["home"]["capacity_gib"],
        shared_capacity_gib=sizing["shared"]["capacity_gib"],
        top=top,
    )
    if plot_path is not None:
        try:
            plot(history, rep, plot_path)
        except OSError as exc:
            raise UsageError(f"--plot: cannot write {display_path(plot_path)}: {exc}") from None
    if as_json:
        typer.echo(json.dumps(rep, indent=2))
    else:
        _print(environment.name, rep, source)
        if plot_path is not None:
            consoles.out.print(f"Plot: {display_path(plot_path)}")


def _read_history(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{display_path(path)}:1: not a usage history: {exc}") from None
    if not isinstance(data, list) or not all(
        isinstance(m, dict) and {"time", "homes", "home_total", "shared"} <= set(m) for m in data
    ):
        raise UsageError(f"{display_path(path)}:1: not a usage history (a list of measurements)")
    return data
