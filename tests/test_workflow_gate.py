"""The apply gate against a careless or hostile operator, with the real terraform.

What apply trusts: only what Terraform reads from the saved plan (`terraform show -json` of a
private copy of plan.tfplan), compared with the plan that was reviewed. Each test edits or
replaces the files beside the plan, interrupts Terraform, or loosens the umask, and checks that
nothing unreviewed is applied, the outcome is recorded and every file stays private.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sciplat.commands import gated_command
from sciplat.workflow import protections_in_plan, sha256_file
from tests.conftest import require_or_skip
from tests.test_workflow import Site, _have_terraform

pytestmark = [pytest.mark.integration]


@pytest.fixture
def site(tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> Site:
    if not _have_terraform():
        require_or_skip("no terraform binary on PATH")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("SCIPLAT_OPERATOR", "tester")
    monkeypatch.delenv("SCIPLAT_TERRAFORM_ROOT", raising=False)
    return Site(tmp_path, run_cli)


def _state(site: Site) -> dict:
    return json.loads((site.root / "terraform.tfstate").read_text())


def _protection_in_state(site: Site) -> bool:
    for resource in _state(site)["resources"]:
        if resource["type"] == "terraform_data" and resource["name"] == "cluster":
            return resource["instances"][0]["attributes"]["input"]["value"]["deletion_protection"]
    raise AssertionError("no cluster in the state")


def _reseal(site: Site) -> None:
    """What a tamperer does after editing: make plan.meta.json match the edited files."""
    meta_path = site.out / "plan.meta.json"
    meta = json.loads(meta_path.read_text())
    meta["plan_sha256"] = sha256_file(site.out / "plan.tfplan")
    meta["plan_json_sha256"] = sha256_file(site.out / "plan.json")
    meta_path.write_text(json.dumps(meta, indent=2))


def _protected_then_lifted_plan(site: Site) -> None:
    """Apply with protection on, then save a plan that lifts it (a blocking review)."""
    site.edit(**{"cluster.deletion_protection": True})
    assert site.cli("plan").code == 0
    assert site.cli("apply").code == 0
    site.edit(**{"cluster.deletion_protection": False})
    assert site.cli("plan").code == 0


def _walk(doc: object, fn: Callable[[dict], None]) -> None:
    if isinstance(doc, dict):
        fn(doc)
        for value in doc.values():
            _walk(value, fn)
    elif isinstance(doc, list):
        for value in doc:
            _walk(value, fn)


def _hide_the_lift(doc: dict) -> None:
    """Make plan.json say protection stays on: the reviewed copy shows no blocking change."""

    def fix(node: dict) -> None:
        if node.get("deletion_protection") is False:
            node["deletion_protection"] = True

    _walk(doc, fix)


def _drop_changes(doc: dict) -> None:
    for change in doc.get("resource_changes", []):
        change["change"]["actions"] = ["no-op"]


def _drop_cluster(doc: dict) -> None:
    doc["resource_changes"] = [
        c for c in doc.get("resource_changes", []) if "cluster" not in c["address"]
    ]


JSON_TAMPERING = {
    "after value flipped": _hide_the_lift,
    "actions made no-op": _drop_changes,
    "blocking resource removed": _drop_cluster,
}


@pytest.mark.parametrize("tamper", list(JSON_TAMPERING), ids=list(JSON_TAMPERING))
def test_an_edited_plan_json_with_a_resealed_meta_is_not_applied(site: Site, tamper: str) -> None:
    _protected_then_lifted_plan(site)
    plan_json = site.out / "plan.json"
    doc = json.loads(plan_json.read_text())
    JSON_TAMPERING[tamper](doc)
    plan_json.write_text(json.dumps(doc, indent=1))
    _reseal(site)
    result = site.cli("apply")
    assert result.code == 5, result.err
    assert "does not hold the plan in plan.json" in result.err
    assert _protection_in_state(site) is True  # nothing applied
    assert [r["status"] for r in site.log()][-1] == "applied"  # only the first apply


def test_a_swapped_plan_file_with_a_resealed_meta_is_not_applied(site: Site) -> None:
    """The reviewed plan.json is harmless; the plan.tfplan beside it lifts the protection."""
    _protected_then_lifted_plan(site)
    dangerous = (site.out / "plan.tfplan").read_bytes()
    site.edit(**{"cluster.deletion_protection": True, "hub.culling.timeout_seconds": 7200})
    assert site.cli("plan").code == 0
    (site.out / "plan.tfplan").write_bytes(dangerous)
    _reseal(site)
    result = site.cli("apply")
    assert result.code == 5, result.err
    assert _protection_in_state(site) is True


def test_a_swapped_pair_is_reviewed_from_the_plan_and_blocked(site: Site) -> None:
    """plan.tfplan and plan.json both replaced by a dangerous pair, review.json by a harmless
    one: the gate reviews what Terraform reads and blocks it."""
    _protected_then_lifted_plan(site)
    review_path = site.out / "review.json"
    review = json.loads(review_path.read_text())
    review["findings"] = []
    review_path.write_text(json.dumps(review))
    result = site.cli("apply")
    assert result.code == 3, result.err
    assert "deletion_protection" in result.err
    assert _protection_in_state(site) is True
    forced = site.cli("apply", "--allow", "data-loss")
    assert forced.code == 0, forced.err
    assert site.log()[-1]["overrides"] == ["data-loss"]
    assert _protection_in_state(site) is False


def test_the_applied_plan_is_the_one_reviewed_and_logged(site: Site) -> None:
    assert site.cli("plan").code == 0
    planned = sha256_file(site.out / "plan.tfplan")
    assert site.cli("apply").code == 0
    assert site.log()[-1]["plan_sha256"] == planned
    assert not (site.out / ".apply.tfplan").exists()


# ------------------------------------------------------------------------------ file modes


@pytest.mark.parametrize("umask", [0o000, 0o002, 0o022, 0o027])
def test_everything_under_build_env_is_private(site: Site, umask: int) -> None:
    old = os.umask(umask)
    try:
        assert site.cli("plan").code == 0
        assert site.cli("apply").code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(site.out.stat().st_mode) == 0o700
    checked = 0
    for path in site.out.rglob("*"):
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.relative_to(site.out)} is {oct(mode)}"
        checked += 1
    names = {p.name for p in site.out.iterdir()}
    assert {"plan.tfplan", "plan.json", "plan.meta.json", "apply-log.jsonl"} <= names
    assert checked >= 8


# ------------------------------------------------------------------------------ destroy


def test_destroy_reads_protection_from_the_state_not_the_file(site: Site, tmp_path: Path) -> None:
    site.edit(**{"cluster.deletion_protection": True})
    assert site.cli("plan").code == 0
    assert site.cli("apply").code == 0
    copy_dir = tmp_path / "copy"
    copy_dir.mkdir()
    site.edit(**{"cluster.deletion_protection": False})  # the file lies: the state is protected
    shutil.copy(site.env_file, copy_dir / "sandbox.yaml")
    result = site.run_cli(
        "destroy",
        str(copy_dir / "sandbox.yaml"),
        "--confirm",
        "sandbox",
        "--root",
        str(site.root),
        "--build-dir",
        str(site.build),
    )
    assert result.code == 3, result.err
    assert "deletion protection on in its state" in result.err
    assert "terraform_data.cluster.input.deletion_protection" in result.err
    assert len(_state(site)["resources"]) == 3
    assert all(r["action"] != "destroy" for r in site.log())


_leaf = st.one_of(st.booleans(), st.integers(), st.text(max_size=5), st.none())
_tree = st.recursive(
    _leaf,
    lambda kids: st.one_of(
        st.lists(kids, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "input", "config"]), kids, max_size=3),
    ),
    max_leaves=10,
)


@given(
    tree=_tree,
    depth=st.lists(st.sampled_from(["input", "settings", 0]), max_size=3),
    attr=st.sampled_from(["deletion_protection", "deletion_protection_enabled"]),
    actions=st.sampled_from([["delete"], ["delete", "create"], ["create", "delete"]]),
)
@settings(max_examples=150)
def test_protection_is_found_at_any_depth_of_what_is_deleted(tree, depth, attr, actions) -> None:
    node: object = {attr: True}
    for step in reversed(depth):
        node = [node] if isinstance(step, int) else {step: node}
    before = {"other": tree, **(node if isinstance(node, dict) else {"list": node})}
    path = "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in depth)
    if not isinstance(node, dict):
        path = ".list" + path
    expected = f"x.y{path}.{attr}".replace(".[", "[")
    change = {"actions": actions, "before": before}
    doc = {"resource_changes": [{"address": "x.y", "change": change}]}
    assert expected in protections_in_plan(doc)


@given(
    attr=st.sampled_from(["deletion_protection", "deletion_protection_enabled"]),
    value=st.sampled_from([False, None, "true", 1]),
    actions=st.sampled_from([["delete"], ["create"], ["update"], ["no-op"], ["read"]]),
)
def test_protection_off_or_not_deleted_is_not_reported(attr, value, actions) -> None:
    before = {attr: value, "nested": {attr: value}}
    if "delete" not in actions:
        before = {attr: True}
    change = {"actions": actions, "before": before}
    doc = {"resource_changes": [{"address": "x.y", "change": change}]}
    assert protections_in_plan(doc) == []


# ------------------------------------------------------------------------------ sciplat tf


REFUSED = [
    ["apply"],
    ["apply", "-auto-approve"],
    ["-chdir=terraform", "apply", "plan.tfplan"],
    ["destroy", "-auto-approve"],
    ["import", "google_container_cluster.x", "id"],
    ["taint", "terraform_data.cluster"],
    ["untaint", "terraform_data.cluster"],
    ["refresh"],
    ["force-unlock", "-force", "123"],
    ["state", "rm", "terraform_data.cluster"],
    ["state", "mv", "a", "b"],
    ["-chdir=terraform", "state", "push", "x.tfstate"],
    ["state", "replace-provider", "a", "b"],
]
ALLOWED = [
    ["fmt", "-check", "-recursive"],
    ["validate"],
    ["plan"],
    ["show", "-json", "plan.tfplan"],
    ["state", "list"],
    ["state", "show", "x"],
    ["version"],
    ["providers"],
    ["output", "-json"],
]


@pytest.mark.parametrize("args", REFUSED, ids=[" ".join(a) for a in REFUSED])
def test_sciplat_tf_refuses_every_ungated_change(args: list[str], run_cli) -> None:
    assert gated_command(args) is not None
    result = run_cli("tf", *args)
    assert result.code == 2
    assert "refused" in result.err and "plan review" in result.err


@pytest.mark.parametrize("args", ALLOWED, ids=[" ".join(a) for a in ALLOWED])
def test_sciplat_tf_passes_read_only_commands(args: list[str]) -> None:
    assert gated_command(args) is None


# ------------------------------------------------------------------------------ interrupts


SLOW = """
resource "terraform_data" "slow" {
  input = "slow"
  provisioner "local-exec" {
    command = "echo $$ > ${path.module}/sleeper.pid && exec sleep 120"
  }
}
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_an_interrupted_apply_stops_terraform_and_records_it(site: Site) -> None:
    (site.root / "slow.tf").write_text(SLOW)
    assert site.cli("plan").code == 0
    env = {**os.environ, "SCIPLAT_OPERATOR": "tester", "COLUMNS": "200"}
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "sciplat"),
            "apply",
            str(site.env_file),
            "--root",
            str(site.root),
            "--build-dir",
            str(site.build),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pid_file = site.root / "sleeper.pid"
    try:
        deadline = time.monotonic() + 60
        while not (pid_file.exists() and pid_file.read_text().strip()):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the provisioner never started"
            time.sleep(0.1)
        sleeper = int(pid_file.read_text())
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted" in err
    deadline = time.monotonic() + 10
    while _alive(sleeper) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(sleeper), "Terraform's provisioner outlived the interrupted apply"
    last = site.log()[-1]
    assert last["status"] == "interrupted"
    assert last["killed"] is False
    assert last["terraform_exit_code"] != 0
    assert last["terraform_reported"]
    meta = json.loads((site.out / "plan.meta.json").read_text())
    assert meta["interrupted"]["status"] == "interrupted" and "applied_at" not in meta
    assert site.cli("plan").code == 0  # a clean stop released the state lock


STUBBORN = """#!/bin/sh
trap 'echo "Interrupt received, finishing the current operation" >&2' INT
echo ready >&2
while :; do sleep 0.1; done
"""


@pytest.mark.parametrize("stubborn", [False, True], ids=["stops", "ignores-interrupt"])
def test_the_runner_forwards_one_interrupt_and_kills_on_the_second(
    tmp_path: Path, stubborn: bool
) -> None:
    """A child that stops on SIGINT is left to stop; one that does not is killed by the second."""
    import threading

    from sciplat.terraform import Engine, Terraform, TerraformInterrupted

    script = tmp_path / "tf.sh"
    body = STUBBORN if stubborn else STUBBORN.replace(">&2' INT", ">&2; exit 3' INT")
    script.write_text(body)
    script.chmod(0o700)
    tf = Terraform(tmp_path, engine=Engine("binary", str(script)))

    def interrupt() -> None:
        for _ in range(2 if stubborn else 1):
            time.sleep(1.0)
            os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(TerraformInterrupted) as info:
        tf.run(["apply"], stream=True)
    assert info.value.exit_code == 130
    assert info.value.killed is stubborn
    assert "Interrupt received" in info.value.stderr
    if not stubborn:
        assert info.value.returncode == 3
