"""Environment files against a careless operator and a hostile or corrupted file.

Generated cases per class: hostile YAML (size, depth, aliases, odd scalars), values the schema's
plain reading lets through (NaN, 500.0, a trailing newline, impossible dates), boundary values
that must pass, environments that would share a state, and files that are not environments at
all (never echoed beyond one truncated line).
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sciplat.config import MAX_DEPTH, load_environment
from sciplat.errors import ConfigError
from tests.conftest import ENV_NAMES, REPO_ROOT

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def raw(name: str = "stable") -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / "env" / f"{name}.yaml").read_text(encoding="utf-8"))


def write(tmp_path: Path, text: str, name: str = "stable") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def one_line_exit_2(run_cli, path: Path) -> str:
    result = run_cli("validate", str(path))
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert lines and all(line.startswith(str(path.name)) or path.name in line for line in lines)
    return result.err


def valid_text(name: str = "stable") -> str:
    return (REPO_ROOT / "env" / f"{name}.yaml").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------ hostile YAML


def _laughs(levels: int, width: int = 10) -> str:
    lines = ['l0: &l0 "lol"']
    for i in range(1, levels + 1):
        refs = ", ".join(f"*l{i - 1}" for _ in range(width))
        lines.append(f"l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "billion laughs": _laughs(9),
    "many aliases": "a: &a 1\nb: [" + ", ".join("*a" for _ in range(500)) + "]\n",
    "self-referencing anchor": "a: &a [1, *a]\n",
    "self-referencing mapping": "a: &a {b: *a}\n",
    "deep flow nesting": "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep block nesting": "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v\n",
    "5000-digit integer": "name: stable\nusers: {total: " + "9" * 5000 + "}\n",
    "NUL": "name: sta\x00ble\n",
    "control character": "name: stable\ncluster: {name: a\x07b}\n",
    "escape sequence": "name: stable\x1b[31m\n",
    "unquoted impossible date": "name: stable\nwhen: 2026-02-30\n",
    "infinite float": "name: stable\nusers: {total: .inf}\n",
    "binary": "\x89PNG\r\n\x1a\n",
    "several documents": "a: 1\n---\nb: 2\n",
    "tab indentation": "a:\n\tb: 1\n",
    "non-string key": "? [1, 2]\n: x\n",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_yaml_is_one_line_per_problem_and_exit_2(
    name: str, tmp_path: Path, run_cli
) -> None:
    err = one_line_exit_2(run_cli, write(tmp_path, HOSTILE[name]))
    assert len(err) < 2000


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path, run_cli) -> None:
    path = write(tmp_path, "a: " + "x" * (2 << 20) + "\n")
    assert "larger than 1 MiB" in one_line_exit_2(run_cli, path)


@given(depth=st.integers(1, 400), flow=st.booleans())
@SETTINGS
def test_nesting_is_accepted_or_refused_at_the_limit(
    tmp_path_factory: pytest.TempPathFactory, depth: int, flow: bool
) -> None:
    if flow:
        text = "x: " + "[" * depth + "]" * depth + "\n"
    else:
        text = "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v\n"
    path = write(tmp_path_factory.mktemp("deep"), text)
    with pytest.raises(ConfigError) as info:
        load_environment(path)
    messages = [p.message for p in info.value.problems]
    too_deep = any("levels deep" in m for m in messages)
    levels = depth + 1  # the top mapping and `depth` collections inside it
    assert too_deep is (levels > MAX_DEPTH), (depth, messages[:2])


@given(levels=st.integers(1, 12), width=st.integers(2, 12))
@SETTINGS
def test_alias_expansion_is_bounded(
    tmp_path_factory: pytest.TempPathFactory, levels: int, width: int
) -> None:
    path = write(tmp_path_factory.mktemp("laughs"), _laughs(levels, width))
    with pytest.raises(ConfigError) as info:
        load_environment(path)
    problems = info.value.problems
    assert len(problems) >= 1 and all(p.line >= 1 for p in problems)
    expanded = sum(width**i for i in range(levels + 1))
    if expanded > 50_000:
        assert any("aliases" in p.message for p in problems)


@given(
    chars=st.lists(
        st.sampled_from([chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32), 127)]),
        min_size=1,
        max_size=3,
    ),
    where=st.sampled_from(["name", "cluster.name", "key"]),
)
@SETTINGS
def test_control_characters_anywhere_are_one_line(
    tmp_path_factory: pytest.TempPathFactory, chars: list[str], where: str
) -> None:
    bad = "".join(chars)
    text = valid_text()
    if where == "name":
        text = text.replace("name: stable", f"name: sta{bad}ble", 1)
    elif where == "cluster.name":
        text = text.replace("  name: sciplat-stable", f"  name: sciplat{bad}-stable", 1)
    else:
        text = text.replace("cluster:", f"clu{bad}ster:", 1)
    path = write(tmp_path_factory.mktemp("ctl"), text)
    with pytest.raises(ConfigError) as info:
        load_environment(path)
    for problem in info.value.problems:
        assert problem.line >= 1
        assert not any(c in str(problem) for c in chars if c not in "\t")


# ------------------------------------------------------------------------------ file contents


PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    + "\n".join("MIIEv" + "QWxhZGRpbjpvcGVuIHNlc2FtZQ" * 2 + str(i) for i in range(20))
    + "\n-----END PRIVATE KEY-----\n"
)
NOT_ENVIRONMENTS = {
    "pem key": PEM,
    "pem key with a colon": PEM.replace("MIIEv", "MI:Ev", 3),
    "json list": "[" + ", ".join(f'"secret-{i}-abcdefghijklmnop"' for i in range(50)) + "]\n",
    "long scalar": "s3cr3t" * 500 + "\n",
    "key = value": "\n".join(f"password{i} = hunter2-{i}-xyzzy" for i in range(30)) + "\n",
}


@pytest.mark.parametrize("name", list(NOT_ENVIRONMENTS))
def test_a_file_that_is_not_an_environment_is_not_echoed(
    name: str, tmp_path: Path, run_cli
) -> None:
    text = NOT_ENVIRONMENTS[name]
    err = one_line_exit_2(run_cli, write(tmp_path, text, "key"))
    shown = err.split(": ", 2)[-1]
    lines = [line for line in text.splitlines() if len(line) > 12]
    assert sum(line[5:] in err for line in lines[1:]) == 0, err  # nothing past the first line
    assert len(shown) < 300


# ------------------------------------------------------------------------------ values


def with_change(tmp_path: Path, change, name: str = "stable") -> Path:
    data = raw(name)
    change(data)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return write(tmp_path, text, name)


def _set(data: dict, dotted: str, value: Any) -> None:
    node = data
    *parents, leaf = dotted.split(".")
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    if isinstance(node, list):
        node[int(leaf)] = value
    else:
        node[leaf] = value


NUMBERS = [
    "users.total",
    "users.peak_concurrent",
    "resources.cpu_limit_cores",
    "resources.memory_guarantee_gib",
    "node_pools.core.disk_size_gib",
    "node_pools.user.0.disk_size_gib",
    "storage.home_per_user_gib",
]


@pytest.mark.parametrize("field", NUMBERS)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused_with_the_field(
    tmp_path: Path, field: str, value: float, run_cli
) -> None:
    path = with_change(tmp_path, lambda d: _set(d, field, value))
    err = one_line_exit_2(run_cli, path)
    assert field.replace(".0.", "[0].") in err


INTEGERS = [
    "users.total",
    "users.peak_concurrent",
    "node_pools.core.disk_size_gib",
    "node_pools.core.max_nodes",
    "node_pools.user.0.disk_size_gib",
    "node_pools.user.0.max_pods_per_node",
]


@pytest.mark.parametrize("field", INTEGERS)
def test_a_float_where_an_integer_is_meant_is_refused(tmp_path: Path, field: str, run_cli) -> None:
    def change(data: dict) -> None:
        node = data
        *parents, leaf = field.split(".")
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[leaf] = float(node.get(leaf, 100) if isinstance(node, dict) else 100)

    path = with_change(tmp_path, change)
    err = one_line_exit_2(run_cli, path)
    assert field.replace(".0.", "[0].") in err and "integer" in err


NAMES = [
    ("name", "stable"),
    ("cluster.name", "sciplat-stable"),
    ("gcp.project", None),
    ("gcp.region", None),
    ("state.bucket", None),
    ("node_pools.user.0.name", None),
]


@pytest.mark.parametrize(("field", "_"), NAMES)
@pytest.mark.parametrize("tail", ["\n", "\n\n", " \n"])
def test_a_trailing_newline_in_a_name_is_refused(
    tmp_path: Path, field: str, _: Any, tail: str, run_cli
) -> None:
    def change(data: dict) -> None:
        node = data
        *parents, leaf = field.split(".")
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[leaf] = node[leaf] + tail

    path = with_change(tmp_path, change)
    err = one_line_exit_2(run_cli, path)
    assert field.replace(".0.", "[0].") in err


@given(
    year=st.integers(2020, 2035),
    month=st.integers(1, 14),
    day=st.integers(1, 33),
    hour=st.integers(0, 25),
)
@SETTINGS
def test_maintenance_times_are_real_dates(
    tmp_path_factory: pytest.TempPathFactory, year: int, month: int, day: int, hour: int
) -> None:
    import datetime as dt

    stamp = f"{year}-{month:02d}-{day:02d}T{hour:02d}:00:00Z"
    try:
        start = dt.datetime(year, month, day, hour, tzinfo=dt.UTC)
    except ValueError:
        start = None

    def change(data: dict) -> None:
        window = data["cluster"].setdefault("maintenance_window", {})
        window.update(
            start_time=stamp, end_time="2040-01-01T00:00:00Z", recurrence="FREQ=WEEKLY;BYDAY=SA"
        )

    path = with_change(tmp_path_factory.mktemp("dates"), change)
    if start is None:
        with pytest.raises(ConfigError) as info:
            load_environment(path)
        fields = [p.field for p in info.value.problems]
        assert "cluster.maintenance_window.start_time" in fields
    else:
        load_environment(path)


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [
        ("2026-01-03T07:00:00Z", "2026-01-03T13:00:00Z", True),
        ("2026-01-03T07:00:00Z", "2026-01-03T07:00:00Z", False),  # end equal to start
        ("2026-01-03T07:00:00Z", "2026-01-03T06:59:59Z", False),
        # as strings "…+09:00" > "…Z", but 13:00+09:00 is 04:00Z, before 07:00Z
        ("2026-01-03T07:00:00Z", "2026-01-03T13:00:00+09:00", False),
        # as strings this end sorts first, but 08:00-05:00 is 13:00Z, after 07:00Z
        ("2026-01-03T07:00:00Z", "2026-01-03T08:00:00-05:00", True),
        ("2026-01-03T07:00:00.5Z", "2026-01-03T07:00:00.25+00:00", False),
    ],
)
@pytest.mark.parametrize("where", ["window", "exclusion"])
def test_maintenance_times_compare_as_times(
    tmp_path: Path, start: str, end: str, ok: bool, where: str
) -> None:
    def change(data: dict) -> None:
        if where == "window":
            data["cluster"]["maintenance_window"] = {
                "start_time": start,
                "end_time": end,
                "recurrence": "FREQ=WEEKLY;BYDAY=SA",
            }
        else:
            data["cluster"]["maintenance_exclusions"] = [
                {"name": "x", "start_time": start, "end_time": end}
            ]

    path = with_change(tmp_path, change)
    if ok:
        load_environment(path)
    else:
        with pytest.raises(ConfigError) as info:
            load_environment(path)
        assert [p.field.rsplit(".", 1)[-1] for p in info.value.problems] == ["end_time"]


@pytest.mark.parametrize(
    ("cidr", "ok"),
    [
        ("0.0.0.0/0", False),
        ("0.0.0.0/1", False),
        ("128.0.0.0/1", False),
        ("10.0.0.0/7", False),
        ("10.0.0.0/8", True),
        ("203.0.113.0/24", True),
        ("198.51.100.7/32", True),
    ],
)
def test_authorized_networks_must_not_open_the_control_plane(
    tmp_path: Path, cidr: str, ok: bool
) -> None:
    def change(data: dict) -> None:
        data["cluster"]["authorized_networks"] = [{"cidr_block": cidr, "display_name": "x"}]

    path = with_change(tmp_path, change)
    if ok:
        load_environment(path)
    else:
        with pytest.raises(ConfigError) as info:
            load_environment(path)
        assert [p.field for p in info.value.problems] == [
            "cluster.authorized_networks[0].cidr_block"
        ]


# ------------------------------------------------------------------------------ boundaries


def _user_node() -> Any:
    from sciplat.capacity import allocatable, machines

    machine = machines.lookup(raw()["node_pools"]["user"][0]["machine_type"])
    return allocatable(machine)


BOUNDARIES = {
    "a user's limits equal to a user node's allocatable": lambda d: d["resources"].update(
        cpu_limit_cores=_user_node().cpu_cores, memory_limit_gib=_user_node().memory_gib
    ),
    "guarantee equal to limit (cpu)": lambda d: d["resources"].update(
        cpu_guarantee_cores=d["resources"]["cpu_limit_cores"]
    ),
    "guarantee equal to limit (memory)": lambda d: d["resources"].update(
        memory_guarantee_gib=d["resources"]["memory_limit_gib"]
    ),
    "fixed-size core pool": lambda d: d["node_pools"]["core"].update(min_nodes=2, max_nodes=2),
    "fixed-size user pool": lambda d: d["node_pools"]["user"][0].update(
        autoscaling={"min_nodes": 3, "max_nodes": 3}
    ),
    "peak equal to total": lambda d: d["users"].update(peak_concurrent=d["users"]["total"]),
    "core boot disk at GKE's minimum": lambda d: d["node_pools"]["core"].update(disk_size_gib=10),
    "user boot disk at 100 GiB without local SSD": lambda d: d["node_pools"]["user"][0].update(
        local_ssd_count=0, disk_size_gib=100
    ),
    "a size whose guarantee equals its limit": lambda d: d["resources"]["sizes"][0].update(
        cpu_guarantee_cores=d["resources"]["sizes"][0]["cpu_limit_cores"],
        memory_guarantee_gib=d["resources"]["sizes"][0]["memory_limit_gib"],
    ),
    "a size at the per-user limit": lambda d: d["resources"]["sizes"][0].update(
        cpu_limit_cores=d["resources"]["cpu_limit_cores"],
        memory_limit_gib=d["resources"]["memory_limit_gib"],
    ),
    "authorized network of a /8": lambda d: d["cluster"].update(
        authorized_networks=[{"cidr_block": "10.0.0.0/8", "display_name": "x"}]
    ),
}


@pytest.mark.parametrize("name", list(BOUNDARIES))
def test_boundary_values_are_accepted(tmp_path: Path, name: str) -> None:
    load_environment(with_change(tmp_path, BOUNDARIES[name]))


JUST_OVER = {
    "a user's CPU limit just over a user node's allocatable": (
        lambda d: d["resources"].update(cpu_limit_cores=_user_node().cpu_cores + 0.01),
        "node_pools.user[0].machine_type",
    ),
    "a user's memory limit just over a user node's allocatable": (
        lambda d: d["resources"].update(memory_limit_gib=_user_node().memory_gib + 0.01),
        "node_pools.user[0].machine_type",
    ),
    "a size over the per-user limit": (
        lambda d: d["resources"]["sizes"][0].update(
            cpu_limit_cores=d["resources"]["cpu_limit_cores"] + 0.5
        ),
        "resources.sizes[0].cpu_limit_cores",
    ),
    "a size's guarantee over its limit": (
        lambda d: d["resources"]["sizes"][0].update(
            memory_guarantee_gib=d["resources"]["sizes"][0]["memory_limit_gib"] + 0.5
        ),
        "resources.sizes[0].memory_guarantee_gib",
    ),
    "guarantee over limit (cpu)": (
        lambda d: d["resources"].update(cpu_guarantee_cores=2.01, cpu_limit_cores=2),
        "resources.cpu_guarantee_cores",
    ),
    "core pool min over max": (
        lambda d: d["node_pools"]["core"].update(min_nodes=3, max_nodes=2),
        "node_pools.core.min_nodes",
    ),
    "user pool min over max": (
        lambda d: d["node_pools"]["user"][0].update(autoscaling={"min_nodes": 4, "max_nodes": 3}),
        "node_pools.user[0].autoscaling.min_nodes",
    ),
    "peak over total": (
        lambda d: d["users"].update(peak_concurrent=d["users"]["total"] + 1),
        "users.peak_concurrent",
    ),
    "core boot disk under GKE's minimum": (
        lambda d: d["node_pools"]["core"].update(disk_size_gib=9),
        "node_pools.core.disk_size_gib",
    ),
    "user boot disk under 100 GiB without local SSD": (
        lambda d: d["node_pools"]["user"][0].update(local_ssd_count=0, disk_size_gib=99),
        "node_pools.user[0].disk_size_gib",
    ),
}


@pytest.mark.parametrize("name", list(JUST_OVER))
def test_just_past_the_boundary_is_refused(tmp_path: Path, name: str) -> None:
    change, field = JUST_OVER[name]
    with pytest.raises(ConfigError) as info:
        load_environment(with_change(tmp_path, change))
    assert field in [p.field for p in info.value.problems]


@given(
    bucket=st.from_regex(r"[a-z0-9][a-z0-9._-]{1,20}[a-z0-9]", fullmatch=True),
)
@SETTINGS
def test_bucket_name_rules(tmp_path_factory: pytest.TempPathFactory, bucket: str) -> None:
    import re

    path = with_change(tmp_path_factory.mktemp("b"), lambda d: d["state"].update(bucket=bucket))
    bad = (
        ".." in bucket
        or ".-" in bucket
        or "-." in bucket
        or bucket.startswith("goog")
        or "google" in bucket
        or (re.fullmatch(r"[0-9.]+", bucket) is not None and bucket.count(".") == 3)
    )
    try:
        load_environment(path)
    except ConfigError as exc:
        fields = [p.field for p in exc.problems]
        assert bad and fields == ["state.bucket"], (bucket, [str(p) for p in exc.problems])
    else:
        assert not bad, bucket


@pytest.mark.parametrize("broken", [0, 1])
def test_a_malformed_pool_does_not_hide_the_problems_of_the_others(
    tmp_path: Path, broken: int
) -> None:
    """Pool `broken` is malformed; the other pool's min > max must still be reported."""

    def change(data: dict) -> None:
        pool = data["node_pools"]["user"][0]
        pools = [copy.deepcopy(pool), copy.deepcopy(pool)]
        pools[1]["name"] = "second"
        pools[broken]["local_ssd_count"] = "many"  # the schema reports this one
        other = 1 - broken
        pools[other]["autoscaling"] = {"min_nodes": 5, "max_nodes": 2}
        data["node_pools"]["user"] = pools

    with pytest.raises(ConfigError) as info:
        load_environment(with_change(tmp_path, change))
    fields = [p.field for p in info.value.problems]
    assert f"node_pools.user[{1 - broken}].autoscaling.min_nodes" in fields
    assert f"node_pools.user[{broken}].local_ssd_count" in fields


def test_a_malformed_size_does_not_hide_the_problems_of_the_others(tmp_path: Path) -> None:
    def change(data: dict) -> None:
        sizes = data["resources"]["sizes"]
        first = copy.deepcopy(sizes[0])
        first["cpu_limit_cores"] = "lots"
        second = copy.deepcopy(sizes[0])
        second["name"] = "other"
        second["default"] = False
        second["cpu_guarantee_cores"] = second["cpu_limit_cores"] + 1
        data["resources"]["sizes"] = [first, second]

    with pytest.raises(ConfigError) as info:
        load_environment(with_change(tmp_path, change))
    fields = [p.field for p in info.value.problems]
    assert "resources.sizes[1].cpu_guarantee_cores" in fields


# ------------------------------------------------------------------------------ shared state


@pytest.mark.parametrize("source", ENV_NAMES)
@pytest.mark.parametrize("shared", ["state", "cluster", "both"])
def test_a_renamed_copy_cannot_share_a_state_or_a_cluster(
    tmp_path: Path, source: str, shared: str, run_cli
) -> None:
    data = raw(source)
    data["name"] = "copy"
    if shared == "cluster":
        data["state"]["prefix"] = data["state"]["prefix"] + "-copy"
    if shared == "state":
        data["cluster"]["name"] = data["cluster"]["name"] + "-copy"
    if shared == "both" and source == "stable":
        data["state"]["prefix"] = data["state"]["prefix"] + "/"  # the same location
    path = write(tmp_path, yaml.safe_dump(data, sort_keys=False), "copy")
    err = one_line_exit_2(run_cli, path)
    if shared in ("state", "both"):
        assert f"is also the state of {source} (env/{source}.yaml)" in err
    if shared in ("cluster", "both"):
        assert f"is also the cluster of {source}" in err
    rendered = run_cli("render", str(path), "--build-dir", str(tmp_path / "build"))
    assert rendered.code == 2 and not (tmp_path / "build" / "copy").exists()


def test_another_project_may_reuse_a_cluster_name(tmp_path: Path, run_cli) -> None:
    data = raw("int")
    data["name"] = "copy"
    data["gcp"]["project"] = "sciplat-other"
    data["state"]["prefix"] = "sciplat/copy"
    path = write(tmp_path, yaml.safe_dump(data, sort_keys=False), "copy")
    result = run_cli("validate", str(path))
    assert result.code == 0, result.err


def test_validating_everything_names_each_side_once(run_cli) -> None:
    result = run_cli("validate", "--json")
    assert result.code == 0, result.out
    assert all(env["valid"] for env in json.loads(result.out)["environments"])


def test_copies_under_the_same_name_are_the_same_environment(tmp_path: Path, run_cli) -> None:
    path = write(tmp_path, valid_text("int"), "int")
    assert run_cli("validate", str(path)).code == 0
