"""`sciplat verify ENV`: check the live platform against the rendered environment."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand

from sciplat import console as consoles
from sciplat.errors import UsageError
from sciplat.verify import CHECK_NAMES

DEFAULT_WAIT = 600.0
DEFAULT_TIMEOUT = 60.0
NODE_ROWS = 40  # per-node rows shown to people; --json has them all

HELP = (
    "After an apply, prove the platform is what the plan said.\n\n"
    "Reads ENV's rendered inputs and image set and checks the live platform: [bold]prepull[/bold] "
    "(every user node holds every image), [bold]hub[/bold] (hub and proxy available, reserved "
    "address, the release's image set), [bold]storage[/bold] (home and shared Bound to Retain "
    "NFS volumes), [bold]placement[/bold] (hub pods on core nodes, labs off them, user nodes "
    "tainted) and [bold]cluster[/bold] (GKE cluster and node pools against the tfvars; drift is "
    "named field by field).\n\n"
    "Exit codes: 0 all passed (warnings allowed), 1 a check failed, 2 bad input, 4 the cluster "
    "or an API cannot be reached.\n\n"
    "Examples:\n\n"
    "  sciplat verify stable          [dim]# every check, through Google credentials[/dim]\n\n"
    "  sciplat verify stable --kubeconfig kubeconfig --checks prepull --wait 900\n\n"
    "  sciplat verify int --checks cluster,storage --outputs outputs.json --json"
)

_NUMBER = re.compile(r"-?\d+(\.\d*)?|-?\.\d+")


class VerifyCommand(TyperCommand):
    """`--wait` takes an optional value: a bare `--wait` waits DEFAULT_WAIT seconds."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        fixed: list[str] = []
        for i, arg in enumerate(args):
            fixed.append(arg)
            if arg == "--wait":
                following = args[i + 1] if i + 1 < len(args) else None
                if following is None or not _NUMBER.fullmatch(following):
                    fixed.append(f"{DEFAULT_WAIT:g}")
        return super().parse_args(ctx, fixed)


def parse_checks(value: str | None) -> list[str]:
    if value is None:
        return list(CHECK_NAMES)
    names = [part.strip() for part in value.split(",") if part.strip()]
    if not names:
        raise UsageError(f"--checks: give one or more of {', '.join(CHECK_NAMES)}")
    for name in names:
        if name not in CHECK_NAMES:
            raise UsageError(f"--checks: unknown check {name!r} (checks: {', '.join(CHECK_NAMES)})")
    return [n for n in CHECK_NAMES if n in names]


def register(app: typer.Typer) -> None:
    app.command("verify", help=HELP, cls=VerifyCommand)(verify)


def verify(
    env: str = typer.Argument(..., metavar="ENV", help="Environment name or YAML path."),
    checks: str | None = typer.Option(
        None,
        "--checks",
        metavar="LIST",
        help=f"Comma-separated checks to run (default: all of {','.join(CHECK_NAMES)}).",
    ),
    kubeconfig: Path | None = typer.Option(
        None, "--kubeconfig", help="Kubeconfig file (default: the cluster via Google credentials)."
    ),
    context: str | None = typer.Option(
        None, "--context", help="Kubeconfig context (default: its current context)."
    ),
    namespace: str | None = typer.Option(
        None, "--namespace", help="Namespace of the Hub (default: the environment's hub.namespace)."
    ),
    outputs: Path | None = typer.Option(
        None,
        "--outputs",
        help="`terraform output -json` of ENV (default: read from the state `plan` set up).",
    ),
    build_dir: Path = typer.Option(
        Path("build"), "--build-dir", help="Where plan keeps build/ENV/ (its Terraform state)."
    ),
    gke_endpoint: str | None = typer.Option(
        None,
        "--gke-endpoint",
        envvar="SCIPLAT_GKE_ENDPOINT",
        help="GKE API endpoint (default: Google's); http:// means a local test server.",
    ),
    wait: float | None = typer.Option(
        None,
        "--wait",
        metavar="[SECONDS]",
        min=0,
        help=f"Poll until every user node holds the whole image set (bare: {DEFAULT_WAIT:g} s).",
    ),
    timeout: float = typer.Option(
        DEFAULT_TIMEOUT, "--timeout", min=0.1, help="Seconds each check may take."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    from sciplat.render import prepare
    from sciplat.verify.expected import Expected, outputs_from_state, read_outputs
    from sciplat.verify.kube import KubeReader, Unreachable
    from sciplat.verify.run import KUBE_CHECKS, Context, exit_code, run_checks

    names = parse_checks(checks)
    out, err = consoles.out, consoles.err
    if context is not None and not context:
        raise UsageError("--context: must not be empty")
    tf_outputs = read_outputs(outputs) if outputs is not None else None
    environment, _, tfvars, warnings = prepare(env)
    if tf_outputs is None and ("hub" in names or "storage" in names):
        tf_outputs, why = outputs_from_state(environment.name, build_dir)
        if tf_outputs is None:
            warnings.append(why)
    for warning in warnings:
        err.print(f"warning: {warning}", markup=False)
    expected = Expected.from_tfvars(tfvars, tf_outputs)
    if namespace:
        expected.namespace = namespace
    ctx = Context(expected=expected, wait=wait)

    def fail_unreachable(message: str) -> None:
        if as_json:
            typer.echo(json.dumps(_document(expected, [], 4, error=message), indent=2))
        raise Unreachable(message)

    gke = None
    try:
        if "cluster" in names or (kubeconfig is None and context is None):
            gke = LazyGke(expected, gke_endpoint, timeout)
            ctx.gke = gke
        if any(n in KUBE_CHECKS for n in names):
            api = _kube_client(kubeconfig, context, gke)
            ctx.reader = KubeReader(api, expected.namespace, timeout=timeout)
            ctx.reader.probe()
    except Unreachable as exc:
        fail_unreachable(str(exc))

    progress = None
    if wait and "prepull" in names:
        progress = NodeProgress(err)
        ctx.progress = progress.update
    try:
        results = run_checks(names, ctx, timeout=timeout)
    finally:
        if progress is not None:
            progress.close()
    code = exit_code(results)
    for result in results:
        if result.unreachable:
            err.print(result.error, markup=False)
    if as_json:
        typer.echo(json.dumps(_document(expected, results, code), indent=2))
    else:
        _print(out, environment.name, expected, results)
    raise typer.Exit(code)


class LazyGke:
    """Creates the Gke client on first use, inside the check that needs it, so missing Google
    credentials fail the cluster check (exit 4) without hiding the others."""

    def __init__(self, expected: Any, endpoint: str | None, timeout: float) -> None:
        self._args = (expected, endpoint, timeout)
        self._gke: Any = None

    def get(self) -> Any:
        if self._gke is None:
            from sciplat.verify.gke import Gke

            expected, endpoint, timeout = self._args
            self._gke = Gke(expected, endpoint=endpoint, timeout=timeout)
        return self._gke

    def read(self) -> Any:
        return self.get().read()


def _kube_client(kubeconfig: Path | None, context: str | None, gke: Any) -> Any:
    from sciplat.verify.kube import client_for_cluster, client_from_kubeconfig, default_kubeconfig

    if kubeconfig is not None or context is not None:
        api, _ = client_from_kubeconfig(kubeconfig or default_kubeconfig(), context)
        return api
    client = gke.get()
    found = client.read()
    # The DNS-based endpoint (IAM-authorized, a publicly trusted certificate) when the cluster
    # has one, as the gke module configures it; else the IP endpoint with the cluster's CA.
    dns = (
        (found.cluster.get("control_plane_endpoints_config") or {}).get("dns_endpoint_config") or {}
    ).get("endpoint")
    endpoint = found.cluster.get("endpoint")
    ca = (found.cluster.get("master_auth") or {}).get("cluster_ca_certificate")
    if not dns and not (endpoint and ca):
        from sciplat.verify.kube import Unreachable

        raise Unreachable(
            f"Cluster {client.expected.cluster_name} has no endpoint yet: "
            "is it still being created?"
        )
    token = _token(client.credentials)
    return client_for_cluster(dns, None, token) if dns else client_for_cluster(endpoint, ca, token)


def _token(credentials: Any) -> str:
    import google.auth.transport.requests

    if not getattr(credentials, "valid", False):
        credentials.refresh(google.auth.transport.requests.Request())
    return credentials.token or ""


class NodeProgress:
    """A progress bar of user nodes holding the whole image set (on stderr, people only)."""

    def __init__(self, console: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task = self.bar.add_task("user nodes prepulled", total=None)
        self.bar.start()

    def update(self, ready: int, total: int) -> None:
        self.bar.update(self.task, completed=ready, total=max(total, 1))

    def close(self) -> None:
        self.bar.stop()


def _document(
    expected: Any, results: list[Any], code: int, *, error: str | None = None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "environment": expected.env_name,
        "namespace": expected.namespace,
        "cluster": expected.cluster_path,
        "ok": code == 0,
        "exit_code": code,
        "checks": [r.as_dict() for r in results],
    }
    if error is not None:
        doc["error"] = error
    return doc


STYLE = {"pass": "green", "warn": "yellow", "fail": "red", "error": "red"}


def _print(console: Any, env_name: str, expected: Any, results: list[Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    if console.is_terminal:
        table = Table(title=f"verify {env_name}", title_justify="left")
        table.add_column("Check")
        table.add_column("Status")
        table.add_column("Summary")
        for r in results:
            style = STYLE[r.status]
            table.add_row(r.name, f"[{style}]{r.status.upper()}[/{style}]", escape(r.summary))
        console.print(table)
    else:
        width = max(len(r.name) for r in results)
        for r in results:
            console.print(f"{r.name:<{width}}  {r.status.upper():<5}  {r.summary}", markup=False)
    for r in results:
        lines = [f"error: {r.error}"] if r.error and not r.unreachable else []
        lines += [f"- {p}" for p in r.problems if not p.startswith("node ")]
        lines += [f"! {w}" for w in r.warnings]
        if lines:
            console.print(f"{r.name}:", markup=False)
            for line in lines:
                console.print(f"  {line}", markup=False)
    prepull = next((r for r in results if r.name == "prepull" and r.details), None)
    if prepull is not None and prepull.details.get("nodes"):
        _print_nodes(console, prepull)


def _print_nodes(console: Any, result: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    details = result.details
    rows = details["nodes"]  # incomplete nodes first
    shown = rows if len(rows) <= NODE_ROWS else [r for r in rows if not r["ready"]][:NODE_ROWS]
    n_images = len(details["images"])
    header = f"prepull: {details['ready_nodes']} of {details['total_nodes']} nodes ready"
    ds = details.get("daemonset")
    if ds:
        header += (
            f" (puller: {ds['desired']} desired, {ds['ready']} ready, {ds['updated']} updated)"
        )
    if not shown:
        console.print(header, markup=False)
        return
    if console.is_terminal:
        table = Table(title=header, title_justify="left")
        for column in ("Node", "Pool", "Images", "Missing"):
            table.add_column(column)
        for row in shown:
            missing = ", ".join(row["missing"]) or "-"
            style = "green" if row["ready"] else "red"
            table.add_row(
                escape(row["node"]),
                escape(row["pool"] or "-"),
                f"[{style}]{row['images']}/{n_images}[/{style}]",
                escape(missing),
            )
        console.print(table)
    else:
        console.print(header, markup=False)
        width = max(len(row["node"]) for row in shown)
        for row in shown:
            missing = ", ".join(row["missing"]) or "-"
            console.print(
                f"  {row['node']:<{width}}  {row['pool'] or '-'}  "
                f"{row['images']}/{n_images}  missing: {missing}",
                markup=False,
            )
    if len(rows) > len(shown):
        rest = rows[len(shown) :]
        ready = sum(1 for r in rest if r["ready"])
        console.print(
            f"  ... and {len(rest)} more nodes, {ready} of them ready (--json lists them all)",
            markup=False,
        )
