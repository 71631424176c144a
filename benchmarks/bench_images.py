"""Benchmark: list 5,000 tags from a local registry with sciplat and with skopeo, same run.

Starts Debian's docker-registry on loopback, pushes 5,000 tiny tagged images with the Registry
API, then times (median of several runs):

  sciplat (library)   a new RegistryClient (new connection) listing the tags, in this process
  sciplat (process)   a fresh Python process that imports sciplat and lists the tags
  skopeo list-tags    skopeo list-tags --tls-verify=false docker://127.0.0.1:PORT/REPO

Target: listing with sciplat no slower than skopeo (the library figure, which includes opening
the connection but not starting an interpreter). The process figure is printed as well: it is
dominated by Python's start-up and imports, which no listing code can remove. Exits 1 if the
target is missed.
Usage: python benchmarks/bench_images.py [--tags 5000] [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test helpers in tests/

from sciplat.images.registry import RegistryClient
from tests.localregistry import LocalRegistry, Pusher, registry_available

REPO = "bench/sciplat-lab"


def timed(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    result: object = None
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not registry_available() or shutil.which("skopeo") is None:
        print("bench_images: needs docker-registry and skopeo (bash scripts/system-deps.sh)")
        return 1

    with LocalRegistry() as reg:
        start = time.perf_counter()
        names = [
            f"d_{2000 + i // 365}_{(i // 28) % 12 + 1:02d}_{i % 28 + 1:02d}_rsp{i}"
            for i in range(args.tags)
        ]
        with Pusher(reg.url, REPO, workers=16) as pusher:
            pusher.push_many(names)
        push_s = time.perf_counter() - start
        print(f"pushed {args.tags} tags to {reg.host}/{REPO} in {push_s:.1f} s")

        def list_once() -> list[str]:
            with RegistryClient(reg.url, use_docker_config=False) as client:
                return client.list_tags(REPO)

        lib_s, tags = timed(list_once, args.runs)
        assert isinstance(tags, list) and len(tags) == args.tags, len(tags)

        code = (
            "import sys\nfrom sciplat.images.registry import RegistryClient\n"
            f"c = RegistryClient({reg.url!r}, use_docker_config=False)\n"
            f"print(len(c.list_tags({REPO!r})))\n"
        )
        proc_s, out = timed(
            lambda: (
                subprocess.run(
                    [sys.executable, "-c", code], capture_output=True, text=True, check=True
                ).stdout
            ),
            args.runs,
        )
        assert int(str(out)) == args.tags, out

        skopeo = ["skopeo", "list-tags", "--tls-verify=false", f"docker://{reg.host}/{REPO}"]
        skopeo_s, sk_out = timed(
            lambda: subprocess.run(skopeo, capture_output=True, text=True, check=True).stdout,
            args.runs,
        )
        assert len(json.loads(str(sk_out))["Tags"]) == args.tags

    print(f"list {args.tags} tags, median of {args.runs} runs:")
    print(f"  sciplat (library)   {lib_s * 1000:8.1f} ms")
    print(f"  sciplat (process)   {proc_s * 1000:8.1f} ms   (fresh interpreter + imports)")
    print(f"  skopeo list-tags    {skopeo_s * 1000:8.1f} ms   (process)")
    ok = lib_s <= skopeo_s
    verdict = "met" if ok else "MISSED"
    print(f"target (sciplat listing no slower than skopeo): {verdict} ({lib_s / skopeo_s:.2f}x)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
