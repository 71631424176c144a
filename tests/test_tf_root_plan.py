"""The root module plans for every shipped environment (providers mocked, real provider schemas).

A copy of terraform/ and modules/ in a temporary directory gets one `terraform test` file that
plans the root with each environment's rendered tfvars and mocked google, kubernetes and helm
providers, and asserts how the modules are wired (mirror prefixes, image references, outputs).
It needs the offline provider schemas that `sciplat providers` builds; without them it skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_tf_contract import ENV_NAMES, REPO_ROOT, rendered_tfvars

from tests.conftest import mirror_prefixes

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def cli_config() -> Path | None:
    """The CLI config offering the providers built from source; None when the registry serves
    them (a plain `terraform init` installs them then)."""
    from sciplat.tfcheck import ensure_providers

    return ensure_providers(quiet=True).cli_config


def expected_refs(tfvars: dict[str, Any]) -> list[str]:
    prefixes = mirror_prefixes(tfvars)
    refs = []
    for image in tfvars["hub"]["images"]:
        host, repository = image["registry"], image["repository"]
        if host == "docker.io" and "/" not in repository:
            repository = f"library/{repository}"  # Docker Hub official images
        base = prefixes.get(host, host) + "/" + repository
        refs.append(f"{base}@{image['digest']}" if image["digest"] else f"{base}:{image['tag']}")
    return refs


def hcl(value: Any) -> str:
    """A JSON value as an HCL expression (JSON is valid HCL expression syntax for these)."""
    return json.dumps(value)


def services() -> set[str]:
    """The APIs terraform/main.tf enables (its `services` list)."""
    import re

    text = (REPO_ROOT / "terraform" / "main.tf").read_text(encoding="utf-8")
    return set(re.findall(r'^\s*"([a-z]+\.googleapis\.com)"', text, re.M))


def tftest_text(tfvars: dict[str, Any]) -> str:
    mirror = tfvars["registry_mirror"]
    registries = sorted(u["registry"] for u in mirror["upstreams"]) if mirror["enabled"] else []
    return f"""
mock_provider "google" {{
  override_during = plan
}}

mock_provider "kubernetes" {{
  override_during = plan
}}

mock_provider "helm" {{
  override_during = plan
}}

run "environment_plans" {{
  command = plan

  assert {{
    condition     = jsonencode(output.image_refs) == jsonencode({hcl(expected_refs(tfvars))})
    error_message = "images must go through the mirror and be pinned by digest when known"
  }}
  assert {{
    condition     = jsonencode(sort(keys(output.mirror_prefixes))) == jsonencode({hcl(registries)})
    error_message = "one mirror prefix per configured upstream, none when the mirror is off"
  }}
  assert {{
    condition     = output.hub_url == {hcl(f"https://{tfvars['hub']['domain']}/")}
    error_message = "the hub URL comes from hub.domain"
  }}
  assert {{
    condition     = output.cluster_name == {hcl(tfvars["cluster"]["name"])}
    error_message = "the cluster name comes from cluster.name"
  }}
  assert {{
    condition     = output.environment == {hcl(tfvars["environment"])}
    error_message = "the environment output names the state's environment"
  }}
  assert {{
    condition     = length(google_project_service.apis) == {len(services())}
    error_message = "the root enables the APIs the modules use"
  }}
}}
"""


@pytest.mark.parametrize("env_name", ENV_NAMES)
def test_root_plans_each_environment(tmp_path: Path, env_name: str) -> None:
    config = cli_config()
    tfvars, how = rendered_tfvars(env_name)
    tfvars = json.loads(json.dumps(tfvars))
    ignore = shutil.ignore_patterns("tests", ".terraform", ".terraform.lock.hcl", "README.md")
    for part in ("terraform", "modules"):
        shutil.copytree(REPO_ROOT / part, tmp_path / part, ignore=ignore)
    root = tmp_path / "terraform"
    (root / "tests").mkdir()
    (root / "tests" / "plan.tftest.hcl").write_text(tftest_text(tfvars), encoding="utf-8")
    (root / "env.tfvars.json").write_text(json.dumps(tfvars), encoding="utf-8")

    from sciplat.terraform import find_engine

    engine = find_engine()
    env = {**os.environ, "TF_IN_AUTOMATION": "1"}
    if config is not None:
        env["TF_CLI_CONFIG_FILE"] = str(config)
    init = subprocess.run(
        engine.argv([f"-chdir={root}", "init", "-backend=false", "-input=false", "-no-color"]),
        capture_output=True,
        text=True,
        env=env,
    )
    assert init.returncode == 0, init.stderr
    result = subprocess.run(
        engine.argv([f"-chdir={root}", "test", "-no-color", "-var-file=env.tfvars.json"]),
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, f"{env_name} ({how}):\n{result.stdout}\n{result.stderr}"
    assert "1 passed, 0 failed" in result.stdout
