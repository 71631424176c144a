"""Node objects shaped like GKE's node pools, for a control plane that has no kubelet.

GKE labels every node with its pool (`cloud.google.com/gke-nodepool`) and machine type
(`node.kubernetes.io/instance-type`); the gke module adds the Hub chart's node-purpose label, and
taints user pools `hub.jupyter.org_dedicated=user:NoSchedule` (modules/gke/main.tf). A registered
Node is Ready with the given allocatable resources; `set_node_images` writes `status.images` the
way a kubelet reports the images it holds. Nothing runs pods here: this is object state only.
"""

from __future__ import annotations

from typing import Any

USER_TAINT = {"key": "hub.jupyter.org_dedicated", "value": "user", "effect": "NoSchedule"}
PURPOSE = "hub.jupyter.org/node-purpose"


def node_body(
    name: str,
    *,
    pool: str = "user",
    machine_type: str = "n2-standard-8",
    cpu: str = "8",
    memory: str = "32Gi",
    pods: str = "110",
    images: list[dict[str, Any]] | None = None,
    labels: dict[str, str] | None = None,
    taints: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    purpose = "core" if pool == "core" else "user"
    node_labels = {
        "cloud.google.com/gke-nodepool": pool,
        "node.kubernetes.io/instance-type": machine_type,
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        PURPOSE: purpose,
        **(labels or {}),
    }
    if taints is None:
        taints = [] if purpose == "core" else [dict(USER_TAINT)]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": node_labels},
        "spec": {"taints": taints} if taints else {},
        "status": {
            "capacity": {"cpu": cpu, "memory": memory, "pods": pods},
            "allocatable": {"cpu": cpu, "memory": memory, "pods": pods},
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "registered by the test harness (no kubelet runs)",
                }
            ],
            "images": images or [],
        },
    }


def register_node(api_client: Any, name: str, **shape: Any) -> Any:
    """Create the Node, then write its status (the API ignores status on create)."""
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    body = node_body(name, **shape)
    core.create_node(body)
    return core.patch_node_status(name, {"status": body["status"]})


def set_node_images(api_client: Any, name: str, images: list[dict[str, Any]]) -> Any:
    """Replace the node's reported images, as a kubelet does after pulls."""
    from kubernetes import client

    return client.CoreV1Api(api_client).patch_node_status(name, {"status": {"images": images}})


def image_entry(*names: str, size_bytes: int = 10 * 2**30) -> dict[str, Any]:
    """One `status.images` entry: a kubelet lists an image's repo@digest and repo:tag names."""
    return {"names": list(names), "sizeBytes": size_bytes}
