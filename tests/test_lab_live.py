"""The lab's features applied to a local control plane with the Hub (`make hub-local ENV=stable`):
dask-gateway's objects beside the Hub's, the daskhub wiring, the extra volume and the notebooks
hook, read back from the live API server."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import yaml

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def stable(hub_applied: Any) -> Any:
    return hub_applied("stable")


@pytest.fixture(scope="module")
def api(stable: Any) -> Any:
    return stable.plane.api_client()


def _hub_values(api: Any, namespace: str) -> dict[str, Any]:
    """The Hub's values as the chart stored them for the hub (the `hub` Secret's values.yaml)."""
    from kubernetes import client

    secret = client.CoreV1Api(api).read_namespaced_secret("hub", namespace)
    return yaml.safe_load(base64.b64decode(secret.data["values.yaml"]))


def test_the_gateway_is_installed_beside_the_hub(stable: Any, api: Any) -> None:
    from kubernetes import client

    ns = stable.namespace
    apps = client.AppsV1Api(api)
    names = {d.metadata.name for d in apps.list_namespaced_deployment(ns).items}
    assert {
        "hub",
        "proxy",
        "api-dask-gateway",
        "controller-dask-gateway",
        "traefik-dask-gateway",
    } <= names
    for name in ("api-dask-gateway", "controller-dask-gateway", "traefik-dask-gateway"):
        pod = apps.read_namespaced_deployment(name, ns).spec.template.spec
        assert pod.node_selector == {"hub.jupyter.org/node-purpose": "core"}, name
    core = client.CoreV1Api(api)
    traefik = core.read_namespaced_service("traefik-dask-gateway", ns)
    assert traefik.spec.type == "ClusterIP"
    assert {p.port for p in traefik.spec.ports} >= {80}
    crds = client.ApiextensionsV1Api(api).list_custom_resource_definition().items
    assert "daskclusters.gateway.dask.org" in {c.metadata.name for c in crds}
    assert stable.outputs["dask"]["version"] == "2026.3.0"


def test_the_gateway_authenticates_with_the_hub_token(stable: Any, api: Any) -> None:
    from kubernetes import client

    ns = stable.namespace
    core = client.CoreV1Api(api)
    hub_secret = core.read_namespaced_secret("hub", ns)
    # The Hub's chart generated the gateway service's token...
    assert hub_secret.data.get("hub.services.dask-gateway.apiToken")
    gateway = client.AppsV1Api(api).read_namespaced_deployment("api-dask-gateway", ns)
    env = {e.name: e for e in gateway.spec.template.spec.containers[0].env}
    # ...and the gateway reads that very key.
    ref = env["JUPYTERHUB_API_TOKEN"].value_from.secret_key_ref
    assert (ref.name, ref.key) == ("hub", "hub.services.dask-gateway.apiToken")
    config = core.read_namespaced_config_map("api-dask-gateway", ns).data["dask_gateway_config.py"]
    assert f"http://hub.{ns}.svc.cluster.local:8081/hub/api" in config
    assert "class LimitedKubeBackend(KubeBackend)" in config
    assert '"max_clusters": 2' in config or '"max_clusters":2' in config


def test_the_hub_routes_admits_and_equips_for_dask(stable: Any, api: Any) -> None:
    from kubernetes import client

    ns = stable.namespace
    values = _hub_values(api, ns)
    assert values["hub"]["services"]["dask-gateway"]["url"] == (
        f"http://traefik-dask-gateway.{ns}.svc.cluster.local"
    )
    env = values["singleuser"]["extraEnv"]
    assert env["DASK_GATEWAY__ADDRESS"].startswith(f"http://traefik-dask-gateway.{ns}.svc.")
    net = client.NetworkingV1Api(api)
    hub_policy = net.read_namespaced_network_policy("hub", ns).spec
    peers = [
        p.pod_selector.match_labels
        for rule in hub_policy.ingress or []
        for p in rule._from or []
        if p.pod_selector and p.pod_selector.match_labels
    ]
    assert any(m.get("app.kubernetes.io/component") == "gateway" for m in peers)
    lab_policy = net.read_namespaced_network_policy("singleuser", ns).spec
    targets = [
        p.pod_selector.match_labels
        for rule in lab_policy.egress or []
        for p in rule.to or []
        if p.pod_selector and p.pod_selector.match_labels
    ]
    assert any(m.get("app.kubernetes.io/component") == "traefik" for m in targets)


def test_the_volume_and_the_notebooks_hook_reach_the_labs(stable: Any, api: Any) -> None:
    values = _hub_values(api, stable.namespace)
    storage = values["singleuser"]["storage"]
    (datasets,) = [v for v in storage["extraVolumes"] if v["name"] == "extra-datasets"]
    assert datasets["nfs"] == {"server": "10.10.0.250", "path": "/datasets", "readOnly": True}
    (mount,) = [m for m in storage["extraVolumeMounts"] if m["name"] == "extra-datasets"]
    assert mount["mountPath"] == "/datasets" and mount["readOnly"] is True
    hook = values["singleuser"]["lifecycleHooks"]["postStart"]["exec"]["command"]
    assert hook[3:6] == [
        "sync-notebooks",
        "https://github.com/lsst-sqre/notebook-demo.git",
        "main",
    ]
