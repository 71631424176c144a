"""`sciplat hub-values`: the exact values of the Hub's release, secrets masked."""

from __future__ import annotations

import json
import re

import pytest

from sciplat import hubvalues

pytestmark = pytest.mark.integration


def test_inputs_are_every_argument_the_hub_module_passes_to_its_values() -> None:
    """hub-values evaluates the values module with the same arguments the hub module gives it
    (the proxy address aside, which is laid over afterwards): a new input cannot be forgotten."""
    text = (hubvalues.REPO_ROOT / "modules" / "hub" / "main.tf").read_text(encoding="utf-8")
    block = re.search(r'module "values" \{(.*?)\n\}', text, re.S)
    assert block
    passed = set(re.findall(r"^  (\w+)\s+=", block.group(1), re.M)) - {"source"}
    from sciplat.render import prepare

    _, _, tfvars, _ = prepare("stable")
    assert set(hubvalues.values_inputs(tfvars)) == passed - {"load_balancer_ip"}


def test_hub_values_prints_what_helm_receives_with_secrets_masked(run_cli) -> None:
    result = run_cli("hub-values", "stable", "--json")
    assert result.code == 0, result.err
    values = json.loads(result.out)
    assert values["hub"]["config"]["GitHubOAuthenticator"]["client_secret"] == hubvalues.MASK
    assert values["proxy"]["secretToken"] == hubvalues.MASK
    assert values["proxy"]["service"]["loadBalancerIP"] == hubvalues.RESERVED_ADDRESS
    assert values["singleuser"]["profileList"], "the profile list the hub offers"
    assert values["hub"]["image"]["name"].endswith("/quay/jupyterhub/k8s-hub")


def test_hub_values_yaml_shows_the_hub_code_as_a_block(run_cli) -> None:
    result = run_cli("hub-values", "stable")
    assert result.code == 0, result.err
    # Multi-line strings (the hub's Python) print as literal blocks, not escaped one-liners.
    assert re.search(r"^  extraConfig:\n    [\w-]+: \|\n", result.out, re.M)
    assert "\\n" not in result.out


def test_an_unknown_environment_is_one_line_and_exit_2(run_cli) -> None:
    result = run_cli("hub-values", "nosuchenv")
    assert result.code == 2
    assert "nosuchenv" in result.err and "Traceback" not in result.err


def test_the_usage_configmap_name_is_the_hub_modules() -> None:
    text = (hubvalues.REPO_ROOT / "modules" / "hub" / "storage.tf").read_text(encoding="utf-8")
    assert f'usage_configmap = "{hubvalues.USAGE_CONFIGMAP}"' in text
