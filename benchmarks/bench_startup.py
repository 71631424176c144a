"""Benchmark the command line's start-up: whole processes, as a person or a script runs them.

Times, as separate processes (median of N runs after one warm-up):

  python -c pass                   the interpreter alone: the floor no command can go below
  sciplat --help                   the command list (no command module is imported)
  sciplat validate env/stable.yaml one environment file, valid
  sciplat capacity --json          the seed's reference plan as JSON

and prints wall and CPU time (user + system) of each. Wall time depends on what else the machine
is doing; CPU time much less, so both are shown, and the load average with them.

Target: `sciplat validate` of one file under 250 ms median wall. Exits 1 if it is missed.
Usage: python benchmarks/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
VALIDATE_TARGET_S = 0.250


def sciplat_argv() -> list[str]:
    """The installed console script beside this interpreter, as people run it."""
    script = Path(sys.executable).parent / "sciplat"
    if script.is_file():
        return [str(script)]
    found = shutil.which("sciplat")
    return [found] if found else [sys.executable, "-m", "sciplat.cli"]


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one process; fails loudly on a non-zero exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"{' '.join(argv)} failed with exit code {proc.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(argv: list[str], runs: int) -> tuple[float, float]:
    run_once(argv)  # warm the file cache and the bytecode
    samples = [run_once(argv) for _ in range(runs)]
    return (
        statistics.median(w for w, _ in samples),
        statistics.median(c for _, c in samples),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)

    sciplat = sciplat_argv()
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "sciplat --help": [*sciplat, "--help"],
        "sciplat validate env/stable.yaml": [*sciplat, "validate", "env/stable.yaml"],
        "sciplat capacity --json": [*sciplat, "capacity", "--json"],
    }
    print(f"start-up, median of {args.runs} runs (load average {os.getloadavg()[0]:.1f}):")
    results = {}
    for label, command in cases.items():
        wall, cpu = measure(command, args.runs)
        results[label] = wall
        print(f"  {label:34} {wall * 1000:6.0f} ms wall  {cpu * 1000:6.0f} ms CPU")
    validate = results["sciplat validate env/stable.yaml"]
    met = validate < VALIDATE_TARGET_S
    print(
        f"target (validate of one file under {VALIDATE_TARGET_S * 1000:.0f} ms median wall): "
        f"{'met' if met else 'MISSED'} ({validate * 1000:.0f} ms)"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
