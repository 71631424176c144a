"""Show a capacity plan to people: rich tables for the terminal, Markdown for documents."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

CONSTRAINT_WORDS = {
    "cpu": "CPU guarantee",
    "memory": "memory guarantee",
    "pods": "pods per node",
    "ephemeral_storage": "ephemeral storage",
}


def _usd(x: float) -> str:
    return f"${x:,.2f}"


def _rows_summary(d: dict[str, Any]) -> list[tuple[str, str]]:
    node = d["node"]
    alloc = node["allocatable"]
    avail = node["available"]
    up = d["user_pool"]
    core = d["core_pool"]
    home = d["filestore"]["home"]
    shared = d["filestore"]["shared"]
    net = d["network"]
    rules = d["rules"]
    quota = d["user_quota"]
    return [
        ("environment", d["environment"]),
        (
            "users",
            f"{d['users']['peak_concurrent']:,} concurrent at peak "
            f"(+{d['users']['headroom_percent']:g}% headroom), {d['users']['total']:,} registered",
        ),
        (
            "per user",
            f"CPU {rules['cpu_guarantee_cores']:g}-{rules['cpu_limit_cores']:g} cores, memory "
            f"{rules['memory_guarantee_gib']:g}-{rules['memory_limit_gib']:g} GiB, home "
            f"{rules['home_per_user_gib']:g} GiB",
        ),
        (
            "user quota",
            f"requests {quota['requests_cpu_cores']:g} cores, {quota['requests_memory_gib']:g} GiB;"
            f" limits {quota['limits_cpu_cores']:g} cores, {quota['limits_memory_gib']:g} GiB; "
            f"{quota['pods']} pod (each lab's namespace, largest size)",
        ),
        (
            "user node",
            f"{node['machine_type']} ({node['cpu_cores']:g} vCPU, {node['memory_gib']:g} GiB)",
        ),
        (
            "allocatable",
            f"{alloc['cpu']:.2f} cores, {alloc['memory_gib']:.2f} GiB "
            f"(kernel reports {alloc['kernel_memory_gib']:.2f} GiB), "
            f"{alloc['ephemeral_gib']:.0f} GiB ephemeral",
        ),
        (
            "after DaemonSets",
            f"{avail['cpu']:.2f} cores, {avail['memory_gib']:.2f} GiB, {avail['pods']} pods "
            f"({node['daemonsets']['pods']} per-node system pods)",
        ),
        (
            "users per node",
            f"{d['users_per_node']}  (binding: {CONSTRAINT_WORDS[d['binding_constraint']]})",
        ),
        (
            "limit overcommit",
            f"CPU {d['overcommit']['cpu']:.2f}x, memory {d['overcommit']['memory']:.2f}x "
            "(sum of limits / allocatable)",
        ),
        (
            "user pool",
            f"{up['name']}: min {up['min_nodes']}, max {up['max_nodes']} nodes "
            f"({up['nodes_at_peak']} at peak)",
        ),
        (
            "core pool",
            f"{core['machine_type']}: min {core['min_nodes']}, max {core['max_nodes']} nodes",
        ),
        *_rows_lab(d),
        (
            "homes",
            f"{d['storage']['home_gib']:,.0f} GiB -> Filestore {home['tier']} "
            f"{home['capacity_gib']:,} GiB x{home['instances']}",
        ),
        ("shared", f"Filestore {shared['tier']} {shared['capacity_gib']:,} GiB"),
        (
            "caches",
            f"registry {d['storage']['registry_cache_gib']:,.0f} GiB, node-local "
            f"{d['storage']['node_cache_gib']:g} GiB per node",
        ),
        (
            "IP ranges",
            f"pods {net['pods_cidr']} (/{net['pods_block_prefix']} per node), nodes "
            f"{net['subnet_cidr']}, services {net['services_cidr']} ({net['services']:,})",
        ),
        (
            "largest cluster",
            f"{net['max_nodes']:,} nodes, about {net['max_users']:,} concurrent users "
            f"(bound: {net['limited_by']})",
        ),
        (
            "monthly cost",
            f"{_usd(d['cost']['monthly_usd'])} ({_usd(d['cost']['per_user_month_usd'])} per "
            "concurrent user)",
        ),
        *_rows_budget(d),
    ]


def _rows_budget(d: dict[str, Any]) -> list[tuple[str, str]]:
    budget = d.get("budget")
    if not budget:
        return []
    how = (
        f"plan + {budget['margin_percent']:g}% margin"
        if budget["source"] == "plan"
        else "fixed in the environment file"
    )
    alerts = ", ".join(f"{t:g}%" for t in budget["thresholds_percent"])
    forecast = budget.get("forecast_percent")
    more = f"; forecast at {forecast:g}%" if forecast else ""
    return [("budget", f"{_usd(budget['amount_usd'])} a month ({how}); alerts at {alerts}{more}")]


def _rows_lab(d: dict[str, Any]) -> list[tuple[str, str]]:
    """Rows for the pools outside core and user, and Dask (plans without them have none)."""
    rows = []
    for pool in d.get("extra_pools") or []:
        what = f" for {pool['purpose']}" if pool["purpose"] else ""
        rows.append(
            (
                f"{pool['name']} pool",
                f"{pool['machine_type']}{' spot' if pool['spot'] else ''}: min "
                f"{pool['min_nodes']}, max {pool['max_nodes']} nodes{what}",
            )
        )
    dask = d.get("dask")
    if dask:
        limits = dask["per_user"]
        rows.append(
            (
                "dask",
                f"{dask['clusters']} clusters at once, each a scheduler + "
                f"{dask['workers_per_cluster']} workers ({dask['cores_at_peak']:g} cores, "
                f"{dask['memory_gib_at_peak']:g} GiB in all); per user {limits['max_clusters']} "
                f"clusters, {limits['max_cores']:g} cores, {limits['max_memory_gib']:g} GiB",
            )
        )
    return rows


def constraints_table(d: dict[str, Any]) -> Table:
    t = Table(title="Users per node: each constraint", title_justify="left")
    t.add_column("constraint")
    t.add_column("users", justify="right")
    t.add_column("")
    for key, words in CONSTRAINT_WORDS.items():
        mark = "binds" if key == d["binding_constraint"] else ""
        t.add_row(words, str(d["constraints"][key]), mark)
    return t


def cost_table(d: dict[str, Any]) -> Table:
    prices = d["cost"]["prices"]
    t = Table(
        title=f"Monthly cost ({prices['region']}, prices of {prices['date']})",
        title_justify="left",
    )
    t.add_column("line")
    t.add_column("quantity", justify="right")
    t.add_column("unit")
    t.add_column("USD / month", justify="right")
    t.add_column("detail")
    for line in d["cost"]["lines"]:
        t.add_row(
            line["item"],
            f"{line['quantity']:,g}",
            line["unit"],
            _usd(line["monthly_usd"]),
            line["detail"],
        )
    t.add_row("total", "", "", _usd(d["cost"]["monthly_usd"]), "", style="bold")
    return t


def summary_table(d: dict[str, Any]) -> Table:
    t = Table(title="Capacity plan", title_justify="left", show_header=False)
    t.add_column("", style="bold")
    t.add_column("")
    for k, v in _rows_summary(d):
        t.add_row(k, v)
    return t


def optimizer_table(opt: dict[str, Any]) -> Table:
    t = Table(
        title=f"Optimizer: cheapest machine types for {opt['users']:,} concurrent users "
        f"({opt['searched']} searched, {opt['rejected']} cannot hold one user at the limit)",
        title_justify="left",
    )
    for col in ("", "machine type", "users/node", "binds", "max nodes", "USD / month", "per user"):
        t.add_column(col, justify="right" if col not in ("", "machine type", "binds") else "left")
    rows = [(f"#{i + 1}", r) for i, r in enumerate(opt["top"])]
    rows += [("configured", opt["configured"]), ("seed shape", opt["reference"])]
    for label, r in rows:
        if "error" in r:
            t.add_row(label, r["machine_type"], "-", "-", "-", "-", r["error"])
            continue
        t.add_row(
            label,
            r["machine_type"],
            str(r["users_per_node"]),
            CONSTRAINT_WORDS[r["binding_constraint"]],
            str(r["max_nodes"]),
            _usd(r["monthly_usd"]),
            _usd(r["per_user_month_usd"]),
        )
    return t


def scale_table(rows: list[dict[str, Any]], report: list[dict[str, Any]]) -> Group:
    t = Table(title="Scale on paper: where each limit breaks", title_justify="left")
    t.add_column("limit")
    t.add_column("breaks at (users)", justify="right")
    t.add_column("detail")
    t.add_column("what the plan does")
    for r in rows:
        t.add_row(r["limit"], f"{r['breaks_at_users']:,}", r["detail"], r["plan"])
    lines: list[Table | Text] = [t]
    for entry in report:
        first = entry["first"] or "nothing"
        text = f"At {entry['users']:,} concurrent users: first to break: {first}"
        if entry["plan"] is None:
            text += f"; the plan refuses: {entry['refused']}"
        else:
            p = entry["plan"]
            text += (
                f"; plan: {p['user_max_nodes']:,} user nodes max, homes on {p['home_instances']}"
                f" {p['home_tier']} instance(s), {_usd(p['monthly_usd'])} / month "
                f"({_usd(p['per_user_month_usd'])} per user)"
            )
        lines.append(Text(text))
    return Group(*lines)


def print_plan(
    console: Console,
    d: dict[str, Any],
    *,
    optimizer: dict[str, Any] | None = None,
    scale: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None,
) -> None:
    console.print(summary_table(d))
    console.print(constraints_table(d))
    console.print(cost_table(d))
    if optimizer is not None:
        console.print(optimizer_table(optimizer))
    if scale is not None:
        console.print(scale_table(*scale))
    for warning in d["warnings"]:
        console.print(f"warning: {warning}", style="yellow", markup=False)


# --------------------------------------------------------------------------- Markdown


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def to_markdown(
    d: dict[str, Any],
    *,
    optimizer: dict[str, Any] | None = None,
    scale: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None,
) -> str:
    parts = [f"## Capacity plan: {d['environment']}", ""]
    parts.append(_md_table(["", ""], [[f"**{k}**", v] for k, v in _rows_summary(d)]))
    parts += ["", "### Users per node", ""]
    parts.append(
        _md_table(
            ["constraint", "users", ""],
            [
                [w, str(d["constraints"][k]), "**binds**" if k == d["binding_constraint"] else ""]
                for k, w in CONSTRAINT_WORDS.items()
            ],
        )
    )
    prices = d["cost"]["prices"]
    parts += ["", f"### Monthly cost ({prices['region']}, prices of {prices['date']})", ""]
    rows = [
        [x["item"], f"{x['quantity']:,g} {x['unit']}", _usd(x["monthly_usd"]), x["detail"]]
        for x in d["cost"]["lines"]
    ]
    rows.append(["**total**", "", f"**{_usd(d['cost']['monthly_usd'])}**", ""])
    parts.append(_md_table(["line", "quantity", "USD / month", "detail"], rows))
    if optimizer is not None:
        parts += ["", f"### Optimizer ({optimizer['users']:,} concurrent users)", ""]
        orows = []
        entries = [(f"#{i + 1}", r) for i, r in enumerate(optimizer["top"])]
        entries += [("configured", optimizer["configured"]), ("seed shape", optimizer["reference"])]
        for label, r in entries:
            if "error" in r:
                orows.append([label, r["machine_type"], "-", "-", "-", r["error"]])
                continue
            orows.append(
                [
                    label,
                    r["machine_type"],
                    str(r["users_per_node"]),
                    CONSTRAINT_WORDS[r["binding_constraint"]],
                    str(r["max_nodes"]),
                    _usd(r["monthly_usd"]),
                ]
            )
        parts.append(
            _md_table(
                ["", "machine type", "users/node", "binds", "max nodes", "USD / month"], orows
            )
        )
    if scale is not None:
        rows_, report = scale
        parts += ["", "### Scale on paper", ""]
        parts.append(
            _md_table(
                ["limit", "breaks at", "detail", "what the plan does"],
                [[r["limit"], f"{r['breaks_at_users']:,}", r["detail"], r["plan"]] for r in rows_],
            )
        )
        parts.append("")
        for entry in report:
            first = entry["first"] or "nothing"
            parts.append(f"- {entry['users']:,} concurrent users: first to break: {first}.")
    if d["warnings"]:
        parts += ["", *[f"> warning: {w}" for w in d["warnings"]]]
    return "\n".join(parts) + "\n"
