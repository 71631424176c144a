"""The GitHub workflows: actions pinned by commit, least privilege per job, tests on every PR."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")
PINNED = re.compile(r"^([\w.-]+/[\w.-]+)@([0-9a-f]{40})$")
VERSION_COMMENT = re.compile(r"^\s+# v\d+\.\d+\.\d+\b")


def load(path: Path) -> dict[Any, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def uses_lines() -> list[tuple[str, str, str]]:
    found = []
    for path in WORKFLOWS:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = USES.match(line)
            if match:
                found.append((path.name, match.group(1), match.group(2)))
    return found


def test_every_action_is_pinned_by_commit_with_its_version() -> None:
    assert uses_lines(), "the workflows use actions"
    for workflow, ref, rest in uses_lines():
        assert PINNED.match(ref), f"{workflow}: {ref} is not pinned by a full commit SHA"
        assert VERSION_COMMENT.match(rest), f"{workflow}: {ref} needs a '# vX.Y.Z' comment"


def test_one_commit_per_action() -> None:
    seen: dict[str, set[str]] = {}
    for _, ref, rest in uses_lines():
        action, sha = ref.split("@")
        seen.setdefault(action, set()).add(f"{sha}{rest}")
    assert {a: s for a, s in seen.items() if len(s) > 1} == {}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_per_job(path: Path) -> None:
    doc = load(path)
    assert doc.get("permissions") == {}, "no default token permissions; each job asks for its own"
    for name, job in doc["jobs"].items():
        assert isinstance(job.get("permissions"), dict), f"{path.name}: job {name}"
        assert job["permissions"].get("contents") == "read", f"{path.name}: job {name}"


def test_the_test_workflow_runs_make_test_on_pull_requests_and_main() -> None:
    doc = load(REPO_ROOT / ".github" / "workflows" / "test.yml")
    assert "pull_request" in doc["on"] and doc["on"]["push"]["branches"] == ["main"]
    assert "github.event.pull_request.number" in doc["concurrency"]["group"]
    steps = doc["jobs"]["test"]["steps"]
    assert any(s.get("run") == "bash .ci/run" for s in steps), ".ci/run is make test"
    assert (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8").rstrip().endswith("make test")
    by_action = {s["uses"].split("@")[0]: s.get("with", {}) for s in steps if "uses" in s}
    assert by_action["actions/setup-python"]["cache"] == "pip"
    assert by_action["actions/setup-python"]["cache-dependency-path"].endswith("requirements.lock")
    assert by_action["actions/setup-go"]["cache"] is True
    assert "~/.cache/sciplat" in by_action["actions/cache"]["path"]


def test_dependabot_watches_every_pinned_ecosystem() -> None:
    doc = yaml.safe_load((REPO_ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    updates = {u["package-ecosystem"]: u for u in doc["updates"]}
    assert set(updates) == {"github-actions", "pip", "gomod", "terraform"}
    assert set(updates["gomod"]["directories"]) == {
        "/tools/providers",
        "/tools/kube",
        "/tools/helm",
    }
    assert set(updates["terraform"]["directories"]) == {"/terraform", "/modules/*"}
