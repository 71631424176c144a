"""Benchmark: review a generated plan with 10,000 resource changes (target: under 2 s).

Generates a plan JSON of the shape `terraform show -json` prints (format 1.2) with a mix of
creates, updates, replaces (with replace_paths), deletes, reads and no-ops over the platform's
resource types, sensitive and unknown values, Helm values and drift; then times reading it,
classifying, costing and rendering Markdown, JSON and the terminal view.

Usage: .venv/bin/python benchmarks/bench_review.py [N_CHANGES]

Exits 1 when the target is missed, as the other benchmarks do, so `make bench` stops there.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from sciplat.review.cli import render, review_file
from sciplat.review.cost import default_prices

TARGET_SECONDS = 2.0
TYPES = (
    "google_container_node_pool",
    "google_filestore_instance",
    "google_compute_firewall",
    "google_project_iam_member",
    "kubernetes_persistent_volume_claim_v1",
    "helm_release",
    "terraform_data",
)
ACTIONS = (["create"], ["update"], ["delete", "create"], ["delete"], ["no-op"], ["read"])


def _attrs(kind: str, i: int, version: int) -> dict[str, Any]:
    if kind == "google_container_node_pool":
        return {
            "name": f"pool-{i}",
            "autoscaling": [{"total_min_node_count": 1 + version, "total_max_node_count": 10}],
            "node_config": [
                {
                    "machine_type": "n2-standard-8" if version == 0 else "n2-standard-16",
                    "disk_type": "pd-ssd",
                    "disk_size_gb": 200,
                    "labels": {"pool": f"p{i}", "rev": str(version)},
                }
            ],
        }
    if kind == "google_filestore_instance":
        return {"tier": "BASIC_SSD", "file_shares": [{"capacity_gb": 2560 + 512 * version}]}
    if kind == "google_compute_firewall":
        ranges = ["10.0.0.0/8"] + (["192.0.2.0/24"] if version else [])
        return {"name": f"fw-{i}", "source_ranges": ranges}
    if kind == "helm_release":
        images = [f"docker.io/lsstsqre/sciplat-lab:w_2026_{40 + version + k}" for k in range(3)]
        values = {
            "singleuser": {"profileList": [{"kubespawner_override": {"image": x}} for x in images]}
        }
        return {"version": f"4.{3 + version}.0", "values": [json.dumps(values, indent=1)]}
    return {"input": {"size": i + version, "token": f"secret-{i}", "tags": ["a", str(version)]}}


def generate(n: int) -> dict[str, Any]:
    changes = []
    for i in range(n):
        kind = TYPES[i % len(TYPES)]
        actions = ACTIONS[(i // len(TYPES)) % len(ACTIONS)]
        mode = "data" if actions == ["read"] else "managed"
        before = (
            None if actions in (["create"], ["read"]) else {"id": f"id-{i}", **_attrs(kind, i, 0)}
        )
        after = None if actions == ["delete"] else _attrs(kind, i, 0 if actions == ["no-op"] else 1)
        change: dict[str, Any] = {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": {"id": True} if actions in (["create"], ["delete", "create"]) else {},
            "before_sensitive": {"input": {"token": True}} if kind == "terraform_data" else {},
            "after_sensitive": {"input": {"token": True}} if kind == "terraform_data" else {},
        }
        if actions == ["delete", "create"]:
            change["replace_paths"] = [["node_config", 0, "machine_type"]]
        module = f"module.m{i % 40}"
        changes.append(
            {
                "address": f"{'data.' if mode == 'data' else ''}{module}.{kind}.r{i}",
                "module_address": module,
                "mode": mode,
                "type": kind,
                "name": f"r{i}",
                "change": change,
            }
        )
    drift = [dict(c, change=dict(c["change"], actions=["update"])) for c in changes[:50]]
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "variables": {"registry_mirror": {"value": {"cache_gib": 250}}},
        "resource_changes": changes,
        "resource_drift": drift,
    }


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.json"
        path.write_text(json.dumps(generate(n)))
        size_mib = path.stat().st_size / 2**20
        prices = default_prices()
        timings = {}
        start = time.perf_counter()
        review = review_file(path, title="bench", prices=prices)
        timings["read + classify + cost"] = time.perf_counter() - start
        for fmt in ("md", "json"):
            t0 = time.perf_counter()
            render(review, fmt)
            timings[f"render {fmt}"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        render(review, "text", Console(file=io.StringIO(), width=120))
        timings["render text"] = time.perf_counter() - t0
        total = time.perf_counter() - start
        # Not part of the target: the same view drawn for a colour terminal by rich.
        t0 = time.perf_counter()
        render(review, "text", Console(file=io.StringIO(), width=120, force_terminal=True))
        terminal = time.perf_counter() - t0
    blocking = len(review.blocking)
    print(f"plan: {n} resource changes, {size_mib:.1f} MiB; {blocking} blocking findings")
    for name, seconds in timings.items():
        print(f"  {name:<24} {seconds:6.3f} s")
    print(f"  (text drawn for a colour terminal: {terminal:.3f} s, not part of the target)")
    verdict = "ok" if total < TARGET_SECONDS else "SLOWER THAN TARGET"
    print(
        f"review of {n} changes, all three formats: {total:.3f} s "
        f"(target < {TARGET_SECONDS} s): {verdict}"
    )
    return 0 if total < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
