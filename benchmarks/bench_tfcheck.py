"""Benchmark the offline Terraform checks and print the figures.

- warm `sciplat providers` (everything cached): target under 5 s;
- warm `sciplat tf-validate` + `sciplat tf-test` (root, every module, every environment):
  target under 3 minutes on the project's 2-core machine;
- with --cold: `sciplat providers` into empty caches (provider cache, Go module and build caches):
  the three providers built from their released sources; target under 45 minutes; prints the
  cache sizes. Takes several CPU-minutes per provider.

Usage: python benchmarks/bench_tfcheck.py [--cold]
Exits 1 when a timing target is missed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sciplat.tfcheck import REPO_ROOT, cache_root, count_suite, terraform_dirs

WARM_PROVIDERS_S = 5.0
WARM_CHECKS_S = 180.0
COLD_PROVIDERS_S = 45 * 60.0


def sciplat(*args: str, env: dict[str, str] | None = None) -> float:
    """Run `sciplat ARGS`; return its wall time; fail loudly on a non-zero exit."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "sciplat.cli", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
    )
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"sciplat {' '.join(args)} failed with exit code {proc.returncode}")
    return elapsed


def disk_usage(path: Path) -> int:
    seen: dict[tuple[int, int], int] = {}
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            seen[(st.st_dev, st.st_ino)] = st.st_size
    return sum(seen.values())


def main(argv: list[str]) -> int:
    missed = []
    if "--cold" in argv:
        with tempfile.TemporaryDirectory(prefix="bench-tfcheck-") as tmp:
            env = {
                "SCIPLAT_PROVIDER_CACHE": f"{tmp}/providers",
                "GOMODCACHE": f"{tmp}/gomod",
                "GOCACHE": f"{tmp}/gocache",
                "SCIPLAT_PROVIDERS": "local",
            }
            cold = sciplat("providers", env=env)
            size = disk_usage(Path(tmp) / "providers") / 2**20
            go_size = (disk_usage(Path(tmp) / "gomod") + disk_usage(Path(tmp) / "gocache")) / 2**20
            subprocess.run(["chmod", "-R", "u+w", tmp], check=False)  # Go's module cache is r/o
        print(f"cold providers: {cold:.1f} s (target {COLD_PROVIDERS_S / 60:.0f} min)")
        print(f"provider cache: {size:.0f} MiB; Go's module and build caches: {go_size:.0f} MiB")
        if cold > COLD_PROVIDERS_S:
            missed.append("cold providers")

    warm = sciplat("providers")
    print(f"warm providers: {warm:.1f} s (target {WARM_PROVIDERS_S:.0f} s)")
    print(f"provider cache at {cache_root()}: {disk_usage(cache_root()) / 2**20:.0f} MiB")
    if warm > WARM_PROVIDERS_S:
        missed.append("warm providers")

    validate = sciplat("tf-validate")
    test = sciplat("tf-test")
    suites = [p for d in terraform_dirs() for p in sorted(d.glob("tests/**/*.tftest.hcl"))]
    runs, asserts = count_suite(suites)
    print(f"tf-validate: {validate:.1f} s; tf-test: {test:.1f} s")
    print(
        f"warm validate + tf-test: {validate + test:.1f} s (target {WARM_CHECKS_S:.0f} s); "
        f"{len(suites)} test files, {runs} runs, {asserts} asserts (environment runs repeat)"
    )
    if validate + test > WARM_CHECKS_S:
        missed.append("warm validate + tf-test")
    if missed:
        print("missed: " + ", ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
