"""The environment the seed design note describes, for `sciplat capacity` without ENV."""

from __future__ import annotations

import copy
from typing import Any

from sciplat.capacity._data import load

_SEED: dict[str, Any] = {
    "name": "seed",
    "description": "The seed design note's reference deployment (10^2 concurrent users).",
    "gcp": {
        "project": "sciplat-seed",
        "region": "us-central1",
        "zones": ["us-central1-a", "us-central1-b", "us-central1-c"],
        "regional_cluster": True,
    },
    "cluster": {"name": "sciplat-seed", "network_policy": True},
    "node_pools": {
        "core": {
            "machine_type": "e2-standard-4",
            "disk_type": "pd-balanced",
            "disk_size_gib": 100,
            "min_nodes": 1,
            "max_nodes": 3,
        },
        "user": [
            {
                "name": "user",
                "machine_type": "",  # filled from planner.json: the seed's 6 cores / 16 GB
                "disk_type": "pd-ssd",
                "disk_size_gib": 200,  # "200 GB of node-local storage", SSD-backed
                "local_ssd_count": 0,
                "image_streaming": True,
                "spot": False,
                "max_pods_per_node": 32,
                "autoscaling": "from_capacity",
            }
        ],
    },
    "users": {"total": 0, "peak_concurrent": 0, "headroom_percent": 20},
    "resources": {
        "cpu_guarantee_cores": 0.5,
        "cpu_limit_cores": 4,
        "memory_guarantee_gib": 0.5,
        "memory_limit_gib": 8,
        "sizes": [],
    },
    "storage": {
        "home_per_user_gib": 50,
        "home_tier": "auto",
        "shared_gib": 10240,
        "shared_tier": "BASIC_HDD",
        "registry_cache_gib": 250,
        "image_size_gib": 10,
        "max_images": 9,
    },
    "registry_mirror": {"enabled": True},
    "network": {
        "subnet_cidr": "10.10.0.0/20",
        "pods_cidr": "10.12.0.0/14",
        "services_cidr": "10.10.16.0/20",
        "master_cidr": "172.16.0.16/28",
    },
}


def seed_environment() -> dict[str, Any]:
    """A complete environment dict (shape of env/stable.yaml) with the seed's numbers."""
    env = copy.deepcopy(_SEED)
    seed = load("planner.json")["seed"]
    env["node_pools"]["user"][0]["machine_type"] = seed["reference_machine_type"]
    env["users"]["total"] = int(seed["total_users"])
    env["users"]["peak_concurrent"] = int(seed["peak_concurrent"])
    return env


def reference_machine_type() -> str:
    """The seed's reference user-node shape (about 6 cores / 16 GB)."""
    return str(load("planner.json")["seed"]["reference_machine_type"])
