"""Standard notebooks at lab start (hub.notebooks): the postStart hook the Hub values carry, run
exactly as rendered against a local git repository with nbgitpuller 1.3.0."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_config import raw, write_env
from test_tf_contract import rendered_tfvars
from test_tf_hub_values import evaluate, hub_inputs

pytestmark = pytest.mark.integration

GIT = ["git", "-c", "user.email=upstream@example.org", "-c", "user.name=upstream"]


def git(repo: Path, *args: str) -> str:
    run = subprocess.run([*GIT, *args], cwd=repo, capture_output=True, text=True, check=True)
    return run.stdout


@pytest.fixture(scope="module")
def hook(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The postStart command of stable's values, evaluated by terraform from modules/hub/values."""
    tfvars, _ = rendered_tfvars("stable")
    inputs = hub_inputs(json.loads(json.dumps(tfvars)))
    inputs["notebooks"] = tfvars["hub"]["notebooks"]
    values = evaluate(tmp_path_factory.mktemp("values"), inputs)["values"]
    command = values["singleuser"]["lifecycleHooks"]["postStart"]["exec"]["command"]
    assert command[:2] == ["sh", "-c"]
    assert command[3:] == [
        "sync-notebooks",
        "https://github.com/lsst-sqre/notebook-demo.git",
        "main",
        "notebooks",
        "60",
    ]
    return command


def start_lab(hook: list[str], home: Path, repository: str, *, puller: bool = True) -> int:
    """Run the hook as the lab's postStart would, for one repository; return its exit code."""
    command = [*hook[:4], repository, *hook[5:]]
    bin_dir = Path(sys.executable).parent
    tools = home.parent / "tools"
    tools.mkdir(exist_ok=True)
    for name in ("sh", "git", "timeout", "date", "tail", "rm", "mkdir", "cat", "grep"):
        found = shutil.which(name)
        if found and not (tools / name).exists():
            (tools / name).symlink_to(found)
    if puller:
        if not (tools / "gitpuller").exists():
            (tools / "gitpuller").symlink_to(bin_dir / "gitpuller")
    elif (tools / "gitpuller").exists():
        (tools / "gitpuller").unlink()
    env = {"HOME": str(home), "PATH": str(tools)}
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120).returncode


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    repo = tmp_path / "upstream"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "intro.ipynb").write_text('{"cells": ["intro v1"]}\n')
    (repo / "data.txt").write_text("upstream v1\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "v1")
    return repo


def test_the_values_carry_the_hook_and_only_when_enabled(hook: list[str], tmp_path: Path) -> None:
    assert "nbgitpuller" in hook[2] and hook[2].rstrip().endswith("exit 0")
    tfvars, _ = rendered_tfvars("sandbox")
    values = evaluate(tmp_path, hub_inputs(json.loads(json.dumps(tfvars))))["values"]
    assert "lifecycleHooks" not in values["singleuser"]


def test_first_start_clones_then_upstream_changes_arrive(
    hook: list[str], tmp_path: Path, upstream: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert start_lab(hook, home, str(upstream)) == 0
    notebooks = home / "notebooks"
    assert (notebooks / "intro.ipynb").read_text() == '{"cells": ["intro v1"]}\n'
    assert not (home / "NOTEBOOKS-NOT-UPDATED.txt").exists()

    (upstream / "intro.ipynb").write_text('{"cells": ["intro v2"]}\n')
    (upstream / "new.ipynb").write_text('{"cells": []}\n')
    git(upstream, "add", ".")
    git(upstream, "commit", "-qm", "v2")
    assert start_lab(hook, home, str(upstream)) == 0
    assert (notebooks / "intro.ipynb").read_text() == '{"cells": ["intro v2"]}\n'
    assert (notebooks / "new.ipynb").is_file()


def test_a_user_edit_wins_over_a_conflicting_upstream_change(
    hook: list[str], tmp_path: Path, upstream: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert start_lab(hook, home, str(upstream)) == 0
    (home / "notebooks" / "data.txt").write_text("my own analysis, kept\n")
    (upstream / "data.txt").write_text("upstream v2\n")
    (upstream / "intro.ipynb").write_text('{"cells": ["intro v2"]}\n')
    git(upstream, "commit", "-qam", "v2")
    assert start_lab(hook, home, str(upstream)) == 0
    assert (home / "notebooks" / "data.txt").read_text() == "my own analysis, kept\n"
    # Files the user did not touch still follow upstream.
    assert (home / "notebooks" / "intro.ipynb").read_text() == '{"cells": ["intro v2"]}\n'


def test_a_deleted_file_comes_back(hook: list[str], tmp_path: Path, upstream: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert start_lab(hook, home, str(upstream)) == 0
    (home / "notebooks" / "intro.ipynb").unlink()
    assert start_lab(hook, home, str(upstream)) == 0
    assert (home / "notebooks" / "intro.ipynb").read_text() == '{"cells": ["intro v1"]}\n'


def test_an_unreachable_repository_never_fails_the_start(
    hook: list[str], tmp_path: Path, upstream: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert start_lab(hook, home, str(upstream)) == 0
    (home / "notebooks" / "data.txt").write_text("my own analysis, kept\n")
    gone = str(tmp_path / "no-such-repository")
    assert start_lab(hook, home, gone) == 0  # a non-zero postStart would kill the lab
    notice = (home / "NOTEBOOKS-NOT-UPDATED.txt").read_text()
    assert "were not updated when this lab started" in notice
    assert gone in notice
    assert (home / "notebooks" / "data.txt").read_text() == "my own analysis, kept\n"
    log = (home / ".cache" / "sciplat" / "notebooks.log").read_text()
    assert "no-such-repository" in log
    # The next start that reaches the repository clears the notice.
    assert start_lab(hook, home, str(upstream)) == 0
    assert not (home / "NOTEBOOKS-NOT-UPDATED.txt").exists()


def test_an_image_without_nbgitpuller_starts_with_a_message(
    hook: list[str], tmp_path: Path, upstream: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert start_lab(hook, home, str(upstream), puller=False) == 0
    assert not (home / "notebooks").exists()
    notice = (home / "NOTEBOOKS-NOT-UPDATED.txt").read_text()
    assert "nbgitpuller is not installed in this lab image" in notice


@pytest.mark.parametrize(
    ("notebooks", "expected"),
    [
        ({"enabled": True}, "hub.notebooks.repository: name the git repository of the notebooks"),
        (
            {"enabled": True, "repository": "git@github.com:org/nb.git"},
            "hub.notebooks.repository: 'git@github.com:org/nb.git' does not match",
        ),
        (
            {"enabled": True, "repository": "https://example.org/nb.git", "target": "../etc"},
            "hub.notebooks.target: '../etc' does not match",
        ),
        (
            {"enabled": True, "repository": "https://example.org/nb.git", "timeout_seconds": 0},
            "hub.notebooks.timeout_seconds: 0 is less than the minimum of 5",
        ),
    ],
)
def test_bad_notebook_settings(
    tmp_path: Path, notebooks: dict[str, Any], expected: str, run_cli
) -> None:
    data = raw("stable")
    data["hub"]["notebooks"] = notebooks
    path = write_env(tmp_path, data)
    result = run_cli("validate", str(path))
    assert result.code == 2
    lines = [line for line in result.err.splitlines() if "hub.notebooks" in line]
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"{path}:") and expected in lines[0], lines[0]
    assert int(lines[0].split(":")[1]) > 1


@pytest.fixture(autouse=True)
def _no_git_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The upstream repository is made with the tester's git, isolated from their settings.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("HOME", str(tmp_path))
