"""The image delta on the values the real hub module renders (modules/hub/values), planned by
real Terraform: the values travel in a terraform_data resource renamed to the helm_release, as
the fixture generator does, since the Helm provider is not available offline."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sciplat.review.images import image_delta
from sciplat.review.plan import parse_plan
from sciplat.terraform import find_engine

REPO = Path(__file__).resolve().parents[1]
TERRAFORM = find_engine().argv([])  # the project's Terraform at its pinned version
MIRROR = "us-central1-docker.pkg.dev/sciplat-int/dockerhub"
REPO_NAME = "lsstsqre/sciplat-lab"

pytestmark = [
    pytest.mark.integration,
]


def _digest(seed: str) -> str:
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def _images(tags: dict[str, str]) -> list[dict[str, Any]]:
    """tag -> the build it points at (an alias and a weekly share a digest)."""
    return [
        {
            "registry": "docker.io",
            "repository": REPO_NAME,
            "tag": tag,
            "digest": _digest(build),
            "class": "alias" if tag == "recommended" else "weekly",
            "display_name": tag,
            "recommended": tag == "recommended",
        }
        for tag, build in tags.items()
    ]


MAIN_TF = """
variable "images" { type = any }
variable "inputs" { type = any }

module "values" {
  source          = "%s"
  domain          = "int.sciplat.example.org"
  auth            = var.inputs.auth
  lab             = var.inputs.lab
  profiles        = var.inputs.profiles
  images          = var.images
  mirror_prefixes = { "docker.io" = "%s" }
  home_nfs        = { server = "10.0.0.2", path = "/homes" }
  shared_nfs      = { server = "10.0.0.3", path = "/shared" }
}

resource "terraform_data" "hub" {
  input = { version = "4.4.0", values = [yamlencode(module.values.values)] }
}
"""


def _profile(name: str, cpu: float, memory: float, default: bool) -> dict[str, Any]:
    return {
        "name": name,
        "display_name": name.title(),
        "cpu_guarantee_cores": 0.5,
        "cpu_limit_cores": cpu,
        "memory_guarantee_gib": 0.5,
        "memory_limit_gib": memory,
        "default": default,
    }


INPUTS = {
    "auth": {
        "type": "github",
        "github_organizations": ["org"],
        "cilogon_idps": [],
        "admin_users": [],
        "client_id": "id",
    },
    "lab": {
        "uid_gid_source": "identity_provider",
        "default_url": "/lab",
        "start_timeout_seconds": 600,
    },
    "profiles": [_profile("small", 1, 2, True), _profile("large", 4, 8, False)],
}


def _tf(args: list[str], cwd: Path) -> str:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_CLI_CONFIG_FILE": str(cwd / "rc")}
    env.pop("TF_DATA_DIR", None)
    proc = subprocess.run(
        [*TERRAFORM, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _rewrite() -> Any:
    path = REPO / "tests" / "fixtures" / "plans" / "generate.py"
    spec = importlib.util.spec_from_file_location("plan_fixtures", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.rewrite


def test_images_of_the_real_hub_values_by_tag(tmp_path: Path) -> None:
    (tmp_path / "rc").write_text("")
    (tmp_path / "main.tf").write_text(MAIN_TF % (REPO / "modules" / "hub" / "values", MIRROR))
    before = {"recommended": "b42", "w_2026_40": "b40", "w_2026_42": "b42"}
    after = {"recommended": "b44", "w_2026_42": "b42", "w_2026_44": "b44"}
    for name, tags in (("v1", before), ("v2", after)):
        doc = {"images": _images(tags), "inputs": INPUTS}
        (tmp_path / f"{name}.tfvars.json").write_text(json.dumps(doc))
    _tf(["init", "-input=false", "-no-color"], tmp_path)
    _tf(
        ["apply", "-auto-approve", "-input=false", "-no-color", "-var-file=v1.tfvars.json"],
        tmp_path,
    )
    _tf(["plan", "-input=false", "-no-color", "-var-file=v2.tfvars.json", "-out=p"], tmp_path)
    raw = json.loads(_tf(["show", "-json", "p"], tmp_path))
    plan = _rewrite()(raw, {"resources": {"terraform_data.hub": "module.hub.helm_release.hub"}})
    changes = parse_plan(plan).changes
    assert [c.type for c in changes] == ["helm_release"]

    delta = image_delta(changes)
    image = f"{MIRROR}/{REPO_NAME}"
    assert delta.added == [f"{image}:w_2026_44"]
    assert delta.removed == [f"{image}:w_2026_40"]
    assert [(r.image, r.before, r.after) for r in delta.repinned] == [
        (f"{image}:recommended", _digest("b42"), _digest("b44"))
    ]
    assert not delta.unknown
