"""Golden-file tests of the Markdown and JSON reviews of every plan fixture.

To accept a deliberate change: SCIPLAT_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_review_golden.py
then read the diff of tests/golden/review/ before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sciplat.capacity.prices import load_prices
from sciplat.review.cli import render, review_file

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden" / "review"
CASES = ("basic", "platform", "safe", "nochanges", "sandbox-create")
UPDATE = os.environ.get("SCIPLAT_UPDATE_GOLDEN") == "1"


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the plan's path appears in the review: keep it relative


def _review(case: str, fmt: str) -> str:
    plan = Path("tests/fixtures/plans") / case / "plan.json"
    review = review_file(plan, title=case, prices=load_prices(GOLDEN / "prices.json"))
    text = render(review, fmt)
    assert text is not None
    return text


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("fmt", ["md", "json"])
def test_review_matches_golden(case: str, fmt: str) -> None:
    text = _review(case, fmt)
    golden = GOLDEN / f"{case}.{fmt}"
    if UPDATE:
        golden.write_text(text)
    assert golden.exists(), f"missing {golden.name}; run with SCIPLAT_UPDATE_GOLDEN=1"
    assert text == golden.read_text()


@pytest.mark.parametrize("case", CASES)
def test_no_secret_from_the_fixtures_reaches_any_output(case: str) -> None:
    for fmt in ("md", "json"):
        text = _review(case, fmt)
        for secret in ("tok-before-0001", "tok-after-0002", "oauth-secret-value-1"):
            assert secret not in text


def test_markdown_folds_long_lists_into_details() -> None:
    md = _review("platform", "md")
    assert "<details>\n<summary>Info (1)</summary>" in md
    assert "<summary>Per module (5)</summary>" in md
    assert "```diff" in md  # the Helm values diff


def test_json_schema_is_versioned_and_counts_every_action() -> None:
    doc = json.loads(_review("platform", "json"))
    assert doc["schema"] == "sciplat.review" and doc["schema_version"] == 1
    assert doc["summary"]["actions"] == {
        "create": 1,
        "update": 4,
        "replace": 4,
        "delete": 1,
        "read": 0,
        "no-op": 4,
        "forget": 0,
    }
    assert doc["summary"]["findings"] == {"blocking": 6, "warning": 5, "info": 1}
    assert doc["summary"]["modules"]["module.hub"]["replace"] == 2
    images = doc["images"]
    assert images["added"] == ["docker.io/lsstsqre/sciplat-lab:w_2026_44"]
    assert images["removed"] == ["docker.io/lsstsqre/sciplat-lab:w_2026_40"]
    assert [r["image"] for r in images["repinned"]] == [
        "docker.io/lsstsqre/sciplat-lab:recommended"
    ]
    assert images["incomplete"] is False
    pool = next(c for c in doc["changes"] if c["address"].endswith('user["user"]'))
    assert pool["replace_paths"] == ["node_config[0].machine_type"]
    ident = next(a for a in pool["attributes"] if a["path"] == "id")
    assert ident["after"] == {"unknown": True}
    basic = json.loads(_review("basic", "json"))
    settings = next(c for c in basic["changes"] if c["address"] == "terraform_data.settings")
    token = next(a for a in settings["attributes"] if a["path"] == "input.token")
    assert token["before"] == {"sensitive": True} == token["after"]


@pytest.mark.parametrize("case", CASES)
def test_json_validates_against_the_published_schema(case: str) -> None:
    import jsonschema

    from sciplat.review.report import SCHEMA_PATH

    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    doc = json.loads(_review(case, "json"))
    jsonschema.Draft202012Validator(schema).validate(doc)
    doc["summary"]["actions"].pop("forget")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(doc)


def test_the_real_root_plan_of_sandbox() -> None:
    """Planned from terraform/ and modules/ with the stand-in providers: real types and shapes."""
    doc = json.loads(_review("sandbox-create", "json"))
    assert doc["summary"]["actions"]["create"] == len(
        [c for c in doc["changes"] if c["action"] == "create"]
    )
    assert doc["summary"]["findings"]["blocking"] == 0
    assert {f["rule"] for f in doc["findings"] if f["severity"] == "warning"} == {"iam-change"}
    types = {c["type"] for c in doc["changes"]}
    assert {
        "google_container_cluster",
        "google_container_node_pool",
        "google_filestore_instance",
        "google_artifact_registry_repository",
        "kubernetes_persistent_volume_v1",
        "helm_release",
    } <= types
    cost = doc["cost"]
    assert cost["before"] == 0 and cost["after"] > 0 and not cost["notes"]
    assert round(sum(r["after"] for r in cost["resources"]), 2) == cost["after"]
    # The Helm values are unknown before the first install; the root output names the images.
    assert doc["images"]["added"] and not doc["images"]["incomplete"]
