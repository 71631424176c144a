"""The capacity plan: each formula with a worked example, and the refusals."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from sciplat.capacity import CapacityError, Planner, plan_capacity
from sciplat.capacity.defaults import reference_machine_type, seed_environment
from sciplat.capacity.optimize import optimize
from sciplat.capacity.plan import pod_block_size, size_filestore
from sciplat.capacity.prices import load_prices
from sciplat.capacity.scale import breakpoints, scale_report

ROOT = Path(__file__).resolve().parents[1]


def stable() -> dict[str, Any]:
    """env/stable.yaml as the validator would hand it over (it has no defaults to fill)."""
    return yaml.safe_load((ROOT / "env" / "stable.yaml").read_text())


def test_stable_worked_example() -> None:
    d = plan_capacity(stable()).to_dict()
    # n2-standard-8: 8 - (0.06 + 0.01 + 0.01 + 4 x 0.0025) = 7.91 cores allocatable.
    assert d["node"]["allocatable"]["cpu"] == pytest.approx(7.91)
    # Per-node pods (network policy on): 0.443 cores, 566 MiB, 9 pods.
    assert d["node"]["daemonsets"] == {"cpu": 0.443, "memory_gib": 0.553, "pods": 9}
    # CPU: floor(7.467 / 0.5) = 14; memory: floor(27.17 / 0.5) = 54; pods: 32 - 9 = 23;
    # ephemeral: one 375 GiB local SSD less 10 % eviction less 108 GiB image cache = 229.
    assert d["constraints"] == {"cpu": 14, "memory": 54, "pods": 23, "ephemeral_storage": 229}
    assert d["users_per_node"] == 14
    assert d["binding_constraint"] == "cpu"
    # 100 users + 20 % headroom over 14 per node = 9 nodes; a quarter of the peak warm = 2.
    assert (d["user_pool"]["min_nodes"], d["user_pool"]["max_nodes"]) == (2, 9)
    assert d["user_pool"]["nodes_at_peak"] == 8
    assert d["user_pools"][0] | {} == d["user_pool"]
    # Overcommit: 14 users x 4 cores / 7.91 allocatable.
    assert d["overcommit"]["cpu"] == pytest.approx(14 * 4 / 7.91, abs=0.01)
    assert d["overcommit"]["memory"] == pytest.approx(14 * 8 / 27.725, abs=0.01)
    # Homes: 500 registered x 50 GiB = 25,000 GiB, one BASIC_HDD instance.
    assert d["storage"]["home_gib"] == 25000
    assert d["filestore"]["home"] == {
        "tier": "BASIC_HDD",
        "capacity_gib": 25000,
        "instances": 1,
        "total_gib": 25000,
        "needed_gib": 25000.0,
        "monthly_usd": 5000.0,
        "can_shrink": False,  # Basic tiers only grow: a smaller plan later means a new instance
    }
    assert d["filestore"]["shared"]["tier"] == "BASIC_HDD"
    assert d["filestore"]["shared"]["capacity_gib"] == 10240
    # Pods /14 = 262,144 addresses in /26 blocks (64) = 4096 nodes, 3 core nodes at /24.
    assert d["network"]["pods_per_node_block"] == 64
    assert d["network"]["max_nodes"] == 4087
    assert d["network"]["limited_by"] == "pods_cidr"
    assert d["network"]["services"] == 4096
    # 9 user nodes x 64 + 3 core nodes x 256 + 25 dask nodes x 64 = 2944 addresses: a /20 would
    # do; 37 nodes and 4 reserved addresses: /26.
    assert [(p["name"], p["max_nodes"]) for p in d["extra_pools"]] == [("dask", 25)]
    assert d["network"]["pod_addresses_planned"] == 9 * 64 + 3 * 256 + 25 * 64
    assert d["network"]["pods_prefix_needed"] == 20
    assert d["network"]["subnet_prefix_needed"] == 26
    lines = {x["item"]: x for x in d["cost"]["lines"]}
    assert lines["user nodes"]["monthly_usd"] == pytest.approx(8 * 0.388472 * 730, abs=0.01)
    assert lines["local SSD"]["monthly_usd"] == pytest.approx(8 * 375 * 0.08)
    assert d["cost"]["monthly_usd"] == pytest.approx(sum(x["monthly_usd"] for x in lines.values()))
    assert d["cost"]["prices"]["region"] == "us-central1"


def test_json_contract_fields_exist() -> None:
    d = plan_capacity(stable()).to_dict()
    for dotted in (
        "node.machine_type",
        "node.allocatable.cpu",
        "node.allocatable.memory_gib",
        "users_per_node",
        "binding_constraint",
        "user_pool.min_nodes",
        "user_pool.max_nodes",
        "storage.home_gib",
        "filestore.home.tier",
        "filestore.home.capacity_gib",
        "filestore.home.instances",
        "filestore.shared.tier",
        "filestore.shared.capacity_gib",
        "network.max_nodes",
        "network.pods_per_node_block",
        "cost.monthly_usd",
        "cost.lines",
        "cost.prices.region",
        "cost.prices.date",
        "cost.prices.source",
        "core_pool.machine_type",
        "core_pool.min_nodes",
        "core_pool.max_nodes",
    ):
        node: Any = d
        for part in dotted.split("."):
            assert part in node, dotted
            node = node[part]
    for pool in d["user_pools"]:
        assert set(pool) >= {
            "name",
            "machine_type",
            "min_nodes",
            "max_nodes",
            "max_pods_per_node",
            "users_per_node",
            "binding_constraint",
        }


def test_users_override_scales_registered_users_in_the_same_ratio() -> None:
    d = plan_capacity(stable(), users=300).to_dict()
    assert d["users"] == {"peak_concurrent": 300, "total": 1500, "headroom_percent": 20.0}
    assert d["user_pool"]["max_nodes"] == math.ceil(300 * 1.2 / 14)
    assert d["storage"]["home_gib"] == 1500 * 50


def test_machine_type_override_and_local_ssd_fallback() -> None:
    d = plan_capacity(stable(), machine_type="n2-highmem-16").to_dict()
    assert d["node"]["machine_type"] == "n2-highmem-16"
    assert d["binding_constraint"] == "pods"  # 30 by CPU, but 32 - 9 per-node pods = 23
    t2d = plan_capacity(stable(), machine_type="t2d-standard-8")
    assert t2d.to_dict()["node"]["local_ssd_count"] == 0
    assert any("cannot attach local SSDs" in w for w in t2d.warnings)


def test_seed_defaults_use_the_reference_shape() -> None:
    env = seed_environment()
    assert env["node_pools"]["user"][0]["machine_type"] == reference_machine_type()
    d = plan_capacity(env).to_dict()
    assert d["node"]["cpu_cores"] == 6 and d["node"]["memory_gib"] == 16
    assert d["users_per_node"] == 10 and d["binding_constraint"] == "cpu"
    assert d["storage"]["home_gib"] == 100 * 50
    # 200 GiB boot disk: 194.25 GiB filesystem - 19.4 eviction - 108 image cache = 66 labs.
    assert d["constraints"]["ephemeral_storage"] == 66


@pytest.mark.parametrize(
    ("max_pods", "block"), [(8, 16), (16, 32), (32, 64), (64, 128), (110, 256), (256, 512)]
)
def test_pod_block_size(max_pods: int, block: int) -> None:
    assert pod_block_size(max_pods) == block


@pytest.mark.parametrize(
    ("need", "tier", "expected"),
    [
        (800, "BASIC_HDD", (1024, 1)),  # minimum 1 TiB
        (1500.5, "BASIC_HDD", (1501, 1)),  # 1 GiB steps
        (1500, "BASIC_SSD", (2560, 1)),  # minimum 2.5 TiB
        (1100, "ZONAL", (1280, 1)),  # 256 GiB steps below 10 TiB
        (10000, "ZONAL", (10240, 1)),  # above 9,984: the 10 TiB band
        (12000, "ZONAL", (12800, 1)),  # 2.5 TiB steps above 10 TiB
        (250000, "BASIC_HDD", (62500, 4)),  # beyond 65,433 GiB: split over equal instances
        (250000, "ZONAL", (84480, 3)),
        (9000, "ENTERPRISE", (9216, 1)),
    ],
)
def test_filestore_tier_rules(need: float, tier: str, expected: tuple[int, int]) -> None:
    choice = size_filestore(need, tier, load_prices(), field="storage.home_tier")
    assert (choice.capacity_gib, choice.instances) == expected
    assert choice.capacity_gib * choice.instances >= need


def test_filestore_auto_picks_the_cheapest_and_refuses_unsplittable() -> None:
    prices = load_prices()
    assert size_filestore(5000, "auto", prices, field="f").tier == "BASIC_HDD"
    with pytest.raises(CapacityError, match=r"storage\.shared_gib.*beyond the BASIC_HDD maximum"):
        size_filestore(70000, "BASIC_HDD", prices, field="storage.shared_gib", split=False)
    with pytest.raises(CapacityError, match="unknown Filestore tier"):
        size_filestore(5000, "GOLD", prices, field="storage.home_tier")


def test_refuses_a_user_at_the_limit_who_cannot_fit() -> None:
    env = stable()
    env["resources"]["cpu_limit_cores"] = 8
    with pytest.raises(CapacityError) as info:
        plan_capacity(env)
    assert info.value.field == "node_pools.user[0].machine_type"
    assert "CPU limit (8 cores)" in str(info.value)
    env = stable()
    env["resources"]["sizes"][2]["memory_limit_gib"] = 30  # a size above what a node offers
    with pytest.raises(CapacityError, match="memory limit"):
        plan_capacity(env)


def test_refuses_an_image_cache_the_node_cannot_hold() -> None:
    env = stable()
    pool = env["node_pools"]["user"][0]
    pool["local_ssd_count"] = 0
    pool["disk_size_gib"] = 100
    with pytest.raises(CapacityError) as info:
        plan_capacity(env)
    assert info.value.field == "node_pools.user[0].disk_size_gib"
    assert "image cache" in str(info.value)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda e: e["node_pools"]["user"][0].update(machine_type="n2-standard-7"), "machine_type"),
        (lambda e: e["users"].update(peak_concurrent=0), "users.peak_concurrent"),
        (lambda e: e["users"].update(headroom_percent=-5), "users.headroom_percent"),
        (lambda e: e["resources"].update(cpu_guarantee_cores=6), "resources.cpu_guarantee_cores"),
        (lambda e: e["storage"].update(max_images=2.5), "storage.max_images"),
        (lambda e: e["network"].update(pods_cidr="10.12.0.0/33"), "network.pods_cidr"),
        (lambda e: e["storage"].update(shared_tier="GOLD"), "storage.shared_gib"),
        (lambda e: e["node_pools"]["core"].update(min_nodes=5), "node_pools.core.min_nodes"),
    ],
)
def test_bad_rules_name_the_field(mutate: Any, field: str) -> None:
    env = stable()
    mutate(env)
    with pytest.raises(CapacityError) as info:
        plan_capacity(env)
    assert field in info.value.field or field in str(info.value)


def test_out_of_range_users() -> None:
    for bad in (0, -3, 100_001):
        with pytest.raises(CapacityError, match="--users"):
            plan_capacity(stable(), users=bad)


def test_pods_range_too_small_is_refused() -> None:
    env = stable()
    env["dask"]["enabled"] = False  # user and core nodes only (the dask pool: test_lab_dask)
    # 1024 addresses: 3 core nodes take /24 blocks (768), leaving four /26 blocks for users.
    env["network"]["pods_cidr"] = "10.12.0.0/22"
    with pytest.raises(CapacityError) as info:
        plan_capacity(env, users=100)  # 9 user nodes
    assert info.value.field == "network.pods_cidr"
    assert plan_capacity(env, users=40).to_dict()["network"]["max_nodes"] == 3 + 4


def test_subnet_too_small_is_refused() -> None:
    env = stable()
    env["dask"]["enabled"] = False  # user and core nodes only (the dask pool: test_lab_dask)
    env["network"]["subnet_cidr"] = "10.10.0.0/28"  # 16 - 4 reserved = 12 node addresses
    assert plan_capacity(env, users=50).to_dict()["network"]["limited_by"] == "subnet_cidr"
    with pytest.raises(CapacityError) as info:
        plan_capacity(env, users=200)
    assert info.value.field == "network.subnet_cidr"


def test_pool_node_limit() -> None:
    env = stable()
    env["gcp"]["zones"] = ["us-central1-a"]
    # 1000 nodes x 14 users / 1.2 headroom = 11,666 users fit one zone's pool.
    plan_capacity(env, users=11_666)
    with pytest.raises(CapacityError, match="1000 nodes per pool per zone"):
        plan_capacity(env, users=11_700)


def test_explicit_autoscaling_is_kept_and_checked() -> None:
    env = stable()
    env["node_pools"]["user"][0]["autoscaling"] = {"min_nodes": 1, "max_nodes": 20}
    d = plan_capacity(env).to_dict()
    assert (d["user_pool"]["min_nodes"], d["user_pool"]["max_nodes"]) == (1, 20)
    assert d["user_pool"]["autoscaling"] == "explicit"
    env["node_pools"]["user"][0]["autoscaling"] = {"min_nodes": 1, "max_nodes": 5}
    with pytest.raises(CapacityError) as info:
        plan_capacity(env)  # 5 nodes x 14 = 70 < 100 users
    assert info.value.field == "node_pools.user[0].autoscaling.max_nodes"
    env["node_pools"]["user"][0]["autoscaling"] = {"min_nodes": 9, "max_nodes": 8}
    with pytest.raises(CapacityError, match="min_nodes 9 is above max_nodes 8"):
        plan_capacity(env)


def test_second_user_pool_is_sized_and_reported() -> None:
    env = stable()
    env["dask"]["enabled"] = False  # user and core nodes only (the dask pool: test_lab_dask)
    big = copy.deepcopy(env["node_pools"]["user"][0])
    big.update(name="user-large", machine_type="n2-highmem-16", spot=True)
    env["node_pools"]["user"].append(big)
    d = plan_capacity(env).to_dict()
    assert [p["name"] for p in d["user_pools"]] == ["user", "user-large"]
    second = d["user_pools"][1]
    assert second["users_per_node"] == 23  # 32 pods less 9 per-node pods
    assert second["min_nodes"] == 0 and second["max_nodes"] == math.ceil(120 / 23)
    assert d["user_pool"]["name"] == "user"
    # Address ranges must hold both pools at their maximum.
    assert d["network"]["pod_addresses_planned"] == (9 + 6) * 64 + 3 * 256


def test_core_pool_grows_with_the_hub() -> None:
    small = plan_capacity(stable()).to_dict()["core_pool"]
    assert (small["min_nodes"], small["max_nodes"]) == (1, 3)
    big = plan_capacity(stable(), users=10_000).to_dict()["core_pool"]
    # 1.52 cores of core pods + 1 core per 1000 users = 11.52 cores over 3.48 per e2-standard-4.
    assert big["nodes_needed"] == 4
    assert big["min_nodes"] == 4 and big["max_nodes"] == 4


def test_prices_override_changes_the_cost(tmp_path: Path) -> None:
    import json

    from sciplat.capacity.prices import DEFAULT_PRICES

    data = json.loads(DEFAULT_PRICES.read_text())
    data["region"] = "test-region"
    for rates in data["machine_series"].values():
        rates["vcpu_hour"] *= 2
        rates["gib_hour"] *= 2
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(data))
    base = plan_capacity(stable()).to_dict()["cost"]
    dear_plan = plan_capacity(stable(), prices_path=path).to_dict()
    dear = dear_plan["cost"]
    assert dear["prices"]["region"] == "test-region"
    assert any("prices are for test-region" in w for w in dear_plan["warnings"])
    assert not plan_capacity(stable()).to_dict()["warnings"]
    base_nodes = base["lines"][0]["monthly_usd"]
    assert dear["lines"][0]["monthly_usd"] == pytest.approx(2 * base_nodes, abs=0.02)


def test_optimizer_finds_something_no_dearer_than_configured_or_reference() -> None:
    out = optimize(stable())
    best = out["top"][0]
    assert best["monthly_usd"] <= out["configured"]["monthly_usd"]
    assert best["monthly_usd"] <= out["reference"]["monthly_usd"]
    costs = [r["monthly_usd"] for r in out["top"]]
    assert costs == sorted(costs)
    assert out["reference"]["machine_type"] == reference_machine_type()
    assert out["rejected"] > 0  # e.g. 2-vCPU types cannot hold one user at 4 cores
    assert all(r["machine_type"] not in ("n2-standard-2", "e2-standard-2") for r in out["top"])


def test_scale_on_paper_for_stable() -> None:
    planner = Planner(stable())
    rows = breakpoints(planner)
    by = {r["limit"]: r["breaks_at_users"] for r in rows}
    # 3 zones x 1000 nodes x 14 users / 1.2 = 35,000
    assert by["user pool nodes"] == 35_000
    assert by["hub size"] == 5_000
    # ZONAL's 102,400 GiB over 50 GiB x 5 registered per concurrent user = 409
    assert by["Filestore instance maximum (homes)"] == 409
    assert [r["breaks_at_users"] for r in rows] == sorted(r["breaks_at_users"] for r in rows)
    report = {e["users"]: e for e in scale_report(planner)}
    assert report[1000]["first"] == "Filestore instance maximum (homes)"
    assert report[1000]["plan"]["home_instances"] > 1
    assert "hub size" in report[10_000]["breaks"]
    assert any("hub" in w for w in report[10_000]["plan"]["warnings"])


def test_scale_report_says_when_the_plan_refuses() -> None:
    env = stable()
    env["network"]["pods_cidr"] = "10.12.0.0/20"  # 4096 addresses: 52 user nodes
    report = {e["users"]: e for e in scale_report(Planner(env))}
    assert report[1000]["plan"] is None
    assert "network.pods_cidr" in report[1000]["refused"]
    assert "IP ranges" in report[1000]["breaks"]


def test_cluster_size_quota_warning() -> None:
    env = stable()
    env["gcp"]["zones"] = [f"us-central1-{z}" for z in "abcdef"]  # pool limit 6,000 nodes
    env["resources"]["cpu_guarantee_cores"] = 4  # one user per n2-standard-8
    env["network"].update(pods_cidr="10.64.0.0/11", subnet_cidr="10.10.0.0/18")
    quiet = plan_capacity(env, users=4000)  # 4,800 user nodes + 3 core
    assert not any("quota" in w for w in quiet.warnings)
    loud = plan_capacity(env, users=4500)  # 5,400 user nodes
    assert loud.user_max_nodes == 5400
    assert any("cluster size quota" in w for w in loud.warnings)
    rows = {r["limit"]: r["breaks_at_users"] for r in breakpoints(Planner(env))}
    assert rows["cluster size quota"] == math.floor((5000 - 3) * 1 / 1.2)
