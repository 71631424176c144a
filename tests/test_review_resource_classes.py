"""What a resource holds decides what deleting it means, and every rule of the review has a case.

The classes (data / stateless / unknown) are checked against every resource type the modules
and the root use, and against the google provider's own list of resource types (read from the
vendored provider source, the same release the project pins).
"""

from __future__ import annotations

import re
import tarfile
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sciplat.review.classify import (
    BLOCKING,
    INFO,
    STATEFUL,
    STATELESS,
    WARNING,
    classify_change,
    resource_class,
)
from tests.conftest import REPO_ROOT, require_or_skip, vendor_dir
from tests.test_review_classify import change, severities

RESOURCE = re.compile(r'^\s*resource\s+"([a-z0-9_]+)"', re.MULTILINE)


def used_types() -> set[str]:
    found: set[str] = set()
    for base in ("terraform", "modules"):
        for path in (REPO_ROOT / base).rglob("*.tf"):
            found |= set(RESOURCE.findall(path.read_text(encoding="utf-8")))
    return found


@cache
def provider_types() -> frozenset[str]:
    """Every resource type of the vendored google provider, from its generated metadata."""
    vendor = vendor_dir() / "terraform-providers"
    archives = sorted(vendor.glob("terraform-provider-google-*.tar.gz"))
    if not archives:
        require_or_skip(f"no google provider source in {vendor}; set SCIPLAT_VENDOR")
    types: set[str] = set()
    meta = re.compile(r"/resource_[a-z0-9_]+_(generated_)?meta\.yaml$")
    with tarfile.open(archives[-1]) as archive:
        for member in archive:
            if member.isfile() and meta.search(member.name):
                handle = archive.extractfile(member)
                text = handle.read().decode("utf-8", "replace") if handle else ""
                match = re.search(r"^resource:\s*'?(google_[a-z0-9_]+)'?\s*$", text, re.MULTILINE)
                if match:
                    types.add(match.group(1))
    return frozenset(types)


# What a name says about a type of the provider: it stores something.
HOLDS_DATA = re.compile(
    r"_disk$|_snapshot$|_bucket$|_backup$|_secret$|_secret_version$|_database$|"
    r"_database_instance$|_dataset$|_table$|_image$|_repository$|_crypto_key$|_key_ring$|"
    r"_volume$|^google_filestore_instance$|^google_redis_instance$|^google_memcache_instance$|"
    r"^google_spanner_instance$|^google_bigtable_instance$|^google_alloydb_cluster$"
)


def test_every_type_the_modules_use_is_classified() -> None:
    used = used_types()
    assert "google_container_cluster" in used and len(used) >= 15
    unknown = sorted(t for t in used if resource_class(t) == "unknown")
    assert unknown == [], f"classify these in review/classify.py: {unknown}"


def test_the_provider_list_is_read() -> None:
    types = provider_types()
    assert {"google_compute_disk", "google_storage_bucket", "google_filestore_backup"} <= types
    assert len(types) > 500


def test_every_data_holding_type_of_the_provider_is_data() -> None:
    holding = sorted(t for t in provider_types() if HOLDS_DATA.search(t) and "_iam_" not in t)
    assert len(holding) > 40
    wrong = [t for t in holding if resource_class(t) != "data"]
    assert wrong == []


def test_no_provider_type_is_stateless_by_default() -> None:
    stateless = {t for t in provider_types() if resource_class(t) == "stateless"}
    iam = {t for t in stateless if re.search(r"_iam_(member|binding|policy)$", t)}
    assert stateless - iam <= STATELESS


NAMED = [
    "google_compute_disk",
    "google_compute_region_disk",
    "google_storage_bucket",
    "google_filestore_backup",
    "google_secret_manager_secret",
    "google_secret_manager_secret_version",
    "google_compute_snapshot",
    "google_sql_database_instance",
    "kubernetes_secret_v1",
]


@pytest.mark.parametrize("rtype", NAMED)
@pytest.mark.parametrize("actions", [["delete"], ["delete", "create"], ["create", "delete"]])
def test_deleting_what_holds_data_blocks(rtype: str, actions: list[str]) -> None:
    rc = change(rtype, actions, {"name": "x", "force_destroy": True}, {"name": "y"})
    findings = classify_change(rc)
    assert findings[0].severity == BLOCKING
    assert all("nothing stored is lost" not in f.message for f in findings)


@given(
    word=st.from_regex(r"google_[a-z]{3,8}_[a-z]{3,8}", fullmatch=True),
    actions=st.sampled_from([["delete"], ["delete", "create"]]),
)
@settings(max_examples=200)
def test_an_unknown_type_is_never_called_stateless(word: str, actions: list[str]) -> None:
    findings = classify_change(change(word, actions, {"a": 1}, {"a": 2}))
    assert findings, word
    if resource_class(word) != "stateless":
        assert all("stateless" not in f.message for f in findings)
        assert findings[0].severity in (BLOCKING, WARNING)


@pytest.mark.parametrize("rtype", sorted(STATELESS - {"google_compute_address"}))
def test_stateless_types_say_so(rtype: str) -> None:
    findings = classify_change(change(rtype, ["delete"], {"a": 1}, None))
    assert all(f.severity != BLOCKING for f in findings)
    infos = [f for f in findings if f.severity == INFO]
    if infos:
        assert infos[0].message == "Destroyed: stateless, nothing stored is lost."


def test_unknown_deletes_warn_with_the_type() -> None:
    rc = change("google_cloud_run_v2_service", ["delete"], {"a": 1}, None)
    assert severities(rc) == [(WARNING, "delete-unclassified")]
    assert "google_cloud_run_v2_service" in classify_change(rc)[0].message


def test_every_stateful_reason_is_a_sentence_fragment() -> None:
    for kind, why in STATEFUL.items():
        assert why and not why.endswith(".") and why[0].islower(), kind


# ------------------------------------------------------------------------------ every rule


def test_cluster_upgrade_warns() -> None:
    for attr in ("min_master_version", "node_version"):
        rc = change("google_container_cluster", ["update"], {attr: "1.33"}, {attr: "1.34"})
        assert severities(rc) == [(WARNING, "cluster-upgrade")]
    other = change(
        "google_container_cluster", ["update"], {"description": "a"}, {"description": "b"}
    )
    assert severities(other) == [(INFO, "update")]


@pytest.mark.parametrize("actions", [["delete"], ["delete", "create"]])
def test_disabling_an_api_warns(actions: list[str]) -> None:
    rc = change("google_project_service", actions, {"service": "container.googleapis.com"}, {})
    assert (WARNING, "disable-api") in severities(rc)
    enable = change("google_project_service", ["create"], None, {"service": "x"})
    assert severities(enable) == [(INFO, "create")]


@pytest.mark.parametrize("rtype", ["google_compute_network", "google_compute_subnetwork"])
@pytest.mark.parametrize(
    ("actions", "rule"), [(["delete"], "delete"), (["create", "delete"], "replace")]
)
def test_network_delete_and_replace_warn(rtype: str, actions: list[str], rule: str) -> None:
    rc = change(rtype, actions, {"name": "n"}, {"name": "m"})
    assert severities(rc) == [(WARNING, f"{rule}-network")]
    update = change(rtype, ["update"], {"name": "n"}, {"name": "m"})
    assert severities(update) == [(INFO, "update")]


@pytest.mark.parametrize(
    ("actions", "rule"), [(["delete"], "delete"), (["delete", "create"], "replace")]
)
def test_address_delete_and_replace_warn(actions: list[str], rule: str) -> None:
    rc = change("google_compute_address", actions, {"address": "198.51.100.7"}, {"address": "x"})
    assert severities(rc) == [(WARNING, f"{rule}-address")]


def _rule(direction: Any = "INGRESS", *, deny: bool = False, ranges=("10.0.0.0/8",)) -> dict:
    rule: dict[str, Any] = {"name": "fw", "source_ranges": list(ranges)}
    if direction is not None:
        rule["direction"] = direction
    rule["deny" if deny else "allow"] = [{"protocol": "tcp", "ports": ["22"]}]
    return rule


@pytest.mark.parametrize("actions", [["update"], ["delete", "create"], ["create", "delete"]])
def test_a_deny_rule_turned_into_an_allow_widens(actions: list[str]) -> None:
    """The same ranges, but what they meet changes from a deny to an allow."""
    rc = change(
        "google_compute_firewall",
        actions,
        _rule(deny=True, ranges=["0.0.0.0/0"]),
        _rule(ranges=["0.0.0.0/0"]),
    )
    assert (WARNING, "network-widened") in severities(rc)


@pytest.mark.parametrize("actions", [["delete", "create"], ["create", "delete"], ["update"]])
@pytest.mark.parametrize(
    ("old", "new", "wider"),
    [
        (["10.0.0.0/8"], ["0.0.0.0/0"], True),
        (["10.0.0.0/8"], ["10.0.0.0/8", "192.0.2.0/24"], True),
        (["10.0.0.0/8"], ["10.1.0.0/16"], False),
        (["0.0.0.0/0"], ["10.0.0.0/8"], False),
    ],
)
def test_firewall_widening_by_update_or_replace(
    actions: list[str], old: list[str], new: list[str], wider: bool
) -> None:
    rc = change("google_compute_firewall", actions, _rule(ranges=old), _rule(ranges=new))
    assert ((WARNING, "network-widened") in severities(rc)) is wider


_DIRECTIONS = st.sampled_from([None, "INGRESS", "ingress", "EGRESS", "egress", "", 7, ["x"], {}])


@given(
    direction=_DIRECTIONS,
    deny=st.booleans(),
    ranges=st.lists(st.sampled_from(["0.0.0.0/0", "10.0.0.0/8", "not-a-cidr", "::/0"]), max_size=3),
)
@settings(max_examples=200)
def test_firewall_rules_of_any_shape_never_crash(direction, deny, ranges) -> None:
    rule = _rule(direction, deny=deny, ranges=ranges)
    for actions, before, after in (
        (["delete"], rule, None),
        (["create"], None, rule),
        (["update"], rule, {**rule, "source_ranges": ["0.0.0.0/0"]}),
        (["delete", "create"], rule, rule),
    ):
        findings = classify_change(change("google_compute_firewall", actions, before, after))
        assert findings
    deleted = {f.rule for f in classify_change(change("google_compute_firewall", ["delete"], rule))}
    is_egress = isinstance(direction, str) and direction.upper() == "EGRESS"
    assert ("deny-removed" in deleted) is (deny and not is_egress)


def _pool(per_zone: Any = None, total: Any = None, zones: list[str] | None = None) -> dict:
    scaling: dict[str, Any] = {}
    if per_zone is not None:
        scaling["max_node_count"] = per_zone
    if total is not None:
        scaling["total_max_node_count"] = total
    pool: dict[str, Any] = {"name": "user", "autoscaling": [scaling]}
    if zones is not None:
        pool["node_locations"] = zones
    return pool


@pytest.mark.parametrize(
    ("before", "after", "lowered"),
    [
        (_pool(total=10), _pool(total=10), False),
        (_pool(total=10), _pool(total=9), True),
        (_pool(total=10), _pool(total=11), False),
        (_pool(per_zone=5), _pool(total=5), False),  # same maximum, another field
        (_pool(per_zone=5, total=0), _pool(per_zone=0, total=5), False),
        (_pool(total=6), _pool(per_zone=2, zones=["a", "b", "c"]), False),
        (_pool(total=6), _pool(per_zone=1, zones=["a", "b", "c"]), True),
        (_pool(per_zone=3, zones=["a", "b"]), _pool(per_zone=3, zones=["a"]), True),
        (_pool(per_zone=5), _pool(per_zone=5.0), False),
        (_pool(per_zone=5), _pool(per_zone=4), True),
        (_pool(), _pool(total=3), False),
        (_pool(per_zone=5, total=0), _pool(per_zone=3, total=0), True),  # 0: total unset
        (_pool(per_zone=5, zones=[]), _pool(per_zone=4, zones=[]), True),  # no zones listed
    ],
)
def test_max_lowered_only_when_the_maximum_drops(before: dict, after: dict, lowered: bool) -> None:
    rc = change("google_container_node_pool", ["update"], before, after)
    assert ((WARNING, "max-nodes-lowered") in severities(rc)) is lowered


@given(old=st.integers(0, 50), new=st.integers(1, 50), zones=st.integers(1, 3))
def test_max_lowered_matches_arithmetic(old: int, new: int, zones: int) -> None:
    names = ["a", "b", "c"][:zones]
    rc = change(
        "google_container_node_pool",
        ["update"],
        _pool(per_zone=old, zones=names),
        _pool(total=new * zones, zones=names),
    )
    assert ((WARNING, "max-nodes-lowered") in severities(rc)) is (new * zones < old * zones)


# ------------------------------------------------------------------------------ edges


def test_findings_sort_blocking_then_warning_then_info_whatever_the_plan_order() -> None:
    from sciplat.review.classify import classify

    changes = [
        change("terraform_data", ["create"], None, {"a": 1}),
        change("google_compute_address", ["delete"], {"address": "198.51.100.7"}, None),
        change("terraform_data", ["update"], {"a": 1}, {"a": 2}),
        change("google_compute_disk", ["delete"], {"name": "d"}, None),
        change("google_project_service", ["delete"], {"service": "x"}, None),
    ]
    severities_in_order = [f.severity for f in classify(changes)]
    assert severities_in_order == [BLOCKING, WARNING, WARNING, INFO, INFO]


@pytest.mark.parametrize(
    "rtype",
    [
        "google_storage_bucket_acl",
        "google_storage_default_object_access_control",
        "google_storage_notification",
        "google_pubsub_topic_iam_binding",
    ],
)
def test_access_settings_of_data_are_not_data(rtype: str) -> None:
    assert resource_class(rtype) != "data"
    findings = classify_change(change(rtype, ["delete"], {"bucket": "b"}, None))
    assert all(f.severity != BLOCKING for f in findings)


def test_findings_are_immutable() -> None:
    import dataclasses

    (finding,) = classify_change(change("terraform_data", ["create"], None, {"a": 1}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.severity = BLOCKING  # type: ignore[misc]


def test_an_empty_autoscaling_list_does_not_crash() -> None:
    rc = change(
        "google_container_node_pool",
        ["update"],
        {"name": "user", "autoscaling": []},
        {"name": "user", "autoscaling": [{"total_max_node_count": 3}]},
    )
    assert (WARNING, "max-nodes-lowered") not in severities(rc)


def test_cidr_like_text_outside_range_attributes_is_not_a_range() -> None:
    before = _rule(ranges=["10.0.0.0/8"])
    after = {**before, "description": "was 0.0.0.0/0", "name": "0.0.0.0/0"}
    rc = change("google_compute_firewall", ["update"], before, after)
    assert (WARNING, "network-widened") not in severities(rc)


@pytest.mark.parametrize("cidr", ["192.0.2.7/24", "0.0.0.1/0", "203.0.113.9/28"])
def test_a_range_written_with_host_bits_still_counts(cidr: str) -> None:
    rc = change(
        "google_compute_firewall",
        ["update"],
        _rule(ranges=["10.0.0.0/8"]),
        _rule(ranges=["10.0.0.0/8", cidr]),
    )
    assert (WARNING, "network-widened") in severities(rc)


def test_allows_ingress_needs_a_rule() -> None:
    from sciplat.review.classify import _allows_ingress

    assert _allows_ingress(None) is False
    assert _allows_ingress("INGRESS") is False
    assert _allows_ingress({}) is True  # GCP's defaults: an ingress rule


def test_a_chart_version_from_nothing_says_none() -> None:
    rc = change("helm_release", ["update"], {"version": None}, {"version": "4.4.0"})
    messages = [f.message for f in classify_change(rc) if f.rule == "chart-version"]
    assert messages == [
        "Chart version none -> 4.4.0: the hub and proxy restart and the upgrade notes of the "
        "chart apply."
    ]


def test_an_import_without_changes_is_one_info_finding() -> None:
    from sciplat.review.plan import parse_plan

    entry = {
        "address": "google_compute_network.vpc",
        "mode": "managed",
        "type": "google_compute_network",
        "name": "vpc",
        "change": {
            "actions": ["no-op"],
            "before": {"name": "vpc"},
            "after": {"name": "vpc"},
            "importing": {"id": "projects/p/global/networks/vpc"},
        },
    }
    (rc,) = parse_plan({"format_version": "1.2", "resource_changes": [entry]}).changes
    assert severities(rc) == [(INFO, "import")]
    entry["change"]["importing"] = None
    (plain,) = parse_plan({"format_version": "1.2", "resource_changes": [entry]}).changes
    assert classify_change(plain) == []


def _labelled_pool(name: str) -> dict:
    from sciplat.review.classify import POOL_LABEL

    return {"name": name, "node_config": [{"labels": {POOL_LABEL: name}}]}


@pytest.mark.parametrize(
    ("name", "what"), [("dask", "running Dask clusters are lost"), ("viz", "its pods are evicted")]
)
@pytest.mark.parametrize(
    ("actions", "verb"), [(["delete"], "Removes"), (["delete", "create"], "Recreates")]
)
def test_extra_pools_warn_by_their_name(
    name: str, what: str, actions: list[str], verb: str
) -> None:
    rc = change("google_container_node_pool", actions, _labelled_pool(name), _labelled_pool(name))
    (finding,) = classify_change(rc)
    assert finding.severity == WARNING
    assert finding.message.startswith(f"{verb} the {name} pool: {what}")


def test_a_new_firewall_on_a_private_range_is_not_widening() -> None:
    rc = change("google_compute_firewall", ["create"], None, _rule(ranges=["10.0.0.0/8"]))
    assert severities(rc) == [(INFO, "create")]
    opened = change("google_compute_firewall", ["create"], None, _rule(ranges=["0.0.0.0/0"]))
    assert classify_change(opened)[0].message.startswith("Widens firewall to 0.0.0.0/0")


def test_authorized_networks_widening_names_them() -> None:
    before = {
        "master_authorized_networks_config": [{"cidr_blocks": [{"cidr_block": "10.0.0.0/8"}]}]
    }
    after = {"master_authorized_networks_config": [{"cidr_blocks": [{"cidr_block": "0.0.0.0/0"}]}]}
    (finding,) = classify_change(change("google_container_cluster", ["update"], before, after))
    assert finding.message.startswith("Widens authorized networks to 0.0.0.0/0")


def test_chart_rules_apply_to_the_helm_release_only() -> None:
    pool = change(
        "google_container_node_pool",
        ["update"],
        {"name": "user", "version": "1.33", "values": "a"},
        {"name": "user", "version": "1.34", "values": "b"},
    )
    rules = {f.rule for f in classify_change(pool)}
    assert "chart-version" not in rules and "hub-restart" not in rules
    bump = change("helm_release", ["update"], {"version": "4.3.0"}, {"version": "4.4.0"})
    assert severities(bump) == [(WARNING, "chart-version")]


IAM_MESSAGES = [
    (
        "google_service_account",
        ["create"],
        None,
        {"account_id": "hub"},
        "Creates service account hub: a new identity; check the roles it gets.",
    ),
    (
        "google_service_account",
        ["update"],
        {"account_id": "hub"},
        {"account_id": "hub2"},
        "Updates service account hub2: a new identity; check the roles it gets.",
    ),
    (
        "google_service_account",
        ["delete"],
        {"account_id": "hub"},
        None,
        "Deletes service account hub: everything running as it loses its access.",
    ),
    (
        "google_service_account",
        ["delete"],
        {"account_id": 7},
        None,
        "Deletes a service account: everything running as it loses its access.",
    ),
    (
        "google_project_iam_member",
        ["create"],
        None,
        {"role": "roles/viewer", "member": "user:a"},
        "Grants roles/viewer to user:a: check that it needs exactly this role.",
    ),
    (
        "google_project_iam_member",
        ["delete"],
        {"role": "roles/viewer", "member": "user:a"},
        None,
        "Revokes roles/viewer from user:a: whatever relied on it loses access.",
    ),
    (
        "google_project_iam_member",
        ["update"],
        {"role": "r", "member": "m"},
        {"role": "roles/editor", "member": "group:g"},
        "Changes the grant of roles/editor to group:g: check the role and the member.",
    ),
    (
        "google_project_iam_member",
        ["create"],
        None,
        {"role": None, "member": None},
        "Grants a role to an identity created by this plan: check that it needs exactly this role.",
    ),
]


@pytest.mark.parametrize(("rtype", "actions", "before", "after", "message"), IAM_MESSAGES)
def test_iam_messages_say_who_gets_or_loses_what(
    rtype: str, actions: list[str], before: Any, after: Any, message: str
) -> None:
    findings = [f for f in classify_change(change(rtype, actions, before, after))]
    assert [f.message for f in findings if f.rule == "iam-change"] == [message]


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        (["create"], "Created: nothing existing is affected."),
        (["delete"], "Destroyed: stateless, nothing stored is lost."),
        (["delete", "create"], "Replaced: stateless, recreated with the same configuration."),
        (["forget"], "Removed from state only; the real object is left alone."),
    ],
)
def test_info_messages_per_action(actions: list[str], message: str) -> None:
    before = None if actions == ["create"] else {"a": 1}
    after = None if actions in (["delete"], ["forget"]) else {"a": 2}
    findings = classify_change(change("terraform_data", actions, before, after))
    assert [(f.severity, f.message) for f in findings] == [(INFO, message)]


@pytest.mark.parametrize(("n", "text"), [(1, "1 attribute"), (2, "2 attributes")])
def test_update_info_counts_attributes(n: int, text: str) -> None:
    before = {f"a{i}": 1 for i in range(n)}
    after = {f"a{i}": 2 for i in range(n)}
    (finding,) = classify_change(change("terraform_data", ["update"], before, after))
    assert finding.message == f"Updated in place ({text})."
