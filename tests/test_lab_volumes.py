"""Extra lab volumes from the environment file (hub.volumes): validation, render, Helm values and
the plan review of adding one."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from test_config import raw, write_env
from test_tf_contract import rendered_tfvars
from test_tf_hub_values import deep_merge, evaluate, hub_inputs, vendor_dir

from sciplat.review.classify import classify
from sciplat.review.plan import parse_plan
from sciplat.review.volumes import volume_changes
from tests.conftest import require_or_skip

NFS = {"server": "10.10.0.250", "path": "/datasets"}


def with_volumes(volumes: list[dict[str, Any]]) -> dict[str, Any]:
    data = raw("stable")
    data["hub"]["volumes"] = volumes
    return data


BAD = [
    (
        "two at one path",
        [
            {"name": "a", "mount_path": "/data", "nfs": NFS},
            {"name": "b", "mount_path": "/data/", "claim": "c"},
        ],
        1,
        "hub.volumes[1].mount_path: /data overlaps hub.volumes[0].mount_path (/data)",
    ),
    (
        "one inside another",
        [
            {"name": "a", "mount_path": "/data", "nfs": NFS},
            {"name": "b", "mount_path": "/data/raw", "claim": "c"},
        ],
        1,
        "hub.volumes[1].mount_path: /data/raw overlaps hub.volumes[0].mount_path (/data)",
    ),
    (
        "over the homes",
        [{"name": "a", "mount_path": "/home/shared-notebooks", "nfs": NFS}],
        0,
        "hub.volumes[0].mount_path: /home/shared-notebooks would cover or sit inside the home "
        "directories (/home)",
    ),
    (
        "over the shared volume",
        [{"name": "a", "mount_path": "/shared", "nfs": NFS}],
        0,
        "hub.volumes[0].mount_path: /shared would cover or sit inside the shared volume",
    ),
    (
        "at the root",
        [{"name": "a", "mount_path": "/", "nfs": NFS}],
        0,
        "hub.volumes[0].mount_path: / would cover or sit inside the home directories",
    ),
    (
        "in a system directory",
        [{"name": "a", "mount_path": "/etc/data", "nfs": NFS}],
        0,
        "hub.volumes[0].mount_path: /etc/data is inside the system directory /etc",
    ),
    (
        "both sources",
        [{"name": "a", "mount_path": "/data", "nfs": NFS, "claim": "c"}],
        0,
        "hub.volumes[0]: set exactly one of nfs (server and path) or claim",
    ),
    (
        "no source",
        [{"name": "a", "mount_path": "/data"}],
        0,
        "hub.volumes[0]: set exactly one of nfs (server and path) or claim",
    ),
    (
        "same name twice",
        [
            {"name": "a", "mount_path": "/data", "nfs": NFS},
            {"name": "a", "mount_path": "/more", "nfs": NFS},
        ],
        1,
        "hub.volumes[1].name: volume name 'a' is used twice",
    ),
    (
        "relative path",
        [{"name": "a", "mount_path": "data", "nfs": NFS}],
        0,
        "hub.volumes[0].mount_path: 'data' does not match the required form",
    ),
    (
        "nfs without path",
        [{"name": "a", "mount_path": "/data", "nfs": {"server": "10.0.0.2"}}],
        0,
        "hub.volumes[0].nfs.path: required key is missing",
    ),
    (
        "misspelt key",
        [{"name": "a", "mount_path": "/data", "nfs": NFS, "readonly": True}],
        0,
        "hub.volumes[0].readonly: unknown key (did you mean 'read_only'?)",
    ),
]


@pytest.mark.parametrize(
    ("volumes", "index", "expected"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_volumes_are_one_line_each_naming_file_line_and_field(
    tmp_path: Path, volumes: list[dict[str, Any]], index: int, expected: str, run_cli
) -> None:
    path = write_env(tmp_path, with_volumes(volumes))
    result = run_cli("validate", str(path))
    assert result.code == 2
    assert "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if "hub.volumes" in line]
    assert len(lines) == 1, result.err
    match = re.match(rf"{re.escape(str(path))}:(\d+): (.*)$", lines[0])
    assert match, lines[0]
    assert match.group(2).startswith(expected), lines[0]
    # The line is the volume's own item (or a key inside it), never the top of the file.
    text = path.read_text().splitlines()
    item_lines = [n for n, line in enumerate(text, 1) if line.lstrip().startswith("- name:")]
    volume_lines = [n for n in item_lines if n > text.index("  volumes:")]
    start = volume_lines[index]
    end = volume_lines[index + 1] if index + 1 < len(volume_lines) else start + 8
    assert start <= int(match.group(1)) < end


def test_stable_renders_its_read_only_volume() -> None:
    tfvars, _ = rendered_tfvars("stable")
    assert tfvars["hub"]["volumes"] == [
        {
            "name": "datasets",
            "mount_path": "/datasets",
            "read_only": True,
            "sub_path": "",
            "nfs_server": "10.10.0.250",
            "nfs_path": "/datasets",
            "claim": None,
        }
    ]
    for name in ("sandbox", "workshop"):
        assert rendered_tfvars(name)[0]["hub"]["volumes"] == []


VOLUMES = [
    {
        "name": "datasets",
        "mount_path": "/datasets",
        "read_only": True,
        "sub_path": "",
        "nfs_server": "10.10.0.250",
        "nfs_path": "/datasets",
        "claim": None,
    },
    {
        "name": "scratch",
        "mount_path": "/scratch",
        "read_only": False,
        "sub_path": "team-a",
        "nfs_server": None,
        "nfs_path": None,
        "claim": "scratch-claim",
    },
]


@pytest.fixture(scope="module")
def chart() -> tuple[dict[str, Any], dict[str, Any]]:
    vendor = vendor_dir()
    defaults, schema = vendor / "values.yaml", vendor / "values.schema.json"
    if not (defaults.is_file() and schema.is_file()):
        require_or_skip(f"zero-to-jupyterhub values and schema not found in {vendor}")
    return (
        yaml.safe_load(defaults.read_text(encoding="utf-8")),
        json.loads(schema.read_text(encoding="utf-8")),
    )


@pytest.mark.integration
def test_values_mount_each_volume_and_fit_the_chart_schema(tmp_path: Path, chart) -> None:
    tfvars, _ = rendered_tfvars("stable")
    inputs = {**hub_inputs(json.loads(json.dumps(tfvars))), "volumes": VOLUMES}
    values = evaluate(tmp_path, inputs)["values"]
    defaults, schema = chart
    jsonschema.validate(deep_merge(defaults, values), schema)
    storage = values["singleuser"]["storage"]
    volumes = {v["name"]: v for v in storage["extraVolumes"]}
    mounts = {m["name"]: m for m in storage["extraVolumeMounts"]}
    assert volumes["extra-datasets"] == {
        "name": "extra-datasets",
        "nfs": {"server": "10.10.0.250", "path": "/datasets", "readOnly": True},
    }
    assert volumes["extra-scratch"] == {
        "name": "extra-scratch",
        "persistentVolumeClaim": {"claimName": "scratch-claim", "readOnly": False},
    }
    assert mounts["extra-datasets"] == {
        "name": "extra-datasets",
        "mountPath": "/datasets",
        "readOnly": True,
    }
    assert mounts["extra-scratch"]["subPath"] == "team-a"
    assert mounts["extra-scratch"]["readOnly"] is False
    # The platform's own mounts stay as they were.
    assert {"home", "shared"} <= set(volumes)
    assert mounts["shared"]["mountPath"] == "/shared"


@pytest.mark.integration
def test_the_submodule_refuses_a_volume_over_the_homes(tmp_path: Path) -> None:
    tfvars, _ = rendered_tfvars("stable")
    bad = [{**VOLUMES[0], "mount_path": "/home/data"}]
    with pytest.raises(AssertionError, match=r"not over the home or shared\s+mounts"):
        evaluate(tmp_path, {**hub_inputs(json.loads(json.dumps(tfvars))), "volumes": bad})


def _release(volumes: list[dict[str, Any]]) -> dict[str, Any]:
    mounts = [{"name": "shared", "mountPath": "/shared"}] + [
        {"name": f"extra-{v['name']}", "mountPath": v["mount_path"], "readOnly": v["read_only"]}
        for v in volumes
    ]
    doc = {"singleuser": {"storage": {"extraVolumeMounts": mounts}}}
    return {"values": [json.dumps(doc)], "version": "4.4.0"}


def test_volume_changes_name_each_mount_path() -> None:
    before = _release([VOLUMES[0]])
    after = _release([{**VOLUMES[0], "read_only": False}, VOLUMES[1]])
    assert volume_changes(before, after) == [
        "changes /datasets (datasets, read-only -> datasets, read-write)",
        "adds /scratch (scratch, read-write)",
    ]
    assert volume_changes(after, _release([])) == [
        "removes /datasets (datasets, read-write)",
        "removes /scratch (scratch, read-write)",
    ]
    assert volume_changes(before, before) == []


def test_review_shows_adding_a_volume_as_an_in_place_release_update() -> None:
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "resource_changes": [
            {
                "address": "module.hub.helm_release.hub",
                "module_address": "module.hub",
                "mode": "managed",
                "type": "helm_release",
                "name": "hub",
                "provider_name": "registry.terraform.io/hashicorp/helm",
                "change": {
                    "actions": ["update"],
                    "before": _release([]),
                    "after": _release([VOLUMES[0]]),
                    "after_unknown": {},
                    "before_sensitive": {},
                    "after_sensitive": {},
                },
            }
        ],
    }
    changes = parse_plan(plan).changes
    assert [(c.type, c.action) for c in changes] == [("helm_release", "update")]
    findings = classify(changes)
    (restart,) = [f for f in findings if f.rule == "hub-restart"]
    assert "Lab volumes: adds /datasets (datasets, read-only) (in place, nothing replaced)." in (
        restart.message
    )
    assert not any(f.rule.startswith(("replace", "delete")) for f in findings)
