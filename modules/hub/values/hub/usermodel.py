"""The user model of the Hub: who a user is on the file system, and where their lab runs.

Loaded by the Hub from `hub.extraConfig` (the file itself is shipped with `hub.extraFiles`):

    from sciplat_hub import usermodel
    usermodel.configure(c, get_config("custom.sciplat.usermodel"))

- UID and GIDs come from the identity the user logged in with, through one code path for every
  source (`identity`): GitHub (UID = numeric user id, primary GID = UID, supplementary GIDs = the
  ids of the user's organizations, read with the user's token at login by `github_auth_state_hook`
  and kept in auth state) or CILogon (UID from a configured claim, else a stable hash of the
  subject; GIDs from `isMemberOf` through the environment's table). Every lab also gets the shared
  area's group. A spawn is refused, with a message the user sees, when no UID can be derived or it
  falls in the reserved range: there is no shared fallback UID.
- Each lab runs in its own namespace. KubeSpawner creates it; `modify_pod_hook` adds a
  ResourceQuota and LimitRange sized from the chosen server size, the lab network policy and the
  init container that creates the home directory as the user (from the chosen image, which is only
  known once KubeSpawner has applied the profile); `post_stop_hook` deletes the namespace.
- At spawn the user sees, in the progress log, the UID and groups they got and a warning when their
  home is over the environment's soft limit (from the latest usage measurement).

Only the standard library, KubeSpawner's API clients and tornado are used: this file runs in the
zero-to-jupyterhub hub image.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("sciplat.usermodel")

# Team ids live in their own id space at GitHub (users and organizations share one); moving them
# above 2**31 keeps a team's GID from ever meeting a user's UID or an organization's GID.
GITHUB_TEAM_GID_OFFSET = 2**31
# The stable mapping of CILogon subjects without a UID claim: [2**30, 2**31 - 1).
HASH_UID_BASE = 2**30
HASH_UID_SPAN = 2**31 - 1 - HASH_UID_BASE
MAX_ID = 2**32 - 2  # 2**32 - 1 is (uid_t)-1, "no change" to chown

LAB_PORT = 8888
HUB_PORT = 8081
AUTH_STATE_KEY = "sciplat"  # where the auth-state hook keeps what it read at login


class SpawnRefused(Exception):
    """A lab must not start; the message is shown to the user on the spawn page."""


# --------------------------------------------------------------------------- identity


@dataclass
class Identity:
    """What a lab runs as: UID, primary GID, supplementary GIDs (named) and notes for the user."""

    source: str
    uid: int
    gid: int
    groups: dict[int, str] = field(default_factory=dict)  # supplementary GID -> what it is
    notes: list[str] = field(default_factory=list)

    @property
    def supplemental_gids(self) -> list[int]:
        return sorted({self.gid, *self.groups})

    def describe(self) -> str:
        named = ", ".join(f"{gid} ({name})" for gid, name in sorted(self.groups.items()))
        return (
            f"Running as UID {self.uid}, primary group {self.gid}; "
            f"groups: {named or 'none besides the primary group'}"
        )


def _as_id(value: Any) -> int | None:
    """An id from a claim or an API field: an int, or a string of digits; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def hashed_uid(subject: str) -> int:
    """The stable UID of a subject that has no UID claim: the same subject always maps to the
    same UID, across hubs and redeployments (SHA-256, not Python's per-process hash)."""
    digest = hashlib.sha256(subject.encode("utf-8")).digest()
    return HASH_UID_BASE + int.from_bytes(digest[:8], "big") % HASH_UID_SPAN


def _check_range(kind: str, value: int, settings: dict[str, Any]) -> None:
    floor = int(settings["reserved_ids_below"])
    if value < floor or value > MAX_ID:
        raise SpawnRefused(
            f"Your {kind} {value} is in the reserved range (below {floor} or above {MAX_ID}), "
            "so no lab can start for you. Ask the platform's administrators to assign you an id."
        )


def identity_from_auth_state(
    auth_state: dict[str, Any] | None, settings: dict[str, Any]
) -> Identity:
    """The lab identity of a login, from the auth state as the authenticator stored it."""
    state = auth_state or {}
    source = settings["auth_type"]
    if source == "github":
        ident = _github_identity(state, settings)
    elif source == "cilogon":
        ident = _cilogon_identity(state, settings)
    elif source == "jwt":
        ident = _jwt_identity(state, settings)
    else:
        raise SpawnRefused(f"Login source {source!r} is not configured for labs.")
    _check_range("UID", ident.uid, settings)
    _check_range("primary GID", ident.gid, settings)
    shared = int(settings["shared_gid"])
    ident.groups.setdefault(shared, "shared area")
    for gid in list(ident.groups):
        if gid == shared:
            continue
        if gid < int(settings["reserved_ids_below"]) or gid > MAX_ID:
            ident.notes.append(f"group {ident.groups.pop(gid)} skipped: GID {gid} is reserved")
    return ident


def _github_identity(state: dict[str, Any], settings: dict[str, Any]) -> Identity:
    user = state.get("github_user")
    if not isinstance(user, dict):
        raise SpawnRefused(
            "Your login carries no GitHub identity, so no UID can be derived. "
            "Log out and log in again."
        )
    uid = _as_id(user.get("id"))
    if uid is None:
        raise SpawnRefused("GitHub did not report a numeric user id, so no UID can be derived.")
    ident = Identity("github", uid, uid)
    read = state.get(AUTH_STATE_KEY) or {}
    for org in read.get("orgs", []):
        gid = _as_id(org.get("id"))
        if gid is not None:
            ident.groups[gid] = f"org {org.get('login', gid)}"
    if settings.get("github_teams"):
        for team in read.get("teams", []):
            tid = _as_id(team.get("id"))
            if tid is not None:
                org = (team.get("organization") or {}).get("login", "?")
                ident.groups[GITHUB_TEAM_GID_OFFSET + tid] = f"team {org}/{team.get('slug', tid)}"
    visible = {str(o.get("login", "")).lower() for o in read.get("orgs", [])}
    allowed = [o.split(":", 1)[0] for o in settings.get("github_organizations", [])]
    hidden = sorted({o for o in allowed if o.lower() not in visible})
    if hidden and AUTH_STATE_KEY in state:
        ident.notes.append(
            "not visible to this platform, so no group: "
            + ", ".join(hidden)
            + " (the organization restricts OAuth apps until an owner approves this one, or "
            "your membership there is private and read:org was not granted)"
        )
    return ident


def _cilogon_identity(state: dict[str, Any], settings: dict[str, Any]) -> Identity:
    claims = state.get("cilogon_user")
    if not isinstance(claims, dict):
        raise SpawnRefused(
            "Your login carries no CILogon identity, so no UID can be derived. "
            "Log out and log in again."
        )
    cfg = settings["cilogon"]
    uid = _as_id(claims.get(cfg["uid_claim"]))
    notes: list[str] = []
    if uid is None:
        subject = claims.get("sub")
        if cfg["uid_fallback"] != "hash" or not isinstance(subject, str) or not subject:
            raise SpawnRefused(
                f"Your identity provider did not release the {cfg['uid_claim']!r} claim, so no "
                "UID can be derived for you. Ask your identity provider (or the platform's "
                "registry) to release it."
            )
        uid = hashed_uid(subject)
        notes.append(f"UID derived from your CILogon subject (no {cfg['uid_claim']!r} claim)")
    gid_claim = _as_id(claims.get(cfg.get("gid_claim") or "gidNumber"))
    ident = Identity("cilogon", uid, gid_claim if gid_claim is not None else uid, notes=notes)
    table = {g["name"]: int(g["gid"]) for g in cfg.get("groups", [])}
    member_of = claims.get(cfg["groups_claim"]) or []
    if isinstance(member_of, str):
        member_of = [member_of]
    for name in member_of:
        if name in table:
            ident.groups[table[name]] = f"group {name}"
    return ident


def _jwt_identity(state: dict[str, Any], settings: dict[str, Any]) -> Identity:
    """UID, GID and groups the JWT header authenticator (jwtauth.py) verified and kept; a group
    without an id in the token gets its GID from the environment's GID table, if listed."""
    user = state.get("jwt_user")
    if not isinstance(user, dict):
        raise SpawnRefused(
            "Your login carries no verified token, so no UID can be derived. "
            "Log out and log in again."
        )
    uid, gid = _as_id(user.get("uid")), _as_id(user.get("gid"))
    if uid is None:
        raise SpawnRefused("Your token carries no numeric UID, so no UID can be derived.")
    ident = Identity("jwt", uid, gid if gid is not None else uid)
    table = {g["name"]: int(g["gid"]) for g in settings.get("cilogon", {}).get("groups", [])}
    for name, group_id in (user.get("groups") or {}).items():
        gid_of = _as_id(group_id) if group_id is not None else table.get(name)
        if gid_of is not None:
            ident.groups[gid_of] = f"group {name}"
    return ident


# --------------------------------------------------------------------------- authenticator hooks


async def github_auth_state_hook(authenticator: Any, auth_state: dict[str, Any]) -> dict[str, Any]:
    """Read the user's organizations (and teams) with their own token at login.

    `GET /user/orgs` lists every organization the token may see, including those where the user
    is on no team (which `populate_teams_in_auth_state` misses). Organizations that restrict
    OAuth apps are left out until an owner approves the app: the spawn page says so.
    """
    token = auth_state["token_response"]
    api = authenticator.github_api
    orgs = await authenticator._paginated_fetch(
        f"{api}/user/orgs?per_page=100", token["access_token"], token["token_type"]
    )
    read: dict[str, Any] = {"orgs": [{"id": o["id"], "login": o["login"]} for o in orgs]}
    if getattr(authenticator, "sciplat_read_teams", False):
        teams = await authenticator._paginated_fetch(
            f"{api}/user/teams?per_page=100", token["access_token"], token["token_type"]
        )
        read["teams"] = [
            {
                "id": t["id"],
                "slug": t.get("slug"),
                "organization": {"login": (t.get("organization") or {}).get("login")},
            }
            for t in teams
        ]
    auth_state[AUTH_STATE_KEY] = read
    return auth_state


# --------------------------------------------------------------------------- spawner hooks


def _settings(spawner: Any) -> dict[str, Any]:
    return spawner.sciplat_settings  # set on the class by configure()


async def pre_spawn_hook(spawner: Any) -> None:
    """Map the identity to UID/GIDs (or refuse) and clear a namespace still being deleted."""
    settings = _settings(spawner)
    state = await spawner.user.get_auth_state()
    ident = identity_from_auth_state(state, settings)
    spawner.uid = ident.uid
    spawner.gid = ident.gid
    spawner.fs_gid = ident.gid
    spawner.supplemental_gids = ident.supplemental_gids
    spawner.environment = {
        **spawner.environment,
        "SCIPLAT_UID": str(ident.uid),
        "SCIPLAT_GIDS": ",".join(str(g) for g in ident.supplemental_gids),
        # KubeSpawner expands {...} in environment values: double the JSON's braces.
        "SCIPLAT_GROUPS": json.dumps({str(k): v for k, v in sorted(ident.groups.items())})
        .replace("{", "{{")
        .replace("}", "}}"),
    }
    spawner.sciplat_identity = ident
    await _wait_for_namespace_gone(spawner)


async def _wait_for_namespace_gone(spawner: Any, timeout: float = 120.0) -> None:
    """A namespace deleted at the last stop may still be terminating: creating the new lab's pod
    in it would fail, so wait until it is gone."""
    from kubernetes_asyncio.client.rest import ApiException

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            ns = await spawner.api.read_namespace(spawner.namespace)
        except ApiException as exc:
            if exc.status == 404:
                return
            raise
        if ns.metadata.deletion_timestamp is None:
            return
        if loop.time() > deadline:
            raise SpawnRefused(
                f"Your previous lab's namespace {spawner.namespace} is still being removed; "
                "try again in a minute."
            )
        await asyncio.sleep(1)


def _quantity(value: Any) -> float:
    """A Kubernetes quantity (cpu or bytes) as a number: '500m' -> 0.5, '1Gi' -> 2**30."""
    text = str(value)
    suffixes = {
        "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
        "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "m": 1e-3,
    }  # fmt: skip
    for suffix in sorted(suffixes, key=len, reverse=True):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * suffixes[suffix]
    return float(text)


def quota_for(lab: Any, settings: dict[str, Any]) -> dict[str, str]:
    """The user namespace's hard quota: exactly the chosen size's requests and limits."""
    res = lab.resources
    requests, limits = res.requests or {}, res.limits or {}
    hard = {"pods": str(int(settings.get("pods_per_user", 1)))}
    for key in ("cpu", "memory"):
        if key in requests:
            hard[f"requests.{key}"] = str(requests[key])
        if key in limits:
            hard[f"limits.{key}"] = str(limits[key])
    return hard


def limit_range_for(lab: Any) -> dict[str, Any]:
    """Defaults for containers that name no resources (a cpu/memory quota rejects them), capped
    at the lab's own limits so nothing can exceed the size."""
    limits = lab.resources.limits or {}
    cpu_cap, mem_cap = limits.get("cpu"), limits.get("memory")
    item: dict[str, Any] = {
        "type": "Container",
        "defaultRequest": {"cpu": "50m", "memory": "64Mi"},
        "default": {"cpu": "500m", "memory": "256Mi"},
    }
    if cpu_cap is not None and _quantity(cpu_cap) < 0.5:
        item["default"]["cpu"] = str(cpu_cap)
    if mem_cap is not None and _quantity(mem_cap) < 256 * 2**20:
        item["default"]["memory"] = str(mem_cap)
    maximum = {k: str(v) for k, v in (("cpu", cpu_cap), ("memory", mem_cap)) if v is not None}
    if maximum:
        item["max"] = maximum
    return {"limits": [item]}


def network_policy_for(settings: dict[str, Any]) -> dict[str, Any]:
    """The lab policy of a user namespace: the hub and proxy may reach the lab; the lab may reach
    the hub's API, DNS and public addresses (not the cloud metadata server, not private ranges)."""
    hub_ns = {"kubernetes.io/metadata.name": settings["hub_namespace"]}
    return {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {
                "from": [
                    {
                        "namespaceSelector": {"matchLabels": hub_ns},
                        "podSelector": {
                            "matchLabels": {"hub.jupyter.org/network-access-singleuser": "true"}
                        },
                    }
                ],
                "ports": [{"port": LAB_PORT, "protocol": "TCP"}],
            }
        ],
        "egress": [
            {
                "to": [
                    {
                        "namespaceSelector": {"matchLabels": hub_ns},
                        "podSelector": {"matchLabels": {"component": "hub"}},
                    }
                ],
                "ports": [{"port": HUB_PORT, "protocol": "TCP"}],
            },
            {"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]},
            *settings.get("lab_egress", []),
            {
                "to": [
                    {
                        "ipBlock": {
                            "cidr": "0.0.0.0/0",
                            "except": [
                                "10.0.0.0/8",
                                "172.16.0.0/12",
                                "192.168.0.0/16",
                                "169.254.169.254/32",
                            ],
                        }
                    }
                ]
            },
        ],
    }


def _lab_container(pod: Any) -> Any:
    for container in pod.spec.containers:
        if container.name == "notebook":
            return container
    return pod.spec.containers[0]


def home_init_container(spawner: Any, pod: Any, settings: dict[str, Any]) -> dict[str, Any]:
    """Create the user's home directory as the user, from the image the lab runs (the chosen one,
    already on the node), mounting the home share's root (root squashed: only the user can)."""
    lab = _lab_container(pod)
    home = settings["home"]
    sub_path = next(
        (m.sub_path for m in lab.volume_mounts or [] if m.name == home["volume"] and m.sub_path),
        None,
    )
    if not sub_path:
        raise SpawnRefused("The lab has no home volume configured; tell the administrators.")
    return {
        "name": "sciplat-home",
        "image": lab.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["sh", "-c", 'test -d "$1" || mkdir -m 0700 "$1"', "sh", f"/homes/{sub_path}"],
        "securityContext": {
            "runAsUser": spawner.uid,
            "runAsGroup": spawner.gid,
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"cpu": "50m", "memory": "64Mi"},
        },
        "volumeMounts": [{"name": home["volume"], "mountPath": "/homes"}],
    }


async def _create_or_replace(create: Any, replace: Any, namespace: str, body: dict) -> None:
    from kubernetes_asyncio.client.rest import ApiException

    try:
        await create(namespace, body)
    except ApiException as exc:
        if exc.status != 409:
            raise
        await replace(body["metadata"]["name"], namespace, body)


async def _wait_for_quota_status(spawner: Any, name: str, timeout: float = 30.0) -> None:
    """The API server refuses pods in a namespace whose new quota the quota controller has not
    counted yet ("status unknown for quota"): wait until it has."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        quota = await spawner.api.read_namespaced_resource_quota(name, spawner.namespace)
        if quota.status is not None and quota.status.hard:
            return
        if loop.time() > deadline:
            raise SpawnRefused("Your lab's resource quota was not ready in time; try again.")
        await asyncio.sleep(0.2)


async def _remove_stale_pod(spawner: Any, timeout: float = 60.0) -> None:
    """A lab pod left over in the namespace (a hub that stopped without stopping the lab) holds
    the quota, and the new pod would be refused for exceeding it: remove it first."""
    from kubernetes_asyncio.client.rest import ApiException

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    deleted = False
    while True:
        try:
            await spawner.api.read_namespaced_pod(spawner.pod_name, spawner.namespace)
        except ApiException as exc:
            if exc.status == 404:
                return
            raise
        if not deleted:
            spawner.log.warning("Removing stale pod %s/%s", spawner.namespace, spawner.pod_name)
            await spawner.api.delete_namespaced_pod(
                spawner.pod_name, spawner.namespace, grace_period_seconds=0
            )
            deleted = True
        if loop.time() > deadline:
            raise SpawnRefused("Your previous lab is still stopping; try again in a minute.")
        await asyncio.sleep(0.5)


async def _post_event(spawner: Any, pod: Any, kind: str, reason: str, message: str) -> None:
    """An Event on the lab's pod: KubeSpawner shows the pod's events on the spawn page."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "generateName": f"{spawner.pod_name}.sciplat-",
            "namespace": spawner.namespace,
        },
        "involvedObject": {
            "apiVersion": "v1",
            "kind": "Pod",
            "name": spawner.pod_name,
            "namespace": spawner.namespace,
        },
        "reason": reason,
        "message": message,
        "type": kind,
        "source": {"component": "sciplat-hub"},
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }
    await spawner.api.create_namespaced_event(spawner.namespace, event)


async def home_usage_gib(spawner: Any, settings: dict[str, Any], home_dir: str) -> float | None:
    """The user's home usage in GiB from the latest measurement, or None when not measured."""
    from kubernetes_asyncio.client.rest import ApiException

    usage = settings.get("usage") or {}
    if not usage.get("configmap"):
        return None
    try:
        cm = await spawner.api.read_namespaced_config_map(
            usage["configmap"], settings["hub_namespace"]
        )
    except ApiException as exc:
        if exc.status in (403, 404):
            return None
        raise
    try:
        history = json.loads((cm.data or {}).get("usage.json") or "[]")
        latest = history[-1]
        used = latest["homes"].get(home_dir)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
    return None if used is None else float(used) / 2**30


async def modify_pod_hook(spawner: Any, pod: Any) -> Any:
    """The namespace exists now (KubeSpawner created it): add its quota, limit range and lab
    policy, the home init container from the chosen image, and the messages for the user."""
    from kubespawner.clients import shared_client

    settings = _settings(spawner)
    ns = spawner.namespace
    lab = _lab_container(pod)
    core = spawner.api
    net = shared_client("NetworkingV1Api")
    name = "sciplat-lab"
    await _create_or_replace(
        core.create_namespaced_resource_quota,
        core.replace_namespaced_resource_quota,
        ns,
        {"metadata": {"name": name}, "spec": {"hard": quota_for(lab, settings)}},
    )
    await _wait_for_quota_status(spawner, name)
    await _remove_stale_pod(spawner)
    await _create_or_replace(
        core.create_namespaced_limit_range,
        core.replace_namespaced_limit_range,
        ns,
        {"metadata": {"name": name}, "spec": limit_range_for(lab)},
    )
    await _create_or_replace(
        net.create_namespaced_network_policy,
        net.replace_namespaced_network_policy,
        ns,
        {"metadata": {"name": name}, "spec": network_policy_for(settings)},
    )
    pod.spec.init_containers = [
        c for c in (pod.spec.init_containers or []) if getattr(c, "name", None) != "sciplat-home"
    ]
    pod.spec.init_containers.insert(0, home_init_container(spawner, pod, settings))

    ident: Identity | None = getattr(spawner, "sciplat_identity", None)
    if ident is not None:
        await _post_event(spawner, pod, "Normal", "SciplatIdentity", ident.describe())
        for note in ident.notes:
            await _post_event(spawner, pod, "Warning", "SciplatGroups", note)
    home_dir = next(
        (m.sub_path for m in lab.volume_mounts or [] if m.name == settings["home"]["volume"]),
        None,
    )
    soft = settings.get("home_soft_limit_gib")
    if soft and home_dir:
        used = await home_usage_gib(spawner, settings, home_dir)
        if used is not None and used > float(soft):
            await _post_event(
                spawner,
                pod,
                "Warning",
                "SciplatHomeOverSoftLimit",
                f"Your home directory uses {used:.1f} GiB, over this platform's soft limit of "
                f"{float(soft):g} GiB: please move data to the shared area or delete what you no "
                "longer need.",
            )
    return pod


async def post_stop_hook(spawner: Any) -> None:
    """Remove the user's namespace (and with it the quota, limit range and policy)."""
    from kubernetes_asyncio.client.rest import ApiException

    try:
        await spawner.api.delete_namespace(spawner.namespace)
    except ApiException as exc:
        if exc.status != 404:
            raise


# --------------------------------------------------------------------------- wiring


def configure(c: Any, settings: dict[str, Any]) -> None:
    """Wire the user model into the Hub's configuration `c` (a traitlets Config)."""
    from kubespawner import KubeSpawner

    KubeSpawner.sciplat_settings = settings
    ks = c.KubeSpawner
    ks.enable_user_namespaces = True
    ks.user_namespace_template = settings["namespace_template"]
    ks.user_namespace_labels = {
        "sciplat/user-namespace": "true",
        "hub.jupyter.org/network-access-hub": "true",
        # "baseline", not "restricted": restricted forbids inline NFS volumes, which a lab in its
        # own namespace needs. Labs never run as root all the same: runAsNonRoot is set on every
        # container below and the kubelet refuses to start one as UID 0.
        "pod-security.kubernetes.io/enforce": "baseline",
    }
    ks.pre_spawn_hook = pre_spawn_hook
    ks.modify_pod_hook = modify_pod_hook
    ks.post_stop_hook = post_stop_hook
    # No root, no escalation, no capabilities, the runtime's seccomp profile.
    ks.container_security_context = {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if settings["auth_type"] == "github":
        c.GitHubOAuthenticator.modify_auth_state_hook = github_auth_state_hook
        if settings.get("github_teams"):
            from oauthenticator.github import GitHubOAuthenticator

            GitHubOAuthenticator.sciplat_read_teams = True
