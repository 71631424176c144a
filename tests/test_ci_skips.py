"""On CI nothing the project installs may be skipped: every such skip goes through
`require_or_skip` / `requires` (tests/conftest.py), which fail when CI=true, and .ci/run sets it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

TESTS = REPO_ROOT / "tests"
# Skips that are right on CI too: the case cannot arise there by design.
BY_DESIGN = {
    ("test_tfcheck_integration.py", "the registry answers"),
}


def _skips(path: Path) -> list[tuple[int, str]]:
    """(line, reason) of every direct pytest.skip(...) / pytest.mark.skipif(...) / importorskip."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = ast.unparse(node.func)
        if name in ("pytest.skip", "pytest.mark.skipif", "pytest.importorskip"):
            found.append((node.lineno, ast.unparse(node)))
    return found


@pytest.mark.parametrize(
    "path", sorted(p for p in TESTS.rglob("test_*.py")), ids=lambda p: str(p.relative_to(TESTS))
)
def test_no_test_skips_around_the_ci_rule(path: Path) -> None:
    wrong = [
        f"{path.name}:{line}: {call}"
        for line, call in _skips(path)
        if not any(path.name == f and reason in call for f, reason in BY_DESIGN)
    ]
    assert wrong == [], "use tests.conftest.require_or_skip / requires instead: " + "; ".join(wrong)


def test_the_ci_entry_point_sets_ci_and_runs_the_readme_command() -> None:
    text = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    assert "export CI=true" in lines
    assert lines.index("export CI=true") < lines.index("exec make test")


PROBE = """
import pytest
from tests.conftest import require_or_skip, requires

def test_helper():
    require_or_skip("frobnicator not installed")

@requires(False, "widget missing")
def test_marker():
    pass

@requires(True, "present")
def test_present():
    pass
"""


@pytest.mark.parametrize("ci", ["true", None])
def test_missing_prerequisites_skip_locally_and_fail_on_ci(tmp_path: Path, ci: str | None) -> None:
    probe = TESTS / f"_probe_ci_{os.getpid()}_{ci}.py"
    probe.write_text(PROBE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = ci
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(probe)],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        probe.unlink(missing_ok=True)
    summary = proc.stdout.strip().splitlines()[-1]
    if ci:
        assert proc.returncode == 1, proc.stdout
        assert "skipped" not in summary and "1 passed" in summary  # the marker fails in setup
        assert "frobnicator not installed (CI=true" in proc.stdout
        assert "widget missing (CI=true" in proc.stdout
    else:
        assert proc.returncode == 0, proc.stdout
        assert "1 passed, 2 skipped" in summary
