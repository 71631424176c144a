"""Benchmark: `sciplat verify` of 500 user nodes x 10 images against the local API server.

Starts the local control plane (tests/harness: etcd, kube-apiserver, kube-controller-manager on
loopback), registers 500 user nodes and 3 core nodes shaped like GKE's pools, each user node
reporting the 10 lab images of a pinned image set in `status.images` (through the registry
mirror, by digest and tag, beside system images), then times the whole command as an operator
runs it, start-up included:

  sciplat verify ENV --kubeconfig K --checks prepull,placement --json

(prepull and placement are the checks that read every node.) Median of several runs.
Target: under 5 s. Exits 1 if the target is missed or the verify does not report 500 of 500
nodes ready.
Usage: python benchmarks/bench_verify.py [--nodes 500] [--images 10] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.harness.controlplane import ControlPlane  # noqa: E402
from tests.harness.nodes import register_node  # noqa: E402
from tests.verify_support import env_with_lock, lab_images, node_images  # noqa: E402

TARGET_S = 5.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--images", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sciplat = Path(sys.executable).with_name("sciplat")

    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        work = Path(tmp)
        images = lab_images(args.images)
        env_file = env_with_lock(work / "env", "stable", images)
        plane = ControlPlane.start(work / "cluster")
        try:
            api = plane.api_client()
            start = time.perf_counter()
            reported = node_images(images)
            names = [f"gke-sciplat-stable-user-{i:04d}" for i in range(args.nodes)]
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda n: register_node(api, n, images=reported), names))
            for i in range(3):
                register_node(
                    api, f"gke-sciplat-stable-core-{i}", pool="core", machine_type="e2-standard-4"
                )
            print(
                f"registered {args.nodes} user nodes x {args.images} images and 3 core nodes "
                f"in {time.perf_counter() - start:.1f} s"
            )
            argv = [str(sciplat), "verify", str(env_file), "--kubeconfig", str(plane.kubeconfig)]
            argv += ["--checks", "prepull,placement", "--json"]
            samples = []
            doc: dict = {}
            for _ in range(args.runs):
                t0 = time.perf_counter()
                proc = subprocess.run(argv, capture_output=True, text=True, cwd=REPO)
                samples.append(time.perf_counter() - t0)
                if proc.returncode not in (0, 1):
                    print(f"verify exited {proc.returncode}: {proc.stderr.strip()}")
                    return 1
                doc = json.loads(proc.stdout)
        finally:
            plane.stop()

    prepull = next(c for c in doc["checks"] if c["name"] == "prepull")
    ready, total = prepull["details"]["ready_nodes"], prepull["details"]["total_nodes"]
    median = statistics.median(samples)
    print(f"verify (process, {args.runs} runs): median {median:.2f} s, min {min(samples):.2f} s")
    print(f"  prepull: {prepull['summary']}; placement: {doc['checks'][1]['summary']}")
    print(f"target: under {TARGET_S:g} s -> {'met' if median < TARGET_S else 'MISSED'}")
    if ready != args.nodes or total != args.nodes:
        print(f"expected {args.nodes} of {args.nodes} nodes ready, got {ready} of {total}")
        return 1
    return 0 if median < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
