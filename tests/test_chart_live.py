"""The chart as released, rendered by real Helm with every environment's values, then sent to a
real API server as a server-side dry run under the namespace's Pod Security level.

`helm lint` and `helm template` run in `make lint` (tests/harness/chartcheck.py); here the
rendered objects meet the API server's own validation and admission: schemas of every kind, and
Pod Security admission, which warns for every workload whose pods the namespace would refuse.
"""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.conftest import ENV_NAMES
from tests.harness import chartcheck
from tests.harness.tools import helm_tool, kube_tools

pytestmark = [pytest.mark.integration, pytest.mark.slow]

POD_SECURITY = "pod-security.kubernetes.io/enforce"


@pytest.fixture(scope="module")
def helm():
    return helm_tool(quiet=True)


def _ensure_namespace(control_plane, name: str, level: str) -> None:
    from kubernetes import client

    core = client.CoreV1Api(control_plane.api_client())
    body = {"metadata": {"name": name, "labels": {POD_SECURITY: level}}}
    try:
        core.create_namespace(body)
    except client.ApiException as exc:
        if exc.status != 409:
            raise
        core.patch_namespace(name, body)


def _dry_run(control_plane, namespace: str, manifest) -> subprocess.CompletedProcess[str]:
    """`kubectl apply --dry-run=server` of a manifest file into `namespace`."""
    return subprocess.run(
        [
            str(kube_tools(quiet=True).kubectl),
            "--kubeconfig",
            str(control_plane.kubeconfig),
            "apply",
            "--dry-run=server",
            "--namespace",
            namespace,
            "-f",
            str(manifest),
        ],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("env_name", ENV_NAMES)
def test_every_rendered_object_passes_a_server_side_dry_run(
    control_plane, helm, env_name: str
) -> None:
    values = chartcheck.values_file(env_name)
    linted = chartcheck.lint(helm, values)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    manifest = chartcheck.template(env_name, helm, values)
    docs = [d for d in yaml.safe_load_all(manifest.read_text(encoding="utf-8")) if d]
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "DaemonSet", "Secret", "NetworkPolicy", "ServiceAccount"} <= kinds
    namespace = chartcheck.namespace_of(env_name)
    _ensure_namespace(control_plane, namespace, "baseline")
    proc = _dry_run(control_plane, namespace, manifest)
    assert proc.returncode == 0, proc.stderr
    accepted = [line for line in proc.stdout.splitlines() if "(server dry run)" in line]
    assert len(accepted) == len(docs), proc.stdout
    assert "would violate PodSecurity" not in proc.stderr, proc.stderr


def test_the_dry_run_reports_a_workload_the_namespace_would_refuse(
    control_plane, helm, tmp_path
) -> None:
    """The check has teeth: one privileged container in the rendered hub makes Pod Security
    admission name it under the namespace's baseline level."""
    values = chartcheck.values_file("stable")
    manifest = chartcheck.template("stable", helm, values)
    docs = [d for d in yaml.safe_load_all(manifest.read_text(encoding="utf-8")) if d]
    hub = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "hub")
    container = hub["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"] = {"privileged": True}
    tampered = tmp_path / "tampered.yaml"
    tampered.write_text(yaml.safe_dump(hub), encoding="utf-8")
    namespace = chartcheck.namespace_of("stable")
    _ensure_namespace(control_plane, namespace, "baseline")
    proc = _dry_run(control_plane, namespace, tampered)
    assert 'would violate PodSecurity "baseline:latest"' in proc.stderr
    assert "privileged" in proc.stderr
