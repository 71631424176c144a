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
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from test_tf_contract import ENV_NAMES, REPO_ROOT, rendered_tfvars

from tests.conftest import mirror_prefixes, require_or_skip

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
    hub = tfvars["hub"]
    prefixes = mirror_prefixes(tfvars)
    auth = {k: v for k, v in hub["auth"].items() if k != "client_secret_secret"}
    return {
        "domain": hub["domain"],
        "auth": auth,
        "culling": hub["culling"],
        "lab": hub["lab"],
        "home_quota_gib": hub["home_quota_gib"],
        "profiles": hub["profiles"],
        "images": hub["images"],
        "mirror_prefixes": prefixes,
        "home_claim": "home",
        "shared_claim": "shared",
    }


def evaluate(tmp_path: Path, inputs: dict[str, Any]) -> dict[str, Any]:
    """Apply a temporary root that calls modules/hub/values; return its outputs."""
    from sciplat.terraform import find_engine

    engine = find_engine()
    root = tmp_path / "root"
    root.mkdir()
    (root / "inputs.json").write_text(json.dumps(inputs), encoding="utf-8")
    arguments = "\n".join(f"  {k} = local.in.{k}" for k in inputs)
    (root / "main.tf").write_text(
        'locals {\n  in = jsondecode(file("${path.module}/inputs.json"))\n}\n\n'
        f'module "values" {{\n  source = "{VALUES_MODULE.as_posix()}"\n{arguments}\n}}\n\n'
        'output "values" {\n  value = module.values.values\n}\n\n'
        'output "image_refs" {\n  value = module.values.image_refs\n}\n',
        encoding="utf-8",
    )
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "TF_IN_AUTOMATION": "1"}
    for args in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
        run = subprocess.run(
            engine.argv([f"-chdir={root}", *args, "-no-color"]),
            capture_output=True,
            text=True,
            env=env,
        )
        assert run.returncode == 0, f"terraform {args[0]} failed:\n{run.stderr}"
    out = subprocess.run(
        engine.argv([f"-chdir={root}", "output", "-json"]),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return {k: v["value"] for k, v in json.loads(out.stdout).items()}


def pinned_cilogon_inputs() -> dict[str, Any]:
    """stable's inputs switched to CILogon, fixed UIDs and digest-pinned images from two hosts."""
    tfvars, _ = rendered_tfvars("stable")
    inputs = hub_inputs(json.loads(json.dumps(tfvars)))
    inputs["auth"] = {
        "type": "cilogon",
        "github_organizations": [],
        "cilogon_idps": ["urn:mace:incommon:uiuc.edu"],
        "admin_users": ["admin@example.org"],
        "client_id": "cilogon:/client_id/abc",
    }
    inputs["lab"] = {**inputs["lab"], "uid_gid_source": "fixed"}
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
    values["prePuller"]["extraImages"]["image-0"]["digest"] = "sha256:x"  # not a chart field
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
    pulled = {f"{i['name']}:{i['tag']}" for i in puller["extraImages"].values()}
    # A pinned image is pulled as repo:tag@sha256:..., which resolves by the same digest.
    normalized = {p.split(":", 1)[0] + "@" + p.split("@", 1)[1] if "@" in p else p for p in pulled}
    assert normalized == set(expected)
    assert len(puller["extraImages"]) == len(inputs["images"])

    default = values["singleuser"]["image"]
    default_ref = f"{default['name']}:{default['tag']}"
    assert default_ref in pulled


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
    assert storage["type"] == "static"
    assert storage["static"] == {"pvcName": "home", "subPath": "{username}"}
    assert storage["capacity"] == f"{inputs['home_quota_gib']}Gi"
    claims = {v["persistentVolumeClaim"]["claimName"] for v in storage["extraVolumes"]}
    assert claims == {"home", "shared"}
    assert {m["mountPath"] for m in storage["extraVolumeMounts"]} == {"/shared"}

    culling = inputs["culling"]
    assert values["cull"]["enabled"] == culling["enabled"]
    assert values["cull"]["timeout"] == culling["timeout_seconds"]
    assert values["cull"]["every"] == culling["every_seconds"]
    assert values["cull"]["maxAge"] == culling["max_age_seconds"]

    lab = inputs["lab"]
    assert single["defaultUrl"] == lab["default_url"]
    assert single["startTimeout"] == lab["start_timeout_seconds"]
    assert single["allowPrivilegeEscalation"] is False
    hook = values["hub"]["extraConfig"]["sciplat-spawn"]
    assert f'SCIPLAT_UID_GID_SOURCE = "{lab["uid_gid_source"]}"' in hook
    assert "refusing to start a lab as UID" in hook
    assert "SCIPLAT_SHARED_GID = 100" in hook
    assert "spawner.supplemental_gids = sorted({gid, SCIPLAT_SHARED_GID})" in hook
    compile(hook, "sciplat-spawn", "exec")  # valid Python


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
        assert sorted(section["allowed_idps"]) == sorted(auth["cilogon_idps"])
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


class _Config:
    """Stands in for the traitlets config object `c` that JupyterHub hands to extraConfig."""

    def __init__(self) -> None:
        self.KubeSpawner = type("KubeSpawnerConfig", (), {})()


class _User:
    def __init__(self, auth_state: dict[str, Any] | None) -> None:
        self._auth_state = auth_state

    async def get_auth_state(self) -> dict[str, Any] | None:
        return self._auth_state


class _Spawner:
    def __init__(self, auth_state: dict[str, Any] | None) -> None:
        self.user = _User(auth_state)
        self.image = "mirror/lsstsqre/sciplat-lab:w_2026_47"


def run_hook(hook: str, auth_state: dict[str, Any] | None) -> _Spawner:
    import asyncio

    config = _Config()
    exec(compile(hook, "sciplat-spawn", "exec"), {"c": config})
    spawner = _Spawner(auth_state)
    asyncio.run(config.KubeSpawner.pre_spawn_hook(spawner))
    return spawner


def test_spawn_hook_maps_identity_to_uid_gid(
    evaluated: dict[str, tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    hook = evaluated["stable"][1]["values"]["hub"]["extraConfig"]["sciplat-spawn"]

    github = run_hook(hook, {"github_user": {"id": 583231, "login": "octocat"}})
    assert (github.uid, github.gid, github.fs_gid) == (583231, 583231, 583231)
    assert github.supplemental_gids == [100, 583231]
    [init] = github.init_containers
    assert init["image"] == github.image
    assert init["securityContext"]["runAsUser"] == 583231
    assert init["securityContext"]["runAsNonRoot"] is True
    assert init["command"][-1] == "mkdir -p -m 0700 /homes/{username}"

    cilogon = run_hook(hook, {"cilogon_user": {"uidNumber": "41234", "gidNumber": "2001"}})
    assert (cilogon.uid, cilogon.gid) == (41234, 2001)

    with pytest.raises(RuntimeError, match="no identity"):
        run_hook(hook, {})
    with pytest.raises(RuntimeError, match="refusing to start a lab as UID 0"):
        run_hook(hook, {"cilogon_user": {"email": "someone@example.org"}})
    with pytest.raises(RuntimeError, match="refusing"):
        run_hook(hook, {"github_user": {"id": 42}})


def test_spawn_hook_fixed_ids(evaluated: dict[str, tuple[dict[str, Any], dict[str, Any]]]) -> None:
    hook = evaluated["pinned-cilogon"][1]["values"]["hub"]["extraConfig"]["sciplat-spawn"]
    spawner = run_hook(hook, None)
    assert (spawner.uid, spawner.gid) == (1000, 100)
    assert spawner.supplemental_gids == [100]


def _cpu_cores(quantity: str) -> float:
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def _mib(quantity: str) -> float:
    units = {"Mi": 1, "Gi": 1024}
    return float(quantity[:-2]) * units[quantity[-2:]]


@pytest.mark.parametrize("case", CASES)
def test_hub_and_proxy_request_what_the_capacity_plan_reserves(
    case: str, evaluated: dict[str, tuple[dict[str, Any], dict[str, Any]]]
) -> None:
    import json

    from sciplat.config import REPO_ROOT as ROOT

    overheads = json.loads(
        (ROOT / "scripts/sciplat/capacity/data/overheads.json").read_text(encoding="utf-8")
    )
    planned = {pod["name"]: pod for pod in overheads["core_workloads"]["pods"]}
    values = evaluated[case][1]["values"]
    for name, requests in (
        ("hub", values["hub"]["resources"]["requests"]),
        ("proxy", values["proxy"]["chp"]["resources"]["requests"]),
    ):
        assert _cpu_cores(requests["cpu"]) == pytest.approx(planned[name]["cpu"]), name
        assert _mib(requests["memory"]) == pytest.approx(planned[name]["memory_mib"]), name
