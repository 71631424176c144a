"""Pools outside core and user (node_pools.extra): validation, planner, render and review."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from test_config import raw, write_env
from test_tf_contract import rendered_tfvars

from sciplat.capacity import load_prices, plan_capacity
from sciplat.config import load_environment
from sciplat.review.classify import BLOCKING, WARNING, classify
from sciplat.review.plan import parse_plan

VIZ = {
    "name": "viz",
    "machine_type": "n2-highmem-8",
    "max_nodes": 2,
    "labels": ["sciplat.io/workload=visualisation"],
}


def with_extra(pools: list[dict[str, Any]], name: str = "stable") -> dict[str, Any]:
    data = raw(name)
    data["node_pools"]["extra"] = pools
    return data


BAD = [
    (
        "named like a user pool",
        [{**VIZ, "name": "user"}],
        "node_pools.extra[0].name: pool name 'user' is used twice",
    ),
    (
        "named core",
        [{**VIZ, "name": "core"}],
        "node_pools.extra[0].name: pool name 'core' is used twice",
    ),
    (
        "min above max",
        [{**VIZ, "min_nodes": 3}],
        "node_pools.extra[0].min_nodes: must not exceed max_nodes",
    ),
    (
        "no nodes",
        [{**VIZ, "max_nodes": 0}],
        "node_pools.extra[0].max_nodes: a pool needs max_nodes >= 1",
    ),
    (
        "unknown machine",
        [{**VIZ, "machine_type": "n2-highmem-7"}],
        "node_pools.extra[0].machine_type: unknown machine type 'n2-highmem-7'",
    ),
    (
        "platform label",
        [{**VIZ, "labels": ["sciplat.io/pool=other"]}],
        "node_pools.extra[0].labels[0]: label 'sciplat.io/pool' is set by the platform",
    ),
    (
        "malformed label",
        [{**VIZ, "labels": ["no value"]}],
        "node_pools.extra[0].labels[0]: 'no value' does not match the required form",
    ),
    (
        "missing max",
        [{"name": "viz", "machine_type": "n2-highmem-8"}],
        "node_pools.extra[0].max_nodes: required key is missing",
    ),
]


@pytest.mark.parametrize(("pools", "expected"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_extra_pools(
    tmp_path: Path, pools: list[dict[str, Any]], expected: str, run_cli
) -> None:
    path = write_env(tmp_path, with_extra(pools))
    result = run_cli("validate", str(path))
    assert result.code == 2
    assert "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if "node_pools.extra" in line]
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"{path}:")
    assert expected in lines[0]
    line_no = int(lines[0].split(":")[1])
    text = path.read_text().splitlines()
    assert line_no > text.index("  extra:"), "the line points into the extra pools"


def test_int_declares_a_viz_pool_the_plan_and_tfvars_know() -> None:
    env = load_environment("int")
    sizing = plan_capacity(env.data).to_dict()
    (viz,) = sizing["extra_pools"]
    assert (viz["name"], viz["min_nodes"], viz["max_nodes"]) == ("viz", 0, 2)
    assert viz["purpose"] == "visualisation service"
    (line,) = [ln for ln in sizing["cost"]["lines"] if ln["item"] == "viz pool"]
    assert line["monthly_usd"] == 0  # no node runs at min 0
    tfvars, _ = rendered_tfvars("int")
    assert tfvars["extra_pools"] == [
        {
            "name": "viz",
            "machine_type": "n2-highmem-8",
            "disk_type": "pd-balanced",
            "disk_size_gib": 100,
            "spot": False,
            "max_pods_per_node": 32,
            "min_nodes": 0,
            "max_nodes": 2,
            "labels": {"sciplat.io/pool": "viz", "sciplat.io/workload": "visualisation"},
            "dedicated": True,
        }
    ]
    assert rendered_tfvars("workshop")[0]["extra_pools"] == []


def test_an_extra_pool_adds_its_minimum_to_the_cost_and_its_maximum_to_the_network() -> None:
    base = load_environment("stable").data
    before = plan_capacity(base).to_dict()
    data = copy.deepcopy(base)
    data["node_pools"]["extra"] = [
        {
            **VIZ,
            "min_nodes": 1,
            "max_nodes": 3,
            "disk_type": "pd-balanced",
            "disk_size_gib": 100,
            "spot": False,
            "max_pods_per_node": 32,
            "dedicated": True,
            "purpose": "",
        }
    ]
    after = plan_capacity(data).to_dict()
    prices = load_prices()
    month = prices.node_month_usd("n2-highmem-8") + 100 * prices.disk_gib_month_usd("pd-balanced")
    assert after["cost"]["monthly_usd"] == pytest.approx(
        before["cost"]["monthly_usd"] + month, abs=0.02
    )
    assert after["network"]["nodes_planned"] == before["network"]["nodes_planned"] + 3
    # 32 pods per node reserve a /26 (64 addresses) per node.
    assert (
        after["network"]["pod_addresses_planned"]
        == before["network"]["pod_addresses_planned"] + 3 * 64
    )


def _pool_change(name: str, action: list[str], labels: dict[str, str]) -> dict[str, Any]:
    pool = {"name": name, "node_config": [{"labels": labels, "machine_type": "n2-standard-8"}]}
    after = {**pool, "node_config": [{**pool["node_config"][0], "machine_type": "n2-standard-16"}]}
    return {
        "address": f'module.gke.google_container_node_pool.extra["{name}"]',
        "module_address": "module.gke",
        "mode": "managed",
        "type": "google_container_node_pool",
        "name": "extra",
        "index": name,
        "provider_name": "registry.terraform.io/hashicorp/google",
        "action_reason": "replace_because_cannot_update",
        "change": {
            "actions": action,
            "before": pool,
            "after": after,
            "after_unknown": {},
            "before_sensitive": {},
            "after_sensitive": {},
            "replace_paths": [["node_config", 0, "machine_type"]],
        },
    }


def test_review_knows_every_pool() -> None:
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "resource_changes": [
            _pool_change("dask", ["delete", "create"], {"sciplat.io/pool": "dask"}),
            _pool_change("viz", ["delete", "create"], {"sciplat.io/pool": "viz"}),
            _pool_change("user", ["delete", "create"], {"hub.jupyter.org/node-purpose": "user"}),
        ],
    }
    findings = {
        (f.address.split('"')[1], f.severity, f.rule): f for f in classify(parse_plan(plan).changes)
    }
    dask = findings[("dask", WARNING, "replace-dask-pool")]
    assert (
        "running Dask clusters are lost" in dask.message and "labs are not affected" in dask.message
    )
    assert ("viz", WARNING, "replace-viz-pool") in findings
    assert not any(k[0] in ("dask", "viz") and k[1] == BLOCKING for k in findings)
    # A user pool's replacement still blocks: labs are killed.
    assert ("user", BLOCKING, "replace-google_container_node_pool") in findings
