"""`sciplat hub-values ENV`: the exact Helm values the Hub's release receives, for reviewers.

The values are computed by the same Terraform that the apply runs: modules/hub/values, evaluated
with the environment's rendered inputs in a scratch root (it has no providers, so this works
anywhere Terraform does). Then what the hub module adds at apply time is laid over them, the way
Helm merges `set_sensitive` over `values`: the OAuth client secret and the proxy's token, both
masked, and the proxy's reserved address, which exists only once the root has reserved it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import typer
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
VALUES_MODULE = REPO_ROOT / "modules" / "hub" / "values"
MASK = "(secret: set at apply, not shown)"
HOME_SERVER = "(the home share's address, known after apply)"
SHARED_SERVER = "(the shared share's address, known after apply)"
USAGE_CONFIGMAP = "sciplat-storage-usage"  # modules/hub/storage.tf, local.usage_configmap
RESERVED_ADDRESS = "(the proxy's reserved address, known after apply)"


def mirror_prefixes(tfvars: dict[str, Any]) -> dict[str, str]:
    """Upstream host -> Artifact Registry prefix, as modules/registry-mirror outputs them."""
    mirror = tfvars["registry_mirror"]
    if not mirror["enabled"]:
        return {}
    return {
        u["registry"]: f"{tfvars['region']}-docker.pkg.dev/{tfvars['project_id']}/{u['name']}"
        for u in mirror["upstreams"]
    }


def values_inputs(
    tfvars: dict[str, Any],
    *,
    home_server: str = HOME_SERVER,
    shared_server: str = SHARED_SERVER,
) -> dict[str, Any]:
    """The values submodule's inputs, as the root and the hub module pass them (the Filestore
    addresses exist only after the apply: `home_server`/`shared_server` stand in for them)."""
    hub = tfvars["hub"]
    filestore = tfvars["filestore"]
    dask = tfvars.get("dask") or {"enabled": False, "release_name": "dask-gateway"}
    return {
        "domain": hub["domain"],
        "auth": {k: v for k, v in hub["auth"].items() if k != "client_secret_secret"},
        "culling": hub["culling"],
        "lab": hub["lab"],
        "identity": hub["identity"],
        "home_soft_limit_gib": hub["home_soft_limit_gib"],
        "profiles": hub["profiles"],
        "images": hub["images"],
        "mirror_prefixes": mirror_prefixes(tfvars),
        "namespace": hub["namespace"],
        "usage_configmap": USAGE_CONFIGMAP,
        "home_nfs": {"server": home_server, "path": f"/{filestore['home']['share_name']}"},
        "shared_nfs": {"server": shared_server, "path": f"/{filestore['shared']['share_name']}"},
        "volumes": hub.get("volumes", []),
        "notebooks": hub.get("notebooks"),
        "dask": {
            "enabled": dask["enabled"],
            "release_name": dask["release_name"],
            "namespace": hub["namespace"],
        },
    }


def evaluate(inputs: dict[str, Any], module: Path = VALUES_MODULE) -> dict[str, Any]:
    """Apply a scratch root that calls the values module with `inputs`; return its outputs."""
    from sciplat.terraform import Terraform

    with tempfile.TemporaryDirectory(prefix="sciplat-hub-values-") as tmp:
        root = Path(tmp)
        (root / "inputs.json").write_text(json.dumps(inputs), encoding="utf-8")
        arguments = "\n".join(f"  {k} = local.in.{k}" for k in inputs)
        (root / "main.tf").write_text(
            'locals {\n  in = jsondecode(file("${path.module}/inputs.json"))\n}\n\n'
            f'module "values" {{\n  source = {json.dumps(module.as_posix())}\n{arguments}\n}}\n\n'
            'output "values" {\n  value = module.values.values\n}\n\n'
            'output "image_refs" {\n  value = module.values.image_refs\n}\n',
            encoding="utf-8",
        )
        env = {"TF_CLI_CONFIG_FILE": os.devnull, "TF_DATA_DIR": str(root / ".terraform")}
        tf = Terraform(root, env=env)
        tf.run(["init", "-input=false", "-no-color"], stream=False)
        tf.run(["apply", "-auto-approve", "-input=false", "-no-color"], stream=False)
        outputs = tf.json(["output", "-json"])
    return {k: v["value"] for k, v in outputs.items()}


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (the hub's Python) as literal blocks, readable as they are."""


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockDumper.add_representer(str, _str)


def release_values(tfvars: dict[str, Any], *, placeholders: bool = False) -> dict[str, Any]:
    """The values as Helm receives them, secrets masked.

    With `placeholders`, the secrets and the address are stand-in values of the right shape
    instead of masks, for tools that render the chart (helm lint, helm template).
    """
    values: dict[str, Any] = evaluate(values_inputs(tfvars))["values"]
    authenticator = (
        "GitHubOAuthenticator"
        if tfvars["hub"]["auth"]["type"] == "github"
        else "CILogonOAuthenticator"
    )
    secret, token, address = MASK, MASK, RESERVED_ADDRESS
    if placeholders:
        secret, token, address = "placeholder-client-secret", "0" * 64, "203.0.113.10"
    values["hub"]["config"].setdefault(authenticator, {})["client_secret"] = secret
    values["proxy"]["secretToken"] = token
    values["proxy"]["service"]["loadBalancerIP"] = address
    return values


def hub_values_cmd(
    env: str = typer.Argument(..., help="Environment name (env/NAME.yaml) or a YAML file path."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of YAML."),
) -> None:
    """Print the exact Helm values the Hub's release will receive, secrets masked.

    Validates and renders ENV, evaluates modules/hub/values with its inputs (the same Terraform
    the apply runs) and lays over what the hub module sets at apply time: the OAuth client secret
    and the proxy token (masked) and the proxy's reserved address. Helm merges these over the
    chart's defaults (zero-to-jupyterhub's values.yaml).

    Example: sciplat hub-values stable > build/stable/hub-values.yaml
    """
    from sciplat.render import prepare

    _, _, tfvars, _ = prepare(env)
    values = release_values(tfvars)
    if as_json:
        typer.echo(json.dumps(values, indent=2, sort_keys=True))
    else:
        typer.echo(yaml.dump(values, Dumper=_BlockDumper, sort_keys=True, width=100), nl=False)


def register(app: typer.Typer) -> None:
    app.command("hub-values")(hub_values_cmd)
