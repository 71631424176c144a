"""Scale on paper: at which concurrent-user count each limit breaks, and what the plan does."""

from __future__ import annotations

import math
from typing import Any

from sciplat.capacity._data import load
from sciplat.capacity.errors import CapacityError
from sciplat.capacity.plan import Planner, tier_max_gib

TARGETS = (1_000, 10_000)


def breakpoints(planner: Planner) -> list[dict[str, Any]]:
    """Each limit with the peak concurrent users at which it breaks, cheapest first."""
    fit = planner.primary
    upn = fit.users_per_node
    grow = 1 + planner.headroom
    ratio = planner.total_users / planner.peak_users
    limits = load("gke.json")["limits"]
    net = planner.network_capacity()
    if planner.home_tier == "auto":
        home_tier = max(load("filestore.json")["tiers"], key=tier_max_gib)
    else:
        home_tier = planner.home_tier
    home_max = tier_max_gib(home_tier)
    pods_cluster = int(limits["max_pods_per_cluster"])
    quota = int(limits["quota_nodes_per_cluster"])
    rows = [
        {
            "limit": "user pool nodes",
            "detail": f"{limits['max_nodes_per_pool_per_zone']} nodes per pool per zone x "
            f"{planner.zones} zones = {planner.pool_node_limit} {fit.machine.name} nodes",
            "breaks_at_users": math.floor(planner.pool_node_limit * upn / grow),
            "plan": "refuses; add a second user pool (node_pools.user[1]) or zones, or use a "
            "larger machine type",
        },
        {
            "limit": "IP ranges",
            "detail": f"{net['pods_cidr']} pods (/{net['pods_block_prefix']} per node) and "
            f"{net['subnet_cidr']} nodes allow {net['max_user_nodes']} user nodes "
            f"(bound: {net['limited_by']})",
            "breaks_at_users": net["max_users"],
            "plan": "refuses; widen network.pods_cidr / subnet_cidr before growing (secondary "
            "ranges cannot shrink later)",
        },
        {
            "limit": "cluster size quota",
            "detail": f"more than {quota:,} nodes needs a quota increase from Google support",
            "breaks_at_users": math.floor((quota - planner.core_max) * upn / grow),
            "plan": "warns; request the quota increase before growing past it",
        },
        {
            "limit": "cluster nodes",
            "detail": f"GKE allows {planner.cluster_node_limit:,} nodes per cluster",
            "breaks_at_users": math.floor(
                (planner.cluster_node_limit - planner.core_max) * upn / grow
            ),
            "plan": "refuses; run a second cluster",
        },
        {
            "limit": "pods per cluster",
            "detail": f"GKE allows {pods_cluster:,} pods per cluster; each user node also runs "
            f"{fit.daemonset_pods} DaemonSet pods",
            "breaks_at_users": math.floor(pods_cluster / (1 + grow * fit.daemonset_pods / upn)),
            "plan": "refuses at the node limits first; a second cluster",
        },
        {
            "limit": "Filestore instance maximum (homes)",
            "detail": f"the largest single instance ({home_tier}) holds {home_max:,} GiB; "
            f"homes are {planner.rules.home_gib:g} GiB x {ratio:g} registered per concurrent user",
            "breaks_at_users": math.floor(home_max / (planner.rules.home_gib * ratio)),
            "plan": "splits homes over several instances (filestore.home.instances) and warns; "
            "users must be mapped to instances",
        },
        {
            "limit": "hub size",
            "detail": f"one JupyterHub is planned for up to {planner.hub_limit:,} concurrent labs",
            "breaks_at_users": planner.hub_limit,
            "plan": "warns; shard users over several hubs (one per cohort or namespace)",
        },
    ]
    rows.sort(key=lambda r: r["breaks_at_users"])
    return rows


def scale_report(planner: Planner, targets: tuple[int, ...] = TARGETS) -> list[dict[str, Any]]:
    """For each target: the plan's figures (or why it refuses) and the limits it crosses."""
    rows = breakpoints(planner)
    out = []
    for users in targets:
        broken = [r for r in rows if users > r["breaks_at_users"]]
        entry: dict[str, Any] = {
            "users": users,
            "breaks": [r["limit"] for r in broken],
            "first": broken[0]["limit"] if broken else None,
        }
        try:
            sizing = planner.plan(users).to_dict()
        except CapacityError as exc:
            entry["plan"] = None
            entry["refused"] = str(exc)
        else:
            entry["plan"] = {
                "user_max_nodes": sizing["user_pool"]["max_nodes"],
                "home_instances": sizing["filestore"]["home"]["instances"],
                "home_tier": sizing["filestore"]["home"]["tier"],
                "monthly_usd": sizing["cost"]["monthly_usd"],
                "per_user_month_usd": sizing["cost"]["per_user_month_usd"],
                "warnings": sizing["warnings"],
            }
        out.append(entry)
    return out
