"""The optimizer: the cheapest machine type for the primary user pool that satisfies the rules."""

from __future__ import annotations

from typing import Any

from sciplat.capacity.defaults import reference_machine_type
from sciplat.capacity.errors import CapacityError
from sciplat.capacity.machines import catalogue
from sciplat.capacity.plan import Planner, Sizing
from sciplat.capacity.prices import PriceTable


def _summary(sizing: Sizing, role: str) -> dict[str, Any]:
    d = sizing.to_dict()
    nodes = next(line for line in d["cost"]["lines"] if line["item"] == "user nodes")
    return {
        "role": role,
        "machine_type": d["node"]["machine_type"],
        "users_per_node": d["users_per_node"],
        "binding_constraint": d["binding_constraint"],
        "min_nodes": d["user_pool"]["min_nodes"],
        "max_nodes": d["user_pool"]["max_nodes"],
        "nodes_at_peak": d["user_pool"]["nodes_at_peak"],
        "user_nodes_month_usd": nodes["monthly_usd"],
        "monthly_usd": d["cost"]["monthly_usd"],
        "per_user_month_usd": d["cost"]["per_user_month_usd"],
        "overcommit_cpu": d["overcommit"]["cpu"],
        "overcommit_memory": d["overcommit"]["memory"],
    }


def optimize(
    env: dict[str, Any],
    *,
    users: int | None = None,
    prices: PriceTable | None = None,
    top: int = 5,
) -> dict[str, Any]:
    """Plan every catalogue machine type for the primary user pool; rank by monthly cost.

    Returns {"top": [...], "configured": {...}, "reference": {...}, "rejected": n}; machine
    types that cannot hold one user at the limit (or whose node-local storage cannot hold the
    image cache) are counted in "rejected".
    """
    configured = Planner(env, prices=prices)
    prices = configured.prices
    results: list[dict[str, Any]] = []
    rejected = 0
    for machine in catalogue():
        try:
            sizing = Planner(env, machine_type=machine.name, prices=prices).plan(users)
        except CapacityError:
            rejected += 1
            continue
        results.append(_summary(sizing, "candidate"))
    results.sort(key=lambda r: (r["monthly_usd"], r["max_nodes"], r["machine_type"]))
    out: dict[str, Any] = {
        "users": configured.plan(users).to_dict()["users"]["peak_concurrent"],
        "top": results[:top],
        "configured": _summary(configured.plan(users), "configured"),
        "rejected": rejected,
        "searched": len(results) + rejected,
    }
    try:
        ref = Planner(env, machine_type=reference_machine_type(), prices=prices).plan(users)
        out["reference"] = _summary(ref, "seed reference")
    except CapacityError as exc:
        out["reference"] = {
            "role": "seed reference",
            "machine_type": reference_machine_type(),
            "error": str(exc),
        }
    return out
