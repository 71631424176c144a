"""The pre-commit hooks run offline and run what `make lint` runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]


def hooks() -> list[dict[str, Any]]:
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    found = []
    for repo in config["repos"]:
        assert repo["repo"] == "local", "only local hooks: nothing is fetched, so they work offline"
        found += repo["hooks"]
    return found


def make_recipe(target: str) -> list[str]:
    """The command lines of a Makefile target, with make's variables expanded."""
    text = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    variables = dict(re.findall(r"^([A-Z_]+)\s*[:?]?=\s*(.*)$", text, re.M))

    def expand(line: str) -> str:
        for _ in range(5):
            line = re.sub(r"\$\(([A-Z_]+)\)", lambda m: variables.get(m.group(1), m.group(0)), line)
        return line

    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", text, re.M)
    assert match, f"no target {target}"
    return [expand(line.strip()) for line in match.group(1).splitlines()]


def test_hooks_use_the_project_tools_without_network() -> None:
    for hook in hooks():
        assert hook["language"] == "system", hook["id"]
        tool = hook["entry"].split()[0]
        assert tool.startswith((".venv/bin/", ".venv-tools/bin/")), hook["id"]


def test_hooks_cover_make_lint() -> None:
    entries = {h["id"]: h["entry"] for h in hooks()}
    lint = " ".join(
        line
        for t in ("ruff", "typecheck", "fmt-check", "checkov", "docs-check")
        for line in make_recipe(t)
    )
    assert "ruff check" in lint and entries["ruff-check"].startswith(".venv/bin/ruff check")
    assert "ruff format" in lint and entries["ruff-format"] == ".venv/bin/ruff format"
    assert "tf fmt" in lint and "tf fmt" in entries["terraform-fmt"]
    assert ".venv/bin/mypy" in lint and entries["mypy"] == ".venv/bin/mypy"
    assert "tf-docs --check" in lint and entries["tf-docs"].endswith("tf-docs --check")
    checkov = next(line for line in make_recipe("checkov") if "checkov" in line)
    assert entries["checkov"] == checkov, "the hook runs checkov exactly as make lint does"
