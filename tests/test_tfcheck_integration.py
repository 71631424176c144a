"""Integration tests of sciplat.tfcheck with the real terraform binary and the provider
stand-ins (built on first use; later runs reuse the cache).

They show that `tf-validate` fails with Terraform's own diagnostic on a broken copy of a module,
and that the terraform test suites fail when a module's behaviour changes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sciplat import tfcheck
from tests.conftest import require_or_skip

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def providers() -> tfcheck.ProvidersResult:
    if shutil.which("terraform") is None and shutil.which("tofu") is None:
        require_or_skip("no terraform binary on PATH")
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


def test_stand_in_schemas_are_the_published_ones(providers: tfcheck.ProvidersResult) -> None:
    if providers.mode != "standin":
        pytest.skip("the registry answers: real providers, no stand-ins")
    paths = {p["source"]: Path(p["path"]) for p in providers.providers}
    google = json.loads((paths["hashicorp/google"] / "schema.json").read_text())
    assert google["provider_version"] == tfcheck.load_manifest()["hashicorp/google"].version
    cluster = google["resource_schemas"]["google_container_cluster"]["block"]
    assert cluster["attributes"]["deletion_protection"] == {"type": "bool", "optional": True}
    assert cluster["attributes"]["endpoint"] == {"type": "string", "computed": True}
    assert cluster["block_types"]["node_config"]["max_items"] == 1
    policy = cluster["block_types"]["maintenance_policy"]["block"]
    assert policy["block_types"]["maintenance_exclusion"]["nesting_mode"] == "set"
    helm = json.loads((paths["hashicorp/helm"] / "schema.json").read_text())
    release = helm["resource_schemas"]["helm_release"]["block"]["attributes"]
    assert release["set"]["nested_type"]["nesting_mode"] == "list"
    assert release["chart"] == {"type": "string", "required": True}
    kubernetes = helm["provider"]["block"]["attributes"]["kubernetes"]
    assert kubernetes["nested_type"]["nesting_mode"] == "single"
    out = subprocess.run(
        [str(paths["hashicorp/google"] / "terraform-provider-google"), "--summary"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.match(r"registry\.terraform\.io/hashicorp/google: \d{4} resources", out)


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
    if providers.mode != "standin":
        pytest.skip("the registry answers: the real provider validates")
    module = _copy_module("registry-mirror", tmp_path)
    line = _replace_once(module / "main.tf", '"REMOTE_REPOSITORY"', '"REMOTE"')
    result = run_cli("tf-validate", str(module))
    assert result.code == 1
    flat = " ".join(result.err.split())
    assert f"main.tf:{line}:" in flat
    assert (
        'Invalid value: expected mode to be one of ["STANDARD_REPOSITORY" '
        '"VIRTUAL_REPOSITORY" "REMOTE_REPOSITORY"], got REMOTE'
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
    assert 'expected squash_mode to be one of ["NO_ROOT_SQUASH" "ROOT_SQUASH"], got' in flat


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


def test_providers_command_reports_the_stand_ins(
    providers: tfcheck.ProvidersResult, run_cli
) -> None:
    result = run_cli("providers", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["mode"] == providers.mode
    if data["mode"] == "standin":
        assert Path(data["cli_config"]).is_file()
        assert {p["source"] for p in data["providers"]} >= {"hashicorp/google", "hashicorp/helm"}


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


def test_stand_in_go_unit_tests_pass() -> None:
    go = shutil.which("go")
    if go is None:
        require_or_skip("no Go toolchain on PATH")
    proc = subprocess.run(
        [go, "test", "./standin"],
        cwd=tfcheck.TOOLS_DIR,
        capture_output=True,
        text=True,
        env={**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "auto"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_stand_in_binary_serves_the_schema_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("go") is None:
        require_or_skip("no Go toolchain on PATH")
    monkeypatch.setenv("SCIPLAT_PROVIDER_CACHE", str(tmp_path / "cache"))
    binary = tfcheck.build_standin_binary(quiet=True)
    assert binary.is_file() and binary.parent.parent.name == "standin"
    assert tfcheck.build_standin_binary(quiet=True) == binary, "built once per source version"
    provider = tmp_path / "acme"
    provider.mkdir()
    shutil.copy2(binary, provider / "terraform-provider-acme")
    schema = {
        "address": "registry.terraform.io/acme/widgets",
        "provider": {"version": 0, "block": {}},
        "resource_schemas": {
            "acme_widget": {"version": 0, "block": {"attributes": {"n": {"type": "string"}}}}
        },
        "data_source_schemas": {},
    }
    (provider / "schema.json").write_text(json.dumps(schema))
    out = subprocess.run(
        [str(provider / "terraform-provider-acme"), "--summary"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "registry.terraform.io/acme/widgets: 1 resources, 0 data sources"
    (provider / "schema.json").write_text("{not json")
    bad = subprocess.run(
        [str(provider / "terraform-provider-acme"), "--summary"], capture_output=True, text=True
    )
    assert bad.returncode == 1 and "schema-only provider:" in bad.stderr
