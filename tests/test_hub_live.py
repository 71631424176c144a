"""modules/hub applied for real: real kubernetes and helm providers, the released chart, a real
kube-apiserver and controller-manager (tests/harness). Assertions read the live objects back.

No kubelet runs, so no pod starts: what is checked is what the API server holds (namespaces,
volumes and claims bound by the controller-manager, Deployments, the puller DaemonSet, the hub's
configuration, network policies), and what changes on a second apply.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from kubernetes.utils import parse_quantity

from tests.conftest import ENV_NAMES
from tests.harness.nodes import USER_TAINT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PURPOSE = "hub.jupyter.org/node-purpose"


def _api(hub: Any) -> Any:
    from kubernetes import client

    api = hub.plane.api_client()
    return client.CoreV1Api(api), client.AppsV1Api(api), client.NetworkingV1Api(api)


def _hub_values(core: Any, namespace: str) -> dict[str, Any]:
    """The values the hub runs with: the chart writes them into the `hub` Secret."""
    import base64

    secret = core.read_namespaced_secret("hub", namespace)
    return yaml.safe_load(base64.b64decode(secret.data["values.yaml"]))


def _requires_purpose(pod_spec: Any, purpose: str) -> bool:
    selector = pod_spec.node_selector or {}
    if selector.get(PURPOSE) == purpose:
        return True
    affinity = pod_spec.affinity and pod_spec.affinity.node_affinity
    required = affinity and affinity.required_during_scheduling_ignored_during_execution
    for term in (required.node_selector_terms if required else []) or []:
        for expr in term.match_expressions or []:
            if expr.key == PURPOSE and expr.operator == "In" and purpose in expr.values:
                return True
    return False


def _by_digest(ref: str) -> str:
    """repo:tag@sha256:... (as the puller pulls a pinned image) -> repo@sha256:... (the ref)."""
    if "@" not in ref:
        return ref
    name, digest = ref.split("@", 1)
    repo = name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name
    return f"{repo}@{digest}"


def _puller_images(apps: Any, namespace: str) -> list[str]:
    ds = apps.read_namespaced_daemon_set("continuous-image-puller", namespace)
    pulls = ds.spec.template.spec.init_containers
    return [_by_digest(c.image) for c in pulls if c.name.startswith("image-pull")]


@pytest.mark.parametrize("env_name", ENV_NAMES)
def test_hub_objects_match_the_environment(hub_applied, env_name: str) -> None:
    hub = hub_applied(env_name)
    core, apps, net = _api(hub)
    ns = core.read_namespace(hub.namespace)
    assert ns.metadata.labels["pod-security.kubernetes.io/enforce"] == "baseline"

    # Storage: static NFS volumes, retained, bound by the controller-manager.
    for key, nfs in (("home", hub.variables["home_nfs"]), ("shared", hub.variables["shared_nfs"])):
        pv = core.read_persistent_volume(f"{hub.namespace}-{key}")
        assert pv.spec.persistent_volume_reclaim_policy == "Retain"
        assert (pv.spec.nfs.server, pv.spec.nfs.path) == (nfs["server"], nfs["path"])
        assert parse_quantity(pv.spec.capacity["storage"]) == nfs["capacity_gib"] * 2**30
        pvc = core.read_namespaced_persistent_volume_claim(key, hub.namespace)
        assert pvc.status.phase == "Bound" and pvc.spec.volume_name == pv.metadata.name

    # Placement: hub and proxy on core nodes.
    for name in ("hub", "proxy"):
        deployment = apps.read_namespaced_deployment(name, hub.namespace)
        assert _requires_purpose(deployment.spec.template.spec, "core"), name

    # The puller pulls exactly the image set, each image once, and runs on user nodes.
    refs = hub.outputs["image_refs"]
    pulled = _puller_images(apps, hub.namespace)
    assert sorted(pulled) == sorted(refs) and len(pulled) == len(set(pulled))
    ds = apps.read_namespaced_daemon_set("continuous-image-puller", hub.namespace)
    tolerations = {(t.key, t.value, t.effect) for t in ds.spec.template.spec.tolerations or []}
    assert (USER_TAINT["key"], USER_TAINT["value"], USER_TAINT["effect"]) in tolerations
    assert _requires_purpose(ds.spec.template.spec, "user")

    # The hub's configuration: one profile per size, each offering the image set; the spawn hook.
    values = _hub_values(core, hub.namespace)
    profiles = values["singleuser"]["profileList"]
    assert [p["slug"] for p in profiles] == [p["name"] for p in hub.variables["hub"]["profiles"]]
    for profile in profiles:
        choices = profile["profile_options"]["image"]["choices"].values()
        assert sorted(c["kubespawner_override"]["image"] for c in choices) == sorted(refs)
    # The spawn hooks: the hub's own Python shipped as files, loaded by its configuration.
    files = values["hub"].get("extraFiles") or {}
    hub_code = "\n".join(
        [*values["hub"]["extraConfig"].values(), *(f.get("stringData", "") for f in files.values())]
    )
    assert "pre_spawn_hook" in hub_code and "modify_pod_hook" in hub_code, "the spawn hooks are set"

    # Network policies of the chart: hub, proxy and labs.
    policies = {p.metadata.name for p in net.list_namespaced_network_policy(hub.namespace).items}
    assert {"hub", "proxy", "singleuser"} <= policies


@pytest.mark.parametrize("env_name", ENV_NAMES)
def test_the_charts_own_images_come_through_the_mirror(hub_applied, env_name: str) -> None:
    hub = hub_applied(env_name)
    _, apps, _ = _api(hub)
    prefixes = hub.variables["mirror_prefixes"]
    images = [
        c.image
        for d in apps.list_namespaced_deployment(hub.namespace).items
        for c in (d.spec.template.spec.containers or [])
        + (d.spec.template.spec.init_containers or [])
    ]
    images += [
        c.image
        for d in apps.list_namespaced_daemon_set(hub.namespace).items
        for c in (d.spec.template.spec.containers or [])
        + (d.spec.template.spec.init_containers or [])
    ]
    assert images
    upstream_hosts = ("quay.io/", "registry.k8s.io/", "docker.io/", "traefik:")
    for image in images:
        if prefixes:
            assert not image.startswith(upstream_hosts), f"{image} bypasses the mirror"
            assert any(image.startswith(p + "/") for p in prefixes.values()), image


def test_changing_the_image_set_updates_puller_and_hub_not_storage(hub_applied) -> None:
    hub = hub_applied("stable")
    core, apps, _ = _api(hub)
    before_pv = core.read_persistent_volume(f"{hub.namespace}-home").metadata.uid
    before_pvc = core.read_namespaced_persistent_volume_claim("home", hub.namespace).metadata.uid
    proxy_template = apps.read_namespaced_deployment("proxy", hub.namespace).spec.template
    variables = copy.deepcopy(hub.variables)
    added = {
        "registry": "docker.io",
        "repository": "lsstsqre/sciplat-lab",
        "tag": "w_2026_49",
        "digest": "sha256:" + "c" * 64,
        "class": "weekly",
        "display_name": "Weekly 2026_49",
        "recommended": False,
    }
    variables["hub"]["images"] = [*variables["hub"]["images"], added]
    original = hub.variables
    try:
        hub.apply(variables)
        refs = hub.outputs["image_refs"]
        assert any(r.endswith("@sha256:" + "c" * 64) for r in refs)
        assert sorted(_puller_images(apps, hub.namespace)) == sorted(refs)
        values = _hub_values(core, hub.namespace)
        offered = values["singleuser"]["profileList"][0]["profile_options"]["image"]["choices"]
        assert any(c["kubespawner_override"]["image"] in refs[-1:] for c in offered.values())
        assert core.read_persistent_volume(f"{hub.namespace}-home").metadata.uid == before_pv
        pvc = core.read_namespaced_persistent_volume_claim("home", hub.namespace)
        assert pvc.metadata.uid == before_pvc and pvc.status.phase == "Bound"
        # The proxy keeps its pod template (its auth token is fixed): users keep their routes.
        after = apps.read_namespaced_deployment("proxy", hub.namespace).spec.template
        assert after.metadata.annotations == proxy_template.metadata.annotations
        assert after.spec.containers[0].env == proxy_template.spec.containers[0].env
    finally:
        hub.apply(original)


def test_growing_a_share_updates_the_volume_in_place(hub_applied) -> None:
    hub = hub_applied("stable")
    core, _, _ = _api(hub)
    pvc_uid = core.read_namespaced_persistent_volume_claim("home", hub.namespace).metadata.uid
    pv_uid = core.read_persistent_volume(f"{hub.namespace}-home").metadata.uid
    variables = copy.deepcopy(hub.variables)
    grown = variables["home_nfs"]["capacity_gib"] + 2560
    variables["home_nfs"]["capacity_gib"] = grown
    original = hub.variables
    try:
        hub.apply(variables)  # before the fix: "only dynamically provisioned pvc can be resized"
        pv = core.read_persistent_volume(f"{hub.namespace}-home")
        assert parse_quantity(pv.spec.capacity["storage"]) == grown * 2**30
        assert pv.metadata.uid == pv_uid
        pvc = core.read_namespaced_persistent_volume_claim("home", hub.namespace)
        assert pvc.metadata.uid == pvc_uid and pvc.status.phase == "Bound"
    finally:
        hub.apply(original)


def test_a_second_apply_changes_nothing(hub_applied) -> None:
    hub = hub_applied("stable")
    plan = hub.plan_json()
    changed = [
        r["address"]
        for r in plan.get("resource_changes", [])
        if r["change"]["actions"] != ["no-op"]
    ]
    assert changed == []


def test_a_planned_destroy_of_the_hub_is_blocked_by_the_review(hub_applied) -> None:
    from sciplat.review import build_review, parse_plan

    hub = hub_applied("stable")
    plan = parse_plan(json.loads(json.dumps(hub.plan_json(destroy=True))), "destroy.json")
    review = build_review(plan, None)
    blocked = {f.address for f in review.blocking}
    assert "module.hub.helm_release.hub" in blocked
    assert 'module.hub.kubernetes_persistent_volume_v1.nfs["home"]' in blocked
    assert any("namespace" in a for a in blocked)
