"""The five checks, as functions of API-shaped objects (dicts as the servers send them).

Each returns a CheckResult: `problems` make it fail, `warnings` only warn. Nothing here talks to a
server, so the same logic runs on objects read live and on objects built in tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sciplat.verify.expected import (
    CORE_POOL,
    HOME_CLAIM,
    HUB_DEPLOYMENT,
    HUB_SECRET,
    POOL_LABEL,
    PROXY_DEPLOYMENT,
    PROXY_SERVICE,
    PULLER_DAEMONSET,
    PURPOSE_LABEL,
    SHARED_CLAIM,
    USER_TAINT,
    Expected,
    ExpectedImage,
    Ref,
)

PASS, WARN, FAIL, ERROR = "pass", "warn", "fail", "error"

# Pods of the chart that belong on core nodes (component label), and the labs'.
CORE_COMPONENTS = ("hub", "proxy", "user-scheduler", "autohttps")
LAB_COMPONENT = "singleuser-server"


@dataclass
class CheckResult:
    name: str
    summary: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # the check could not run (timeout, API error)
    unreachable: bool = False  # ... because the cluster or the API could not be reached
    seconds: float = 0.0

    @property
    def status(self) -> str:
        if self.error is not None:
            return ERROR
        if self.problems:
            return FAIL
        if self.warnings:
            return WARN
        return PASS

    @property
    def ok(self) -> bool:
        return self.status in (PASS, WARN)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "summary": self.summary,
            "problems": self.problems,
            "warnings": self.warnings,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "details": self.details,
        }


def _get(obj: Mapping[str, Any] | None, *path: str, default: Any = None) -> Any:
    value: Any = obj
    for key in path:
        if not isinstance(value, Mapping):
            return default
        value = value.get(key)
        if value is None:
            return default
    return value


def _name(obj: Mapping[str, Any]) -> str:
    return str(_get(obj, "metadata", "name", default="?"))


def _labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    labels: Mapping[str, str] = _get(obj, "metadata", "labels", default={})
    return labels


# --------------------------------------------------------------------------------------------
# Nodes


def node_role(node: Mapping[str, Any], expected: Expected) -> str:
    """'user', 'core' or 'other', from the node's pool (else its node-purpose label)."""
    labels = _labels(node)
    pool = labels.get(POOL_LABEL)
    if pool is not None:
        if pool in expected.user_pool_names:
            return "user"
        if pool == CORE_POOL:
            return "core"
        return "other"
    purpose = labels.get(PURPOSE_LABEL)
    return purpose if purpose in ("user", "core") else "other"


def node_refs(node: Mapping[str, Any]) -> list[Ref]:
    return [
        Ref.parse(name)
        for image in _get(node, "status", "images", default=[]) or []
        for name in image.get("names") or []
    ]


# --------------------------------------------------------------------------------------------
# prepull


def check_prepull(
    expected: Expected, nodes: Iterable[Mapping[str, Any]], daemonset: Mapping[str, Any] | None
) -> CheckResult:
    """Every user node holds every image of the set; the puller's counts are shown beside."""
    images = expected.images
    rows: list[dict[str, Any]] = []
    for node in nodes:
        if node_role(node, expected) != "user":
            continue
        refs = node_refs(node)
        missing = [image for image in images if not image.held_by(refs)]
        rows.append(
            {
                "node": _name(node),
                "pool": _labels(node).get(POOL_LABEL),
                "images": len(images) - len(missing),
                "missing": [image.label for image in missing],
                "ready": not missing,
            }
        )
    rows.sort(key=lambda r: (r["ready"], r["node"]))
    ready = sum(1 for r in rows if r["ready"])
    total = len(rows)
    result = CheckResult(
        "prepull",
        f"{ready} of {total} user nodes ready ({len(images)} images)",
        details={
            "ready_nodes": ready,
            "total_nodes": total,
            "images": [_image_dict(image) for image in images],
            "nodes": rows,
            "daemonset": None,
        },
    )
    for row in rows:
        if not row["ready"]:
            result.problems.append(
                f"node {row['node']}: {row['images']} of {len(images)} images; "
                f"missing {', '.join(row['missing'])}"
            )
    if not total:
        result.warnings.append(
            f"no user nodes (pools {', '.join(expected.user_pool_names)}) to check"
        )
    if not images:
        result.warnings.append("the image set is empty: nothing to prepull")
    _puller(result, expected, daemonset, total)
    return result


def _image_dict(image: ExpectedImage) -> dict[str, Any]:
    return {
        "repository": image.repository,
        "tag": image.tag,
        "digest": image.digest,
        "display_name": image.display_name,
    }


def _puller(
    result: CheckResult, expected: Expected, ds: Mapping[str, Any] | None, user_nodes: int
) -> None:
    where = f"daemonset {expected.namespace}/{PULLER_DAEMONSET}"
    if ds is None:
        result.warnings.append(f"{where} not found: new user nodes are not warmed")
        return
    status = ds.get("status") or {}
    counts = {
        "desired": int(status.get("desiredNumberScheduled") or 0),
        "ready": int(status.get("numberReady") or 0),
        "updated": int(status.get("updatedNumberScheduled") or 0),
    }
    result.details["daemonset"] = counts
    if counts["ready"] < counts["desired"] or counts["updated"] < counts["desired"]:
        result.warnings.append(
            f"{where} is behind its nodes: {counts['desired']} desired, {counts['ready']} ready, "
            f"{counts['updated']} updated"
        )
    if counts["desired"] < user_nodes:
        result.warnings.append(
            f"{where} is scheduled on {counts['desired']} of {user_nodes} user nodes"
        )


# --------------------------------------------------------------------------------------------
# hub


def check_hub(
    expected: Expected,
    deployments: Mapping[str, Mapping[str, Any] | None],
    service: Mapping[str, Any] | None,
    values: Mapping[str, Any] | None,
) -> CheckResult:
    """Hub and proxy available, the proxy on its reserved address, the release's image set."""
    ns = expected.namespace
    result = CheckResult("hub", "")
    available = []
    for name in (HUB_DEPLOYMENT, PROXY_DEPLOYMENT):
        dep = deployments.get(name)
        if dep is None:
            result.problems.append(f"deployment {ns}/{name} not found")
            continue
        want = _get(dep, "spec", "replicas", default=1)
        have = _get(dep, "status", "availableReplicas", default=0)
        if have < want or want == 0:
            result.problems.append(f"deployment {ns}/{name}: {have} of {want} replicas available")
        else:
            available.append(name)
    result.details["available"] = available

    if service is None:
        result.problems.append(f"service {ns}/{PROXY_SERVICE} not found")
    else:
        address = _get(service, "spec", "loadBalancerIP")
        result.details["proxy_ip"] = address
        if expected.proxy_ip is not None and address != expected.proxy_ip:
            result.problems.append(
                f"service {ns}/{PROXY_SERVICE}: loadBalancerIP is {address or 'unset'}, "
                f"the reserved address is {expected.proxy_ip}"
            )
        elif not address:
            result.problems.append(f"service {ns}/{PROXY_SERVICE} has no reserved address")

    if values is None:
        result.problems.append(f"secret {ns}/{HUB_SECRET} holds no values.yaml: release unknown")
    else:
        _release(result, expected, values)

    if not result.problems:
        result.summary = f"hub and proxy available; {len(expected.images)} images offered"
    else:
        result.summary = f"{len(result.problems)} problem{'s' if len(result.problems) > 1 else ''}"
    return result


def offered_images(values: Mapping[str, Any]) -> list[str]:
    """The image references of the release's profile list (every profile, every choice)."""
    refs: list[str] = []
    for profile in _get(values, "singleuser", "profileList", default=[]) or []:
        override = _get(profile, "kubespawner_override", "image")
        if isinstance(override, str):
            refs.append(override)
        choices = _get(profile, "profile_options", "image", "choices", default={}) or {}
        for choice in choices.values():
            image = _get(choice, "kubespawner_override", "image")
            if isinstance(image, str):
                refs.append(image)
    if not refs:
        name = _get(values, "singleuser", "image", "name")
        tag = _get(values, "singleuser", "image", "tag")
        if isinstance(name, str):
            refs.append(f"{name}:{tag}" if tag else name)
    return list(dict.fromkeys(refs))


def prepulled_images(values: Mapping[str, Any]) -> list[str]:
    """What the chart's puller pulls: singleuser.image and the extra images (`name` and `tag`,
    the tag possibly carrying @digest), each once."""
    refs = []
    extra = _get(values, "prePuller", "extraImages", default={}) or {}
    entries = [_get(values, "singleuser", "image"), *extra.values()]
    for entry in entries:
        name, tag = _get(entry, "name"), _get(entry, "tag")
        if isinstance(name, str):
            refs.append(f"{name}:{tag}" if tag else name)
    return list(dict.fromkeys(refs))


def _release(result: CheckResult, expected: Expected, values: Mapping[str, Any]) -> None:
    chart = _get(values, "Chart", "Version")
    result.details["chart_version"] = chart
    if chart is not None and chart != expected.chart_version:
        result.problems.append(
            f"release runs chart {chart}, the plan says {expected.chart_version} (stale release)"
        )
    offered = [Ref.parse(r) for r in offered_images(values)]
    pulled = [Ref.parse(r) for r in prepulled_images(values)]
    result.details["offered"] = [str(r) for r in offered]
    for image in expected.images:
        want = f"{image.label}" + (f"@{image.digest}" if image.digest else "")
        if not image.held_by(offered):
            result.problems.append(f"image {want} of the set is not offered (stale release)")
        if not image.held_by(pulled):
            result.problems.append(f"image {want} of the set is not prepulled (stale release)")
    for ref in offered:
        if not any(image.matches(ref) for image in expected.images):
            result.problems.append(f"offered image {ref} is not in the image set (stale release)")


# --------------------------------------------------------------------------------------------
# storage


def check_storage(
    expected: Expected,
    claims: Mapping[str, Mapping[str, Any] | None],
    volumes: Mapping[str, Mapping[str, Any] | None],
) -> CheckResult:
    """Home and shared claims Bound to Retain NFS volumes on the planned Filestore shares."""
    ns = expected.namespace
    result = CheckResult("storage", "")
    rows = []
    for claim in (HOME_CLAIM, SHARED_CLAIM):
        row: dict[str, Any] = {"claim": claim, "phase": None, "volume": None}
        rows.append(row)
        pvc = claims.get(claim)
        where = f"claim {ns}/{claim}"
        if pvc is None:
            result.problems.append(f"{where} not found")
            continue
        phase = _get(pvc, "status", "phase", default="Unknown")
        row["phase"] = phase
        volume_name = _get(pvc, "spec", "volumeName")
        row["volume"] = volume_name
        if phase != "Bound":
            result.problems.append(f"{where} is {phase}, not Bound")
        if not volume_name:
            result.problems.append(f"{where} names no volume")
            continue
        pv = volumes.get(volume_name)
        if pv is None:
            result.problems.append(f"{where}: volume {volume_name} not found")
            continue
        policy = _get(pv, "spec", "persistentVolumeReclaimPolicy")
        row["reclaim"] = policy
        if policy != "Retain":
            result.problems.append(
                f"volume {volume_name} ({claim}) has reclaim policy {policy}, not Retain"
            )
        nfs = _get(pv, "spec", "nfs")
        if not isinstance(nfs, Mapping):
            result.problems.append(f"volume {volume_name} ({claim}) is not an NFS volume")
            continue
        row["server"], row["path"] = nfs.get("server"), nfs.get("path")
        want_path = expected.shares[claim]
        if nfs.get("path") != want_path:
            result.problems.append(
                f"volume {volume_name} ({claim}) exports {nfs.get('path')}, "
                f"the plan says {want_path}"
            )
        want_server = expected.servers.get(claim)
        if want_server is None:
            row["server_checked"] = False
        elif nfs.get("server") != want_server:
            result.problems.append(
                f"volume {volume_name} ({claim}) is on {nfs.get('server')}, the Terraform "
                f"outputs name {want_server}"
            )
    result.details["claims"] = rows
    if result.problems:
        result.summary = f"{len(result.problems)} problem{'s' if len(result.problems) > 1 else ''}"
    else:
        result.summary = "home and shared Bound to Retain NFS volumes"
        if not expected.servers:
            result.summary += " (servers not compared: no Terraform outputs)"
    return result


# --------------------------------------------------------------------------------------------
# placement


def check_placement(
    expected: Expected, nodes: Iterable[Mapping[str, Any]], pods: Iterable[Mapping[str, Any]]
) -> CheckResult:
    """Hub, proxy and user scheduler on core nodes; no lab on a core node; user nodes tainted."""
    result = CheckResult("placement", "")
    roles: dict[str, str] = {}
    counts = {"core": 0, "user": 0, "other": 0}
    for node in nodes:
        name = _name(node)
        role = node_role(node, expected)
        roles[name] = role
        counts[role] += 1
        labels = _labels(node)
        if role == "user":
            if labels.get(PURPOSE_LABEL) != "user":
                result.problems.append(f"user node {name} lacks the label {PURPOSE_LABEL}=user")
            taints = _get(node, "spec", "taints", default=[]) or []
            if not any(_same_taint(t, USER_TAINT) for t in taints):
                result.problems.append(
                    f"user node {name} lacks the taint {USER_TAINT['key']}="
                    f"{USER_TAINT['value']}:{USER_TAINT['effect']}"
                )
        elif role == "core":
            if labels.get(PURPOSE_LABEL) != "core":
                result.problems.append(f"core node {name} lacks the label {PURPOSE_LABEL}=core")
        else:
            pool = labels.get(POOL_LABEL, "no pool")
            result.warnings.append(f"node {name} is in {pool}, which the plan does not have")
    placed = {"core": 0, "labs": 0, "pending": 0}
    for pod in pods:
        component = _labels(pod).get("component")
        node = _get(pod, "spec", "nodeName")
        if component not in CORE_COMPONENTS and component != LAB_COMPONENT:
            continue
        if not node:
            placed["pending"] += 1
            continue
        role = roles.get(node, "other")
        if component in CORE_COMPONENTS:
            placed["core"] += 1
            if role != "core":
                result.problems.append(
                    f"pod {_name(pod)} ({component}) runs on {role} node {node}, not a core node"
                )
        else:
            placed["labs"] += 1
            if role == "core":
                result.problems.append(f"lab pod {_name(pod)} runs on core node {node}")
    result.details = {"nodes": counts, "pods": placed}
    if result.problems:
        result.summary = f"{len(result.problems)} problem{'s' if len(result.problems) > 1 else ''}"
    else:
        result.summary = (
            f"{counts['core']} core and {counts['user']} user nodes; "
            f"{placed['core']} hub pods and {placed['labs']} labs where they belong"
        )
    return result


def _same_taint(taint: Mapping[str, Any], want: Mapping[str, str]) -> bool:
    return all(taint.get(k) == v for k, v in want.items())


# --------------------------------------------------------------------------------------------
# cluster (GKE, as google-cloud-container returns it: snake_case fields, enum names)

GKE_USER_TAINT = (USER_TAINT["key"], USER_TAINT["value"], "NO_SCHEDULE")


def expected_pools(expected: Expected) -> dict[str, dict[str, Any]]:
    """Node pool name -> field path -> planned value, in the GKE API's terms."""
    base = dict(expected.labels)
    core = expected.core_pool
    pools = {
        CORE_POOL: {
            "config.machine_type": core["machine_type"],
            "config.disk_type": core["disk_type"],
            "config.disk_size_gb": core["disk_size_gib"],
            "config.labels": {**base, PURPOSE_LABEL: "core"},
            "config.taints": [],
            "autoscaling.enabled": True,
            "autoscaling.total_min_node_count": core["min_nodes"],
            "autoscaling.total_max_node_count": core["max_nodes"],
        }
    }
    for pool in expected.user_pools:
        pools[pool["name"]] = {
            "config.machine_type": pool["machine_type"],
            "config.disk_type": pool["disk_type"],
            "config.disk_size_gb": pool["disk_size_gib"],
            "config.ephemeral_storage_local_ssd_config.local_ssd_count": pool["local_ssd_count"],
            "config.gcfs_config.enabled": pool["image_streaming"],
            "config.spot": pool["spot"],
            "config.labels": {**base, PURPOSE_LABEL: "user"},
            "config.taints": [GKE_USER_TAINT],
            "max_pods_constraint.max_pods_per_node": pool["max_pods_per_node"],
            "autoscaling.enabled": True,
            "autoscaling.total_min_node_count": pool["min_nodes"],
            "autoscaling.total_max_node_count": pool["max_nodes"],
        }
    return pools


_FIELD_DEFAULTS: dict[str, Any] = {
    "config.ephemeral_storage_local_ssd_config.local_ssd_count": 0,
    "config.gcfs_config.enabled": False,
    "config.spot": False,
    "config.labels": {},
    "autoscaling.enabled": False,
    "autoscaling.total_min_node_count": 0,
    "autoscaling.total_max_node_count": 0,
    "max_pods_constraint.max_pods_per_node": 0,
}


def _actual(pool: Mapping[str, Any], path: str) -> Any:
    if path == "config.taints":
        taints = _get(pool, "config", "taints", default=[]) or []
        return sorted((t.get("key"), t.get("value"), t.get("effect")) for t in taints)
    value = _get(pool, *path.split("."))
    if value is None:
        value = _FIELD_DEFAULTS.get(path)
    if path == "max_pods_constraint.max_pods_per_node" and value is not None:
        value = int(value)  # int64: a string in JSON
    return value


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(f"{k}={v}:{e}" for k, v, e in value) + "]" if value else "none"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={v}" for k, v in sorted(value.items())) + "}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def check_cluster(
    expected: Expected, cluster: Mapping[str, Any], pools: Iterable[Mapping[str, Any]]
) -> CheckResult:
    """The cluster and each node pool as the tfvars say; anything else is drift."""
    result = CheckResult("cluster", "")
    drift: list[dict[str, Any]] = []

    def record(resource: str, path: str, want: Any, have: Any) -> None:
        drift.append({"resource": resource, "field": path, "expected": want, "actual": have})
        result.problems.append(
            f"drift: {resource}: {path}: expected {_show(want)}, actual {_show(have)}"
        )

    status = cluster.get("status")
    if status not in (None, "RUNNING"):
        result.problems.append(f"cluster {expected.cluster_name} is {status}, not RUNNING")
    channel = _get(cluster, "release_channel", "channel", default="UNSPECIFIED")
    if channel != expected.release_channel:
        record("cluster", "release_channel.channel", expected.release_channel, channel)
    locations = sorted(cluster.get("locations") or [])
    if locations and locations != sorted(expected.zones):
        record("cluster", "locations", sorted(expected.zones), locations)

    dns_path = "control_plane_endpoints_config.dns_endpoint_config.allow_external_traffic"
    dns_access = _get(cluster, *dns_path.split("."), default=False)
    if dns_access is not True:
        record("cluster", dns_path, True, dns_access)

    planned = expected_pools(expected)
    actual: dict[str, Mapping[str, Any]] = {p.get("name") or "": p for p in pools}
    for name, fields in planned.items():
        pool = actual.get(name)
        if pool is None:
            record(f"node pool {name}", "(pool)", "present", "missing")
            continue
        for path, want in fields.items():
            have = _actual(pool, path)
            if path == "config.taints":
                want = sorted(want)
            if have != want:
                record(f"node pool {name}", path, want, have)
        pool_status = pool.get("status")
        if pool_status not in (None, "RUNNING"):
            result.warnings.append(f"node pool {name} is {pool_status}")
    for name in sorted(set(actual) - set(planned)):
        record(f"node pool {name}", "(pool)", "absent", "present")
    result.details = {
        "cluster": expected.cluster_path,
        "pools": sorted(n for n in actual if n),
        "drift": drift,
    }
    if drift:
        result.summary = f"{len(drift)} field{'s' if len(drift) > 1 else ''} drifted from the plan"
    elif result.problems:
        result.summary = result.problems[0]
    else:
        result.summary = f"cluster and {len(planned)} node pools as planned"
    return result
