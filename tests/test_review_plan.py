"""Reading plan JSON: errors for bad input, redaction, attribute diffs and replace paths."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from sciplat.review.plan import (
    SENSITIVE,
    UNKNOWN,
    PlanError,
    Sensitive,
    load_plan,
    normalize_actions,
    parse_plan,
)

PLANS = Path(__file__).parent / "fixtures" / "plans"


def _change(address: str, actions: list[str], **change: object) -> dict[str, object]:
    rtype, name = address.split(".")[-2:]
    return {
        "address": address,
        "mode": "managed",
        "type": rtype,
        "name": name,
        "change": {"actions": actions, **change},
    }


def _plan(*changes: dict[str, object], **extra: object) -> dict[str, object]:
    return {"format_version": "1.2", "resource_changes": list(changes), **extra}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "is empty"),
        ("   \n", "is empty"),
        ('{"format_version": "1.2",', ":1:"),
        ("not json at all", "not valid JSON"),
        (
            '{"format_version": "2.0", "resource_changes": []}',
            "unsupported plan format_version 2.0",
        ),
        ('{"format_version": "1.0", "values": {}}', "this is Terraform state, not a plan"),
        ('{"resource_changes": []}', "no format_version"),
        ("[1, 2]", "the JSON is a list"),
        ('{"format_version": "1.2", "terraform_version": "1.11.4"}', "no resource_changes"),
    ],
)
def test_bad_files_raise_plan_error_naming_the_file(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert expected in str(info.value)
    assert str(path) in str(info.value)
    assert info.value.exit_code == 2


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="no such file; run `sciplat plan ENV`"):
        load_plan(tmp_path / "absent.json")


def test_entry_without_change_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match=r"resource_changes\[0\]"):
        parse_plan(_plan({"address": "a.b"}))


def test_unknown_action_list_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match="unknown action list"):
        parse_plan(_plan(_change("terraform_data.x", ["explode"])))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"output_changes": {"size": {"actions": ["explode"]}}}, "output_changes.size.actions"),
        ({"output_changes": {"size": {"actions": 5}}}, "output_changes.size.actions"),
        ({"output_changes": {"size": {"actions": [{}]}}}, "output_changes.size.actions"),
        ({"output_changes": ["size"]}, "output_changes must be an object"),
        ({"variables": ["region"]}, "variables must be an object"),
    ],
)
def test_malformed_outputs_and_variables_are_plan_errors(
    extra: dict[str, Any], message: str
) -> None:
    with pytest.raises(PlanError, match=re.escape(message)):
        parse_plan({**_plan(), **extra}, "p.json")


def test_unhashable_actions_are_a_plan_error() -> None:
    with pytest.raises(PlanError, match=r"resource_changes\[0\]: terraform_data\.x"):
        parse_plan(_plan(_change("terraform_data.x", [{}, {}])))


@pytest.mark.parametrize(
    ("actions", "word"),
    [
        (["create"], "create"),
        (["update"], "update"),
        (["delete", "create"], "replace"),
        (["create", "delete"], "replace"),
        (["delete"], "delete"),
        (["read"], "read"),
        (["no-op"], "no-op"),
        (["forget"], "forget"),
    ],
)
def test_normalize_actions(actions: list[str], word: str) -> None:
    assert normalize_actions(actions) == word


def test_basic_fixture_actions_and_moves() -> None:
    plan = load_plan(PLANS / "basic" / "plan.json")
    actions = {c.address: c.action for c in plan.changes}
    assert actions == {
        "data.terraform_remote_state.lookup": "read",
        "terraform_data.adopted": "no-op",
        "terraform_data.created": "create",
        "terraform_data.follower": "replace",
        "terraform_data.forgotten": "forget",
        "terraform_data.new_name": "no-op",
        "terraform_data.retired": "delete",
        "terraform_data.settings": "update",
        "terraform_data.storage": "replace",
        "terraform_data.unchanged": "no-op",
    }
    moved = next(c for c in plan.changes if c.address == "terraform_data.new_name")
    assert moved.previous_address == "terraform_data.old_name"
    adopted = next(c for c in plan.changes if c.address == "terraform_data.adopted")
    assert adopted.importing
    follower = next(c for c in plan.changes if c.address == "terraform_data.follower")
    assert follower.action_reason == "replace_by_triggers"


def test_replace_paths_mark_the_attributes_that_force_replacement() -> None:
    plan = load_plan(PLANS / "platform" / "plan.json")
    pool = next(
        c for c in plan.changes if c.type == "google_container_node_pool" and c.name == "user"
    )
    assert pool.replace_paths == ["node_config[0].machine_type"]
    forced = [a for a in pool.attributes if a.forces_replace]
    assert [(a.path, a.before, a.after) for a in forced] == [
        ("node_config[0].machine_type", "n2-standard-8", "n2-standard-16")
    ]
    # The id becomes unknown, and is not what forces the replacement.
    ident = next(a for a in pool.attributes if a.path == "id")
    assert ident.after is UNKNOWN and not ident.forces_replace


def test_sensitive_values_are_never_revealed_even_in_unmarked_copies() -> None:
    raw = (PLANS / "basic" / "plan.json").read_text()
    assert "tok-before-0001" in raw  # Terraform writes the value and only marks it
    plan = load_plan(PLANS / "basic" / "plan.json")
    settings = next(c for c in plan.changes if c.address == "terraform_data.settings")
    by_path = {a.path: a for a in settings.attributes}
    assert isinstance(by_path["input.token"].before, Sensitive)
    assert isinstance(by_path["input.token"].after, Sensitive)
    assert by_path["input.size"].before == 1 and by_path["input.size"].after == 2
    # `output` mirrors `input` but Terraform does not mark it: still redacted.
    assert by_path["output"].before["token"] is not None
    assert isinstance(by_path["output"].before["token"], Sensitive)
    assert by_path["output"].after is UNKNOWN
    token = next(o for o in plan.outputs if o.name == "token")
    assert token.sensitive and isinstance(token.before, Sensitive)


def test_unchanged_sensitive_values_are_not_reported_as_changes() -> None:
    doc = _plan(
        _change(
            "terraform_data.x",
            ["update"],
            before={"secret": "hunter22", "size": 1},
            after={"secret": "hunter22", "size": 2},
            after_unknown={},
            before_sensitive={"secret": True},
            after_sensitive={"secret": True},
        )
    )
    change = parse_plan(doc).changes[0]
    assert [a.path for a in change.attributes] == ["size"]


def test_changed_sensitive_values_are_reported_without_their_values() -> None:
    doc = _plan(
        _change(
            "terraform_data.x",
            ["update"],
            before={"secret": "hunter22"},
            after={"secret": "hunter23"},
            before_sensitive={"secret": True},
            after_sensitive={"secret": True},
        )
    )
    (attr,) = parse_plan(doc).changes[0].attributes
    assert attr.path == "secret"
    assert isinstance(attr.before, Sensitive) and isinstance(attr.after, Sensitive)
    assert "hunter" not in repr(attr.before) + repr(attr.after)
    assert repr(SENSITIVE) == "(sensitive)"


def test_unknown_values_are_listed_even_when_absent_from_after() -> None:
    doc = _plan(
        _change(
            "terraform_data.x",
            ["update"],
            before={"id": "1", "output": "old", "input": "a"},
            after={"id": "1", "input": "b"},
            after_unknown={"output": True},
        )
    )
    attrs = {a.path: (a.before, a.after) for a in parse_plan(doc).changes[0].attributes}
    assert attrs == {"output": ("old", UNKNOWN), "input": ("a", "b")}


def test_drift_is_kept_apart_from_the_changes() -> None:
    plan = load_plan(PLANS / "platform" / "plan.json")
    assert [(d.address, d.action) for d in plan.drift] == [
        ("module.gke.google_container_node_pool.core", "update"),
        ("module.network.google_compute_firewall.legacy", "delete"),
    ]
    (attr,) = plan.drift[0].attributes
    assert (attr.path, attr.before, attr.after) == ("autoscaling[0].total_max_node_count", 3, 6)


def test_no_changes_plan_parses_with_every_resource_no_op() -> None:
    plan = load_plan(PLANS / "nochanges" / "plan.json")
    assert plan.changes and all(c.action == "no-op" for c in plan.changes)
    assert plan.outputs == []


def test_plan_without_resources_is_valid() -> None:
    plan = parse_plan({"format_version": "1.2", "planned_values": {}})
    assert plan.changes == [] and plan.drift == []


def test_variables_are_read_for_the_cost_model() -> None:
    plan = load_plan(PLANS / "platform" / "plan.json")
    assert plan.variables["registry_mirror"] == {"cache_gib": 250}


def test_sensitive_variables_are_not_kept() -> None:
    plan = load_plan(PLANS / "platform" / "plan.json")
    assert "oauth_client_secret" not in plan.variables


def test_a_secret_copied_into_a_longer_unmarked_text_is_masked() -> None:
    doc = _plan(
        _change(
            "terraform_data.x",
            ["update"],
            before={"secret": "s3cr3t-value-1", "config": "a: 1\ntoken: s3cr3t-value-1\n"},
            after={"secret": "s3cr3t-value-2", "config": "a: 2\ntoken: s3cr3t-value-2\n"},
            before_sensitive={"secret": True},
            after_sensitive={"secret": True},
        )
    )
    change = parse_plan(doc).changes[0]
    config = next(a for a in change.attributes if a.path == "config")
    assert config.before == "a: 1\ntoken: (sensitive)\n"
    assert config.after == "a: 2\ntoken: (sensitive)\n"
    assert "s3cr3t" not in repr([(a.before, a.after) for a in change.attributes])
