"""Static rules every Terraform module follows, read from the code with python-hcl2."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from sciplat.terraform import TERRAFORM_VERSION

REPO_ROOT = Path(__file__).resolve().parents[1]
MODULES = ["network", "gke", "filestore", "registry-mirror", "hub"]
MODULE_DIRS = [REPO_ROOT / "modules" / m for m in MODULES] + [REPO_ROOT / "modules/hub/values"]
ALL_DIRS = [REPO_ROOT / "terraform", *MODULE_DIRS]

RANGES = {
    "hashicorp/google": ">= 7.0, < 8.0",
    "hashicorp/kubernetes": ">= 3.0, < 4.0",
    "hashicorp/helm": ">= 3.0, < 4.0",
}


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)


def blocks(directory: Path, kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for tf in sorted(directory.glob("*.tf")):
        for block in load(tf).get(kind, []):
            for name, body in block.items():
                found[name.strip('"')] = body
    return found


def resources(directory: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(type, name) -> body of every resource block in a module."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for tf in sorted(directory.glob("*.tf")):
        for block in load(tf).get("resource", []):
            for rtype, named in block.items():
                for name, body in named.items():
                    found[(rtype.strip('"'), name.strip('"'))] = body
    return found


def unquote(value: str) -> str:
    return value[1:-1] if value.startswith('"') and value.endswith('"') else value


def required_providers(directory: Path) -> tuple[str, dict[str, tuple[str, str]]]:
    terraform = load(directory / "versions.tf")["terraform"][0]
    providers = {}
    for entry in terraform.get("required_providers", [{}]):
        for local_name, spec in entry.items():
            if local_name == "__is_block__":
                continue
            providers[local_name] = (unquote(spec["source"]), unquote(spec["version"]))
    return unquote(terraform["required_version"]), providers


@pytest.mark.parametrize(
    "directory", MODULE_DIRS, ids=lambda p: p.relative_to(REPO_ROOT).as_posix()
)
def test_modules_pin_provider_ranges(directory: Path) -> None:
    required_version, providers = required_providers(directory)
    assert required_version == ">= 1.9"
    for source, version in providers.values():
        assert version == RANGES[source], f"{source} in {directory.name}"
    if directory.name == "values":
        assert providers == {}, "the values submodule stays provider-free"
        assert not resources(directory) and not blocks(directory, "data")


def test_root_pins_exact_versions_and_a_partial_gcs_backend() -> None:
    root = REPO_ROOT / "terraform"
    required_version, providers = required_providers(root)
    assert required_version == TERRAFORM_VERSION, "the root pins the one Terraform version"
    assert {s for s, _ in providers.values()} == set(RANGES)
    for source, version in providers.values():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{source} must be pinned exactly"
    terraform = load(root / "versions.tf")["terraform"][0]
    backend = terraform["backend"][0]
    assert list(k.strip('"') for k in backend) == ["gcs"]
    assert {k for k in backend['"gcs"'] if k != "__is_block__"} == set(), "partial configuration"


# Passed unchanged to modules/hub/values, which validates them (volumes, notebooks and dask too).
VALIDATED_DOWNSTREAM = {
    ("hub", "culling"),
    ("hub", "lab"),
    ("hub", "profiles"),
    ("hub", "volumes"),
    ("hub", "notebooks"),
    ("hub", "dask"),
}


@pytest.mark.parametrize("directory", ALL_DIRS, ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_variables_are_typed_described_and_validated(directory: Path) -> None:
    variables = blocks(directory, "variable")
    assert variables
    for name, body in variables.items():
        assert unquote(body.get("description", "")).strip(), f"{name}: description"
        type_text = body.get("type", "")
        assert type_text, f"{name}: type"
        assert not re.search(r"\bany\b", type_text), f"{name}: no `any`"
        exempt = (
            type_text == "bool"
            or body.get("sensitive") is True
            or (directory.name, name) in VALIDATED_DOWNSTREAM
        )
        assert exempt or "validation" in body, f"{directory.name}: {name} has no validation"
    for name, body in blocks(directory, "output").items():
        assert unquote(body.get("description", "")).strip(), f"output {name}: description"


def test_stateful_resources_are_protected() -> None:
    found = resources(REPO_ROOT / "modules/filestore")
    filestore = {n: b for (t, n), b in found.items() if t == "google_filestore_instance"}
    assert set(filestore) == {"home", "shared"}
    for name, body in filestore.items():
        assert body["deletion_protection_enabled"] is True, name
        assert body["lifecycle"][0]["prevent_destroy"] is True, name
    cluster = resources(REPO_ROOT / "modules/gke")[("google_container_cluster", "this")]
    assert cluster["deletion_protection"] == "${var.deletion_protection}"
    assert cluster["remove_default_node_pool"] is True
    gke_vars = blocks(REPO_ROOT / "modules/gke", "variable")
    assert gke_vars["deletion_protection"]["default"] is True


def test_kubernetes_and_helm_reach_the_cluster_by_its_dns_endpoint() -> None:
    """The DNS endpoint is IAM-authorized (CI runners reach it) and publicly trusted: no CA."""
    providers = {
        name.strip('"'): body
        for block in load(REPO_ROOT / "terraform" / "providers.tf")["provider"]
        for name, body in block.items()
    }
    token = "${data.google_client_config.current.access_token}"
    for name, conn in (
        ("kubernetes", providers["kubernetes"]),
        ("helm", providers["helm"]["kubernetes"]),
    ):
        assert unquote(conn["host"]) == "https://${module.gke.dns_endpoint}", name
        assert conn["token"] == token, name
        assert "cluster_ca_certificate" not in conn, f"{name}: the DNS endpoint needs no cluster CA"
    gke_outputs = (REPO_ROOT / "modules/gke/outputs.tf").read_text(encoding="utf-8")
    assert re.search(
        r'output "dns_endpoint" \{[^}]*value\s*=\s*google_container_cluster\.this\.'
        r"control_plane_endpoints_config\[0\]\.dns_endpoint_config\[0\]\.endpoint\n",
        gke_outputs,
    ), "dns_endpoint is the DNS endpoint's own `endpoint`, not the cluster's IP `endpoint`"


def test_autoscaled_pools_ignore_node_counts() -> None:
    found = resources(REPO_ROOT / "modules/gke")
    pools = {n: b for (t, n), b in found.items() if t == "google_container_node_pool"}
    assert set(pools) == {"core", "user", "extra"}
    for name, body in pools.items():
        ignored = body["lifecycle"][0]["ignore_changes"]
        text = " ".join(ignored) if isinstance(ignored, list) else str(ignored)
        assert re.search(r"\bnode_count\b", text), name
        assert re.search(r"\binitial_node_count\b", text), name


def test_checkov_skips_carry_a_reason() -> None:
    for tf in sorted(REPO_ROOT.glob("modules/**/*.tf")) + sorted(REPO_ROOT.glob("terraform/*.tf")):
        if "tests" in tf.relative_to(REPO_ROOT).parts:
            continue
        for line in tf.read_text(encoding="utf-8").splitlines():
            if "checkov:skip=" in line:
                assert re.search(r"checkov:skip=CKV2?_[A-Z]+_\d+: \S.{10,}", line), f"{tf}: {line}"


def test_no_secret_values_in_tfvars_shaped_inputs() -> None:
    """Secrets are referenced by Secret Manager id; only the hub module has a sensitive input."""
    sensitive = {
        (d.relative_to(REPO_ROOT).as_posix(), name)
        for d in ALL_DIRS
        for name, body in blocks(d, "variable").items()
        if body.get("sensitive") is True
    }
    assert sensitive == {("modules/hub", "oauth_client_secret")}
    root_types = " ".join(b["type"] for b in blocks(REPO_ROOT / "terraform", "variable").values())
    attributes = set(re.findall(r"([a-z_]+) =", root_types))
    assert {"client_secret_secret", "credentials_secret"} <= attributes
    assert not attributes & {"client_secret", "password", "token", "secret"}
