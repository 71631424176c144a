"""Rendering environments into Terraform inputs: golden files, atomic writes, the plan as source."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from sciplat.capacity import plan_capacity
from sciplat.config import load_environment
from sciplat.errors import ConfigError
from sciplat.render import render
from tests.conftest import ENV_NAMES, REPO_ROOT

EXPECTED = REPO_ROOT / "tests" / "expected"
UPDATE = os.environ.get("SCIPLAT_UPDATE_EXPECTED") == "1"


@pytest.mark.parametrize("name", ENV_NAMES)
def test_render_matches_the_committed_tfvars(name: str, tmp_path: Path) -> None:
    result = render(name, build_dir=tmp_path)
    produced = json.loads(result.tfvars_path.read_text(encoding="utf-8"))
    expected_path = EXPECTED / f"{name}.tfvars.json"
    if UPDATE:
        expected_path.write_text(json.dumps(produced, indent=2, sort_keys=True) + "\n")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert produced == expected, (
        f"render output for {name} changed; if intended, run "
        "SCIPLAT_UPDATE_EXPECTED=1 pytest tests/test_render.py and review the diff"
    )


@pytest.mark.parametrize("name", ENV_NAMES)
def test_backend_names_the_environment_state(name: str, tmp_path: Path) -> None:
    result = render(name, build_dir=tmp_path)
    state = load_environment(name).data["state"]
    text = result.backend_path.read_text(encoding="utf-8")
    assert f'bucket = "{state["bucket"]}"' in text
    assert f'prefix = "{state["prefix"]}"' in text
    assert result.backend_path == tmp_path / name / "backend.hcl"


def test_prefixes_are_distinct_per_environment() -> None:
    prefixes = [
        (e.data["state"]["bucket"], e.data["state"]["prefix"])
        for e in map(load_environment, ENV_NAMES)
    ]
    assert len(set(prefixes)) == len(prefixes)


@pytest.mark.parametrize("name", ENV_NAMES)
def test_sizing_comes_from_the_capacity_plan(name: str, tmp_path: Path) -> None:
    env = load_environment(name)
    sizing = plan_capacity(env.data).to_dict()
    tfvars = render(name, build_dir=tmp_path).tfvars
    for pool, sized in zip(tfvars["user_pools"], sizing["user_pools"], strict=True):
        assert (pool["min_nodes"], pool["max_nodes"]) == (sized["min_nodes"], sized["max_nodes"])
    assert tfvars["filestore"]["home"]["tier"] == sizing["filestore"]["home"]["tier"]
    assert (
        tfvars["filestore"]["home"]["capacity_gib"] == sizing["filestore"]["home"]["capacity_gib"]
    )
    assert tfvars["core_pool"]["min_nodes"] == sizing["core_pool"]["min_nodes"]


def copy_env(tmp_path: Path, name: str, change=None) -> Path:
    data = yaml.safe_load((REPO_ROOT / "env" / f"{name}.yaml").read_text(encoding="utf-8"))
    if change:
        change(data)
    path = tmp_path / "env" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_more_users_grow_the_user_pool(tmp_path: Path) -> None:
    small = render(copy_env(tmp_path / "a", "stable"), build_dir=tmp_path / "a" / "build")

    def busier(d):
        d["users"].update(total=800, peak_concurrent=400)

    big = render(copy_env(tmp_path / "b", "stable", busier), build_dir=tmp_path / "b" / "build")
    assert big.tfvars["user_pools"][0]["max_nodes"] > small.tfvars["user_pools"][0]["max_nodes"]
    home_big = big.tfvars["filestore"]["home"]["capacity_gib"]
    assert home_big > small.tfvars["filestore"]["home"]["capacity_gib"]


def test_explicit_autoscaling_bounds_are_kept(tmp_path: Path) -> None:
    def fixed(d):
        d["node_pools"]["user"][0]["autoscaling"] = {"min_nodes": 3, "max_nodes": 12}

    result = render(copy_env(tmp_path, "stable", fixed), build_dir=tmp_path / "build")
    assert (
        result.tfvars["user_pools"][0]["min_nodes"],
        result.tfvars["user_pools"][0]["max_nodes"],
    ) == (3, 12)


def test_nothing_is_written_when_validation_fails(tmp_path: Path) -> None:
    def broken(d):
        d["users"]["peak_concurrent"] = d["users"]["total"] + 1

    build = tmp_path / "build"
    with pytest.raises(ConfigError):
        render(copy_env(tmp_path, "stable", broken), build_dir=build)
    assert not build.exists()


def test_a_failed_render_leaves_the_previous_output_intact(tmp_path: Path) -> None:
    build = tmp_path / "build"
    good = render(copy_env(tmp_path, "stable"), build_dir=build)
    before = good.tfvars_path.read_text(encoding="utf-8")

    def broken(d):
        d["network"]["pods_cidr"] = d["network"]["subnet_cidr"]

    with pytest.raises(ConfigError):
        render(copy_env(tmp_path, "stable", broken), build_dir=build)
    assert good.tfvars_path.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in (build / "stable").iterdir()) == [
        "backend.hcl",
        "terraform.tfvars.json",
    ]


def test_render_command_prints_the_paths(tmp_path: Path, run_cli) -> None:
    result = run_cli("render", "sandbox", "--build-dir", str(tmp_path))
    assert result.code == 0, result.err
    assert str(tmp_path / "sandbox" / "terraform.tfvars.json") in result.out
    assert (tmp_path / "sandbox" / "backend.hcl").is_file()


def test_render_command_on_a_bad_file_exits_2_and_writes_nothing(tmp_path: Path, run_cli) -> None:
    def broken(d):
        d["hub"]["auth"]["type"] = "ldap"

    path = copy_env(tmp_path, "stable", broken)
    result = run_cli("render", str(path), "--build-dir", str(tmp_path / "build"))
    assert result.code == 2
    assert "hub.auth.type: 'ldap' is not one of" in result.err
    assert not (tmp_path / "build").exists()


def test_homes_that_need_several_instances_are_refused(tmp_path: Path) -> None:
    def crowded(d):
        d["users"].update(total=20000, peak_concurrent=100)

    path = copy_env(tmp_path, "stable", crowded)
    with pytest.raises(ConfigError) as info:
        render(path, build_dir=tmp_path / "build")
    (problem,) = info.value.problems
    assert problem.field == "storage.home_per_user_gib"
    assert "Filestore instances" in problem.message
    assert problem.line > 1
    assert not (tmp_path / "build").exists()


def test_an_unwritable_build_dir_is_one_message(tmp_path: Path, run_cli) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where build/ should be\n", encoding="utf-8")
    result = run_cli("render", "sandbox", "--build-dir", str(blocker))
    assert result.code == 2
    assert "cannot write" in result.err
    assert "Traceback" not in result.err
    assert blocker.read_text(encoding="utf-8") == "a file where build/ should be\n"


@pytest.mark.parametrize("fail_on", [1, 2], ids=["first-move", "second-move"])
def test_render_replaces_both_files_or_neither(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_on: int
) -> None:
    """The second file cannot be moved into place: the first must not be replaced either."""
    import sciplat.files

    build = tmp_path / "build"
    first = render("sandbox", build_dir=build)
    old = {p: p.read_bytes() for p in (first.tfvars_path, first.backend_path)}

    def change(data: dict) -> None:
        data["state"]["bucket"] = "another-state-bucket"
        data["cluster"]["name"] = "another-cluster"

    moved = copy_env(tmp_path, "sandbox", change)
    calls = {"n": 0}
    real_replace = os.replace

    def replace(src, dst):
        calls["n"] += 1
        if calls["n"] == fail_on:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(sciplat.files.os, "replace", replace)
    with pytest.raises(Exception) as info:
        render(moved, build_dir=build)
    assert "No space left on device" in str(info.value)
    assert {p: p.read_bytes() for p in old} == old
    assert sorted(p.name for p in (build / "sandbox").iterdir()) == [
        "backend.hcl",
        "terraform.tfvars.json",
    ]
