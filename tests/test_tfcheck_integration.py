"""Integration tests of sciplat.tfcheck with real Terraform and the real providers (from the
registry, or built from their released sources on first use; later runs reuse the cache).

They show that `tf-validate` fails with Terraform's own diagnostic, or the provider's own
validation message, on a broken copy of a module, and that the terraform test suites fail when a
module's behaviour changes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from sciplat import tfcheck

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def providers() -> tfcheck.ProvidersResult:
    return tfcheck.ensure_providers(quiet=True)


def _copy_module(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(REPO_ROOT / "modules" / name, dest)
    return dest


def _replace_once(path: Path, old: str, new: str) -> int:
    """Replace the first `old` in the file; return its 1-based line number."""
    text = path.read_text(encoding="utf-8")
    at = text.index(old)
    path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    return text.count("\n", 0, at) + 1


def test_terraform_installs_exactly_the_pinned_providers(
    providers: tfcheck.ProvidersResult,
) -> None:
    """A plain `terraform init` (through the CLI config when offline) installs the versions
    tools/providers/providers.json pins, and records them in the dependency lock file."""
    root = REPO_ROOT / "terraform"
    tf = tfcheck._prepare_dir(root, providers)
    out = tf.run(["version", "-json"], stream=False).stdout
    installed = json.loads(out)["provider_selections"]
    manifest = tfcheck.load_manifest()
    for source in ("hashicorp/google", "hashicorp/helm", "hashicorp/kubernetes"):
        assert installed[f"registry.terraform.io/{source}"] == manifest[source].version
    lock = (root / ".terraform.lock.hcl").read_text(encoding="utf-8")
    assert 'provider "registry.terraform.io/hashicorp/google"' in lock
    assert f'version     = "{manifest["hashicorp/google"].version}"' in lock


def test_a_value_only_the_provider_rejects_fails_validate_with_its_message(
    providers: tfcheck.ProvidersResult, tmp_path: Path, run_cli
) -> None:
    """No schema knows the pattern of a service account id; the google provider's own validation
    does, and validate reports its message at the file and line."""
    module = _copy_module("gke", tmp_path)
    text = (module / "main.tf").read_text(encoding="utf-8")
    found = re.search(r"account_id\s*=\s*[^\n]+", text)
    assert found, "the gke module creates a node service account"
    line = _replace_once(module / "main.tf", found.group(0), 'account_id   = "Nodes_Of_Sciplat"')
    result = run_cli("tf-validate", str(module))
    assert result.code == 1, result.out
    flat = " ".join(result.err.split())
    assert f"main.tf:{line}:" in flat
    assert "Nodes_Of_Sciplat" in flat and "account_id" in flat
    assert "Traceback" not in result.err


def test_validate_passes_on_the_shipped_code(providers: tfcheck.ProvidersResult) -> None:
    for directory in tfcheck.terraform_dirs():
        errors = [d for d in tfcheck.validate_dir(directory, providers) if d.severity == "error"]
        assert errors == [], directory


def test_misspelled_argument_fails_with_terraforms_diagnostic(
    providers: tfcheck.ProvidersResult, tmp_path: Path, run_cli
) -> None:
    module = _copy_module("gke", tmp_path)
    line = _replace_once(module / "main.tf", "enable_shielded_nodes ", "enable_shielded_node ")
    result = run_cli("tf-validate", str(module))
    assert result.code == 1
    assert "Traceback" not in result.err
    flat = " ".join(result.err.split())
    assert f"main.tf:{line}:" in flat
    assert (
        'Unsupported argument: An argument named "enable_shielded_node" is not expected here'
        in (flat)
    )
    assert 'Did you mean "enable_shielded_nodes"?' in flat


def test_wrong_block_nesting_and_type_fail(
    providers: tfcheck.ProvidersResult, tmp_path: Path
) -> None:
    module = _copy_module("filestore", tmp_path)
    # `networks` is a block of the instance, not of the file share; capacity_gb is a number.
    _replace_once(module / "main.tf", "    capacity_gb = var.home.capacity_gib\n", "")
    _replace_once(
        module / "main.tf",
        "    name        = var.home.share_name\n",
        '    name        = var.home.share_name\n    capacity_gb = "lots"\n'
        "    networks {\n      network = var.network_name\n    }\n",
    )
    summaries = {d.summary for d in tfcheck.validate_dir(module, providers)}
    assert "Unsupported block type" in summaries
    assert "Incorrect attribute value type" in summaries


def test_unknown_resource_type_fails(providers: tfcheck.ProvidersResult, tmp_path: Path) -> None:
    module = _copy_module("network", tmp_path)
    _replace_once(
        module / "main.tf", '"google_compute_router" "router"', '"google_compute_rooter" "router"'
    )
    diags = tfcheck.validate_dir(module, providers)
    assert any(d.summary == "Invalid resource type" for d in diags), diags


def test_invalid_enum_value_fails_validate_with_the_provider_message(
    providers: tfcheck.ProvidersResult, tmp_path: Path, run_cli
) -> None:
    module = _copy_module("registry-mirror", tmp_path)
    line = _replace_once(module / "main.tf", '"REMOTE_REPOSITORY"', '"REMOTE"')
    result = run_cli("tf-validate", str(module))
    assert result.code == 1
    flat = " ".join(result.err.split())
    assert f"main.tf:{line}:" in flat
    # The google provider's own enumeration check (it also admits "" for unset).
    assert (
        'expected mode to be one of ["STANDARD_REPOSITORY" "VIRTUAL_REPOSITORY" '
        '"REMOTE_REPOSITORY" ""], got REMOTE'
    ) in flat


def test_invalid_enum_in_a_dynamic_block_fails_the_suite(
    providers: tfcheck.ProvidersResult, tmp_path: Path
) -> None:
    """validate cannot see into a dynamic block of unknown length; the plan in tf-test can."""
    module = _copy_module("filestore", tmp_path)
    _replace_once(module / "main.tf", '"ROOT_SQUASH"', '"SQUASH_ROOT"')
    result = tfcheck.run_suite(module, providers, label="filestore")
    assert not result.ok
    flat = " ".join(result.output.split())
    assert (
        "expected file_shares.0.nfs_export_options.0.squash_mode to be one of "
        '["NO_ROOT_SQUASH" "ROOT_SQUASH" ""], got SQUASH_ROOT'
    ) in flat


def test_suite_catches_a_lost_user_taint(
    providers: tfcheck.ProvidersResult, tmp_path: Path
) -> None:
    module = _copy_module("gke", tmp_path)
    _replace_once(module / "main.tf", 'effect = "NO_SCHEDULE"', 'effect = "PREFER_NO_SCHEDULE"')
    result = tfcheck.run_suite(module, providers, label="gke")
    assert not result.ok
    assert "hub.jupyter.org_dedicated=user:NoSchedule taint" in " ".join(result.output.split())


def test_suite_passes_on_an_unchanged_copy(
    providers: tfcheck.ProvidersResult, tmp_path: Path
) -> None:
    module = _copy_module("network", tmp_path)
    result = tfcheck.run_suite(module, providers, label="network")
    runs, _ = tfcheck.count_suite(sorted((module / "tests").glob("*.tftest.hcl")))
    assert result.ok, result.output
    assert result.passed == runs


def test_providers_command_reports_the_builds(providers: tfcheck.ProvidersResult, run_cli) -> None:
    result = run_cli("providers", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["mode"] == providers.mode
    if data["mode"] == "local":
        assert Path(data["cli_config"]).is_file()
        assert {p["source"] for p in data["providers"]} >= {"hashicorp/google", "hashicorp/helm"}
        for item in data["providers"]:
            assert Path(item["path"]).name.endswith(f"_v{item['version']}")


def test_tf_test_command_runs_a_module_suite(providers: tfcheck.ProvidersResult, run_cli) -> None:
    result = run_cli("tf-test", str(REPO_ROOT / "modules" / "network"), "--json")
    assert result.code == 0, result.err
    suites = json.loads(result.out)["suites"]
    assert [(s["label"], s["failed"]) for s in suites] == [("modules/network", 0)]
    assert suites[0]["passed"] >= 6


def test_tf_test_command_fails_on_a_broken_copy(
    providers: tfcheck.ProvidersResult, tmp_path: Path, run_cli
) -> None:
    module = _copy_module("network", tmp_path)
    _replace_once(
        module / "main.tf", "private_ip_google_access = true", "private_ip_google_access = false"
    )
    result = run_cli("tf-test", str(module))
    assert result.code == 1
    assert "terraform test failed in:" in result.err
    assert "reach Google APIs privately" in " ".join(result.err.split())
