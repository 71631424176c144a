"""Helpers for the verify tests and benchmark: an environment with an image lock of N pinned
images, and the `status.images` entries a node holding some of them reports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
REGISTRY, REPOSITORY = "docker.io", "lsstsqre/sciplat-lab"


def digest(i: int) -> str:
    return "sha256:" + f"{i + 1:064x}"


def lab_images(count: int) -> list[dict[str, Any]]:
    """`count` weeklies pinned by digest, the newest recommended, as a lock file lists them."""
    return [
        {
            "tag": f"w_2026_{48 - i:02d}",
            "digest": digest(i),
            "class": "weekly",
            "display_name": f"Weekly 2026_{48 - i:02d}",
            "recommended": i == 0,
        }
        for i in range(count)
    ]


def env_with_lock(directory: Path, env_name: str, images: list[dict[str, Any]]) -> Path:
    """Copy env/ENV.yaml into `directory` with images/ENV.json holding `images`; return the
    environment file (its name stays ENV, its lock is the one beside it)."""
    directory.mkdir(parents=True, exist_ok=True)
    env_file = directory / f"{env_name}.yaml"
    shutil.copyfile(REPO_ROOT / "env" / f"{env_name}.yaml", env_file)
    lock = {
        "version": 1,
        "environment": env_name,
        "registry": REGISTRY,
        "repository": REPOSITORY,
        "images": images,
    }
    (directory / "images").mkdir(exist_ok=True)
    (directory / "images" / f"{env_name}.json").write_text(json.dumps(lock, indent=2))
    return env_file


def node_images(
    images: list[dict[str, Any]], prefix: str = "us-central1-docker.pkg.dev/p/dockerhub"
) -> list[dict[str, Any]]:
    """`status.images` entries as a kubelet reports lab images pulled through the mirror: a
    pinned image under its repo digest and its tag, an unpinned one under its tag; beside the
    node's own system images. `images` are lock or tfvars entries."""
    entries = []
    for image in images:
        repository = image.get("repository", REPOSITORY)
        if image.get("registry", REGISTRY) == "docker.io" and "/" not in repository:
            repository = f"library/{repository}"
        name = f"{prefix}/{repository}"
        names = [f"{name}@{image['digest']}"] if image.get("digest") else []
        entries.append({"names": [*names, f"{name}:{image['tag']}"], "sizeBytes": 9_800_000_000})
    system = [
        {"names": ["registry.k8s.io/pause:3.10"], "sizeBytes": 320_000},
        {"names": ["gke.gcr.io/kube-proxy-amd64:v1.33.5-gke.1"], "sizeBytes": 30_000_000},
    ]
    return system + entries
