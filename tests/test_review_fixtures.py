"""The committed plan fixtures still match what real Terraform produces from their configs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import requires

PLANS = Path(__file__).parent / "fixtures" / "plans"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("plan_fixtures", PLANS / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()
TERRAFORM = GEN.terraform_binary()


def _shape(plan: dict[str, Any]) -> dict[str, Any]:
    def entries(key: str) -> list[tuple[Any, ...]]:
        return [
            (
                e["address"],
                tuple(e["change"]["actions"]),
                e.get("action_reason"),
                json.dumps(e["change"].get("replace_paths")),
                e.get("previous_address"),
            )
            for e in plan.get(key, [])
        ]

    return {
        "format_version": plan["format_version"],
        "resource_changes": entries("resource_changes"),
        "resource_drift": entries("resource_drift"),
        "output_changes": {k: v["actions"] for k, v in plan.get("output_changes", {}).items()},
    }


@pytest.mark.integration
@requires(TERRAFORM is not None, "no Terraform (make setup)")
@pytest.mark.parametrize("case", GEN.CASES)
def test_regenerated_fixture_matches_committed(case: str) -> None:
    committed = json.loads((PLANS / case / "plan.json").read_text())
    fresh = GEN.build(case, TERRAFORM)
    assert _shape(fresh) == _shape(committed)


def test_every_case_has_both_configs_and_a_plan() -> None:
    for case in GEN.CASES:
        assert GEN.before_config(PLANS / case).is_file()
        assert (PLANS / case / "v2" / "main.tf").is_file()
        assert json.loads((PLANS / case / "plan.json").read_text())["format_version"] == "1.2"


def test_rewrite_lifts_attributes_and_replace_paths() -> None:
    entry = {
        "address": "terraform_data.pool",
        "mode": "managed",
        "type": "terraform_data",
        "name": "pool",
        "change": {
            "actions": ["delete", "create"],
            "before": {
                "id": "1",
                "input": {"n": 1},
                "output": {"n": 1},
                "triggers_replace": {"cfg": [{"m": "a", "d": 1}]},
            },
            "after": {
                "input": {"n": 1},
                "output": {"n": 1},
                "triggers_replace": {"cfg": [{"m": "b", "d": 1}]},
            },
            "after_unknown": {"id": True},
            "replace_paths": [["triggers_replace"]],
        },
    }
    plan = {"format_version": "1.2", "resource_changes": [entry], "prior_state": {}}
    out = GEN.rewrite(plan, {"resources": {"terraform_data.pool": 'module.gke.google_x.p["k"]'}})
    (rc,) = out["resource_changes"]
    assert "prior_state" not in out
    assert (rc["address"], rc["type"], rc["name"], rc["module_address"], rc["index"]) == (
        'module.gke.google_x.p["k"]',
        "google_x",
        "p",
        "module.gke",
        "k",
    )
    assert rc["change"]["before"] == {"id": "1", "n": 1, "cfg": [{"m": "a", "d": 1}]}
    assert rc["change"]["replace_paths"] == [["cfg", 0, "m"]]
