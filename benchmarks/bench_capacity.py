"""Benchmark the capacity planner and print the figures.

- one sizing (plan_capacity of an environment): target under 50 ms;
- a sweep of 10^4 user counts (1 to 10,000) through one Planner: target under 2 s;
- cost per concurrent user-month of the optimizer's choice against the seed's reference
  shape (about 6 cores / 16 GB) for 10, 100, 1,000 and 10,000 concurrent users.

Usage: python benchmarks/bench_capacity.py [ENV]   (default: the seed's defaults)
Exits 1 when a timing target is missed.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from sciplat.capacity import Planner, plan_capacity
from sciplat.capacity.defaults import reference_machine_type, seed_environment
from sciplat.capacity.optimize import optimize

ONE_SIZING_MS = 50.0
SWEEP_S = 2.0


def environment(argv: list[str]) -> tuple[str, dict[str, Any]]:
    if len(argv) > 1:
        from sciplat.config import load_environment

        env = load_environment(argv[1])
        return env.name, env.data
    return "seed defaults", seed_environment()


def main(argv: list[str]) -> int:
    name, env = environment(argv)
    print(f"capacity planner benchmark ({name})")

    start = time.perf_counter()
    plan_capacity(env)
    first_ms = (time.perf_counter() - start) * 1000
    runs = []
    for _ in range(200):
        start = time.perf_counter()
        plan_capacity(env)
        runs.append((time.perf_counter() - start) * 1000)
    median_ms = statistics.median(runs)
    worst_ms = max(runs)
    print(
        f"one sizing: first {first_ms:.2f} ms, median {median_ms:.3f} ms, "
        f"max {worst_ms:.3f} ms over 200 runs (target < {ONE_SIZING_MS:.0f} ms)"
    )

    planner = Planner(env)
    start = time.perf_counter()
    refused = 0
    for users in range(1, 10_001):
        try:
            planner.plan(users)
        except Exception:  # a refused plan still counts as a point of the sweep
            refused += 1
    sweep_s = time.perf_counter() - start
    print(
        f"sweep of 10,000 user counts: {sweep_s:.3f} s ({refused} refused) "
        f"(target < {SWEEP_S:.0f} s)"
    )

    print()
    print("cost per concurrent user-month, optimizer's choice vs the seed's reference shape")
    ref = reference_machine_type()
    print(
        f"{'users':>7}  {'optimizer choice':<18} {'USD/user':>9}  {ref:<18} {'USD/user':>9}  saving"
    )
    for users in (10, 100, 1_000, 10_000):
        out = optimize(env, users=users)
        best = out["top"][0]
        seed = out["reference"]
        if "error" in seed:
            print(
                f"{users:>7}  {best['machine_type']:<18} {best['per_user_month_usd']:>9.2f}  "
                f"{'(refused)':<18}"
            )
            continue
        saving = 1 - best["per_user_month_usd"] / seed["per_user_month_usd"]
        print(
            f"{users:>7}  {best['machine_type']:<18} {best['per_user_month_usd']:>9.2f}  "
            f"{seed['machine_type']:<18} {seed['per_user_month_usd']:>9.2f}  {saving:6.1%}"
        )

    ok = first_ms < ONE_SIZING_MS and sweep_s < SWEEP_S
    print()
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
