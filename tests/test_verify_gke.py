"""The cluster check through google-cloud-container against a loopback GKE API (tests/gke_fake.py):
the real client library, its REST transport, an endpoint from client_options and anonymous
credentials; payloads shaped like the API reference's Cluster and NodePool."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from sciplat.render import prepare
from sciplat.verify import checks
from sciplat.verify.expected import Expected
from sciplat.verify.gke import Gke
from sciplat.verify.kube import Unreachable
from tests.gke_fake import GkeFake

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tfvars() -> dict[str, Any]:
    return prepare("stable")[2]


@pytest.fixture
def fake(tfvars: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[GkeFake]:
    monkeypatch.delenv("SCIPLAT_GKE_ENDPOINT", raising=False)
    server = GkeFake.start()
    server.add(tfvars)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def expected(tfvars: dict[str, Any]) -> Expected:
    return Expected.from_tfvars(tfvars)


def read_and_check(fake: GkeFake, expected: Expected) -> checks.CheckResult:
    found = Gke(expected, endpoint=fake.endpoint, timeout=5).read()
    return checks.check_cluster(expected, found.cluster, found.pools)


def test_a_faithful_cluster_passes_and_the_client_sends_no_credentials(
    fake: GkeFake, expected: Expected
) -> None:
    result = read_and_check(fake, expected)
    assert result.status == "pass", result.problems
    assert result.summary == "cluster and 2 node pools as planned"
    paths = [path for _, path, _ in fake.requests]
    cluster = "/v1/projects/sciplat-stable/locations/us-central1/clusters/sciplat-stable"
    assert paths == [cluster, f"{cluster}/nodePools"]
    assert all("Authorization" not in headers for _, _, headers in fake.requests)


def test_pool_resized_by_hand_is_drift_naming_field_expected_and_actual(
    fake: GkeFake, expected: Expected
) -> None:
    user = fake.pool(expected.cluster_path, "user")
    user["autoscaling"] = {"enabled": False}  # autoscaling off, then resized by hand
    core = fake.pool(expected.cluster_path, "core")
    core["autoscaling"]["totalMaxNodeCount"] = 6
    result = read_and_check(fake, expected)
    assert result.status == "fail"
    assert result.problems == [
        "drift: node pool core: autoscaling.total_max_node_count: expected 3, actual 6",
        "drift: node pool user: autoscaling.enabled: expected true, actual false",
        "drift: node pool user: autoscaling.total_min_node_count: expected 2, actual 0",
        "drift: node pool user: autoscaling.total_max_node_count: expected 9, actual 0",
    ]
    assert {"resource": "node pool core", "field": "autoscaling.total_max_node_count",
            "expected": 3, "actual": 6} in result.details["drift"]  # fmt: skip


def test_pool_with_another_machine_type_disk_and_streaming_is_drift(
    fake: GkeFake, expected: Expected
) -> None:
    config = fake.pool(expected.cluster_path, "user")["config"]
    config["machineType"] = "n2-highmem-8"
    config["diskSizeGb"] = 100
    config["gcfsConfig"] = {"enabled": False}
    del config["ephemeralStorageLocalSsdConfig"]
    config["taints"] = []
    config["labels"]["team"] = "ops"
    result = read_and_check(fake, expected)
    assert result.summary == "6 fields drifted from the plan"
    fields = {(d["field"], str(d["expected"]), str(d["actual"])) for d in result.details["drift"]}
    assert ("config.machine_type", "n2-standard-8", "n2-highmem-8") in fields
    assert ("config.disk_size_gb", "200", "100") in fields
    assert ("config.gcfs_config.enabled", "True", "False") in fields
    assert ("config.ephemeral_storage_local_ssd_config.local_ssd_count", "1", "0") in fields
    assert any(f == "config.taints" for f, _, _ in fields)
    assert any(f == "config.labels" and "team" in actual for f, _, actual in fields)


def test_pools_added_or_removed_by_hand_and_release_channel_are_drift(
    fake: GkeFake, expected: Expected
) -> None:
    cluster = fake.clusters[expected.cluster_path]
    extra = json.loads(json.dumps(fake.pool(expected.cluster_path, "user")))
    extra["name"] = "adhoc"
    cluster["nodePools"] = [p for p in cluster["nodePools"] if p["name"] != "core"] + [extra]
    cluster["releaseChannel"] = {"channel": "RAPID"}
    del cluster["controlPlaneEndpointsConfig"]["dnsEndpointConfig"]["allowExternalTraffic"]
    result = read_and_check(fake, expected)
    assert result.problems == [
        "drift: cluster: release_channel.channel: expected STABLE, actual RAPID",
        "drift: cluster: control_plane_endpoints_config.dns_endpoint_config."
        "allow_external_traffic: expected true, actual false",
        "drift: node pool core: (pool): expected present, actual missing",
        "drift: node pool adhoc: (pool): expected absent, actual present",
    ]


def test_a_cluster_that_does_not_exist_is_unreachable(fake: GkeFake, expected: Expected) -> None:
    fake.clusters.clear()
    with pytest.raises(Unreachable) as info:
        Gke(expected, endpoint=fake.endpoint, timeout=5).read()
    assert str(info.value).startswith(
        "Cluster sciplat-stable does not exist in project sciplat-stable at us-central1"
    )
    assert info.value.exit_code == 4


def test_cli_cluster_check_json_and_exit_codes(fake: GkeFake, expected: Expected, run_cli) -> None:
    ok = run_cli(
        "verify", "stable", "--checks", "cluster", "--gke-endpoint", fake.endpoint, "--json"
    )
    assert ok.code == 0, ok.err
    doc = json.loads(ok.out)
    assert doc["ok"] is True and [c["name"] for c in doc["checks"]] == ["cluster"]
    fake.pool(expected.cluster_path, "user")["config"]["machineType"] = "n2-standard-16"
    drift = run_cli(
        "verify", "stable", "--checks", "cluster", "--gke-endpoint", fake.endpoint, "--json"
    )
    assert drift.code == 1
    check = json.loads(drift.out)["checks"][0]
    assert check["status"] == "fail"
    assert check["details"]["drift"] == [
        {
            "resource": "node pool user",
            "field": "config.machine_type",
            "expected": "n2-standard-8",
            "actual": "n2-standard-16",
        }
    ]
    people = run_cli("verify", "stable", "--checks", "cluster", "--gke-endpoint", fake.endpoint)
    assert people.code == 1
    assert (
        "drift: node pool user: config.machine_type: expected n2-standard-8, actual n2-standard-16"
        in people.out
    )


def test_cli_missing_cluster_and_refused_credentials_exit_4_in_one_line(
    fake: GkeFake, run_cli
) -> None:
    fake.require_token = "only-this-token"
    refused = run_cli("verify", "stable", "--checks", "cluster", "--gke-endpoint", fake.endpoint)
    assert refused.code == 4
    lines = [line for line in refused.err.splitlines() if not line.startswith("warning:")]
    assert len(lines) == 1 and "refused the Google credentials (401" in lines[0]
    fake.require_token = None
    fake.clusters.clear()
    missing = run_cli("verify", "stable", "--checks", "cluster", "--gke-endpoint", fake.endpoint)
    assert missing.code == 4
    assert "Cluster sciplat-stable does not exist" in missing.err
    assert "Traceback" not in missing.err + missing.out


def test_cli_gke_endpoint_nothing_listens_exit_4(run_cli) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run_cli(
        "verify", "stable", "--checks", "cluster", "--gke-endpoint", f"http://127.0.0.1:{port}"
    )
    assert result.code == 4
    assert f"Cannot reach http://127.0.0.1:{port}: connection refused." in result.err
