"""Nodes and monthly cost against concurrent users (1 to 10^4), marking the target."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from sciplat.capacity.errors import CapacityError
from sciplat.capacity.plan import Planner


def sweep_points(max_users: int = 10_000, per_decade: int = 60) -> list[int]:
    """User counts from 1 to `max_users`, log-spaced, every integer below 100."""
    points = set(range(1, min(max_users, 100) + 1))
    x = 100.0
    step = 10 ** (1 / per_decade)
    while x < max_users:
        points.add(round(x))
        x *= step
    points.add(max_users)
    return sorted(points)


def sweep(planner: Planner, users: list[int]) -> list[dict[str, Any]]:
    """Plan each user count; a count the plan refuses gets `refused` with the reason."""
    out: list[dict[str, Any]] = []
    for n in users:
        try:
            d = planner.plan(n).to_dict()
        except CapacityError as exc:
            out.append({"users": n, "refused": str(exc)})
            continue
        out.append(
            {
                "users": n,
                "max_nodes": d["user_pool"]["max_nodes"],
                "nodes_at_peak": d["user_pool"]["nodes_at_peak"],
                "min_nodes": d["user_pool"]["min_nodes"],
                "monthly_usd": d["cost"]["monthly_usd"],
            }
        )
    return out


def write_plot(planner: Planner, path: Path, *, target: int, max_users: int = 10_000) -> None:
    """Draw user-pool nodes and monthly cost against concurrent users into `path` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = sweep(planner, sweep_points(max_users))
    ok = [p for p in points if "refused" not in p]
    if not ok:
        raise CapacityError("--plot", "no user count between 1 and 10^4 can be planned")
    xs = [p["users"] for p in ok]
    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=110)
    ax.step(xs, [p["max_nodes"] for p in ok], where="post", label="user pool max nodes")
    ax.step(xs, [p["nodes_at_peak"] for p in ok], where="post", label="user nodes at peak")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("concurrent users")
    ax.set_ylabel("nodes")
    ax.grid(True, which="both", alpha=0.3)
    ax2 = ax.twinx()
    ax2.plot(xs, [p["monthly_usd"] for p in ok], color="tab:red", label="monthly cost (USD)")
    ax2.set_yscale("log")
    ax2.set_ylabel("USD per month")
    ax.axvline(target, color="black", linestyle="--", linewidth=1)
    target_plan = planner.plan(target).to_dict()
    ax.annotate(
        f"target {target:,} users\n{target_plan['user_pool']['max_nodes']} nodes max, "
        f"${target_plan['cost']['monthly_usd']:,.0f}/month",
        xy=(target, target_plan["user_pool"]["max_nodes"]),
        xytext=(-170, 60),
        textcoords="offset points",
        fontsize=8,
        bbox={"boxstyle": "round", "fc": "white", "alpha": 0.9},
        arrowprops={"arrowstyle": "->", "lw": 0.8},
    )
    refused = [p for p in points if "refused" in p]
    if refused:
        why = refused[0]["refused"].split(":", 1)[0]
        ax.axvspan(
            refused[0]["users"],
            max_users,
            color="grey",
            alpha=0.15,
            label=f"plan refuses ({why})",
        )
    handles = ax.get_legend_handles_labels()
    handles2 = ax2.get_legend_handles_labels()
    ax.legend(handles[0] + handles2[0], handles[1] + handles2[1], loc="upper left", fontsize=8)
    fit = planner.primary
    ax.set_title(
        f"{planner.name}: {fit.machine.name}, {fit.users_per_node} users/node "
        f"(binding: {fit.binding}), prices {planner.prices.region} {planner.prices.date}",
        fontsize=9,
    )
    fig.tight_layout()
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write next to the target and rename, so a failure leaves no half-written file.
        fd, tmp = tempfile.mkstemp(prefix=".capacity-", suffix=".png", dir=path.parent)
    except OSError as exc:
        plt.close(fig)
        raise CapacityError("--plot", f"{path}: cannot write: {exc.strerror}") from None
    os.close(fd)
    try:
        fig.savefig(tmp, format="png")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a plot is for sharing
        os.replace(tmp, path)
    except OSError as exc:
        raise CapacityError("--plot", f"{path}: cannot write: {exc.strerror}") from None
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
