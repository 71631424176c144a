"""plan / apply / destroy with the real terraform on a terraform_data-only root module.

The root in tests/fixtures/plans/workflow-root declares the same variables as terraform/ but
holds only built-in resources, so the whole pipeline runs offline: render, init, plan, show,
review, the staleness and review gates, apply, and destroy.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from sciplat.terraform import find_engine
from tests.conftest import requires

REPO = Path(__file__).resolve().parents[1]
ROOT_FIXTURE = REPO / "tests" / "fixtures" / "plans" / "workflow-root"

pytestmark = [pytest.mark.integration]


def _have_terraform() -> bool:
    try:
        find_engine()
        return True
    except Exception:
        return False


needs_terraform = requires(_have_terraform(), "no terraform binary")


class Site:
    """A temporary environment file, root module and build directory."""

    def __init__(self, tmp: Path, run_cli) -> None:
        self.run_cli = run_cli
        self.env_dir = tmp / "env"
        self.env_dir.mkdir()
        self.env_file = self.env_dir / "sandbox.yaml"
        shutil.copy(REPO / "env" / "sandbox.yaml", self.env_file)
        self.root = tmp / "root"
        shutil.copytree(ROOT_FIXTURE, self.root)
        self.build = tmp / "build"
        self.out = self.build / "sandbox"

    def edit(self, **changes: object) -> None:
        """Set dotted keys in the environment file: edit(**{"cluster.name": "x"})."""
        data = yaml.safe_load(self.env_file.read_text())
        for dotted, value in changes.items():
            node = data
            *parents, leaf = dotted.split(".")
            for key in parents:
                node = node[key]
            node[leaf] = value
        self.env_file.write_text(yaml.safe_dump(data, sort_keys=False))

    def cli(self, command: str, *args: str):
        return self.run_cli(
            command,
            str(self.env_file),
            *args,
            "--root",
            str(self.root),
            "--build-dir",
            str(self.build),
        )

    def log(self) -> list[dict]:
        path = self.out / "apply-log.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def site(tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> Site:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("SCIPLAT_OPERATOR", "tester")
    monkeypatch.delenv("SCIPLAT_TERRAFORM_ROOT", raising=False)
    return Site(tmp_path, run_cli)


@needs_terraform
def test_plan_writes_everything_and_apply_applies_exactly_that_plan(site: Site) -> None:
    result = site.cli("plan")
    assert result.code == 0, result.err
    for name in ("plan.tfplan", "plan.json", "review.md", "review.json", "plan.meta.json"):
        assert (site.out / name).is_file(), name
    assert "3 to create" in result.out
    meta = json.loads((site.out / "plan.meta.json").read_text())
    assert meta["environment"] == "sandbox" and meta["created_by"] == "tester"
    assert {"environment", "tfvars", "backend", "code:" + str(site.root / "main.tf")} <= set(
        meta["inputs"]
    )
    review = json.loads((site.out / "review.json").read_text())
    assert review["summary"]["actions"]["create"] == 3

    applied = site.cli("apply")
    assert applied.code == 0, applied.err
    assert [r["status"] for r in site.log()] == ["started", "applied"]
    assert site.log()[-1]["plan_sha256"] == meta["plan_sha256"]
    assert (site.root / "terraform.tfstate").is_file()

    again = site.cli("apply")
    assert again.code == 5 and "already applied" in again.err


@needs_terraform
def test_apply_refuses_a_stale_plan(site: Site) -> None:
    assert site.cli("plan").code == 0
    site.edit(**{"hub.culling.timeout_seconds": 7200})
    result = site.cli("apply")
    assert result.code == 5
    assert "stale (the environment file changed)" in result.err
    assert "make plan ENV=sandbox" in result.err
    assert site.log() == []


@needs_terraform
def test_apply_refuses_when_the_code_changed(site: Site) -> None:
    assert site.cli("plan").code == 0
    with (site.root / "main.tf").open("a") as handle:
        handle.write('\nresource "terraform_data" "late" {}\n')
    result = site.cli("apply")
    assert result.code == 5 and "main.tf changed" in result.err


@needs_terraform
def test_apply_refuses_edited_tfvars_and_a_swapped_plan(site: Site) -> None:
    assert site.cli("plan").code == 0
    tfvars = site.out / "terraform.tfvars.json"
    tfvars.write_text(tfvars.read_text().replace('"sandbox"', '"elsewhere"', 1))
    assert "the rendered tfvars changed" in site.cli("apply").err
    assert site.cli("plan").code == 0
    (site.out / "plan.json").write_text((site.out / "plan.json").read_text() + " ")
    result = site.cli("apply")
    assert result.code == 5 and "plan.json is not the plan that was reviewed" in result.err


@needs_terraform
def test_blocking_review_gates_apply_until_the_named_override(site: Site) -> None:
    site.edit(**{"cluster.deletion_protection": True})
    assert site.cli("plan").code == 0
    assert site.cli("apply").code == 0
    site.edit(**{"cluster.deletion_protection": False})
    planned = site.cli("plan", "--fail-on", "blocking")
    assert planned.code == 3  # the plan is saved, and CI sees the blocking review
    assert "BLOCKED" in planned.out

    refused = site.cli("apply")
    assert refused.code == 3
    assert "Refusing to apply sandbox" in refused.err
    assert "deletion_protection" in refused.err and "ALLOW=data-loss" in refused.err

    unknown = site.cli("apply", "--allow", "everything")
    assert unknown.code == 2 and "unknown override" in unknown.err

    forced = site.cli("apply", "--allow", "data-loss")
    assert forced.code == 0, forced.err
    started, done = site.log()[-2:]
    assert done["status"] == "applied" and done["overrides"] == ["data-loss"]
    assert done["by"] == "tester"
    assert [f["rule"] for f in done["findings_overridden"]] == ["deletion-protection-removed"]
    assert started["plan_sha256"] == done["plan_sha256"]


@needs_terraform
def test_failed_plan_leaves_no_plan_to_apply(site: Site) -> None:
    assert site.cli("plan").code == 0
    (site.root / "broken.tf").write_text('resource "terraform_data" "x" { input = var.nope }\n')
    failed = site.cli("plan")
    assert failed.code == 1
    assert not (site.out / "plan.tfplan").exists()
    assert not (site.out / "plan.meta.json").exists()
    result = site.cli("apply")
    assert result.code == 2 and "No saved plan for sandbox" in result.err


def test_apply_without_a_plan_says_what_to_do(site: Site) -> None:
    result = site.cli("apply")
    assert result.code == 2
    assert "No saved plan for sandbox" in result.err and "make plan ENV=sandbox" in result.err


def test_destroy_needs_the_name(site: Site) -> None:
    unconfirmed = site.cli("destroy")  # pytest's stdin is not a terminal
    assert unconfirmed.code == 2 and "--confirm sandbox" in unconfirmed.err
    wrong = site.cli("destroy", "--confirm", "stable")
    assert wrong.code == 2 and "nothing destroyed" in wrong.err


def test_destroy_respects_deletion_protection(site: Site) -> None:
    site.edit(**{"cluster.deletion_protection": True})
    result = site.cli("destroy", "--confirm", "sandbox")
    assert result.code == 3
    assert "deletion protection on (cluster.deletion_protection" in result.err
    assert "set it to false" in result.err


@needs_terraform
def test_destroy_with_confirmation_destroys_and_records(site: Site) -> None:
    assert site.cli("plan").code == 0
    assert site.cli("apply").code == 0
    result = site.cli("destroy", "--confirm", "sandbox")
    assert result.code == 0, result.err
    assert "3 to delete" in result.out
    record = site.log()[-1]
    assert record["action"] == "destroy" and record["status"] == "destroyed"
    state = json.loads((site.root / "terraform.tfstate").read_text())
    assert state["resources"] == []
    assert not (site.out / "plan.tfplan").exists()


def test_bad_environment_stops_before_terraform(site: Site) -> None:
    site.edit(**{"cluster.release_channel": "SOMETIMES"})
    result = site.cli("plan")
    assert result.code == 2
    assert "release_channel" in result.err and "Traceback" not in result.err
    assert not (site.out / "plan.tfplan").exists()


@needs_terraform
def test_apply_refuses_when_rendering_would_now_differ(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code outside Terraform changed (here the pinned chart version in render.py)."""
    assert site.cli("plan").code == 0
    import sciplat.render

    monkeypatch.setattr(sciplat.render, "Z2JH_CHART_VERSION", "9.9.9")
    result = site.cli("apply")
    assert result.code == 5
    assert "rendering the environment now gives different tfvars" in result.err


@needs_terraform
def test_a_failing_apply_is_logged_and_the_plan_not_marked_applied(site: Site) -> None:
    (site.root / "fails.tf").write_text(
        'resource "terraform_data" "fails" {\n'
        '  provisioner "local-exec" {\n'
        '    command = "exit 7"\n'
        "  }\n"
        "}\n"
    )
    assert site.cli("plan").code == 0
    result = site.cli("apply")
    assert result.code == 1
    assert [r["status"] for r in site.log()] == ["started", "failed"]
    assert "terraform apply" in site.log()[-1]["error"]
    meta = json.loads((site.out / "plan.meta.json").read_text())
    assert "applied_at" not in meta
