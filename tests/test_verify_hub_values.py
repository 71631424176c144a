"""The hub check reads the image set from the values the hub module really renders: the values
submodule is applied by terraform (as in test_tf_hub_values) for images pinned by digest and by
tag, from several registries and through the mirror; the check must find exactly that set, and
call a release built from another lock stale."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from test_tf_contract import rendered_tfvars
from test_tf_hub_values import evaluate, pinned_cilogon_inputs

from sciplat.verify import checks
from sciplat.verify.expected import Expected

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    inputs = pinned_cilogon_inputs()
    inputs["mirror_prefixes"] = {"docker.io": "us-central1-docker.pkg.dev/p/dockerhub"}
    return inputs, evaluate(tmp_path_factory.mktemp("values"), inputs)["values"]


def expected_for(images: list[dict[str, Any]]) -> Expected:
    tfvars, _ = rendered_tfvars("stable")
    tfvars = copy.deepcopy(tfvars)
    tfvars["hub"]["images"] = images
    return Expected.from_tfvars(tfvars)


def run_hub(expected: Expected, values: dict[str, Any]) -> checks.CheckResult:
    ready = {"status": {"availableReplicas": 1}, "spec": {"replicas": 1}}
    service = {"spec": {"loadBalancerIP": "34.1.2.3"}}
    return checks.check_hub(expected, {"hub": ready, "proxy": ready}, service, values)


def test_the_rendered_release_carries_exactly_the_lock(
    rendered: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    inputs, values = rendered
    result = run_hub(expected_for(inputs["images"]), values)
    assert result.status == "pass", result.problems
    assert len(result.details["offered"]) == len(inputs["images"])


def test_a_release_from_an_older_lock_is_stale(
    rendered: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    inputs, values = rendered
    newer = copy.deepcopy(inputs["images"])
    newer[0] = {**newer[0], "tag": "w_2026_48", "digest": "sha256:" + "c" * 64}
    newer[2] = {**newer[2], "tag": "3.13-slim"}
    result = run_hub(expected_for(newer), values)
    assert result.status == "fail"
    stale = [p for p in result.problems if "stale release" in p]
    assert len(stale) == 6, result.problems  # 2 not offered, 2 not prepulled, 2 offered extra
    assert any("sciplat-lab:w_2026_48@sha256:cccc" in p and "not offered" in p for p in stale)
    assert any("python:3.12-slim is not in the image set" in p for p in stale)
