"""`sciplat verify` against the real local control plane with the Hub applied for stable.

Nodes shaped like GKE's pools are registered and their `status.images` patched as a kubelet
would (half pulled, then all pulled); a claim is left Pending; a lab pod is bound to a core node;
the continuous puller's DaemonSet stays behind (no kubelet ever makes its pods ready). Each case
runs the command and reads its exit code and its JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from sciplat.render import prepare
from tests.harness.nodes import register_node, set_node_images
from tests.verify_support import REPO_ROOT, env_with_lock, lab_images, node_images

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCIPLAT = str(Path(sys.executable).with_name("sciplat"))
POOL = "cloud.google.com/gke-nodepool"


@pytest.fixture(scope="module")
def hub(hub_applied: Any) -> Any:
    return hub_applied("stable")


@pytest.fixture(scope="module")
def stable_images() -> list[dict[str, Any]]:
    return prepare("stable")[2]["hub"]["images"]


@pytest.fixture
def plane(hub: Any) -> Any:
    """The control plane the hub was applied to (one per environment)."""
    return hub.plane


@pytest.fixture
def core(plane: Any) -> Any:
    from kubernetes import client

    return client.CoreV1Api(plane.api_client())


class Nodes:
    """Nodes registered by one test (deleted after it), and the user nodes other tests left in
    stable's user pool: they hold the whole set while this test runs and get their own images
    back after, so only this test's nodes decide the outcome."""

    def __init__(self, api: Any, core: Any, images: list[dict[str, Any]]) -> None:
        self.api, self.core, self.images = api, core, images
        self.tag = uuid.uuid4().hex[:6]
        self.mine: list[str] = []
        self.saved: dict[str, Any] = {}
        for node in core.list_node(label_selector=f"{POOL}=user").items:
            raw = self.core.api_client.sanitize_for_serialization(node)
            self.saved[node.metadata.name] = raw.get("status", {}).get("images") or []
            set_node_images(api, node.metadata.name, node_images(images))

    def add(self, role: str, images: list[dict[str, Any]] | None = None) -> str:
        name = f"verify-{self.tag}-{role}-{len(self.mine)}"
        pool = "core" if role == "core" else "user"
        shape = {"machine_type": "e2-standard-4"} if pool == "core" else {}
        register_node(self.api, name, pool=pool, images=node_images(images or []), **shape)
        self.mine.append(name)
        return name

    def cleanup(self) -> None:
        for name in self.mine:
            self.core.delete_node(name)
        for name, images in self.saved.items():
            set_node_images(self.api, name, images)


@pytest.fixture
def nodes(plane: Any, core: Any, stable_images: Any) -> Iterator[Nodes]:
    registry = Nodes(plane.api_client(), core, stable_images)
    try:
        yield registry
    finally:
        registry.cleanup()


def verify(plane: Any, *args: str, env: str = "stable") -> tuple[int, dict[str, Any]]:
    """Run the command as an operator does; return its exit code and its JSON."""
    argv = [SCIPLAT, "verify", env, "--kubeconfig", str(plane.kubeconfig), *args]
    proc = subprocess.run([*argv, "--json"], capture_output=True, text=True, cwd=REPO_ROOT)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def check(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in doc["checks"] if c["name"] == name)


# ------------------------------------------------------------------------------------ prepull


def test_prepull_fails_while_a_user_node_lacks_the_set_and_passes_once_all_hold_it(
    plane: Any, nodes: Nodes, stable_images: list[dict[str, Any]]
) -> None:
    """The issue's done-when, for stable as rendered: exit 1, then exit 0."""
    full = nodes.add("user", stable_images)
    late = nodes.add("user", stable_images[: len(stable_images) // 2])
    nodes.add("core")
    code, doc = verify(plane, "--checks", "prepull")
    assert code == 1
    result = check(doc, "prepull")
    assert result["status"] == "fail"
    rows = {r["node"]: r for r in result["details"]["nodes"]}
    assert rows[full]["ready"] and not rows[late]["ready"]
    assert any(p.startswith(f"node {late}:") for p in result["problems"])

    set_node_images(nodes.api, late, node_images(stable_images))
    code, doc = verify(plane, "--checks", "prepull")
    assert code == 0, doc
    result = check(doc, "prepull")
    assert result["details"]["ready_nodes"] == result["details"]["total_nodes"] >= 2


def test_prepull_half_of_a_pinned_set_then_all_of_it(
    plane: Any, nodes: Nodes, tmp_path: Path
) -> None:
    images = lab_images(4)
    env_file = env_with_lock(tmp_path / "env", "stable", images)
    for name in nodes.saved:  # other tests' user nodes: hold this set too while it runs
        set_node_images(nodes.api, name, node_images(images))
    node = nodes.add("user", images[:2])
    code, doc = verify(plane, "--checks", "prepull", env=str(env_file))
    assert code == 1
    problem = next(p for p in check(doc, "prepull")["problems"] if p.startswith(f"node {node}"))
    assert problem == (
        f"node {node}: 2 of 4 images; missing lsstsqre/sciplat-lab:w_2026_46, "
        "lsstsqre/sciplat-lab:w_2026_45"
    )
    set_node_images(nodes.api, node, node_images(images))
    code, doc = verify(plane, "--checks", "prepull", env=str(env_file))
    assert code == 0


def test_a_daemonset_behind_its_nodes_is_a_warning(
    plane: Any, nodes: Nodes, stable_images: list[dict[str, Any]]
) -> None:
    """No kubelet ever runs the puller's pods: the DaemonSet stays behind the user nodes, which
    hold the set all the same; that is a warning and exit 0."""
    for _ in range(2):
        nodes.add("user", stable_images)
    code, doc = verify(plane, "--checks", "prepull")
    result = check(doc, "prepull")
    assert code == 0, result
    assert result["status"] == "warn"
    counts = result["details"]["daemonset"]
    users = result["details"]["total_nodes"]
    assert counts["ready"] == 0 and (
        counts["desired"] < users or counts["ready"] < counts["desired"]
    )
    assert any("daemonset hub/continuous-image-puller" in w for w in result["warnings"])


def test_wait_polls_until_every_user_node_holds_the_set(
    plane: Any, nodes: Nodes, stable_images: list[dict[str, Any]]
) -> None:
    node = nodes.add("user", [])
    argv = [SCIPLAT, "verify", "stable", "--kubeconfig", str(plane.kubeconfig)]
    started = time.monotonic()
    proc = subprocess.Popen(
        [*argv, "--checks", "prepull", "--wait", "60", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        time.sleep(3)
        assert proc.poll() is None, "verify --wait returned before the node held the set"
        set_node_images(nodes.api, node, node_images(stable_images))
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert time.monotonic() - started < 30
    assert check(json.loads(out), "prepull")["details"]["ready_nodes"] >= 1


# ------------------------------------------------------------------------------------ hub


def test_hub_names_unavailable_deployments_and_a_stale_release(
    plane: Any, hub: Any, tmp_path: Path
) -> None:
    code, doc = verify(plane, "--checks", "hub")
    result = check(doc, "hub")
    assert code == 1  # no kubelet: the hub and proxy never become available
    assert f"deployment {hub.namespace}/hub: 0 of 1 replicas available" in result["problems"]
    assert not [p for p in result["problems"] if "stale release" in p]  # the set it was given

    env_file = env_with_lock(tmp_path / "env", "stable", lab_images(2))
    code, doc = verify(plane, "--checks", "hub", env=str(env_file))
    stale = [p for p in check(doc, "hub")["problems"] if "stale release" in p]
    assert code == 1
    assert any("w_2026_48@sha256:" in p and "is not offered" in p for p in stale)


# ------------------------------------------------------------------------------------ storage


def outputs_file(tmp_path: Path, hub: Any) -> Path:
    path = tmp_path / "outputs.json"
    ips = {
        "home": hub.variables["home_nfs"]["server"],
        "shared": hub.variables["shared_nfs"]["server"],
    }
    path.write_text(json.dumps({"filestore_ips": {"value": ips}}))
    return path


def test_storage_passes_for_the_applied_hub(plane: Any, hub: Any, tmp_path: Path) -> None:
    code, doc = verify(plane, "--checks", "storage", "--outputs", str(outputs_file(tmp_path, hub)))
    assert code == 0, check(doc, "storage")
    assert check(doc, "storage")["summary"] == "home and shared Bound to Retain NFS volumes"


@pytest.fixture
def claims_namespace(core: Any) -> Iterator[str]:
    name = f"verify-{uuid.uuid4().hex[:6]}"
    core.create_namespace({"metadata": {"name": name}})
    try:
        yield name
    finally:
        core.delete_namespace(name)
        for pv in core.list_persistent_volume(label_selector=f"sciplat-test={name}").items:
            core.delete_persistent_volume(pv.metadata.name)


def test_a_claim_left_pending_fails_storage(
    plane: Any, hub: Any, core: Any, claims_namespace: str, tmp_path: Path
) -> None:
    ns = claims_namespace
    pv = f"{ns}-home"
    core.create_persistent_volume(
        {
            "metadata": {"name": pv, "labels": {"sciplat-test": ns}},
            "spec": {
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteMany"],
                "persistentVolumeReclaimPolicy": "Retain",
                "storageClassName": "sciplat-nfs",
                "nfs": {"server": hub.variables["home_nfs"]["server"], "path": "/home"},
            },
        }
    )
    for claim, volume in (("home", pv), ("shared", f"{ns}-absent")):
        core.create_namespaced_persistent_volume_claim(
            ns,
            {
                "metadata": {"name": claim},
                "spec": {
                    "accessModes": ["ReadWriteMany"],
                    "storageClassName": "sciplat-nfs",
                    "volumeName": volume,
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            },
        )
    deadline = time.monotonic() + 30
    while core.read_namespaced_persistent_volume_claim("home", ns).status.phase != "Bound":
        assert time.monotonic() < deadline, "the volume controller never bound the home claim"
        time.sleep(0.5)
    outputs = str(outputs_file(tmp_path, hub))
    code, doc = verify(plane, "--checks", "storage", "--namespace", ns, "--outputs", outputs)
    assert code == 1
    assert check(doc, "storage")["problems"] == [
        f"claim {ns}/shared is Pending, not Bound",
        f"claim {ns}/shared: volume {ns}-absent not found",
    ]


# ------------------------------------------------------------------------------------ placement


def test_a_lab_pod_on_a_core_node_fails_placement(
    plane: Any, hub: Any, core: Any, nodes: Nodes, stable_images: Any
) -> None:
    core_node = nodes.add("core")
    nodes.add("user", stable_images)
    code, doc = verify(plane, "--checks", "placement")
    assert code == 0, check(doc, "placement")
    pod = f"jupyter-{nodes.tag}"
    core.create_namespaced_pod(
        hub.namespace,
        {
            "metadata": {"name": pod, "labels": {"component": "singleuser-server"}},
            "spec": {
                "nodeName": core_node,
                "containers": [{"name": "notebook", "image": "registry.k8s.io/pause:3.10"}],
            },
        },
    )
    try:
        code, doc = verify(plane, "--checks", "placement")
        assert code == 1
        assert check(doc, "placement")["problems"] == [
            f"lab pod {pod} runs on core node {core_node}"
        ]
    finally:
        core.delete_namespaced_pod(pod, hub.namespace, grace_period_seconds=0)


# ------------------------------------------------------------------------------------ access


def test_a_token_the_api_refuses_is_exit_4_in_one_sentence(
    plane: Any, hub: Any, tmp_path: Path
) -> None:
    config = yaml.safe_load(Path(plane.kubeconfig).read_text())
    for user in config["users"]:
        user["user"] = {"token": "0" * 48}
    wrong = tmp_path / "kubeconfig"
    wrong.write_text(yaml.safe_dump(config))
    proc = subprocess.run(
        [SCIPLAT, "verify", "stable", "--kubeconfig", str(wrong), "--checks", "prepull"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == 4
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("warning:")]
    assert lines == [
        f"The Kubernetes API at {plane.server} refused the credentials "
        "(401 Unauthorized): check the kubeconfig's token or get fresh credentials for the "
        "cluster."
    ]
