"""The verify checks on objects built with the kubernetes client's own models.

Each object is built as a model (V1Node, V1Pod, ...) and serialized by the client exactly as it
would go over the wire, so the checks see the same camelCase JSON the API server sends.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from kubernetes import client as k

from sciplat.render import prepare
from sciplat.verify import checks
from sciplat.verify.expected import Expected, ExpectedImage, Ref

API = k.ApiClient()
POOL = "cloud.google.com/gke-nodepool"
PURPOSE = "hub.jupyter.org/node-purpose"
MIRROR = "us-central1-docker.pkg.dev/sciplat-stable/dockerhub"
D1, D2, D3 = ("sha256:" + c * 64 for c in "abc")


def wire(obj: Any) -> dict[str, Any]:
    return API.sanitize_for_serialization(obj)


@pytest.fixture(scope="module")
def tfvars() -> dict[str, Any]:
    return prepare("stable")[2]


@pytest.fixture
def expected(tfvars: dict[str, Any]) -> Expected:
    e = Expected.from_tfvars(copy.deepcopy(tfvars))
    e.images = [
        ExpectedImage("docker.io", "lsstsqre/sciplat-lab", "w_2026_48", D1, "Weekly 2026_48"),
        ExpectedImage("docker.io", "lsstsqre/sciplat-lab", "w_2026_47", D2, "Weekly 2026_47"),
        ExpectedImage("docker.io", "python", "3.12-slim", None, "Python"),
    ]
    return e


def image(*names: str, size: int = 10 << 30) -> k.V1ContainerImage:
    return k.V1ContainerImage(names=list(names), size_bytes=size)


def node(
    name: str,
    pool: str = "user",
    images: list[k.V1ContainerImage] | None = None,
    *,
    purpose: str | None = None,
    taint: bool | None = None,
) -> dict[str, Any]:
    role = "core" if pool == "core" else "user"
    purpose = role if purpose is None else purpose
    labels = {POOL: pool, "node.kubernetes.io/instance-type": "n2-standard-8"}
    if purpose:
        labels[PURPOSE] = purpose
    taints = []
    if taint if taint is not None else role == "user":
        taints = [k.V1Taint(key="hub.jupyter.org_dedicated", value="user", effect="NoSchedule")]
    return wire(
        k.V1Node(
            metadata=k.V1ObjectMeta(name=name, labels=labels),
            spec=k.V1NodeSpec(taints=taints or None),
            status=k.V1NodeStatus(
                images=images or [],
                conditions=[k.V1NodeCondition(type="Ready", status="True")],
            ),
        )
    )


# The runtime lists an image under its repo digest and its tag, through the mirror.
W48 = image(f"{MIRROR}/lsstsqre/sciplat-lab@{D1}", f"{MIRROR}/lsstsqre/sciplat-lab:w_2026_48")
W47 = image(f"{MIRROR}/lsstsqre/sciplat-lab@{D2}", f"{MIRROR}/lsstsqre/sciplat-lab:w_2026_47")
PY = image(f"{MIRROR}/library/python@{D3}", f"{MIRROR}/library/python:3.12-slim")
SYSTEM = image("registry.k8s.io/pause:3.10", "gke.gcr.io/kube-proxy-amd64:v1.33.5-gke.1")


def daemonset(desired: int, ready: int, updated: int) -> dict[str, Any]:
    return wire(
        k.V1DaemonSet(
            metadata=k.V1ObjectMeta(name="continuous-image-puller", namespace="hub"),
            spec=k.V1DaemonSetSpec(
                selector=k.V1LabelSelector(match_labels={"component": "continuous-image-puller"}),
                template=k.V1PodTemplateSpec(),
            ),
            status=k.V1DaemonSetStatus(
                desired_number_scheduled=desired,
                number_ready=ready,
                updated_number_scheduled=updated,
                current_number_scheduled=desired,
                number_misscheduled=0,
            ),
        )
    )


# ------------------------------------------------------------------------------------ refs


@pytest.mark.parametrize(
    ("text", "path", "tag", "digest"),
    [
        ("docker.io/library/python:3.12", "docker.io/library/python", "3.12", None),
        (f"127.0.0.1:5000/lab@{D1}", "127.0.0.1:5000/lab", None, D1),
        (f"127.0.0.1:5000/lab:w_1@{D1}", "127.0.0.1:5000/lab", "w_1", D1),
        ("localhost:5000/lab", "localhost:5000/lab", None, None),
    ],
)
def test_ref_parse_splits_registry_port_tag_and_digest(
    text: str, path: str, tag: str | None, digest: str | None
) -> None:
    ref = Ref.parse(text)
    assert (ref.path, ref.tag, ref.digest) == (path, tag, digest)
    assert str(ref) == text


def test_unpinned_image_matches_repository_and_tag_through_any_prefix() -> None:
    py = ExpectedImage("docker.io", "python", "3.12-slim", None)
    assert py.matches(Ref.parse("docker.io/library/python:3.12-slim"))
    assert py.matches(Ref.parse(f"{MIRROR}/library/python:3.12-slim"))
    assert not py.matches(Ref.parse("docker.io/library/python:3.13-slim"))
    assert not py.matches(Ref.parse("docker.io/someone/notpython:3.12-slim"))
    assert not py.matches(Ref.parse("docker.io/library/mypython:3.12-slim"))


def test_pinned_image_matches_by_digest_only() -> None:
    lab = ExpectedImage("docker.io", "lsstsqre/sciplat-lab", "w_2026_48", D1)
    assert lab.matches(Ref.parse(f"{MIRROR}/lsstsqre/sciplat-lab@{D1}"))
    # the tag moved: same name and tag, another digest, is not the pinned image
    assert not lab.matches(Ref.parse("docker.io/lsstsqre/sciplat-lab:w_2026_48"))
    assert not lab.matches(Ref.parse(f"docker.io/lsstsqre/sciplat-lab@{D2}"))


# ------------------------------------------------------------------------------------ prepull


def test_prepull_passes_when_every_user_node_holds_the_set(expected: Expected) -> None:
    nodes = [node(f"user-{i}", images=[SYSTEM, W48, W47, PY]) for i in range(3)]
    nodes.append(node("core-0", "core", images=[SYSTEM]))  # core nodes need no lab images
    result = checks.check_prepull(expected, nodes, daemonset(3, 3, 3))
    assert result.status == "pass", result.problems + result.warnings
    assert result.summary == "3 of 3 user nodes ready (3 images)"
    assert result.details["daemonset"] == {"desired": 3, "ready": 3, "updated": 3}


def test_prepull_half_pulled_fails_and_names_node_and_missing_images(
    expected: Expected,
) -> None:
    nodes = [node("user-a", images=[SYSTEM, W48, W47, PY]), node("user-b", images=[W48])]
    result = checks.check_prepull(expected, nodes, daemonset(2, 2, 2))
    assert result.status == "fail"
    assert result.details["ready_nodes"] == 1 and result.details["total_nodes"] == 2
    assert result.summary == "1 of 2 user nodes ready (3 images)"
    assert result.problems == [
        "node user-b: 1 of 3 images; missing lsstsqre/sciplat-lab:w_2026_47, python:3.12-slim"
    ]
    rows = {r["node"]: r for r in result.details["nodes"]}
    assert rows["user-b"]["images"] == 1 and not rows["user-b"]["ready"]
    assert result.details["nodes"][0]["node"] == "user-b"  # incomplete nodes first


def test_prepull_moved_tag_is_not_the_pinned_image(expected: Expected) -> None:
    moved = image(
        f"docker.io/lsstsqre/sciplat-lab@{'sha256:' + 'f' * 64}",
        "docker.io/lsstsqre/sciplat-lab:w_2026_48",
    )
    result = checks.check_prepull(expected, [node("user-a", images=[moved, W47, PY])], None)
    assert result.status == "fail"
    assert "missing lsstsqre/sciplat-lab:w_2026_48" in result.problems[0]


def test_prepull_counts_only_the_plans_user_pools(expected: Expected) -> None:
    nodes = [
        node("user-a", images=[W48, W47, PY]),
        node("gpu-a", "gpu", images=[]),  # a pool the plan does not have: not a user node
        node("core-a", "core", images=[]),
    ]
    result = checks.check_prepull(expected, nodes, daemonset(1, 1, 1))
    assert result.status == "pass"
    assert [r["node"] for r in result.details["nodes"]] == ["user-a"]


def test_prepull_daemonset_behind_is_a_warning_not_a_failure(expected: Expected) -> None:
    nodes = [node(f"user-{i}", images=[W48, W47, PY]) for i in range(3)]
    result = checks.check_prepull(expected, nodes, daemonset(3, 1, 2))
    assert result.status == "warn" and result.ok
    assert result.warnings == [
        "daemonset hub/continuous-image-puller is behind its nodes: 3 desired, 1 ready, 2 updated"
    ]


def test_prepull_missing_daemonset_and_no_user_nodes_warn(expected: Expected) -> None:
    result = checks.check_prepull(expected, [node("core-a", "core")], None)
    assert result.status == "warn"
    assert any("no user nodes" in w for w in result.warnings)
    assert any("continuous-image-puller not found" in w for w in result.warnings)


# ------------------------------------------------------------------------------------ hub


def deployment(name: str, replicas: int, available: int) -> dict[str, Any]:
    return wire(
        k.V1Deployment(
            metadata=k.V1ObjectMeta(name=name, namespace="hub"),
            spec=k.V1DeploymentSpec(
                replicas=replicas,
                selector=k.V1LabelSelector(match_labels={"component": name}),
                template=k.V1PodTemplateSpec(),
            ),
            status=k.V1DeploymentStatus(replicas=replicas, available_replicas=available or None),
        )
    )


def proxy_service(ip: str | None) -> dict[str, Any]:
    return wire(
        k.V1Service(
            metadata=k.V1ObjectMeta(name="proxy-public", namespace="hub"),
            spec=k.V1ServiceSpec(type="LoadBalancer", load_balancer_ip=ip),
        )
    )


def hub_values(refs: list[str], pulled: list[tuple[str, str]], chart: str = "4.4.0") -> dict:
    """The parts of the chart values (the hub Secret's values.yaml) the hub check reads."""
    choices = {
        f"{i:02d}": {"display_name": r, "kubespawner_override": {"image": r}}
        for i, r in enumerate(refs)
    }
    return {
        "Chart": {"Name": "jupyterhub", "Version": chart},
        "singleuser": {
            "profileList": [
                {"slug": "small", "profile_options": {"image": {"choices": choices}}},
                {"slug": "large", "profile_options": {"image": {"choices": choices}}},
            ]
        },
        "prePuller": {
            "extraImages": {f"image-{i}": {"name": n, "tag": t} for i, (n, t) in enumerate(pulled)}
        },
    }


LAB = f"{MIRROR}/lsstsqre/sciplat-lab"
GOOD_REFS = [f"{LAB}@{D1}", f"{LAB}@{D2}", f"{MIRROR}/library/python:3.12-slim"]
GOOD_PULLED = [
    (LAB, f"w_2026_48@{D1}"),
    (LAB, f"w_2026_47@{D2}"),
    (f"{MIRROR}/library/python", "3.12-slim"),
]


def good_deployments() -> dict[str, Any]:
    return {"hub": deployment("hub", 1, 1), "proxy": deployment("proxy", 1, 1)}


def test_hub_passes_when_available_on_its_address_with_the_set(expected: Expected) -> None:
    expected.proxy_ip = "34.1.2.3"
    result = checks.check_hub(
        expected,
        good_deployments(),
        proxy_service("34.1.2.3"),
        hub_values(GOOD_REFS, GOOD_PULLED),
    )
    assert result.status == "pass", result.problems
    assert result.details["available"] == ["hub", "proxy"]


def test_hub_stale_release_fails_naming_the_images(expected: Expected) -> None:
    old = "sha256:" + "e" * 64
    refs = [f"{LAB}@{old}", f"{LAB}@{D2}", f"{MIRROR}/library/python:3.12-slim"]
    pulled = [(LAB, f"w_2026_46@{old}"), *GOOD_PULLED[1:]]
    result = checks.check_hub(
        expected, good_deployments(), proxy_service("34.1.2.3"), hub_values(refs, pulled, "4.3.0")
    )
    assert result.status == "fail"
    assert "release runs chart 4.3.0, the plan says 4.4.0 (stale release)" in result.problems
    assert any(
        p.startswith(f"image lsstsqre/sciplat-lab:w_2026_48@{D1} of the set is not offered")
        for p in result.problems
    )
    assert any("not prepulled" in p for p in result.problems)
    assert f"offered image {LAB}@{old} is not in the image set (stale release)" in result.problems


def test_hub_unavailable_missing_and_wrong_address_each_named(expected: Expected) -> None:
    expected.proxy_ip = "34.1.2.3"
    result = checks.check_hub(
        expected,
        {"hub": deployment("hub", 1, 0), "proxy": None},
        proxy_service("34.9.9.9"),
        hub_values(GOOD_REFS, GOOD_PULLED),
    )
    assert result.problems == [
        "deployment hub/hub: 0 of 1 replicas available",
        "deployment hub/proxy not found",
        "service hub/proxy-public: loadBalancerIP is 34.9.9.9, the reserved address is 34.1.2.3",
    ]


def test_hub_without_outputs_needs_some_reserved_address(expected: Expected) -> None:
    no_ip = checks.check_hub(
        expected, good_deployments(), proxy_service(None), hub_values(GOOD_REFS, GOOD_PULLED)
    )
    assert no_ip.problems == ["service hub/proxy-public has no reserved address"]
    none = checks.check_hub(expected, good_deployments(), proxy_service("34.1.2.3"), None)
    assert none.problems == ["secret hub/hub holds no values.yaml: release unknown"]


# ------------------------------------------------------------------------------------ storage


def claim(name: str, phase: str, volume: str | None) -> dict[str, Any]:
    return wire(
        k.V1PersistentVolumeClaim(
            metadata=k.V1ObjectMeta(name=name, namespace="hub"),
            spec=k.V1PersistentVolumeClaimSpec(
                access_modes=["ReadWriteMany"], volume_name=volume, storage_class_name="sciplat-nfs"
            ),
            status=k.V1PersistentVolumeClaimStatus(phase=phase),
        )
    )


def nfs_volume(name: str, server: str, path: str, policy: str = "Retain") -> dict[str, Any]:
    return wire(
        k.V1PersistentVolume(
            metadata=k.V1ObjectMeta(name=name),
            spec=k.V1PersistentVolumeSpec(
                capacity={"storage": "1Ti"},
                access_modes=["ReadWriteMany"],
                persistent_volume_reclaim_policy=policy,
                nfs=k.V1NFSVolumeSource(server=server, path=path),
            ),
        )
    )


def test_storage_passes_bound_retain_on_the_outputs_servers(expected: Expected) -> None:
    expected.servers = {"home": "10.0.0.2", "shared": "10.0.0.3"}
    result = checks.check_storage(
        expected,
        {"home": claim("home", "Bound", "hub-home"), "shared": claim("shared", "Bound", "hub-sh")},
        {
            "hub-home": nfs_volume("hub-home", "10.0.0.2", "/home"),
            "hub-sh": nfs_volume("hub-sh", "10.0.0.3", "/shared"),
        },
    )
    assert result.status == "pass", result.problems
    assert result.summary == "home and shared Bound to Retain NFS volumes"


def test_storage_pending_wrong_policy_server_and_path_each_fail(expected: Expected) -> None:
    expected.servers = {"home": "10.0.0.2", "shared": "10.0.0.3"}
    result = checks.check_storage(
        expected,
        {"home": claim("home", "Pending", "hub-home"), "shared": claim("shared", "Bound", "x")},
        {
            "hub-home": nfs_volume("hub-home", "10.0.0.2", "/home"),
            "x": nfs_volume("x", "10.0.0.9", "/other", policy="Delete"),
        },
    )
    assert result.problems == [
        "claim hub/home is Pending, not Bound",
        "volume x (shared) has reclaim policy Delete, not Retain",
        "volume x (shared) exports /other, the plan says /shared",
        "volume x (shared) is on 10.0.0.9, the Terraform outputs name 10.0.0.3",
    ]


def test_storage_without_outputs_says_servers_were_not_compared(expected: Expected) -> None:
    result = checks.check_storage(
        expected,
        {"home": claim("home", "Bound", "a"), "shared": None},
        {"a": nfs_volume("a", "10.9.9.9", "/home")},
    )
    assert result.problems == ["claim hub/shared not found"]
    ok = checks.check_storage(
        expected,
        {"home": claim("home", "Bound", "a"), "shared": claim("shared", "Bound", "b")},
        {"a": nfs_volume("a", "1.1.1.1", "/home"), "b": nfs_volume("b", "1.1.1.1", "/shared")},
    )
    assert ok.status == "pass"
    assert "servers not compared" in ok.summary


# ------------------------------------------------------------------------------------ placement


def pod(name: str, component: str, node_name: str | None) -> dict[str, Any]:
    return wire(
        k.V1Pod(
            metadata=k.V1ObjectMeta(name=name, namespace="hub", labels={"component": component}),
            spec=k.V1PodSpec(containers=[k.V1Container(name="c", image="x")], node_name=node_name),
        )
    )


def test_placement_passes_for_the_planned_layout(expected: Expected) -> None:
    nodes = [node("core-a", "core"), node("user-a")]
    pods = [
        pod("hub-1", "hub", "core-a"),
        pod("proxy-1", "proxy", "core-a"),
        pod("user-scheduler-1", "user-scheduler", "core-a"),
        pod("jupyter-ada", "singleuser-server", "user-a"),
        pod("continuous-image-puller-x", "continuous-image-puller", "user-a"),
        pod("jupyter-bob", "singleuser-server", None),  # not scheduled yet: not placed
    ]
    result = checks.check_placement(expected, nodes, pods)
    assert result.status == "pass", result.problems
    assert result.details == {
        "nodes": {"core": 1, "user": 1, "other": 0},
        "pods": {"core": 3, "labs": 1, "pending": 1},
    }


def test_placement_wrong_pool_pods_and_unmarked_user_nodes_fail(expected: Expected) -> None:
    nodes = [
        node("core-a", "core"),
        node("user-a"),
        node("user-b", purpose="", taint=False),
        node("odd-a", "scratch"),
    ]
    pods = [
        pod("hub-1", "hub", "user-a"),
        pod("jupyter-ada", "singleuser-server", "core-a"),
    ]
    result = checks.check_placement(expected, nodes, pods)
    assert result.problems == [
        "user node user-b lacks the label hub.jupyter.org/node-purpose=user",
        "user node user-b lacks the taint hub.jupyter.org_dedicated=user:NoSchedule",
        "pod hub-1 (hub) runs on user node user-a, not a core node",
        "lab pod jupyter-ada runs on core node core-a",
    ]
    assert result.warnings == ["node odd-a is in scratch, which the plan does not have"]
