"""Benchmark the local control plane and the Hub applied to it, and print the figures.

- the tools (kube-apiserver, kube-controller-manager, kubectl, helm): reuse from the cache;
- control plane start to ready (target under 15 s) and its resident memory;
- per environment: a first apply of modules/hub with the real providers (target under 60 s),
  a second apply with nothing to change, and a destroy;
- the resident memory of etcd, kube-apiserver and kube-controller-manager at the end
  (target under 1 GiB in all).

Usage: PYTHONPATH=. python benchmarks/bench_cluster.py [ENV ...]  (from the repository root)
Exits 1 when a target is missed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sciplat.config import environment_names
from tests.harness.controlplane import ControlPlane
from tests.harness.hub import apply_hub
from tests.harness.tools import helm_tool, kube_tools

START_S = 15.0
APPLY_S = 60.0
RSS_MIB = 1024.0


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str]) -> int:
    missed = []
    started = time.monotonic()
    kube_tools()
    helm_tool()
    print(f"tools ready: {time.monotonic() - started:.1f} s (built once, then cached)")
    envs = argv[1:] or environment_names()
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        for env_name in envs:
            began = time.monotonic()
            plane = ControlPlane.start(Path(tmp) / f"plane-{env_name}")
            start_s = time.monotonic() - began
            try:
                first = apply_hub(plane, env_name, Path(tmp) / f"hub-{env_name}")
                began = time.monotonic()
                first.apply()
                second_s = time.monotonic() - began
                memory = {name: rss_mib(pid) for name, pid in plane.pids.items()}
                began = time.monotonic()
                first.destroy()
                destroy_s = time.monotonic() - began
            finally:
                plane.stop()
            total = sum(memory.values())
            print(
                f"{env_name}: start {start_s:.1f} s, first apply {first.seconds:.1f} s, "
                f"second apply {second_s:.1f} s, destroy {destroy_s:.1f} s; resident "
                + ", ".join(f"{k} {v:.0f} MiB" for k, v in memory.items())
                + f" ({total:.0f} MiB in all)"
            )
            if start_s > START_S:
                missed.append(f"{env_name} start")
            if first.seconds > APPLY_S:
                missed.append(f"{env_name} first apply")
            if total > RSS_MIB:
                missed.append(f"{env_name} memory")
    print(
        f"targets: start < {START_S:.0f} s, first apply < {APPLY_S:.0f} s, "
        f"control plane < {RSS_MIB:.0f} MiB resident"
    )
    if missed:
        print("missed: " + ", ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
