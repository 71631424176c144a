"""Cost delta from the capacity model's price table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sciplat.capacity.prices import load_prices
from sciplat.review.cost import LOCAL_SSD_GIB, cost_delta, node_pool_month
from sciplat.review.plan import load_plan, parse_plan

PLANS = Path(__file__).parent / "fixtures" / "plans"
PRICES = load_prices(Path(__file__).parent / "golden" / "review" / "prices.json")


def _pool(machine: str, nodes: int, ssd: int = 0, spot: bool = False) -> dict[str, object]:
    return {
        "autoscaling": [{"total_min_node_count": nodes, "total_max_node_count": nodes * 3}],
        "node_config": [
            {
                "machine_type": machine,
                "disk_type": "pd-ssd",
                "disk_size_gb": 200,
                "spot": spot,
                "ephemeral_storage_local_ssd_config": [{"local_ssd_count": ssd}] if ssd else [],
            }
        ],
    }


def test_node_pool_month_is_nodes_times_machine_disk_and_ssd() -> None:
    expected = 2 * (
        PRICES.node_hour_usd("n2-standard-8") * PRICES.hours_per_month
        + 200 * PRICES.disk_gib_month_usd("pd-ssd")
        + LOCAL_SSD_GIB * PRICES.local_ssd_gib_month_usd()
    )
    assert node_pool_month(_pool("n2-standard-8", 2, ssd=1), PRICES) == pytest.approx(expected)


def test_spot_pools_are_cheaper() -> None:
    on_demand = node_pool_month(_pool("n2-standard-8", 2), PRICES)
    assert node_pool_month(_pool("n2-standard-8", 2, spot=True), PRICES) < on_demand


def test_platform_cost_delta_follows_the_changed_resources() -> None:
    delta = cost_delta(load_plan(PLANS / "platform" / "plan.json"), PRICES)
    lines = {line.address: (line.before_usd, line.after_usd) for line in delta.lines}
    shared = "module.filestore.google_filestore_instance.shared"
    assert lines[shared] == (
        round(10240 * PRICES.filestore_gib_month_usd("BASIC_HDD"), 2),
        round(12288 * PRICES.filestore_gib_month_usd("BASIC_HDD"), 2),
    )
    pool = 'module.gke.google_container_node_pool.user["user"]'
    assert lines[pool][1] > lines[pool][0]  # n2-standard-8 -> n2-standard-16
    # The mirror is priced once by its cache budget; one of two repositories going away
    # does not change it.
    assert not any("registry" in a for a in lines)
    assert delta.after_usd - delta.before_usd == pytest.approx(delta.delta_usd)
    assert delta.delta_usd == pytest.approx(
        sum(after - before for before, after in lines.values()), abs=0.02
    )


def test_unknown_machine_type_is_noted_not_fatal() -> None:
    doc = {
        "format_version": "1.2",
        "resource_changes": [
            {
                "address": "google_container_node_pool.x",
                "mode": "managed",
                "type": "google_container_node_pool",
                "name": "x",
                "change": {"actions": ["create"], "before": None, "after": _pool("zz-huge-1", 1)},
            }
        ],
    }
    delta = cost_delta(parse_plan(doc), PRICES)
    assert delta.available and delta.after_usd == 0
    assert delta.notes and "google_container_node_pool.x: not priced" in delta.notes[0]


def test_without_a_price_table_the_cost_is_marked_unavailable() -> None:
    delta = cost_delta(load_plan(PLANS / "safe" / "plan.json"), None)
    assert not delta.available and delta.notes


def test_fixed_node_count_is_per_zone() -> None:
    pool = _pool("e2-standard-4", 1)
    del pool["autoscaling"]
    pool["node_count"] = 2
    pool["node_locations"] = ["us-central1-a", "us-central1-b", "us-central1-c"]
    one_node = node_pool_month({**pool, "node_count": 1, "node_locations": ["a"]}, PRICES)
    assert node_pool_month(pool, PRICES) == pytest.approx(6 * one_node)


def test_per_zone_autoscaling_minimum_counts_every_zone() -> None:
    pool = _pool("e2-standard-4", 1)
    pool["autoscaling"] = [{"min_node_count": 2, "max_node_count": 4}]
    pool["node_locations"] = ["a", "b"]
    total = _pool("e2-standard-4", 4)
    assert node_pool_month(pool, PRICES) == pytest.approx(node_pool_month(total, PRICES))


def test_a_new_cluster_adds_the_management_fee() -> None:
    doc = {
        "format_version": "1.2",
        "resource_changes": [
            {
                "address": "module.gke.google_container_cluster.this",
                "mode": "managed",
                "type": "google_container_cluster",
                "name": "this",
                "change": {"actions": ["create"], "before": None, "after": {"name": "c"}},
            }
        ],
    }
    delta = cost_delta(parse_plan(doc), PRICES)
    assert delta.before_usd == 0
    assert delta.after_usd == pytest.approx(round(PRICES.cluster_month_usd(), 2))
    assert delta.after_usd > 0


@pytest.mark.parametrize(
    ("kind", "after"),
    [
        ("google_container_node_pool", {**_pool("n2-standard-8", 1), "autoscaling": ["x"]}),
        ("google_container_node_pool", {**_pool("n2-standard-8", 1), "node_config": [None, 1]}),
        ("google_filestore_instance", {"tier": "BASIC_HDD", "file_shares": [5]}),
    ],
)
def test_a_malformed_nested_block_is_noted_not_fatal(kind: str, after: dict[str, Any]) -> None:
    doc = {
        "format_version": "1.2",
        "resource_changes": [
            {
                "address": f"{kind}.x",
                "mode": "managed",
                "type": kind,
                "name": "x",
                "change": {"actions": ["create"], "before": None, "after": after},
            }
        ],
    }
    delta = cost_delta(parse_plan(doc), PRICES)
    assert delta.available and delta.after_usd == 0
    assert delta.notes and f"{kind}.x: not priced" in delta.notes[0]
