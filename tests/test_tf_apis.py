"""Every Google API a resource needs is enabled by the root module, and nothing more.

A resource whose API is off fails only at apply time, in the cloud (image streaming, for one,
needs containerfilesystem.googleapis.com besides the container API). So the table below says
which API each resource and data source type calls, and which API an optional feature of a
resource needs; the test reads every resource, data source, nested block and Google API address
from the Terraform code and checks the root's `local.services` against them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
TF_DIRS = [
    REPO_ROOT / "terraform",
    *sorted(p for p in (REPO_ROOT / "modules").rglob("*") if p.is_dir()),
]

# APIs Terraform needs before it can enable any other: on before the first plan (the operations
# guide says how), so the root does not manage them.
PREREQUISITES = {"serviceusage.googleapis.com", "cloudresourcemanager.googleapis.com"}

# Resource and data source type -> the Google APIs it calls; an empty set: none
# (google_client_config reads the caller's credentials). Types of the kubernetes and helm
# providers talk to the cluster, and Terraform's built-in ones (terraform_data) to nothing: they
# need no entry (NO_GOOGLE_API).
API_FOR_TYPE: dict[str, set[str]] = {
    "google_artifact_registry_repository": {"artifactregistry.googleapis.com"},
    "google_artifact_registry_repository_iam_member": {"artifactregistry.googleapis.com"},
    "google_billing_budget": {"billingbudgets.googleapis.com"},
    "google_cloud_scheduler_job": {"cloudscheduler.googleapis.com"},
    "google_compute_address": {"compute.googleapis.com"},
    "google_compute_firewall": {"compute.googleapis.com"},
    "google_compute_network": {"compute.googleapis.com"},
    "google_compute_router": {"compute.googleapis.com"},
    "google_compute_router_nat": {"compute.googleapis.com"},
    "google_compute_subnetwork": {"compute.googleapis.com"},
    "google_container_cluster": {"container.googleapis.com"},
    "google_container_node_pool": {"container.googleapis.com"},
    "google_filestore_instance": {"file.googleapis.com"},
    "google_monitoring_notification_channel": {"monitoring.googleapis.com"},
    "google_project_iam_member": {"cloudresourcemanager.googleapis.com"},
    "google_project_service": {"serviceusage.googleapis.com"},
    "google_secret_manager_secret_iam_member": {"secretmanager.googleapis.com"},
    "google_service_account": {"iam.googleapis.com"},
    "google_service_account_iam_member": {"iam.googleapis.com"},
    "google_workflows_workflow": {"workflows.googleapis.com"},
    "data.google_client_config": set(),
    "data.google_project": {"cloudresourcemanager.googleapis.com"},
    "data.google_secret_manager_secret_version": {"secretmanager.googleapis.com"},
}

NO_GOOGLE_API = ("kubernetes_", "helm_", "terraform_", "data.kubernetes_", "data.helm_")

# (resource type, path of a nested block) -> the API that block turns on.
API_FOR_FEATURE: dict[tuple[str, str], str] = {
    ("google_container_node_pool", "node_config.gcfs_config"): "containerfilesystem.googleapis.com",
    ("google_container_cluster", "node_pool_defaults.node_config_defaults.gcfs_config"): (
        "containerfilesystem.googleapis.com"
    ),
    ("google_container_cluster", "logging_config"): "logging.googleapis.com",
    ("google_container_cluster", "monitoring_config"): "monitoring.googleapis.com",
}

# Google API addresses written in the code: an HTTP target (https://NAME.googleapis.com/...) or a
# Workflows connector call (googleapis.NAME.v1....). OAuth scopes (www.googleapis.com) are not APIs.
URL_RE = re.compile(r"https://([a-z0-9]+)\.googleapis\.com/")
CONNECTOR_RE = re.compile(r"\bgoogleapis\.([a-z0-9]+)\.v[0-9]")


def tf_files() -> list[Path]:
    return sorted(f for d in TF_DIRS if "tests" not in d.parts for f in d.glob("*.tf"))


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)


def block_paths(body: Any, prefix: str = "") -> set[str]:
    """Dotted paths of every nested block (and dynamic block) in a resource body."""
    found: set[str] = set()
    if not isinstance(body, dict):
        return found
    for key, value in body.items():
        if key == "dynamic" and isinstance(value, list):
            for entry in value:
                for name, dyn in entry.items():
                    path = f"{prefix}{name.strip(chr(34))}"
                    found.add(path)
                    for content in dyn.get("content", []):
                        found |= block_paths(content, path + ".")
            continue
        # A block is a list of bodies marked __is_block__; a list of objects is an attribute.
        if isinstance(value, list) and any(
            isinstance(v, dict) and v.get("__is_block__") for v in value
        ):
            path = f"{prefix}{key}"
            found.add(path)
            for v in value:
                found |= block_paths(v, path + ".")
    return found


def used() -> dict[str, set[str]]:
    """Type (data sources as `data.TYPE`) -> nested block paths used anywhere in the code."""
    types: dict[str, set[str]] = {}
    for tf in tf_files():
        parsed = load(tf)
        for kind, prefix in (("resource", ""), ("data", "data.")):
            for block in parsed.get(kind, []):
                for rtype, named in block.items():
                    for body in named.values():
                        key = prefix + rtype.strip('"')
                        types.setdefault(key, set()).update(block_paths(body))
    return types


def addressed_apis() -> dict[str, set[str]]:
    """API -> files that address it by URL or Workflows connector."""
    found: dict[str, set[str]] = {}
    for tf in tf_files():
        text = tf.read_text(encoding="utf-8")
        for name in URL_RE.findall(text) + CONNECTOR_RE.findall(text):
            if name != "www":
                rel = tf.relative_to(REPO_ROOT).as_posix()
                found.setdefault(f"{name}.googleapis.com", set()).add(rel)
    return found


def enabled() -> set[str]:
    for block in load(REPO_ROOT / "terraform" / "main.tf").get("locals", []):
        if "services" in block:
            return {s.strip(chr(34)) for s in block["services"]}
    raise AssertionError("terraform/main.tf has no local.services")


def required() -> dict[str, set[str]]:
    """API -> why it is needed (types, features, addresses)."""
    why: dict[str, set[str]] = {}
    for rtype, paths in used().items():
        for api in API_FOR_TYPE.get(rtype, set()):
            why.setdefault(api, set()).add(rtype)
        for (ftype, fpath), api in API_FOR_FEATURE.items():
            if ftype == rtype and fpath in paths:
                why.setdefault(api, set()).add(f"{rtype} {fpath}")
    for api, files in addressed_apis().items():
        why.setdefault(api, set()).update(files)
    return why


def test_every_type_in_the_code_is_in_the_table() -> None:
    missing = sorted(t for t in set(used()) - set(API_FOR_TYPE) if not t.startswith(NO_GOOGLE_API))
    assert not missing, f"add these types to API_FOR_TYPE with the API each calls: {missing}"


def test_every_needed_api_is_enabled() -> None:
    missing = {
        api: sorted(why)
        for api, why in required().items()
        if api not in enabled() and api not in PREREQUISITES
    }
    assert not missing, f"enable these in terraform/main.tf local.services: {missing}"


def test_no_api_is_enabled_that_nothing_needs() -> None:
    unneeded = sorted(enabled() - set(required()))
    assert not unneeded, f"nothing in the code needs {unneeded}"


def test_prerequisites_are_left_to_the_project() -> None:
    assert not (enabled() & PREREQUISITES), "Terraform cannot enable the APIs it enables with"


def test_image_streaming_needs_the_container_filesystem_api() -> None:
    # The scanner must see the user pools' gcfs_config, or the table above proves nothing.
    why = required()
    assert (
        "google_container_node_pool node_config.gcfs_config"
        in why["containerfilesystem.googleapis.com"]
    )
    assert "containerfilesystem.googleapis.com" in enabled()


def test_scheduler_targets_and_workflow_connectors_are_found() -> None:
    addressed = addressed_apis()
    assert "modules/filestore/main.tf" in addressed["workflowexecutions.googleapis.com"]
    assert "modules/filestore/main.tf" in addressed["file.googleapis.com"]
    assert "www.googleapis.com" not in addressed


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"node_config": [{"gcfs_config": [{"enabled": True, "__is_block__": True}]}]}, set()),
        (
            {
                "node_config": [
                    {"gcfs_config": [{"enabled": True, "__is_block__": True}], "__is_block__": True}
                ]
            },
            {"node_config", "node_config.gcfs_config"},
        ),
        (
            {"dynamic": [{'"taint"': {"for_each": "x", "content": [{"key": "k"}]}}]},
            {"taint"},
        ),
        ({"labels": {"a": "b"}, "tags": ["x"]}, set()),
    ],
)
def test_block_paths(body: dict[str, Any], expected: set[str]) -> None:
    assert block_paths(body) == expected
