"""The lab's further pools and budget in the capacity plan: extra pools, the dask pool, the budget.

Extra pools (`node_pools.extra`) run their `min_nodes` all month and may grow to `max_nodes`. The
dask pool is sized from the gateway's per-user limits: each of `dask.concurrent_clusters` clusters
at its user's limit is one scheduler plus as many workers as the limit holds; the pool's maximum
is the nodes those pods need, and it runs at that size `dask.hours_per_month` hours a month (at
its minimum otherwise). The budget is the plan's monthly cost plus `budget.margin_percent`,
rounded up to whole dollars, unless `budget.amount_usd` fixes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sciplat.capacity.errors import CapacityError
from sciplat.capacity.machines import lookup
from sciplat.capacity.node import allocatable
from sciplat.capacity.prices import PriceTable

DASK_POOL = "dask"


@dataclass(frozen=True)
class PoolPlan:
    """One pool outside core and user: its bounds, its nodes at peak and its monthly cost."""

    name: str
    machine_type: str
    disk_type: str
    disk_size_gib: float
    spot: bool
    max_pods_per_node: int
    min_nodes: int
    max_nodes: int
    nodes_at_peak: int
    node_hours: float  # per month
    monthly_usd: float
    purpose: str
    detail: str
    labels: tuple[tuple[str, str], ...] = ()
    dedicated: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "machine_type": self.machine_type,
            "disk_type": self.disk_type,
            "disk_size_gib": self.disk_size_gib,
            "spot": self.spot,
            "max_pods_per_node": self.max_pods_per_node,
            "min_nodes": self.min_nodes,
            "max_nodes": self.max_nodes,
            "nodes_at_peak": self.nodes_at_peak,
            "node_hours_per_month": round(self.node_hours, 1),
            "monthly_usd": round(self.monthly_usd, 2),
            "purpose": self.purpose,
            "labels": dict(self.labels),
            "dedicated": self.dedicated,
        }


def _section(env: dict[str, Any], key: str) -> dict[str, Any]:
    """A top-level section of `env` with the schema's defaults filled (plans may be made from an
    environment as written, without defaults)."""
    from sciplat.config import fill_defaults

    value = env.get(key)
    if not isinstance(value, dict):
        value = {}
    return fill_defaults({key: value}).get(key) or {}


def _node_hour_usd(prices: PriceTable, pool: dict[str, Any], path: str) -> float:
    if lookup(str(pool.get("machine_type"))) is None:
        raise CapacityError(
            f"{path}.machine_type", f"unknown machine type {pool.get('machine_type')!r}"
        )
    disk = float(pool.get("disk_size_gib", 100)) * prices.disk_gib_month_usd(
        str(pool.get("disk_type", "pd-balanced"))
    )
    node = prices.node_hour_usd(str(pool["machine_type"]), bool(pool.get("spot", False)))
    return node + disk / prices.hours_per_month


def extra_pools(env: dict[str, Any], prices: PriceTable) -> list[PoolPlan]:
    out = []
    pools = env.get("node_pools", {}).get("extra") or []
    filled = _section({"node_pools": {"extra": pools}}, "node_pools").get("extra") or []
    for i, pool in enumerate(filled):
        lo, hi = int(pool.get("min_nodes", 0)), int(pool["max_nodes"])
        hours = lo * prices.hours_per_month
        rate = _node_hour_usd(prices, pool, f"node_pools.extra[{i}]")
        out.append(
            PoolPlan(
                name=str(pool["name"]),
                machine_type=str(pool["machine_type"]),
                disk_type=str(pool.get("disk_type", "pd-balanced")),
                disk_size_gib=float(pool.get("disk_size_gib", 100)),
                spot=bool(pool.get("spot", False)),
                max_pods_per_node=int(pool.get("max_pods_per_node", 32)),
                min_nodes=lo,
                max_nodes=hi,
                nodes_at_peak=lo,
                node_hours=hours,
                monthly_usd=hours * rate,
                purpose=str(pool.get("purpose") or ""),
                detail=f"{pool['machine_type']}{' spot' if pool.get('spot') else ''}, "
                f"min {lo} nodes all month",
                labels=tuple(tuple(label.split("=", 1)) for label in pool.get("labels") or []),
                dedicated=bool(pool.get("dedicated", True)),
            )
        )
    return out


def dask_plan(
    env: dict[str, Any], prices: PriceTable, daemonsets: tuple[float, float, int]
) -> dict[str, Any] | None:
    """The dask pool and its sizing, or None when Dask is off. `daemonsets`: per-node
    (cores, GiB, pods) of the system DaemonSets."""
    dask = _section(env, "dask")
    if not dask.get("enabled"):
        return None
    pool = dask["pool"]
    machine = lookup(str(pool["machine_type"]))
    if machine is None:
        raise CapacityError(
            "dask.pool.machine_type", f"unknown machine type {pool['machine_type']!r}"
        )
    alloc = allocatable(machine, boot_disk_gib=float(pool["disk_size_gib"]))
    ds_cpu, ds_mem, ds_pods = daemonsets
    free_cpu, free_mem = alloc.cpu_cores - ds_cpu, alloc.memory_gib - ds_mem
    free_pods = int(pool["max_pods_per_node"]) - ds_pods
    sched, worker, limits = dask["scheduler"], dask["worker"], dask["per_user"]
    for role, spec in (("worker", worker), ("scheduler", sched)):
        if spec["cores"] > free_cpu or spec["memory_gib"] > free_mem:
            raise CapacityError(
                f"dask.{role}",
                f"a {role} ({spec['cores']:g} cores, {spec['memory_gib']:g} GiB) does not fit a "
                f"{machine.name} after DaemonSets ({free_cpu:.2f} cores, {free_mem:.2f} GiB)",
            )
    workers_per_cluster = max(
        0,
        math.floor(
            min(
                (limits["max_cores"] - sched["cores"]) / worker["cores"],
                (limits["max_memory_gib"] - sched["memory_gib"]) / worker["memory_gib"],
            )
            + 1e-9
        ),
    )
    clusters = int(dask["concurrent_clusters"])
    workers = clusters * workers_per_cluster
    # Place the pods node by node: schedulers first (one per cluster), then workers, each node
    # filled until its CPU, memory or pod count runs out.
    nodes = 0
    remaining = [(sched, clusters), (worker, workers)]
    while any(count for _, count in remaining):
        nodes += 1
        cpu, mem, pods = free_cpu, free_mem, free_pods
        for index, (spec, count) in enumerate(remaining):
            fit = min(
                count,
                math.floor(cpu / spec["cores"] + 1e-9),
                math.floor(mem / spec["memory_gib"] + 1e-9),
                pods,
            )
            cpu -= fit * spec["cores"]
            mem -= fit * spec["memory_gib"]
            pods -= fit
            remaining[index] = (spec, count - fit)
    lo = int(pool["min_nodes"])
    hi = max(nodes, lo, 1)
    hours = min(float(dask["hours_per_month"]), prices.hours_per_month)
    node_hours = hi * hours + lo * (prices.hours_per_month - hours)
    rate = _node_hour_usd(prices, pool, "dask.pool")
    plan = PoolPlan(
        name=DASK_POOL,
        machine_type=machine.name,
        disk_type=str(pool["disk_type"]),
        disk_size_gib=float(pool["disk_size_gib"]),
        spot=bool(pool["spot"]),
        max_pods_per_node=int(pool["max_pods_per_node"]),
        min_nodes=lo,
        max_nodes=hi,
        nodes_at_peak=hi,
        node_hours=node_hours,
        monthly_usd=node_hours * rate,
        purpose="Dask schedulers and workers",
        detail=f"{machine.name}{' spot' if pool['spot'] else ''}, {hi} nodes "
        f"{hours:g} h/month, {lo} otherwise",
    )
    return {
        "pool": plan,
        "clusters": clusters,
        "workers_per_cluster": workers_per_cluster,
        "workers": workers,
        "cores_at_peak": round(clusters * sched["cores"] + workers * worker["cores"], 2),
        "memory_gib_at_peak": round(
            clusters * sched["memory_gib"] + workers * worker["memory_gib"], 2
        ),
        "per_user": dict(limits),
        "hours_per_month": hours,
    }


def budget_plan(env: dict[str, Any], monthly_usd: float) -> dict[str, Any] | None:
    """The environment's monthly budget, or None when it has none."""
    budget = _section(env, "budget")
    if not budget.get("enabled"):
        return None
    margin = float(budget.get("margin_percent", 20))
    fixed = budget.get("amount_usd")
    amount = float(fixed) if fixed is not None else math.ceil(monthly_usd * (1 + margin / 100))
    return {
        "amount_usd": amount,
        "source": "fixed" if fixed is not None else "plan",
        "margin_percent": margin,
        "plan_monthly_usd": round(monthly_usd, 2),
        "headroom_usd": round(amount - monthly_usd, 2),
        "thresholds_percent": list(budget.get("thresholds_percent") or []),
        "forecast_percent": budget.get("forecast_percent"),
    }
