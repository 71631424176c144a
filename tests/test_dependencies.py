"""Python dependencies: what the code imports is declared, what is declared is locked with hashes.

`pyproject.toml` pins every package the code imports (runtime for `scripts/sciplat`, dev for the
rest); `requirements.lock` locks the whole tree with hashes and `make setup` installs from it
(`pip install --require-hashes`), so a plain install of the package and a developer's `.venv`
see the same versions.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[A-Za-z0-9_,.-]+\])?==([^\s;]+)")
LOCK_ENTRY = re.compile(
    r"^([A-Za-z0-9_.-]+)==([^\s;]+)(?: ;[^\\\n]*)?((?: \\\n\s+--hash=sha256:[0-9a-f]{64})+)", re.M
)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(requirements: list[str]) -> dict[str, str]:
    out = {}
    for requirement in requirements:
        match = REQUIREMENT.match(requirement)
        assert match, f"{requirement!r} is not pinned exactly"
        out[canonical(match.group(1))] = match.group(2)
    return out


RUNTIME = pins(PYPROJECT["project"]["dependencies"])
DEV = pins(PYPROJECT["project"]["optional-dependencies"]["dev"])


def locked(path: Path) -> dict[str, set[str]]:
    """Package -> the versions locked (one per Python version range at most)."""
    text = path.read_text(encoding="utf-8")
    entries: dict[str, set[str]] = {}
    matches = list(LOCK_ENTRY.finditer(text))
    for m in matches:
        entries.setdefault(canonical(m.group(1)), set()).add(m.group(2))
    names = re.findall(r"^([A-Za-z0-9_.-]+)==", text, re.M)
    assert len(matches) == len(names), f"{path.name}: every entry carries its hashes"
    return entries


def third_party_imports(directory: Path) -> dict[str, set[str]]:
    """Top-level module -> files importing it (lazy imports inside functions included)."""
    found: dict[str, set[str]] = {}
    for path in sorted(directory.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from google.cloud import container_v1`: the name may be a module.
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("sciplat", "__future__"):
                    found.setdefault(name, set()).add(path.relative_to(REPO_ROOT).as_posix())
    return found


def distributions_of(module: str) -> set[str]:
    """The installed distributions providing `module`: its deepest package directory shipped by
    a distribution (namespace packages such as google.cloud have many), else its top level."""
    parts = module.split(".")
    for depth in range(len(parts), 1, -1):
        owners = _files_index().get("/".join(parts[:depth]), set())
        if owners:
            return {canonical(d) for d in owners}
    return {canonical(d) for d in packages_distributions().get(parts[0], [])}


_INDEX: dict[str, set[str]] = {}


def _files_index() -> dict[str, set[str]]:
    """Package directory (a/b/c) -> distributions that ship a file in it."""
    if not _INDEX:
        from importlib.metadata import distributions

        for dist in distributions():
            for file in dist.files or []:
                parent = Path(str(file)).parent.as_posix()
                _INDEX.setdefault(parent, set()).add(dist.metadata["Name"])
    return _INDEX


def test_every_import_of_the_package_is_a_runtime_dependency() -> None:
    missing = {}
    for module, files in third_party_imports(REPO_ROOT / "scripts" / "sciplat").items():
        if not distributions_of(module) & set(RUNTIME):
            missing[module] = sorted(files)
    assert not missing, f"imported by the package but not runtime dependencies: {missing}"


def test_every_runtime_dependency_is_imported() -> None:
    imported = set()
    for module in third_party_imports(REPO_ROOT / "scripts" / "sciplat"):
        imported |= distributions_of(module)
    unused = sorted(set(RUNTIME) - imported)
    assert not unused, f"pinned but never imported by scripts/sciplat: {unused}"


def test_the_lock_holds_every_pin_at_its_version() -> None:
    lock = locked(REPO_ROOT / "requirements.lock")
    build = pins(PYPROJECT["build-system"]["requires"])
    for name, version in {**RUNTIME, **DEV, **build}.items():
        assert version in lock.get(name, set()), f"{name}=={version}: run make lock"
    assert "pip" in lock, "pip itself is locked"


def test_checkov_is_locked_at_the_makefile_version() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    version = re.search(r"^CHECKOV_VERSION := (\S+)$", makefile, re.M)
    assert version
    assert locked(REPO_ROOT / "requirements-checkov.lock")["checkov"] == {version.group(1)}


def test_setup_installs_from_the_lock_with_hashes() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install --quiet --require-hashes --no-deps -r requirements.lock" in makefile
    assert "pip install --quiet --no-deps --no-build-isolation -e ." in makefile
    assert "--require-hashes --no-deps -r requirements-checkov.lock" in makefile
    assert not re.search(r"pip install[^\n]*'\.\[dev\]'", makefile), "no resolving install"
