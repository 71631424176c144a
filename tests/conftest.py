"""Shared test helpers: the repository root and an in-process CLI runner."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
ENV_NAMES = sorted(p.stem for p in (REPO_ROOT / "env").glob("*.yaml"))


def vendor_dir() -> Path:
    """Third-party material for offline tests: $SCIPLAT_VENDOR, else ../shared/vendor."""
    named = os.environ.get("SCIPLAT_VENDOR")
    return Path(named) if named else REPO_ROOT.parent / "shared" / "vendor"


def on_ci() -> bool:
    """CI runs with CI=true (set by .ci/run): there, nothing the project installs may be missing."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require_or_skip(reason: str) -> None:
    """Skip a test whose prerequisite (something `make setup` installs) is missing; on CI, fail.

    Use it for Terraform, the providers, the vendored chart, the local registry and the like;
    never for a test that is optional by design.
    """
    if on_ci():
        pytest.fail(f"{reason} (CI=true: everything `make setup` installs must be present)")
    pytest.skip(reason)


def requires(available: bool, reason: str) -> pytest.MarkDecorator:
    """A marker for tests that need something `make setup` installs: a no-op when it is there;
    a skip when it is missing; a failure when it is missing on CI (CI=true)."""
    if available:
        return pytest.mark.skipif(False, reason=reason)
    if on_ci():
        return pytest.mark.missing_prerequisite(reason)
    return pytest.mark.skipif(True, reason=reason)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "missing_prerequisite(reason): something make setup installs is missing (CI)"
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("missing_prerequisite")
    if marker is not None:
        reason = marker.args[0] if marker.args else "a prerequisite is missing"
        pytest.fail(f"{reason} (CI=true: everything `make setup` installs must be present)")


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]):
    """Run `sciplat ARGS` in process; return exit code, stdout and stderr."""
    from sciplat.cli import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


def mirror_prefixes(tfvars: dict) -> dict[str, str]:
    """Upstream registry host -> Artifact Registry mirror prefix, as the root module builds it."""
    from sciplat.hubvalues import mirror_prefixes as prefixes

    return prefixes(tfvars)


# ---------------------------------------------------------------------- the local control plane


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory):
    """etcd + kube-apiserver + kube-controller-manager on 127.0.0.1 for the whole session.

    Builds (or reuses) the binaries first. A control plane that does not come up fails every test
    that needs it with the components' log tails; it never turns into a skip.
    """
    from tests.harness.controlplane import ControlPlane

    plane = ControlPlane.start(tmp_path_factory.mktemp("control-plane"))
    try:
        yield plane
    finally:
        plane.stop()


@pytest.fixture(scope="session")
def hub_applied(tmp_path_factory: pytest.TempPathFactory):
    """`hub_applied(env)`: modules/hub applied for that environment, once per session per env.

    Each environment gets a control plane of its own (`.plane` of the result): one cluster per
    environment is the platform's rule, and two hubs on one cluster collide on cluster-scoped
    objects.
    """
    from tests.harness.controlplane import ControlPlane
    from tests.harness.hub import apply_hub

    applied: dict[str, object] = {}
    planes: list[ControlPlane] = []

    def apply(env_name: str):
        if env_name not in applied:
            plane = ControlPlane.start(tmp_path_factory.mktemp(f"plane-{env_name}"))
            planes.append(plane)
            workdir = tmp_path_factory.mktemp(f"hub-{env_name}")
            applied[env_name] = apply_hub(plane, env_name, workdir)
        return applied[env_name]

    try:
        yield apply
    finally:
        for plane in planes:
            plane.stop()
