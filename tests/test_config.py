"""Environment files: the schema, the cross-field rules and the FILE:LINE: field: message errors."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from sciplat.config import fill_defaults, load_environment, load_schema, parse_yaml
from sciplat.errors import ConfigError
from tests.conftest import ENV_NAMES, REPO_ROOT


def write_env(tmp_path: Path, data: dict[str, Any], name: str = "stable") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def raw(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / "env" / f"{name}.yaml").read_text(encoding="utf-8"))


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_environment(path)
    return [str(p) for p in info.value.problems]


# --------------------------------------------------------------------------- shipped files


@pytest.mark.parametrize("name", ENV_NAMES)
def test_shipped_environments_validate(name: str, run_cli) -> None:
    result = run_cli("validate", name)
    assert result.code == 0, result.err
    assert f"ok {name}" in result.out


def test_four_environments_from_the_seed() -> None:
    assert ENV_NAMES == ["int", "sandbox", "stable", "workshop"]


@pytest.mark.parametrize("name", ENV_NAMES)
def test_files_start_with_the_schema_comment(name: str) -> None:
    first = (REPO_ROOT / "env" / f"{name}.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=schema/environment.schema.json"


def test_defaults_carry_the_seed_numbers() -> None:
    data = raw("stable")
    del data["resources"]
    del data["storage"]
    filled = fill_defaults(data)
    assert filled["resources"]["cpu_guarantee_cores"] == 0.5
    assert filled["resources"]["cpu_limit_cores"] == 4
    assert filled["resources"]["memory_guarantee_gib"] == 0.5
    assert filled["resources"]["memory_limit_gib"] == 8
    assert filled["storage"]["home_per_user_gib"] == 50
    assert filled["storage"]["shared_gib"] == 10240
    assert filled["storage"]["registry_cache_gib"] == 250
    assert filled["storage"]["image_size_gib"] == 10
    assert filled["storage"]["max_images"] < 10


def test_every_schema_field_has_a_description_and_examples() -> None:
    missing: list[str] = []

    def walk(node: Any, where: str) -> None:
        if not isinstance(node, dict):
            return
        for key, sub in node.get("properties", {}).items():
            here = f"{where}.{key}"
            if "description" not in sub:
                missing.append(f"{here}: description")
            target = sub
            if "$ref" in sub:
                target = load_schema()["$defs"][sub["$ref"].split("/")[-1]]
            if "examples" not in sub and "examples" not in target:
                missing.append(f"{here}: examples")
            walk(target, here)
            walk(target.get("items", {}), here + "[]")
            for option in target.get("oneOf", []):
                walk(option, here)
        if node.get("type") == "object" and node.get("additionalProperties") is not False:
            missing.append(f"{where}: not closed")

    schema = load_schema()
    walk(schema, "")
    for name, sub in schema["$defs"].items():
        walk(sub, f"$defs.{name}")
        walk(sub.get("items", {}), f"$defs.{name}[]")
    assert missing == []


# --------------------------------------------------------------------------- YAML problems


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("", 1, "file is empty"),
        ("# only a comment\n", 1, "file is empty"),
        ("- a\n- b\n", 1, "expected a mapping at the top, got a list"),
        ("just a string\n", 1, "expected a mapping at the top"),
        ("a: 1\nb: [1, 2\n", 3, "YAML syntax error"),
        ("a: 1\n  b: 2\n", 2, "YAML syntax error"),
        ("name: x\nname: y\n", 2, "name: duplicate key (first defined on line 1)"),
        ("a: 1\n---\nb: 2\n", 2, "expected one YAML document"),
        ("a: *nowhere\n", 1, "YAML syntax error"),
    ],
)
def test_yaml_problems(tmp_path: Path, text: str, line: int, fragment: str, run_cli) -> None:
    path = tmp_path / "stable.yaml"
    path.write_text(text, encoding="utf-8")
    result = run_cli("validate", str(path))
    assert result.code == 2
    assert "Traceback" not in result.err
    assert f"stable.yaml:{line}: " in result.err
    assert fragment in result.err


def test_duplicate_nested_key_names_its_path(tmp_path: Path) -> None:
    text = "gcp:\n  project: a\n  project: b\n"
    with pytest.raises(ConfigError) as info:
        parse_yaml(text, "x.yaml")
    assert str(info.value) == "x.yaml:3: gcp.project: duplicate key (first defined on line 2)"


def test_missing_file_lists_known_environments(run_cli) -> None:
    result = run_cli("validate", "nonesuch")
    assert result.code == 2
    assert "no such environment file" in result.err
    assert "stable" in result.err


def test_unreadable_bytes_are_reported(tmp_path: Path, run_cli) -> None:
    path = tmp_path / "stable.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    result = run_cli("validate", str(path))
    assert result.code == 2
    assert "cannot read the file" in result.err


# --------------------------------------------------------------------------- lines and paths


def test_line_numbers_point_at_the_offending_key(tmp_path: Path) -> None:
    text = (REPO_ROOT / "env" / "stable.yaml").read_text(encoding="utf-8")
    text = text.replace("release_channel: STABLE", "release_channel: SLOW")
    text = text.replace("max_pods_per_node: 32", "max_pod_per_node: 32")
    path = tmp_path / "stable.yaml"
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    channel_line = next(i for i, s in enumerate(lines, 1) if "release_channel: SLOW" in s)
    typo_line = next(i for i, s in enumerate(lines, 1) if "max_pod_per_node" in s)
    found = problems_of(path)
    assert any(
        p.startswith(f"{path}:{channel_line}: cluster.release_channel: 'SLOW' is not one of")
        for p in found
    ), found
    assert any(
        p.startswith(f"{path}:{typo_line}: node_pools.user[0].max_pod_per_node: unknown key")
        and "did you mean 'max_pods_per_node'" in p
        for p in found
    ), found


def test_all_problems_are_reported_not_the_first(tmp_path: Path) -> None:
    data = raw("stable")
    data["gcp"]["region"] = "europe-west1"
    data["users"]["total"] = "lots"
    data["network"]["pods_cidr"] = "10.10.0.0/20"
    del data["hub"]["domain"]
    found = problems_of(write_env(tmp_path, data))
    joined = "\n".join(found)
    assert "gcp.zones[0]: zone 'us-central1-a' is not in region 'europe-west1'" in joined
    assert "users.total: expected an integer, got a string ('lots')" in joined
    assert "network.pods_cidr: 10.10.0.0/20 overlaps network.subnet_cidr" in joined
    assert "hub.domain: required key is missing" in joined
    assert len(found) >= 6


# --------------------------------------------------------------------------- cross-field rules


def mutate(name: str, change) -> dict[str, Any]:
    data = raw(name)
    change(data)
    return data


CROSS_FIELD_CASES = [
    (
        "zone outside region",
        lambda d: d["gcp"].update(zones=["europe-west1-b"]),
        "gcp.zones[0]: zone 'europe-west1-b' is not in region 'us-central1'",
    ),
    (
        "core min > max",
        lambda d: d["node_pools"]["core"].update(min_nodes=4, max_nodes=2),
        "node_pools.core.min_nodes: must not exceed max_nodes",
    ),
    (
        "user min > max",
        lambda d: d["node_pools"]["user"][0].update(autoscaling={"min_nodes": 5, "max_nodes": 1}),
        "node_pools.user[0].autoscaling.min_nodes: must not exceed max_nodes",
    ),
    (
        "overlapping ranges",
        lambda d: d["network"].update(services_cidr="10.12.1.0/24"),
        "network.services_cidr: 10.12.1.0/24 overlaps network.pods_cidr",
    ),
    (
        "host bits",
        lambda d: d["network"].update(subnet_cidr="10.10.0.1/20"),
        "network.subnet_cidr: '10.10.0.1/20' is not a valid network",
    ),
    (
        "public range",
        lambda d: d["network"].update(subnet_cidr="8.8.0.0/20"),
        "network.subnet_cidr: 8.8.0.0/20 is not a private range",
    ),
    (
        "master not /28",
        lambda d: d["network"].update(master_cidr="172.16.0.0/27"),
        "network.master_cidr: the control plane range must be a /28",
    ),
    (
        "bad octet",
        lambda d: d["cluster"]["authorized_networks"][0].update(cidr_block="300.1.1.0/24"),
        "cluster.authorized_networks[0].cidr_block: '300.1.1.0/24' is not a valid network",
    ),
    (
        "limit does not fit",
        lambda d: d["node_pools"]["user"][0].update(machine_type="e2-standard-4"),
        "node_pools.user[0].machine_type: one user at the CPU limit (4 cores) does not fit",
    ),
    (
        "memory limit does not fit",
        lambda d: d["node_pools"]["user"][0].update(machine_type="n2-highcpu-8"),
        "node_pools.user[0].machine_type: one user at the memory limit (8 GiB) does not fit",
    ),
    (
        "unknown machine",
        lambda d: d["node_pools"]["user"][0].update(machine_type="n2-standard-7"),
        "node_pools.user[0].machine_type: unknown machine type 'n2-standard-7'",
    ),
    (
        "unknown core machine",
        lambda d: d["node_pools"]["core"].update(machine_type="zz-huge-1"),
        "node_pools.core.machine_type: unknown machine type 'zz-huge-1'",
    ),
    (
        "peak above total",
        lambda d: d["users"].update(total=10, peak_concurrent=11),
        "users.peak_concurrent: must not exceed users.total",
    ),
    (
        "guarantee above limit",
        lambda d: d["resources"].update(cpu_guarantee_cores=5),
        "resources.cpu_guarantee_cores: must not exceed cpu_limit_cores",
    ),
    (
        "memory guarantee above limit",
        lambda d: d["resources"].update(memory_guarantee_gib=9),
        "resources.memory_guarantee_gib: must not exceed memory_limit_gib",
    ),
    (
        "size above rule",
        lambda d: d["resources"]["sizes"][2].update(memory_limit_gib=16),
        "resources.sizes[2].memory_limit_gib: 16 exceeds the per-user rule",
    ),
    (
        "size guarantee above its limit",
        lambda d: d["resources"]["sizes"][0].update(cpu_guarantee_cores=2),
        "resources.sizes[0].cpu_guarantee_cores: must not exceed cpu_limit_cores",
    ),
    (
        "two defaults",
        lambda d: d["resources"]["sizes"][0].update(default=True),
        "resources.sizes: at most one size may be the default",
    ),
    (
        "duplicate size",
        lambda d: d["resources"]["sizes"][1].update(name="small"),
        "resources.sizes[1].name: size name 'small' is used twice",
    ),
    (
        "duplicate pool",
        lambda d: d["node_pools"]["user"].append(copy.deepcopy(d["node_pools"]["user"][0])),
        "node_pools.user[1].name: pool name 'user' is used twice",
    ),
    (
        "small boot disk without ssd",
        lambda d: d["node_pools"]["user"][0].update(local_ssd_count=0, disk_size_gib=50),
        "node_pools.user[0].disk_size_gib: without local SSD the boot disk holds the image cache",
    ),
    (
        "window backwards",
        lambda d: d["cluster"]["maintenance_window"].update(end_time="2026-01-01T00:00:00Z"),
        "cluster.maintenance_window.end_time: must be after start_time",
    ),
    (
        "exclusion backwards",
        lambda d: d["cluster"]["maintenance_exclusions"][0].update(end_time="2026-01-01T00:00:00Z"),
        "cluster.maintenance_exclusions[0].end_time: must be after start_time",
    ),
    (
        "github without orgs",
        lambda d: d["hub"]["auth"].update(github_organizations=[]),
        "hub.auth.github_organizations: GitHub login needs at least one organization",
    ),
    (
        "cilogon without idps",
        lambda d: d["hub"]["auth"].update(type="cilogon"),
        "hub.auth.cilogon_idps: CILogon login needs at least one identity provider",
    ),
    (
        "secret null",
        lambda d: d["hub"]["auth"].update(client_secret_secret=None),
        "hub.auth.client_secret_secret: name the Secret Manager secret",
    ),
    (
        "bucket with google",
        lambda d: d["state"].update(bucket="my-google-state"),
        "state.bucket: bucket names may not start with 'goog' or contain 'google'",
    ),
    (
        "bucket like an ip",
        lambda d: d["state"].update(bucket="192.168.5.4"),
        "state.bucket: bucket names may not look like an IP address",
    ),
    (
        "bucket dot dash",
        lambda d: d["state"].update(bucket="a.-b"),
        "state.bucket: bucket names may not contain '..', '.-' or '-.'",
    ),
    (
        "name differs from file",
        lambda d: d.update(name="other"),
        "name: must equal the file name 'stable'",
    ),
    (
        "long cluster name",
        lambda d: d["cluster"].update(name="c" * 41),
        f"cluster.name: {'c' * 41!r} does not match the required form",
    ),
    (
        "share name",
        lambda d: d["storage"].update(home_share_name="home-dirs"),
        "storage.home_share_name: 'home-dirs' does not match the required form",
    ),
    (
        "upstream id twice",
        lambda d: d["registry_mirror"]["upstreams"][1].update(name="dockerhub"),
        "registry_mirror.upstreams[1].name: repository id is used twice",
    ),
    (
        "username without secret",
        lambda d: d["registry_mirror"]["upstreams"][0].update(username="bot"),
        "registry_mirror.upstreams[0]: username and credentials_secret go together",
    ),
    (
        "bad admin cidr",
        lambda d: d["storage"].update(admin_cidrs=["10.0.0.1/24"]),
        "storage.admin_cidrs[0]: '10.0.0.1/24' is not a valid network",
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"),
    [(c, e) for _, c, e in CROSS_FIELD_CASES],
    ids=[i for i, _, _ in CROSS_FIELD_CASES],
)
def test_cross_field_rule(tmp_path: Path, change, expected: str, run_cli) -> None:
    path = write_env(tmp_path, mutate("stable", change))
    result = run_cli("validate", str(path))
    assert result.code == 2
    assert "Traceback" not in result.err
    assert f"{path}:" in result.err
    assert expected in result.err, result.err


def test_json_output_lists_problems(tmp_path: Path, run_cli) -> None:
    data = mutate("stable", lambda d: d["users"].update(total=10, peak_concurrent=11))
    path = write_env(tmp_path, data)
    result = run_cli("validate", str(path), "--json")
    assert result.code == 2
    import json

    report = json.loads(result.out)
    assert report["valid"] is False
    assert report["problems"][0]["field"] == "users.peak_concurrent"
    assert report["problems"][0]["line"] > 1


# --------------------------------------------------------------------------- generated broken files


def leaves(data: Any, path: tuple = ()) -> list[tuple]:
    """Every path to a scalar in the document (mapping keys and list items)."""
    out = []
    if isinstance(data, dict):
        for key, value in data.items():
            out.extend(leaves(value, (*path, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out.extend(leaves(value, (*path, index)))
    else:
        out.append(path)
    return out


def dotted(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def get_parent(data: Any, path: tuple) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def required_keys(path: tuple) -> bool:
    """Whether the key at `path` is required by the schema (walks properties and items)."""
    schema = load_schema()

    def resolve(node: dict) -> dict:
        while "$ref" in node:
            node = {
                **schema["$defs"][node["$ref"].split("/")[-1]],
                **{k: v for k, v in node.items() if k != "$ref"},
            }
        if "oneOf" in node:
            node = next(o for o in node["oneOf"] if o.get("type") == "object")
        return node

    node = schema
    for part in path[:-1]:
        node = resolve(node)
        node = node["items"] if isinstance(part, int) else node["properties"][part]
    return path[-1] in resolve(node).get("required", [])


BROKEN = []
for _name in ENV_NAMES:
    _data = raw(_name)
    for _path in leaves(_data):
        BROKEN.append((_name, "wrong-type", _path))
        if isinstance(_path[-1], str):
            BROKEN.append((_name, "deleted", _path))
            BROKEN.append((_name, "unknown-sibling", _path))


@pytest.mark.parametrize(
    ("name", "kind", "path"),
    BROKEN,
    ids=[f"{n}-{k}-{dotted(p)}" for n, k, p in BROKEN],
)
def test_generated_broken_file(tmp_path: Path, name: str, kind: str, path: tuple, run_cli) -> None:
    data = raw(name)
    parent = get_parent(data, path)
    field = dotted(path)
    if kind == "wrong-type":
        parent[path[-1]] = {"unexpected": ["mapping"]}
    elif kind == "deleted":
        del parent[path[-1]]
    else:
        parent["unexpected_key"] = 1
        field = dotted((*path[:-1], "unexpected_key"))
    file = write_env(tmp_path, data, name)
    result = run_cli("validate", str(file))
    assert "Traceback" not in result.err
    if kind == "deleted" and not required_keys(path):
        # An optional key falls back to its default: valid, or a rule names that very field.
        assert result.code == 0 or field in result.err, result.err
        return
    assert result.code == 2, f"{kind} {field} was accepted"
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert lines, "no message"
    assert all(line.startswith(f"{file}:") for line in lines), result.err
    assert any(f": {field}: " in line or f": {field}" in line for line in lines), result.err
