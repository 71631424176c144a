"""Risk classes for plan changes: blocking, warning, info. Each finding says why in one sentence."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sciplat.review.plan import ABSENT, UNKNOWN, ResourceChange, Sensitive, replace_cause

BLOCKING = "blocking"
WARNING = "warning"
INFO = "info"
SEVERITIES = (BLOCKING, WARNING, INFO)
_RANK = {BLOCKING: 0, WARNING: 1, INFO: 2}

# Resources that hold data or are hard to recreate: destroying or replacing one blocks the apply.
# Every resource type the modules use is classified here or in STATELESS (a test checks it), and
# every type of the google provider whose name says it stores something falls under
# DATA_PATTERN (a test checks that against the provider's own list of resource types).
STATEFUL: dict[str, str] = {
    "google_container_cluster": (
        "it is the GKE cluster: every running lab and the hub stop, and all in-cluster state "
        "(hub database, secrets, volumes) is lost"
    ),
    "google_container_node_pool": (
        "its nodes are drained: the labs of every user on them are killed and must restart"
    ),
    "google_filestore_instance": (
        "it holds users' home directories or shared data, which are deleted with it"
    ),
    "google_artifact_registry_repository": (
        "it is the image mirror: its cache is lost and every node pulls images upstream again, "
        "slowing lab starts and risking upstream rate limits"
    ),
    "kubernetes_persistent_volume": (
        "it binds NFS storage to the hub: recreating it detaches every user's home directory"
    ),
    "kubernetes_persistent_volume_claim": (
        "it binds users' storage: recreating it detaches every user's home directory"
    ),
    "kubernetes_namespace": (
        "deleting the hub's namespace deletes everything in it: the hub, its database and "
        "every user's lab"
    ),
    "helm_release": (
        "it is the JupyterHub release: uninstalling it stops the hub and every running lab"
    ),
    "google_compute_disk": "it is a persistent disk: its data is deleted with it",
    "google_compute_region_disk": "it is a persistent disk: its data is deleted with it",
    "google_compute_snapshot": "it is a disk snapshot: the data it preserves is deleted",
    "google_compute_image": "it is a disk image: instances can no longer be created from it",
    "google_compute_instance": "its boot disk and local data go with the instance",
    "google_storage_bucket": (
        "it is a storage bucket: with force_destroy every object in it is deleted, otherwise "
        "the apply fails half-way on a non-empty bucket"
    ),
    "google_storage_bucket_object": "it is a stored object: its content is deleted",
    "google_filestore_backup": (
        "it is a Filestore backup: the copy of users' files it holds is deleted"
    ),
    "google_filestore_snapshot": "it is a Filestore snapshot: the files it preserves are deleted",
    "google_secret_manager_secret": (
        "it is a Secret Manager secret: every version of the secret is deleted, and whatever "
        "reads it (the hub's login) fails"
    ),
    "google_secret_manager_secret_version": (
        "it is a secret's value: destroying it destroys the value for good"
    ),
    "google_sql_database_instance": "it is a Cloud SQL instance: its databases are deleted",
    "google_sql_database": "it is a database: its tables are deleted",
    "google_redis_instance": "it is a Redis instance: its data is deleted",
    "google_bigquery_dataset": "it is a BigQuery dataset: its tables are deleted",
    "google_bigquery_table": "it is a BigQuery table: its rows are deleted",
    "google_kms_crypto_key": (
        "it is an encryption key: data encrypted with it can no longer be read"
    ),
    "google_kms_key_ring": "it holds encryption keys: data encrypted with them is lost",
    "kubernetes_secret": "it is a Kubernetes secret: its value is deleted",
}

# Types that hold no data: destroying or replacing one loses nothing stored (other rules may
# still warn, e.g. for a network, an address or an API).
STATELESS = frozenset(
    {
        "google_compute_firewall",
        "google_compute_network",
        "google_compute_subnetwork",
        "google_compute_router",
        "google_compute_router_nat",
        "google_compute_address",
        "google_compute_global_address",
        "google_compute_route",
        "google_project_service",
        "google_service_account",
        "google_cloud_scheduler_job",
        "google_workflows_workflow",
        "kubernetes_config_map",
        "kubernetes_service_account",
        "kubernetes_role",
        "kubernetes_role_binding",
        "kubernetes_network_policy",
        "kubernetes_cluster_role",
        "kubernetes_cluster_role_binding",
        "kubernetes_job",
        "kubernetes_cron_job",
        "google_billing_budget",
        "google_monitoring_notification_channel",
        "google_monitoring_alert_policy",
        "terraform_data",
        "null_resource",
        "time_sleep",
    }
)

# A type outside both lists whose name says it stores something: it holds data.
DATA_PATTERN = re.compile(
    r"disk|snapshot|bucket|backup|secret|database|dataset|_table\b|table$|image|repository|"
    r"volume|crypto_key|key_ring|_sql_|redis|memcache|spanner|bigtable|firestore|alloydb|"
    r"filestore|storage|datastore|_store\b|_store_|parallelstore|netapp|lustre"
)

# Access settings on a data-holding resource (ACLs, notifications): not the data itself.
ACCESS_PATTERN = re.compile(r"_acl$|_access_control$|_notification(_config)?$|_iam_")


def resource_class(resource_type: str) -> str:
    """ "data" (destroying it loses what it holds), "stateless" or "unknown"."""
    kind = base_type(resource_type)
    if kind in STATEFUL:
        return "data"
    if kind in STATELESS or _IAM.match(kind):
        return "stateless"
    if DATA_PATTERN.search(kind) and not ACCESS_PATTERN.search(kind):
        return "data"
    return "unknown"


def _is_dask_release(change: ResourceChange) -> bool:
    """A dask-gateway release (modules/dask), by its chart, before or after the change."""
    for state in (change.before, change.after):
        chart = _get(state, "chart")
        if isinstance(chart, str) and chart.rstrip("/").endswith("dask-gateway"):
            return True
    return False


def why_data(resource_type: str) -> str | None:
    """Why destroying this type loses data, or None when it is not known to hold data."""
    kind = base_type(resource_type)
    if kind in STATEFUL:
        return STATEFUL[kind]
    if resource_class(kind) == "data":
        return f"a {kind} holds data, which is deleted with it"
    return None


_IAM = re.compile(r"^google_.*_iam_(member|binding|policy)$|^google_service_account$")
_CIDR_KEYS = ("source_ranges", "cidr_block", "cidr_blocks", "ip_cidr_range", "admin_cidrs")
_OPEN = ("0.0.0.0/0", "::/0")
_PROTECTION = ("deletion_protection", "deletion_protection_enabled", "prevent_destroy")


@dataclass(frozen=True)
class Finding:
    """One risk: how severe, which resource, a short rule name and one sentence on why."""

    severity: str
    address: str
    rule: str
    message: str

    @property
    def rank(self) -> int:
        return _RANK[self.severity]


def base_type(resource_type: str) -> str:
    """kubernetes_namespace_v1 -> kubernetes_namespace."""
    return resource_type[:-3] if resource_type.endswith("_v1") else resource_type


def _get(obj: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(obj, dict):
            obj = obj.get(key)
        elif isinstance(obj, list) and isinstance(key, int) and key < len(obj):
            obj = obj[key]
        else:
            return None
    return obj


def _leaves(obj: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, (*path, i))
    else:
        yield path, obj


def _cidrs(obj: Any) -> set[str]:
    """Every CIDR string under an attribute whose name says it holds address ranges."""
    found: set[str] = set()
    for path, value in _leaves(obj):
        if not isinstance(value, str):
            continue
        if any(isinstance(p, str) and p in _CIDR_KEYS for p in path):
            try:
                found.add(str(ipaddress.ip_network(value, strict=False)))
            except ValueError:
                continue
    return found


def _widened(before: set[str], after: set[str]) -> list[str]:
    """CIDRs in `after` not covered by any CIDR in `before`."""
    old = [ipaddress.ip_network(c) for c in before]
    new = []
    for cidr in sorted(after - before):
        net = ipaddress.ip_network(cidr)
        if not any(net.version == o.version and net.subnet_of(o) for o in old):  # type: ignore[arg-type]
            new.append(cidr)
    return new


PURPOSE_LABEL = "hub.jupyter.org/node-purpose"


POOL_LABEL = "sciplat.io/pool"


def _pool_purpose(pool: Any) -> str:
    """ "core" or "user": the JupyterHub node-purpose label; for the pools outside them (extra
    pools, the dask pool) the name in their `sciplat.io/pool` label; else by the pool's name."""
    labels = _get(pool, "node_config", 0, "labels")
    purpose = labels.get(PURPOSE_LABEL) if isinstance(labels, dict) else None
    if isinstance(purpose, str):
        return purpose
    named = labels.get(POOL_LABEL) if isinstance(labels, dict) else None
    if isinstance(named, str):
        return named
    return "core" if _get(pool, "name") == "core" else "user"


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _direction(rule: dict[str, Any]) -> str:
    """A firewall rule's direction; INGRESS, GCP's default, when absent or not a string."""
    direction = rule.get("direction")
    return direction.upper() if isinstance(direction, str) and direction else "INGRESS"


def _allows_ingress(rule: Any) -> bool:
    """A firewall rule that lets traffic in: an INGRESS rule with allow blocks (not a deny)."""
    if not isinstance(rule, dict):
        return False
    if _direction(rule) == "EGRESS":
        return False
    deny = rule.get("deny")
    allow = rule.get("allow")
    return not (isinstance(deny, list) and deny and not allow)


def _max_nodes(pool: Any) -> float | None:
    """The most nodes a pool's autoscaler allows: total_max_node_count when set (> 0), else
    max_node_count per zone times the number of zones (node_locations), when known."""
    total = _get(pool, "autoscaling", 0, "total_max_node_count")
    if _is_num(total) and total > 0:
        return float(total)
    per_zone = _get(pool, "autoscaling", 0, "max_node_count")
    if not _is_num(per_zone):
        return None
    zones = _get(pool, "node_locations")
    count = len(zones) if isinstance(zones, list) and zones else 1
    return float(per_zone) * count


def _protection_removed(change: ResourceChange) -> list[str]:
    paths = []
    for attr in change.attributes:
        leaf = attr.path.rsplit(".", 1)[-1]
        protective = leaf in _PROTECTION
        if protective and attr.before is True and attr.after in (False, None, ABSENT):
            paths.append(attr.path)
    return paths


def _fmt(value: Any) -> str:
    if value is ABSENT or value is None:
        return "none"
    if isinstance(value, Sensitive) or value is UNKNOWN:
        return repr(value)
    return str(value)


def classify_change(change: ResourceChange) -> list[Finding]:
    """The findings for one planned resource change (drift entries are not classified)."""
    if change.mode == "managed" and change.importing and change.action == "no-op":
        return [
            Finding(
                INFO,
                change.address,
                "import",
                "Imported: Terraform starts managing an existing object; nothing changes in "
                "the cloud.",
            )
        ]
    if change.mode != "managed" or change.action in ("no-op", "read"):
        return []
    kind = base_type(change.type)
    addr = change.address
    findings: list[Finding] = []
    why_stateful = why_data(kind)
    dask = kind == "helm_release" and _is_dask_release(change)
    if dask:
        why_stateful = (
            "it is the Dask gateway: uninstalling it stops every running Dask cluster "
            "(labs and the hub keep running)"
        )

    recreated = change.action in ("delete", "replace")
    if (
        kind == "google_container_node_pool"
        and recreated
        and _pool_purpose(change.before) == "core"
    ):
        why_stateful = None  # the hub's pool: a restart of the hub, not a loss of labs
        findings.append(
            Finding(
                WARNING,
                addr,
                f"{change.action}-core-pool",
                "Recreates the core pool: the hub and proxy move to new nodes, so logins "
                "pause for a few minutes; running labs keep running.",
            )
        )
    elif (
        kind == "google_container_node_pool"
        and recreated
        and _pool_purpose(change.before) not in ("core", "user")
    ):
        why_stateful = None  # no labs run there: only the services pinned to it move
        name = _pool_purpose(change.before)
        what = "running Dask clusters are lost" if name == "dask" else "its pods are evicted"
        findings.append(
            Finding(
                WARNING,
                addr,
                f"{change.action}-{name}-pool",
                f"{'Recreates' if change.action == 'replace' else 'Removes'} the {name} pool: "
                f"{what} and what is pinned to it waits for new nodes; labs are not affected.",
            )
        )
    if change.action in ("delete", "replace") and why_stateful:
        if change.action == "replace":
            forced = replace_cause(change)
            findings.append(
                Finding(
                    BLOCKING,
                    addr,
                    f"replace-{kind}",
                    f"Replaced (forced by {forced}): {why_stateful}.",
                )
            )
        else:
            findings.append(
                Finding(BLOCKING, addr, f"destroy-{kind}", f"Destroyed: {why_stateful}.")
            )
    elif change.action in ("delete", "replace") and resource_class(kind) == "unknown":
        findings.append(
            Finding(
                WARNING,
                addr,
                f"{change.action}-unclassified",
                f"{'Destroyed' if change.action == 'delete' else 'Replaced'}: sciplat does not "
                f"know whether a {kind} holds data; check what it stores before applying.",
            )
        )
    elif change.action == "forget" and why_stateful:
        findings.append(
            Finding(
                WARNING,
                addr,
                "forget",
                "Removed from state but left running: Terraform "
                "will no longer manage or protect it.",
            )
        )

    for path in _protection_removed(change):
        findings.append(
            Finding(
                BLOCKING,
                addr,
                "deletion-protection-removed",
                f"Turns off {path}: the resource can then be destroyed by the next apply "
                "or by hand without a safeguard.",
            )
        )

    opens = kind == "google_container_cluster" or (
        kind == "google_compute_firewall" and _allows_ingress(change.after)
    )
    if change.action in ("create", "update", "replace") and opens:
        was_open = kind != "google_compute_firewall" or _allows_ingress(change.before)
        before = _cidrs(change.before) if change.before and was_open else set()
        after = _cidrs(change.after) if change.after else set()
        wider = (
            _widened(before, after)
            if change.action != "create"
            else sorted(c for c in after if c in _OPEN)
        )
        if change.action != "create" and not was_open:  # a deny or egress rule becomes an allow
            wider = sorted(after)
        if wider:
            what = "firewall" if kind == "google_compute_firewall" else "authorized networks"
            findings.append(
                Finding(
                    WARNING,
                    addr,
                    "network-widened",
                    f"Widens {what} to {', '.join(wider)}: more addresses can reach the cluster.",
                )
            )

    if (
        kind == "google_compute_firewall"
        and change.action == "delete"
        and isinstance(change.before, dict)
        and not _allows_ingress(change.before)
        and _direction(change.before) == "INGRESS"
    ):
        findings.append(
            Finding(
                WARNING,
                addr,
                "deny-removed",
                "Removes a deny rule: traffic it blocked may now reach the cluster.",
            )
        )

    if _IAM.match(change.type) and change.action != "read":
        findings.append(Finding(WARNING, addr, "iam-change", _iam_message(change)))

    if dask and change.action == "update":
        findings.append(
            Finding(
                WARNING,
                addr,
                "dask-gateway-restart",
                "Changes the Dask gateway's release: the gateway restarts and new limits apply "
                "to new clusters; running clusters keep going.",
            )
        )
    elif kind == "helm_release" and change.action == "update":
        paths = {a.path for a in change.attributes}
        old, new = _get(change.before, "version"), _get(change.after, "version")
        if "version" in paths and old != new:
            findings.append(
                Finding(
                    WARNING,
                    addr,
                    "chart-version",
                    f"Chart version {_fmt(old)} -> {_fmt(new)}: the hub and proxy restart "
                    "and the upgrade notes of the chart apply.",
                )
            )
        if any(p == "values" or p.startswith(("values[", "set")) for p in paths):
            from sciplat.review.volumes import volume_changes

            volumes = volume_changes(change.before, change.after)
            lab_volumes = (
                f" Lab volumes: {'; '.join(volumes)} (in place, nothing replaced)."
                if volumes
                else ""
            )
            findings.append(
                Finding(
                    WARNING,
                    addr,
                    "hub-restart",
                    "Changes the hub's Helm values: the hub restarts (running labs survive, "
                    "logins pause) and new lab settings apply at the next start." + lab_volumes,
                )
            )
    if kind == "google_container_node_pool" and change.action == "update":
        restarting = [
            a.path
            for a in change.attributes
            if a.path.startswith(("node_config", "version", "node_locations"))
        ]
        if restarting:
            findings.append(
                Finding(
                    WARNING,
                    addr,
                    "nodes-recreated",
                    f"Changes {', '.join(sorted(restarting)[:3])}: GKE may roll the nodes one "
                    "by one, restarting the labs running on them.",
                )
            )
        old, new = _max_nodes(change.before), _max_nodes(change.after)
        if old is not None and new is not None and new < old:
            findings.append(
                Finding(
                    WARNING,
                    addr,
                    "max-nodes-lowered",
                    f"Lowers the pool's maximum from {old:g} to {new:g} nodes: nodes above it "
                    "are drained, and the labs on them stop.",
                )
            )
    if (
        kind == "google_container_cluster"
        and change.action == "update"
        and any(
            a.path.startswith(("min_master_version", "node_version")) for a in change.attributes
        )
    ):
        findings.append(
            Finding(
                WARNING,
                addr,
                "cluster-upgrade",
                "Upgrades Kubernetes: the control plane is briefly unavailable and nodes "
                "are upgraded, restarting labs.",
            )
        )
    if kind == "google_compute_address" and change.action in ("delete", "replace"):
        findings.append(
            Finding(
                WARNING,
                addr,
                f"{change.action}-address",
                "Releases a reserved IP address: the hub's DNS record must follow the new "
                "address or users cannot reach it.",
            )
        )
    if kind == "google_project_service" and change.action in ("delete", "replace"):
        findings.append(
            Finding(
                WARNING,
                addr,
                "disable-api",
                "Disables a Google API the platform may depend on; resources using it stop "
                "working.",
            )
        )
    if kind in ("google_compute_network", "google_compute_subnetwork") and change.action in (
        "delete",
        "replace",
    ):
        findings.append(
            Finding(
                WARNING,
                addr,
                f"{change.action}-network",
                "Recreates the network the cluster runs in: nodes lose connectivity until "
                "everything attached to it is recreated too.",
            )
        )

    if not findings:
        findings.append(Finding(INFO, addr, change.action, _info_message(change)))
    return findings


def _iam_message(change: ResourceChange) -> str:
    """One sentence on an IAM change: who gets or loses which role."""
    side = change.after if change.action != "delete" else change.before
    if change.type == "google_service_account":
        name = _get(side, "account_id")
        what = f"service account {name}" if isinstance(name, str) else "a service account"
        if change.action == "delete":
            return f"Deletes {what}: everything running as it loses its access."
        return f"{change.action.capitalize()}s {what}: a new identity; check the roles it gets."
    role = _get(side, "role")
    member = _get(side, "member")
    role_text = role if isinstance(role, str) else "a role"
    member_text = member if isinstance(member, str) else "an identity created by this plan"
    if change.action == "delete":
        return f"Revokes {role_text} from {member_text}: whatever relied on it loses access."
    if change.action == "create":
        return f"Grants {role_text} to {member_text}: check that it needs exactly this role."
    return f"Changes the grant of {role_text} to {member_text}: check the role and the member."


def _info_message(change: ResourceChange) -> str:
    if change.action == "create":
        return "Created: nothing existing is affected."
    if change.action == "update":
        n = len(change.attributes)
        return f"Updated in place ({n} attribute{'s' if n != 1 else ''})."
    if change.action == "replace":
        return "Replaced: stateless, recreated with the same configuration."
    if change.action == "delete":
        return "Destroyed: stateless, nothing stored is lost."  # only for STATELESS types
    if change.action == "forget":
        return "Removed from state only; the real object is left alone."
    return change.action


def classify(changes: list[ResourceChange]) -> list[Finding]:
    """Every finding of a plan, blocking first, then warnings, then info; stable order."""
    findings = [f for c in changes for f in classify_change(c)]
    return sorted(findings, key=lambda f: f.rank)  # sorted() is stable: plan order within a class
