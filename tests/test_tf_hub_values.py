"""The Hub's Helm values, evaluated by the real terraform and validated against the chart schema.

For each shipped environment the provider-free submodule modules/hub/values is called from a
temporary root with the hub inputs rendered from that environment (plus a digest-pinned CILogon
case), applied with local state, and its `values` output is deep-merged over the chart's default
values.yaml and validated with the chart's values.schema.json, as Helm does at install time.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from test_tf_contract import ENV_NAMES, REPO_ROOT, rendered_tfvars

from sciplat.hubvalues import evaluate as evaluate_values
from sciplat.hubvalues import values_inputs
from tests.conftest import require_or_skip

VALUES_MODULE = REPO_ROOT / "modules" / "hub" / "values"
CHART_VERSION = "4.4.0"

pytestmark = pytest.mark.integration


def vendor_dir() -> Path:
    named = os.environ.get("SCIPLAT_Z2JH_VENDOR")
    return Path(named) if named else REPO_ROOT.parent / "shared" / "vendor" / "z2jh-4.4.0"


@pytest.fixture(scope="module")
def chart() -> tuple[dict[str, Any], dict[str, Any]]:
    vendor = vendor_dir()
    defaults, schema = vendor / "values.yaml", vendor / "values.schema.json"
    if not (defaults.is_file() and schema.is_file()):
        require_or_skip(
            f"zero-to-jupyterhub {CHART_VERSION} values.yaml/values.schema.json not found in "
            f"{vendor}; set SCIPLAT_Z2JH_VENDOR to the directory holding them"
        )
    return (
        yaml.safe_load(defaults.read_text(encoding="utf-8")),
        json.loads(schema.read_text(encoding="utf-8")),
    )


def deep_merge(base: Any, override: Any) -> Any:
    """Helm's merge of user values over chart defaults: maps merge, everything else replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return copy.deepcopy(override)


def hub_inputs(tfvars: dict[str, Any]) -> dict[str, Any]:
    """The values submodule's inputs, as the hub module passes them from the root's variables."""
    return values_inputs(tfvars, home_server="10.0.0.2", shared_server="10.0.0.3")


def evaluate(tmp_path: Path, inputs: dict[str, Any]) -> dict[str, Any]:
    """Apply a temporary root that calls modules/hub/values; return its outputs."""
    from sciplat.terraform import TerraformError

    try:
        return evaluate_values(inputs, VALUES_MODULE)
    except TerraformError as exc:
        raise AssertionError(f"terraform failed:\n{exc.stderr}") from exc


def pinned_cilogon_inputs() -> dict[str, Any]:
    """stable's inputs switched to CILogon with a GID table and digest-pinned images from two
    hosts."""
    tfvars, _ = rendered_tfvars("stable")
    inputs = hub_inputs(json.loads(json.dumps(tfvars)))
    inputs["auth"] = {
        "type": "cilogon",
        "github_organizations": [],
        "cilogon_idps": ["urn:mace:incommon:uiuc.edu"],
        "admin_users": ["admin@example.org"],
        "client_id": "cilogon:/client_id/abc",
    }
    inputs["identity"] = {
        **inputs["identity"],
        "cilogon_groups": [{"name": "CO:COU:sciplat-users:members:active", "gid": 20001}],
    }
    inputs["images"] = [
        {
            "registry": "docker.io",
            "repository": "lsstsqre/sciplat-lab",
            "tag": "w_2026_47",
            "digest": "sha256:" + "a" * 64,
            "class": "weekly",
            "display_name": "Weekly 2026_47",
            "recommended": False,
        },
        {
            "registry": "ghcr.io",
            "repository": "example/lab",
            "tag": "r29.0.0",
            "digest": "sha256:" + "b" * 64,
            "class": "release",
            "display_name": "Release",
            "recommended": True,
        },
        {
            "registry": "docker.io",
            "repository": "python",
            "tag": "3.12-slim",
            "digest": None,
            "class": "unknown",
            "display_name": "Python 3.12",
            "recommended": False,
        },
        {
            "registry": "registry.example.org",
            "repository": "team/lab",
            "tag": "exp_x",
            "digest": None,
            "class": "experimental",
            "display_name": "Experimental x",
            "recommended": False,
        },
    ]
    return inputs


CASES = [*ENV_NAMES, "pinned-cilogon"]


@pytest.fixture(scope="module")
def evaluated(
    tmp_path_factory: pytest.TempPathFactory, chart: tuple[dict[str, Any], dict[str, Any]]
) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """case -> (inputs, outputs), one terraform apply per case."""
    results = {}
    for case in CASES:
        if case == "pinned-cilogon":
            inputs = pinned_cilogon_inputs()
        else:
            tfvars, _ = rendered_tfvars(case)
            inputs = hub_inputs(json.loads(json.dumps(tfvars)))
        results[case] = (inputs, evaluate(tmp_path_factory.mktemp(case), inputs))
    return results


def expected_ref(image: dict[str, Any], prefixes: dict[str, str]) -> str:
    host, repository = image["registry"], image["repository"]
    if host == "docker.io" and "/" not in repository:
        repository = f"library/{repository}"  # Docker Hub official images
    name = f"{prefixes.get(host, host)}/{repository}"
    return f"{name}@{image['digest']}" if image["digest"] else f"{name}:{image['tag']}"


@pytest.mark.parametrize("case", CASES)
def test_values_validate_against_the_chart_schema(
    case: str,
    evaluated: dict[str, tuple[dict[str, Any], dict[str, Any]]],
    chart: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    defaults, schema = chart
    merged = deep_merge(defaults, evaluated[case][1]["values"])
    validator_class = jsonschema.validators.validator_for(schema)
    errors = sorted(
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator_class(schema).iter_errors(merged)
    )
    assert errors == []


def test_schema_validation_would_catch_a_bad_value(
    evaluated: dict[str, tuple[dict[str, Any], dict[str, Any]]],
    chart: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    defaults, schema = chart
    values = copy.deepcopy(evaluated["stable"][1]["values"])
    values["singleuser"]["image"]["digest"] = "sha256:x"  # not a chart field
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert list(validator.iter_errors(deep_merge(defaults, values)))


@pytest.mark.parametrize("case", CASES)
def test_prepuller_pulls_exactly_the_image_set(
    case: str, evaluated: dict[str, tuple[dict[str, Any], dict[str, Any]]]
) -> None:
    inputs, outputs = evaluated[case]
    values = outputs["values"]
    prefixes = inputs["mirror_prefixes"]
    expected = [expected_ref(i, prefixes) for i in inputs["images"]]
    assert outputs["image_refs"] == expected

    puller = values["prePuller"]
    assert puller["hook"]["enabled"] is False
    assert puller["continuous"]["enabled"] is True
    assert puller["pullProfileListImages"] is False
    extra = {f"{i['name']}:{i['tag']}" for i in puller["extraImages"].values()}
    # The chart's puller pulls singleuser.image (the default image) and the extra images: the
    # default is not among the extras, so each image of the set is pulled exactly once.
    default = values["singleuser"]["image"]
    default_ref = f"{default['name']}:{default['tag']}"
    assert default_ref not in extra
    assert len(puller["extraImages"]) == len(inputs["images"]) - 1
    pulled = extra | {default_ref}
    # A pinned image is pulled as repo:tag@sha256:..., which resolves by the same digest.
    normalized = {p.split(":", 1)[0] + "@" + p.split("@", 1)[1] if "@" in p else p for p in pulled}
    assert normalized == set(expected)


@pytest.mark.parametrize("case", CASES)
def test_profile_list_offers_every_image_in_every_size(
    case: str, evaluated: dict[str, tuple[dict[str, Any], dict[str, Any]]]
) -> None:
    inputs, outputs = evaluated[case]
    profiles = outputs["values"]["singleuser"]["profileList"]
    assert [p["slug"] for p in profiles] == [p["name"] for p in inputs["profiles"]]
    assert sum(p["default"] for p in profiles) == 1
    expected_images = [expected_ref(i, inputs["mirror_prefixes"]) for i in inputs["images"]]
    for offered, size in zip(profiles, inputs["profiles"], strict=True):
        override = offered["kubespawner_override"]
        assert override["cpu_guarantee"] == size["cpu_guarantee_cores"]
        assert override["cpu_limit"] == size["cpu_limit_cores"]
        assert override["mem_guarantee"] == f"{int(size['memory_guarantee_gib'] * 1024)}M"
        assert override["mem_limit"] == f"{int(size['memory_limit_gib'] * 1024)}M"
        choices = offered["profile_options"]["image"]["choices"]
        assert [c["kubespawner_override"]["image"] for c in choices.values()] == expected_images
        recommended = [i for i in inputs["images"] if i["recommended"]] or inputs["images"]
        [default_choice] = [c for c in choices.values() if c["default"]]
        expected_default = expected_ref(recommended[0], inputs["mirror_prefixes"])
        assert default_choice["kubespawner_override"]["image"] == expected_default
        for choice, image in zip(choices.values(), inputs["images"], strict=True):
            if image["digest"]:
                assert image["tag"] in choice["display_name"]


@pytest.mark.parametrize("case", CASES)
def test_scheduling_storage_culling_and_placement(
    case: str, evaluated: dict[str, tuple[dict[str, Any], dict[str, Any]]]
) -> None:
    inputs, outputs = evaluated[case]
    values = outputs["values"]
    user = {"hub.jupyter.org/node-purpose": "user"}
    core = {"hub.jupyter.org/node-purpose": "core"}
    single = values["singleuser"]

    assert single["nodeSelector"] == user
    assert values["scheduling"]["userPods"]["nodeAffinity"]["matchNodePurpose"] == "require"
    assert values["scheduling"]["corePods"]["nodeAffinity"]["matchNodePurpose"] == "require"
    assert values["hub"]["nodeSelector"] == core
    assert values["proxy"]["chp"]["nodeSelector"] == core
    assert values["proxy"]["traefik"]["nodeSelector"] == core
    assert values["scheduling"]["userScheduler"]["nodeSelector"] == core

    storage = single["storage"]
    assert storage["type"] == "none"
    volumes = {v["name"]: v for v in storage["extraVolumes"]}
    assert {k: volumes.get(k) for k in ("home", "shared")} == {
        "home": {"name": "home", "nfs": inputs["home_nfs"]},
        "shared": {"name": "shared", "nfs": inputs["shared_nfs"]},
    }
    assert len(volumes) == 2 + len(inputs["volumes"]), "and the environment's extra volumes"
    mounts = {m["name"]: m for m in storage["extraVolumeMounts"]}
    assert mounts["home"] == {
        "name": "home",
        "mountPath": "/home/{username}",
        "subPath": "{username}",
    }
    assert mounts["shared"]["mountPath"] == "/shared"
    assert "capacity" not in storage  # no quota is claimed that nothing enforces

    culling = inputs["culling"]
    assert values["cull"]["enabled"] == culling["enabled"]
    assert values["cull"]["timeout"] == culling["timeout_seconds"]
    assert values["cull"]["every"] == culling["every_seconds"]
    assert values["cull"]["maxAge"] == culling["max_age_seconds"]

    lab = inputs["lab"]
    assert single["defaultUrl"] == lab["default_url"]
    assert single["startTimeout"] == lab["start_timeout_seconds"]
    assert single["allowPrivilegeEscalation"] is False
    settings = values["custom"]["sciplat"]["usermodel"]
    assert settings["shared_gid"] == inputs["identity"]["shared_gid"]
    assert settings["reserved_ids_below"] == inputs["identity"]["reserved_ids_below"]
    assert settings["cilogon"]["groups"] == inputs["identity"]["cilogon_groups"]
    assert settings["home_soft_limit_gib"] == inputs["home_soft_limit_gib"]
    assert settings["namespace_template"] == f"{inputs['namespace']}-u-{{username}}"
    # The hub's Python ships as files and is loaded by extraConfig.
    files = values["hub"]["extraFiles"]
    shipped = {f["mountPath"].rsplit("/", 1)[1]: f["stringData"] for f in files.values()}
    source = (VALUES_MODULE / "hub" / "usermodel.py").read_text(encoding="utf-8")
    assert shipped["usermodel.py"] == source
    assert all(
        f["mountPath"].startswith("/usr/local/etc/jupyterhub/sciplat_hub/") for f in files.values()
    )
    loader = values["hub"]["extraConfig"]["sciplat-usermodel"]
    assert "from sciplat_hub import usermodel" in loader
    compile(loader, "sciplat-usermodel", "exec")  # valid Python
    # Hub and proxy reach labs in user namespaces; labs there reach the hub.
    assert values["hub"]["networkPolicy"]["interNamespaceAccessLabels"] == "accept"
    for egress in (
        values["hub"]["networkPolicy"]["egress"],
        values["proxy"]["chp"]["networkPolicy"]["egress"],
    ):
        [rule] = egress
        assert rule["to"][0]["namespaceSelector"] == {
            "matchLabels": {"sciplat/user-namespace": "true"}
        }
        assert rule["ports"] == [{"port": 8888, "protocol": "TCP"}]


@pytest.mark.parametrize("case", CASES)
def test_auth_settings(
    case: str, evaluated: dict[str, tuple[dict[str, Any], dict[str, Any]]]
) -> None:
    inputs, outputs = evaluated[case]
    config = outputs["values"]["hub"]["config"]
    auth = inputs["auth"]
    callback = f"https://{inputs['domain']}/hub/oauth_callback"
    assert config["JupyterHub"]["authenticator_class"] == auth["type"]
    assert config["Authenticator"]["admin_users"] == auth["admin_users"]
    assert config["Authenticator"]["enable_auth_state"] is True
    if auth["type"] == "github":
        section = config["GitHubOAuthenticator"]
        assert section["allowed_organizations"] == auth["github_organizations"]
        assert "CILogonOAuthenticator" not in config
    else:
        section = config["CILogonOAuthenticator"]
        # oauthenticator 17.4 renamed allowed_idps to idps.
        assert sorted(section["idps"]) == sorted(auth["cilogon_idps"])
        assert "allowed_idps" not in section
        assert "GitHubOAuthenticator" not in config
    assert section["client_id"] == auth["client_id"]
    assert section["oauth_callback_url"] == callback
    # The client secret is never part of the values (the hub module sets it as a sensitive value).
    assert "client_secret" not in json.dumps(outputs["values"])


def test_bad_inputs_are_rejected_by_the_submodule(tmp_path: Path) -> None:
    inputs = pinned_cilogon_inputs()
    inputs["profiles"] = [{**p, "default": True} for p in inputs["profiles"]]
    with pytest.raises(AssertionError, match="exactly one default"):
        evaluate(tmp_path, inputs)
