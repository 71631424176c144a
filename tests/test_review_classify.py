"""Risk classification of single changes: blocking, warning, info, each with one sentence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sciplat.review.classify import BLOCKING, INFO, WARNING, classify, classify_change
from sciplat.review.plan import ResourceChange, load_plan, parse_plan

PLANS = Path(__file__).parent / "fixtures" / "plans"


def change(
    rtype: str,
    actions: list[str],
    before: Any = None,
    after: Any = None,
    *,
    replace_paths: list[list[Any]] | None = None,
    mode: str = "managed",
) -> ResourceChange:
    entry: dict[str, Any] = {
        "address": f"module.m.{rtype}.this",
        "module_address": "module.m",
        "mode": mode,
        "type": rtype,
        "name": "this",
        "change": {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": {},
            "before_sensitive": {},
            "after_sensitive": {},
        },
    }
    if replace_paths:
        entry["change"]["replace_paths"] = replace_paths
    return parse_plan({"format_version": "1.2", "resource_changes": [entry]}).changes[0]


def severities(rc: ResourceChange) -> list[tuple[str, str]]:
    return [(f.severity, f.rule) for f in classify_change(rc)]


STATEFUL = [
    "google_container_cluster",
    "google_container_node_pool",
    "google_filestore_instance",
    "google_artifact_registry_repository",
    "kubernetes_persistent_volume_v1",
    "kubernetes_persistent_volume_claim",
    "kubernetes_namespace_v1",
    "helm_release",
]


@pytest.mark.parametrize("rtype", STATEFUL)
def test_destroying_stateful_resources_blocks(rtype: str) -> None:
    findings = classify_change(change(rtype, ["delete"], {"name": "x"}, None))
    assert [f.severity for f in findings] == [BLOCKING]
    assert findings[0].message.startswith("Destroyed: ")
    assert findings[0].message.endswith(".")


@pytest.mark.parametrize("rtype", STATEFUL)
def test_replacing_stateful_resources_blocks_and_names_the_cause(rtype: str) -> None:
    rc = change(
        rtype,
        ["delete", "create"],
        {"location": "a"},
        {"location": "b"},
        replace_paths=[["location"]],
    )
    (finding,) = classify_change(rc)
    assert finding.severity == BLOCKING
    assert "forced by location" in finding.message


@pytest.mark.parametrize(
    ("rtype", "actions"),
    [
        ("google_container_cluster", ["create"]),
        ("google_filestore_instance", ["create"]),
        ("terraform_data", ["delete"]),
        ("terraform_data", ["delete", "create"]),
        ("google_compute_router_nat", ["update"]),
    ],
)
def test_routine_changes_are_info(rtype: str, actions: list[str]) -> None:
    before = None if actions == ["create"] else {"a": 1}
    after = None if actions == ["delete"] else {"a": 2}
    assert [f.severity for f in classify_change(change(rtype, actions, before, after))] == [INFO]


def test_no_op_and_reads_have_no_findings() -> None:
    assert classify_change(change("google_filestore_instance", ["no-op"], {"a": 1}, {"a": 1})) == []
    assert classify_change(change("google_project", ["read"], None, {"a": 1}, mode="data")) == []


@pytest.mark.parametrize("attr", ["deletion_protection", "deletion_protection_enabled"])
def test_removing_deletion_protection_blocks(attr: str) -> None:
    rc = change("google_filestore_instance", ["update"], {attr: True}, {attr: False})
    assert severities(rc) == [(BLOCKING, "deletion-protection-removed")]


def test_turning_deletion_protection_on_is_info() -> None:
    rc = change(
        "google_container_cluster",
        ["update"],
        {"deletion_protection": False},
        {"deletion_protection": True},
    )
    assert [f.severity for f in classify_change(rc)] == [INFO]


def test_firewall_widening_warns_and_narrowing_does_not() -> None:
    wider = change(
        "google_compute_firewall",
        ["update"],
        {"source_ranges": ["10.0.0.0/8"]},
        {"source_ranges": ["10.0.0.0/8", "192.0.2.0/24"]},
    )
    assert severities(wider) == [(WARNING, "network-widened")]
    assert "192.0.2.0/24" in classify_change(wider)[0].message
    narrower = change(
        "google_compute_firewall",
        ["update"],
        {"source_ranges": ["10.0.0.0/8"]},
        {"source_ranges": ["10.1.0.0/16"]},
    )
    assert [f.severity for f in classify_change(narrower)] == [INFO]


def test_new_firewall_open_to_the_world_warns() -> None:
    rc = change("google_compute_firewall", ["create"], None, {"source_ranges": ["0.0.0.0/0"]})
    assert severities(rc) == [(WARNING, "network-widened")]


def test_authorized_network_widening_warns() -> None:
    before = {
        "master_authorized_networks_config": [{"cidr_blocks": [{"cidr_block": "203.0.113.0/24"}]}]
    }
    after = {"master_authorized_networks_config": [{"cidr_blocks": [{"cidr_block": "0.0.0.0/0"}]}]}
    rc = change("google_container_cluster", ["update"], before, after)
    assert severities(rc) == [(WARNING, "network-widened")]


@pytest.mark.parametrize(
    "rtype",
    [
        "google_project_iam_member",
        "google_artifact_registry_repository_iam_member",
        "google_service_account",
    ],
)
def test_iam_changes_warn(rtype: str) -> None:
    rc = change(rtype, ["create"], None, {"role": "roles/viewer", "member": "user:a@example.org"})
    assert severities(rc) == [(WARNING, "iam-change")]


def test_chart_version_bump_and_values_warn() -> None:
    rc = change(
        "helm_release",
        ["update"],
        {"version": "4.3.0", "values": ["a: 1\n"]},
        {"version": "4.4.0", "values": ["a: 2\n"]},
    )
    rules = severities(rc)
    assert (WARNING, "chart-version") in rules and (WARNING, "hub-restart") in rules
    assert "4.3.0 -> 4.4.0" in classify_change(rc)[0].message


def test_node_config_update_warns_but_autoscaling_is_info() -> None:
    rolling = change(
        "google_container_node_pool",
        ["update"],
        {"node_config": [{"labels": {"a": "1"}}]},
        {"node_config": [{"labels": {"a": "2"}}]},
    )
    assert severities(rolling) == [(WARNING, "nodes-recreated")]
    scaling = change(
        "google_container_node_pool",
        ["update"],
        {"autoscaling": [{"total_max_node_count": 3}]},
        {"autoscaling": [{"total_max_node_count": 6}]},
    )
    assert [f.severity for f in classify_change(scaling)] == [INFO]


def test_forgetting_a_stateful_resource_warns() -> None:
    rc = change("google_filestore_instance", ["forget"], {"name": "home"}, None)
    assert severities(rc) == [(WARNING, "forget")]


def test_releasing_the_hub_address_warns() -> None:
    rc = change("google_compute_address", ["delete"], {"address": "198.51.100.7"}, None)
    assert severities(rc) == [(WARNING, "delete-address")]


def test_platform_fixture_has_each_risk_class_in_order() -> None:
    plan = load_plan(PLANS / "platform" / "plan.json")
    findings = classify(plan.changes)
    order = [f.severity for f in findings]
    assert order == sorted(order, key=[BLOCKING, WARNING, INFO].index)
    blocking = {f.address for f in findings if f.severity == BLOCKING}
    assert blocking == {
        "module.gke.google_container_cluster.primary",
        'module.gke.google_container_node_pool.user["user"]',
        "module.filestore.google_filestore_instance.home",
        "module.hub.kubernetes_persistent_volume_v1.home",
        "module.hub.kubernetes_persistent_volume_claim_v1.home",
        'module.registry_mirror.google_artifact_registry_repository.remote["quay"]',
    }
    warning_rules = sorted(f.rule for f in findings if f.severity == WARNING)
    assert warning_rules == [
        "chart-version",
        "hub-restart",
        "iam-change",
        "network-widened",
        "network-widened",
    ]
    assert [f.address for f in findings if f.severity == INFO] == [
        "module.filestore.google_filestore_instance.shared"
    ]
    for finding in findings:  # one sentence each
        assert finding.message.endswith(".") and "\n" not in finding.message


def test_safe_fixture_has_nothing_blocking() -> None:
    findings = classify(load_plan(PLANS / "safe" / "plan.json").changes)
    assert not [f for f in findings if f.severity == BLOCKING]
    assert [f.rule for f in findings if f.severity == WARNING] == ["hub-restart"]


@pytest.mark.parametrize(
    ("pool", "severity"),
    [
        (
            {"name": "x", "node_config": [{"labels": {"hub.jupyter.org/node-purpose": "core"}}]},
            WARNING,
        ),
        ({"name": "core"}, WARNING),
        (
            {"name": "core", "node_config": [{"labels": {"hub.jupyter.org/node-purpose": "user"}}]},
            BLOCKING,
        ),
        ({"name": "user"}, BLOCKING),
    ],
)
def test_only_user_pools_block_the_core_pool_warns(pool: dict, severity: str) -> None:
    for actions in (["delete"], ["delete", "create"]):
        after = None if actions == ["delete"] else pool
        findings = classify_change(change("google_container_node_pool", actions, pool, after))
        assert [f.severity for f in findings] == [severity]


def test_deny_and_egress_rules_are_not_widenings() -> None:
    deny = {"deny": [{"protocol": "all"}], "source_ranges": ["10.0.0.0/8"]}
    wider_deny = {**deny, "source_ranges": ["0.0.0.0/0"]}
    rc = change("google_compute_firewall", ["update"], deny, wider_deny)
    assert [f.severity for f in classify_change(rc)] == [INFO]
    egress = {"direction": "EGRESS", "allow": [{"protocol": "tcp"}], "source_ranges": []}
    rc = change(
        "google_compute_firewall", ["create"], None, {**egress, "source_ranges": ["0.0.0.0/0"]}
    )
    assert [f.severity for f in classify_change(rc)] == [INFO]


def test_removing_a_deny_rule_warns() -> None:
    deny = {"deny": [{"protocol": "all"}], "source_ranges": ["0.0.0.0/0"], "direction": "INGRESS"}
    rc = change("google_compute_firewall", ["delete"], deny, None)
    assert severities(rc) == [(WARNING, "deny-removed")]
    allow = {"allow": [{"protocol": "tcp"}], "source_ranges": ["10.0.0.0/8"]}
    assert [
        f.severity
        for f in classify_change(change("google_compute_firewall", ["delete"], allow, None))
    ] == [INFO]


def test_lowering_a_pool_maximum_warns_raising_it_does_not() -> None:
    def pool(maximum: int) -> dict:
        return {"autoscaling": [{"total_min_node_count": 1, "total_max_node_count": maximum}]}

    lower = change("google_container_node_pool", ["update"], pool(10), pool(4))
    assert severities(lower) == [(WARNING, "max-nodes-lowered")]
    assert "from 10 to 4 nodes" in classify_change(lower)[0].message
    higher = change("google_container_node_pool", ["update"], pool(4), pool(10))
    assert [f.severity for f in classify_change(higher)] == [INFO]
