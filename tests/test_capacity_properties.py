"""Properties of the capacity plan: monotone in users, and every plan fits its constraints."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sciplat.capacity import CapacityError, Planner
from sciplat.capacity._data import load
from sciplat.capacity.machines import catalogue
from sciplat.capacity.plan import pod_block_size

ROOT = Path(__file__).resolve().parents[1]
BASE = yaml.safe_load((ROOT / "env" / "stable.yaml").read_text())
MACHINES = sorted(m.name for m in catalogue() if m.cpu_cores >= 4)
TIERS = ["auto", "BASIC_HDD", "BASIC_SSD", "ZONAL", "REGIONAL", "ENTERPRISE"]


@st.composite
def environments(draw: st.DrawFn) -> dict[str, Any]:
    import copy

    env = copy.deepcopy(BASE)
    pool = env["node_pools"]["user"][0]
    pool["machine_type"] = draw(st.sampled_from(MACHINES))
    pool["max_pods_per_node"] = draw(st.sampled_from([16, 32, 64, 110]))
    pool["local_ssd_count"] = draw(st.integers(0, 2))
    pool["disk_size_gib"] = draw(st.sampled_from([200, 300, 500]))
    res = env["resources"]
    res["sizes"] = []
    res["cpu_guarantee_cores"] = draw(st.sampled_from([0.1, 0.25, 0.5, 1.0]))
    res["cpu_limit_cores"] = draw(st.sampled_from([1, 2, 4]))
    res["memory_guarantee_gib"] = draw(st.sampled_from([0.25, 0.5, 1.0, 2.0]))
    res["memory_limit_gib"] = draw(st.sampled_from([2, 4, 8]))
    env["users"]["total"] = draw(st.integers(1, 5000))
    env["users"]["peak_concurrent"] = draw(st.integers(1, env["users"]["total"]))
    env["users"]["headroom_percent"] = draw(st.sampled_from([0, 10, 20, 50]))
    env["storage"]["home_per_user_gib"] = draw(st.sampled_from([5, 20, 50, 100]))
    env["storage"]["home_tier"] = draw(st.sampled_from(TIERS))
    env["storage"]["max_images"] = draw(st.integers(1, 9))
    env["gcp"]["zones"] = env["gcp"]["zones"][: draw(st.integers(1, 3))]
    return env


def planner_or_skip(env: dict[str, Any]) -> Planner:
    try:
        return Planner(env)
    except CapacityError:
        assume(False)
        raise


def plan_or_none(planner: Planner, users: int) -> dict[str, Any] | None:
    try:
        return planner.plan(users).to_dict()
    except CapacityError:
        return None


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(env=environments(), a=st.integers(1, 20_000), b=st.integers(1, 20_000))
def test_more_users_never_need_fewer_nodes_or_less_storage(
    env: dict[str, Any], a: int, b: int
) -> None:
    lo, hi = sorted((a, b))
    planner = planner_or_skip(env)
    small = plan_or_none(planner, lo)
    big = plan_or_none(planner, hi)
    if big is None:
        return  # refusing a bigger plan is allowed; the smaller one may still fit
    assert small is not None, "a plan that fits more users must fit fewer"
    assert small["user_pool"]["max_nodes"] <= big["user_pool"]["max_nodes"]
    assert small["user_pool"]["min_nodes"] <= big["user_pool"]["min_nodes"]
    assert small["user_pool"]["nodes_at_peak"] <= big["user_pool"]["nodes_at_peak"]
    assert small["core_pool"]["min_nodes"] <= big["core_pool"]["min_nodes"]
    assert small["storage"]["home_gib"] <= big["storage"]["home_gib"]
    assert small["filestore"]["home"]["total_gib"] <= big["filestore"]["home"]["total_gib"]
    assert small["network"]["pod_addresses_planned"] <= big["network"]["pod_addresses_planned"]


@SETTINGS
@given(env=environments(), users=st.integers(1, 20_000))
def test_every_plan_fits_its_constraints(env: dict[str, Any], users: int) -> None:
    planner = planner_or_skip(env)
    d = plan_or_none(planner, users)
    if d is None:
        return
    rules = d["rules"]
    avail = d["node"]["available"]
    upn = d["users_per_node"]
    # Guarantees of every user on a full node fit what the node has left.
    assert upn * rules["cpu_guarantee_cores"] <= avail["cpu"] + 1e-6
    assert upn * rules["memory_guarantee_gib"] <= avail["memory_gib"] + 1e-6
    assert upn <= avail["pods"]
    assert upn == min(d["constraints"].values())
    assert d["constraints"][d["binding_constraint"]] == upn
    # One user at the limit fits a node.
    assert rules["cpu_limit_cores"] <= avail["cpu"] + 1e-6
    assert rules["memory_limit_gib"] <= avail["memory_gib"] + 1e-6
    # Image cache plus every lab's scratch fits the node-local filesystem above eviction.
    alloc = d["node"]["allocatable"]
    eviction = alloc["ephemeral_capacity_gib"] * 0.1
    assert (
        d["node"]["image_cache_gib"] + upn * rules["lab_ephemeral_gib"]
        <= alloc["ephemeral_capacity_gib"] - eviction + 0.01
    )
    assert upn * rules["lab_ephemeral_gib"] <= alloc["ephemeral_gib"] + 0.01
    # The pool holds the peak, with headroom, within GKE's per-pool limit.
    pool = d["user_pool"]
    peak = d["users"]["peak_concurrent"]
    assert pool["nodes_at_peak"] * upn >= peak
    assert pool["max_nodes"] * upn >= peak * (1 + d["users"]["headroom_percent"] / 100) - 1e-6
    assert pool["min_nodes"] <= pool["max_nodes"]
    limits = load("gke.json")["limits"]
    assert pool["max_nodes"] <= limits["max_nodes_per_pool_per_zone"] * len(env["gcp"]["zones"])
    # Address ranges hold every node at its maximum.
    net = d["network"]
    assert net["pod_addresses_planned"] <= net["pods_range_addresses"]
    assert net["nodes_planned"] <= net["nodes_by_subnet"]
    assert net["pods_per_node_block"] == pod_block_size(pool["max_pods_per_node"])
    # Homes fit the Filestore tier's rules.
    home = d["filestore"]["home"]
    assert home["capacity_gib"] * home["instances"] >= d["storage"]["home_gib"]
    bands = load("filestore.json")["tiers"][home["tier"]]["bands"]
    assert any(
        lo <= home["capacity_gib"] <= top and home["capacity_gib"] % step == 0
        for lo, top, step in bands
    )
    # The total is the sum of its lines.
    total = sum(line["monthly_usd"] for line in d["cost"]["lines"])
    assert math.isclose(total, d["cost"]["monthly_usd"], abs_tol=0.02)
