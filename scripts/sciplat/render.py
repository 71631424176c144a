"""Render an environment into Terraform inputs.

`render(name)` validates `env/<name>.yaml`, sizes it with the capacity plan, resolves its image
set, and writes `build/<name>/terraform.tfvars.json` and `build/<name>/backend.hcl`. The tfvars
shape is the contract with `terraform/variables.tf`, described once in `docs/tfvars.md`. Node pool
bounds and Filestore tiers and capacities come from the capacity plan only, so the plan and the
sizing cannot disagree. Nothing is written unless everything is valid, and each file is replaced
atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sciplat.config import Environment, display_path, load_environment
from sciplat.errors import ConfigError, Problem, UsageError
from sciplat.files import private_dir, write_all_atomic

# The zero-to-jupyterhub chart version every environment deploys (pinned; bump it here and the
# plan review flags the change).
Z2JH_CHART_VERSION = "4.4.0"
# The dask-gateway chart version Dask deploys (pinned likewise).
DASK_GATEWAY_CHART_VERSION = "2026.3.0"


@dataclass
class RenderResult:
    env: Environment
    tfvars: dict[str, Any]
    backend: str
    sizing: dict[str, Any]
    tfvars_path: Path
    backend_path: Path
    warnings: list[str] = field(default_factory=list)


def render_tfvars(
    env: Environment, sizing: dict[str, Any], images: list[dict[str, Any]]
) -> dict[str, Any]:
    """The root module's variables for one environment (see docs/tfvars.md)."""
    d = env.data
    cluster = d["cluster"]
    storage = d["storage"]
    hub = d["hub"]
    pools_by_name = {pool["name"]: pool for pool in sizing["user_pools"]}
    user_pools = []
    for pool in d["node_pools"]["user"]:
        sized = pools_by_name[pool["name"]]
        user_pools.append(
            {
                "name": pool["name"],
                "machine_type": pool["machine_type"],
                "disk_type": pool["disk_type"],
                "disk_size_gib": pool["disk_size_gib"],
                "local_ssd_count": pool["local_ssd_count"],
                "image_streaming": pool["image_streaming"],
                "spot": pool["spot"],
                "max_pods_per_node": pool["max_pods_per_node"],
                "min_nodes": sized["min_nodes"],
                "max_nodes": sized["max_nodes"],
            }
        )
    core = d["node_pools"]["core"]
    return {
        "environment": env.name,
        "project_id": d["gcp"]["project"],
        "region": d["gcp"]["region"],
        "zones": list(d["gcp"]["zones"]),
        "regional_cluster": d["gcp"]["regional_cluster"],
        "labels": {"environment": env.name, "managed-by": "sciplat"},
        "network": {"name": f"{cluster['name']}-vpc", **d["network"]},
        "cluster": {
            "name": cluster["name"],
            "release_channel": cluster["release_channel"],
            "deletion_protection": cluster["deletion_protection"],
            "network_policy": cluster["network_policy"],
            "maintenance_window": dict(cluster["maintenance_window"]),
            "maintenance_exclusions": [dict(e) for e in cluster["maintenance_exclusions"]],
            "authorized_networks": [dict(n) for n in cluster["authorized_networks"]],
        },
        "core_pool": {
            "machine_type": core["machine_type"],
            "disk_type": core["disk_type"],
            "disk_size_gib": core["disk_size_gib"],
            "min_nodes": sizing["core_pool"]["min_nodes"],
            "max_nodes": sizing["core_pool"]["max_nodes"],
        },
        "user_pools": user_pools,
        "extra_pools": _extra_pools(sizing),
        "filestore": {
            "home": {
                "name": f"{cluster['name']}-home",
                "share_name": storage["home_share_name"],
                "tier": sizing["filestore"]["home"]["tier"],
                "capacity_gib": sizing["filestore"]["home"]["capacity_gib"],
            },
            "shared": {
                "name": f"{cluster['name']}-shared",
                "share_name": storage["shared_share_name"],
                "tier": sizing["filestore"]["shared"]["tier"],
                "capacity_gib": sizing["filestore"]["shared"]["capacity_gib"],
            },
            "admin_cidrs": list(storage["admin_cidrs"]),
            "backups": dict(storage["backups"]),
        },
        "registry_mirror": {
            "enabled": d["registry_mirror"]["enabled"],
            "cache_gib": storage["registry_cache_gib"],
            "upstreams": [dict(u) for u in d["registry_mirror"]["upstreams"]],
        },
        "hub": {
            "namespace": hub["namespace"],
            "domain": hub["domain"],
            "chart_version": Z2JH_CHART_VERSION,
            "auth": {
                "type": hub["auth"]["type"],
                "github_organizations": list(hub["auth"]["github_organizations"]),
                "cilogon_idps": list(hub["auth"]["cilogon_idps"]),
                "admin_users": list(hub["auth"]["admin_users"]),
                "client_id": hub["auth"].get("client_id", ""),
                "client_secret_secret": hub["auth"].get("client_secret_secret"),
                "jwt": _jwt(hub["auth"]),
            },
            "culling": dict(hub["culling"]),
            "lab": dict(hub["lab"]),
            "identity": {
                "shared_gid": hub["identity"]["shared_gid"],
                "reserved_ids_below": hub["identity"]["reserved_ids_below"],
                "github_teams": hub["identity"]["github_teams"],
                "cilogon_uid_claim": hub["identity"]["cilogon"]["uid_claim"],
                "cilogon_uid_fallback": hub["identity"]["cilogon"]["uid_fallback"],
                "cilogon_groups": [dict(g) for g in hub["identity"]["cilogon"]["groups"]],
            },
            "home_soft_limit_gib": storage["home_per_user_gib"],
            "profiles": _profiles(d["resources"]),
            "images": images,
            "volumes": [_volume(v) for v in hub["volumes"]],
            "notebooks": {
                "enabled": hub["notebooks"]["enabled"],
                "repository": hub["notebooks"].get("repository", ""),
                "branch": hub["notebooks"]["branch"],
                "target": hub["notebooks"]["target"],
                "timeout_seconds": hub["notebooks"]["timeout_seconds"],
            },
        },
        "budget": _budget(d["budget"], sizing),
        "dask": {
            "enabled": d["dask"]["enabled"],
            "chart_version": DASK_GATEWAY_CHART_VERSION,
            "release_name": "dask-gateway",
            "per_user": dict(d["dask"]["per_user"]),
            "scheduler": dict(d["dask"]["scheduler"]),
            "worker": dict(d["dask"]["worker"]),
            "idle_timeout_seconds": d["dask"]["idle_timeout_seconds"],
            "pool": "dask",
        },
    }


# Node label and taint key of the pools outside core and user: what pins a service to its pool.
POOL_LABEL = "sciplat.io/pool"
DEDICATED_TAINT = "sciplat.io/dedicated"


def _extra_pools(sizing: dict[str, Any]) -> list[dict[str, Any]]:
    """node_pools.extra and the dask pool, with bounds from the capacity plan."""
    return [
        {
            "name": pool["name"],
            "machine_type": pool["machine_type"],
            "disk_type": pool["disk_type"],
            "disk_size_gib": pool["disk_size_gib"],
            "spot": pool["spot"],
            "max_pods_per_node": pool["max_pods_per_node"],
            "min_nodes": pool["min_nodes"],
            "max_nodes": pool["max_nodes"],
            "labels": {**pool["labels"], POOL_LABEL: pool["name"]},
            "dedicated": pool["dedicated"],
        }
        for pool in sizing["extra_pools"]
    ]


def _jwt(auth: dict[str, Any]) -> dict[str, Any] | None:
    """hub.auth.jwt for the JWT header authenticator, or None for the OAuth sources."""
    jwt = auth.get("jwt")
    if auth["type"] != "jwt" or jwt is None:
        return None
    return {
        "jwks_url": jwt["jwks_url"],
        "issuer": jwt["issuer"],
        "audience": jwt["audience"],
        "header": jwt["header"],
        "username_claim": jwt["username_claim"],
        "uid_claim": jwt["uid_claim"],
        "gid_claim": jwt["gid_claim"],
        "groups_claim": jwt["groups_claim"],
        "allowed_groups": list(jwt["allowed_groups"]),
    }


def _budget(budget: dict[str, Any], sizing: dict[str, Any]) -> dict[str, Any]:
    """budget.*, with the amount from the capacity plan (monthly cost x margin) unless fixed."""
    planned = sizing.get("budget") or {}
    return {
        "enabled": budget["enabled"],
        "billing_account": budget.get("billing_account"),
        "amount_usd": planned.get("amount_usd", 0),
        "thresholds_percent": list(budget["thresholds_percent"]),
        "forecast_percent": budget["forecast_percent"],
        "notify_emails": list(budget["notify_emails"]),
    }


def _volume(vol: dict[str, Any]) -> dict[str, Any]:
    nfs = vol.get("nfs") or {}
    return {
        "name": vol["name"],
        "mount_path": vol["mount_path"].rstrip("/") or "/",
        "read_only": vol["read_only"],
        "sub_path": vol["sub_path"],
        "nfs_server": nfs.get("server"),
        "nfs_path": nfs.get("path"),
        "claim": vol.get("claim"),
    }


def _profiles(res: dict[str, Any]) -> list[dict[str, Any]]:
    keys = ("cpu_guarantee_cores", "cpu_limit_cores", "memory_guarantee_gib", "memory_limit_gib")
    if res["sizes"]:
        sizes = [dict(size) for size in res["sizes"]]
        if not any(size["default"] for size in sizes):
            sizes[0]["default"] = True
        return [
            {
                "name": s["name"],
                "display_name": s["display_name"],
                **{k: s[k] for k in keys},
                "default": s["default"],
            }
            for s in sizes
        ]
    return [
        {
            "name": "default",
            "display_name": (
                f"Default (up to {_num(res['cpu_limit_cores'])} cores, "
                f"{_num(res['memory_limit_gib'])} GiB)"
            ),
            **{k: res[k] for k in keys},
            "default": True,
        }
    ]


def _num(value: float) -> str:
    return f"{value:g}"


def render_backend(env: Environment) -> str:
    state = env.data["state"]
    return (
        "# Partial gcs backend configuration of this environment; written by sciplat render.\n"
        f"bucket = {json.dumps(state['bucket'])}\n"
        f"prefix = {json.dumps(state['prefix'])}\n"
    )


def prepare(env_name: str | Path) -> tuple[Environment, dict[str, Any], dict[str, Any], list[str]]:
    """Validate, size and resolve images; return (env, sizing, tfvars, warnings). Writes nothing."""
    from sciplat.capacity import plan_capacity
    from sciplat.images.lock import hub_images_for_render

    env = load_environment(env_name)
    sizing = plan_capacity(env.data).to_dict()
    _check_single_home_instance(env, sizing)
    images, warnings = hub_images_for_render(env)
    tfvars = render_tfvars(env, sizing, images)
    return env, sizing, tfvars, list(warnings)


def _check_single_home_instance(env: Environment, sizing: dict[str, Any]) -> None:
    """The hub mounts one home share; refuse a plan that needs homes split over instances."""
    home = sizing["filestore"]["home"]
    if home["instances"] > 1:
        users = env.data["users"]["total"]
        quota = env.data["storage"]["home_per_user_gib"]
        raise ConfigError(
            [
                Problem(
                    display_path(env.path),
                    env.line_of(("storage", "home_per_user_gib")),
                    "storage.home_per_user_gib",
                    f"{users} users x {quota:g} GiB needs {home['instances']} {home['tier']} "
                    f"Filestore instances of {home['capacity_gib']:,} GiB, but one home share is "
                    "deployed; lower the quota or users.total, or pick a tier with larger "
                    "instances (storage.home_tier)",
                )
            ]
        )


def render(env_name: str | Path, *, build_dir: Path = Path("build")) -> RenderResult:
    """Validate, size and write build/ENV/terraform.tfvars.json and build/ENV/backend.hcl.

    Refuses an environment whose state location (or cluster, in the same project) is another
    environment's in env/: a renamed copy would plan and apply against that one's state."""
    from sciplat.config import environments_beside, shared_resources

    env, sizing, tfvars, warnings = prepare(env_name)
    shared = shared_resources([env], environments_beside(env))
    if shared:
        raise ConfigError(shared)
    backend = render_backend(env)
    out = build_dir / env.name
    tfvars_path = out / "terraform.tfvars.json"
    backend_path = out / "backend.hcl"
    try:
        private_dir(out)
        write_all_atomic(
            {
                tfvars_path: json.dumps(tfvars, indent=2, sort_keys=True) + "\n",
                backend_path: backend,
            }
        )
    except OSError as exc:
        raise UsageError(f"cannot write {display_path(out)}: {exc.strerror or exc}") from None
    return RenderResult(env, tfvars, backend, sizing, tfvars_path, backend_path, warnings)
