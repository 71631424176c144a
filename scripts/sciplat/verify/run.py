"""Run the chosen checks side by side, each with its own timeout; one failing never hides others.

Exit codes: 0 every check passed (warnings allowed), 1 a check failed or could not run,
4 the cluster or an API could not be reached. (2, bad input, is raised before anything runs.)
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sciplat.verify import checks as c
from sciplat.verify.expected import (
    HOME_CLAIM,
    HUB_DEPLOYMENT,
    PROXY_DEPLOYMENT,
    PROXY_SERVICE,
    PULLER_DAEMONSET,
    SHARED_CLAIM,
    Expected,
)
from sciplat.verify.kube import KubeError, KubeReader, Unreachable

EXIT_OK, EXIT_FAILED, EXIT_UNREACHABLE = 0, 1, 4
KUBE_CHECKS = ("prepull", "hub", "storage", "placement")
POLL_SECONDS = 2.0

Progress = Callable[[int, int], None]


@dataclass
class Context:
    expected: Expected
    reader: KubeReader | None = None
    gke: Any = None  # sciplat.verify.gke.Gke, or anything with .read() -> GkeCluster
    wait: float | None = None
    poll: float = POLL_SECONDS
    progress: Progress | None = None
    stop: threading.Event = field(default_factory=threading.Event)


def prepull(ctx: Context) -> c.CheckResult:
    reader = ctx.reader
    assert reader is not None
    deadline = time.monotonic() + (ctx.wait or 0)
    while True:
        nodes = reader.list("/api/v1/nodes", fresh=True)
        ds = reader.namespaced("apps/v1", "daemonsets", PULLER_DAEMONSET)
        result = c.check_prepull(ctx.expected, nodes, ds)
        if ctx.progress is not None:
            ctx.progress(result.details["ready_nodes"], result.details["total_nodes"])
        if not ctx.wait or result.ok or time.monotonic() >= deadline or ctx.stop.is_set():
            if ctx.wait and not result.ok:
                result.problems.append(f"still incomplete after waiting {ctx.wait:g} s")
            return result
        ctx.stop.wait(min(ctx.poll, max(0.0, deadline - time.monotonic())))


def hub(ctx: Context) -> c.CheckResult:
    reader = ctx.reader
    assert reader is not None
    deployments = {
        name: reader.namespaced("apps/v1", "deployments", name)
        for name in (HUB_DEPLOYMENT, PROXY_DEPLOYMENT)
    }
    service = reader.namespaced("", "services", PROXY_SERVICE)
    return c.check_hub(ctx.expected, deployments, service, reader.hub_values())


def storage(ctx: Context) -> c.CheckResult:
    reader = ctx.reader
    assert reader is not None
    claims = {
        name: reader.namespaced("", "persistentvolumeclaims", name)
        for name in (HOME_CLAIM, SHARED_CLAIM)
    }
    volumes = {}
    for claim in claims.values():
        name = ((claim or {}).get("spec") or {}).get("volumeName")
        if name:
            volumes[name] = reader.volume(name)
    return c.check_storage(ctx.expected, claims, volumes)


def placement(ctx: Context) -> c.CheckResult:
    reader = ctx.reader
    assert reader is not None
    return c.check_placement(ctx.expected, reader.nodes(), reader.pods())


def cluster(ctx: Context) -> c.CheckResult:
    found = ctx.gke.read()
    return c.check_cluster(ctx.expected, found.cluster, found.pools)


RUNNERS: dict[str, Callable[[Context], c.CheckResult]] = {
    "prepull": prepull,
    "hub": hub,
    "storage": storage,
    "placement": placement,
    "cluster": cluster,
}


def _guarded(name: str, ctx: Context) -> c.CheckResult:
    started = time.monotonic()
    try:
        result = RUNNERS[name](ctx)
    except Unreachable as exc:
        result = c.CheckResult(name, "not reachable", error=str(exc), unreachable=True)
    except KubeError as exc:
        if exc.status == 403:
            text = f"not allowed to read what the check needs ({exc})"
        else:
            text = f"the API answered {exc}"
        result = c.CheckResult(name, "could not run", error=text)
    except Exception as exc:  # one check's bug or surprise never hides the others
        detail = str(exc).splitlines()[0] if str(exc) else ""
        result = c.CheckResult(name, "could not run", error=f"{type(exc).__name__}: {detail}")
    result.seconds = time.monotonic() - started
    return result


def run_checks(names: list[str], ctx: Context, *, timeout: float) -> list[c.CheckResult]:
    """Run `names` concurrently in daemon threads; a check past its timeout is reported as an
    error and left behind (its requests carry the same timeout)."""
    answers: queue.Queue[c.CheckResult] = queue.Queue()
    started = time.monotonic()
    limits = {n: timeout + (ctx.wait or 0 if n == "prepull" else 0) for n in names}
    for name in names:
        threading.Thread(
            target=lambda n=name: answers.put(_guarded(n, ctx)), name=f"verify-{name}", daemon=True
        ).start()
    results: dict[str, c.CheckResult] = {}
    while len(results) < len(names):
        pending = [n for n in names if n not in results]
        remaining = min(started + limits[n] for n in pending) - time.monotonic()
        try:
            result = answers.get(timeout=max(0.0, remaining))
        except queue.Empty:
            now = time.monotonic()
            for n in pending:
                if started + limits[n] <= now:
                    results[n] = c.CheckResult(
                        n,
                        "timed out",
                        error=f"no answer within {limits[n]:g} s (--timeout)",
                        seconds=now - started,
                    )
            continue
        results.setdefault(result.name, result)
    ctx.stop.set()
    return [results[n] for n in names]


def exit_code(results: list[c.CheckResult]) -> int:
    if any(r.unreachable for r in results):
        return EXIT_UNREACHABLE
    if any(not r.ok for r in results):
        return EXIT_FAILED
    return EXIT_OK
