"""The quick schema check agrees with jsonschema whenever it gives an answer.

`sciplat.fastschema.conforms` lets `sciplat validate` skip importing jsonschema for valid files.
It may say "can't tell" (None) as often as it likes, but a True must mean jsonschema finds no
error and a False must mean it finds one. Documents are the shipped environments, mutated.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sciplat.config import load_schema, parse_yaml
from sciplat.fastschema import conforms
from tests.conftest import ENV_NAMES, REPO_ROOT

SCHEMA = load_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
DOCS = {
    name: parse_yaml((REPO_ROOT / "env" / f"{name}.yaml").read_text("utf-8"), name).data
    for name in ENV_NAMES
}


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 200_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 1.0, 2.0, 0.5, True, False, "", "x", "STABLE", "n2-standard-8"]),
    st.text(max_size=10),
    st.sampled_from(["10.0.0.0/8", "us-central1-a", "user", "pd-ssd", "0 3 * * *", "a" * 70]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    doc = copy.deepcopy(DOCS[draw(st.sampled_from(sorted(DOCS)))])
    for _ in range(draw(st.integers(1, 3))):
        all_paths = paths(doc)
        path = draw(st.sampled_from(all_paths[1:] or all_paths))
        parent, last = get(doc, path[:-1]), path[-1]
        op = draw(st.sampled_from(["replace", "delete", "add", "copy", "duplicate"]))
        if op == "replace":
            parent[last] = draw(VALUES)
        elif op == "delete":
            del parent[last]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(VALUES)
        elif op == "copy":  # a value that is valid somewhere else in the schema
            parent[last] = copy.deepcopy(get(doc, draw(st.sampled_from(paths(doc)))))
        elif op == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
    return doc


def agree(doc: Any) -> None:
    errors = list(VALIDATOR.iter_errors(doc))
    answer = conforms(doc, SCHEMA)
    if answer is True:
        assert not errors, f"said valid, jsonschema: {errors[0].message}"
    elif answer is False:
        assert errors, "said invalid, jsonschema finds nothing wrong"


@pytest.mark.parametrize("name", sorted(DOCS))
def test_shipped_environments_take_the_quick_path(name: str) -> None:
    assert not list(VALIDATOR.iter_errors(DOCS[name]))
    assert conforms(DOCS[name], SCHEMA) is True


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(mutated())
def test_agrees_with_jsonschema_on_mutated_environments(doc: Any) -> None:
    agree(doc)


def test_a_wrong_value_is_found_not_passed_over() -> None:
    doc = copy.deepcopy(DOCS["stable"])
    doc["cluster"]["release_channel"] = "SLOW"
    assert conforms(doc, SCHEMA) is False
    del doc["cluster"]
    assert conforms(doc, SCHEMA) is False


@pytest.mark.parametrize(
    ("instance", "schema", "expected"),
    [
        (True, {"enum": [1]}, False),  # booleans are not numbers
        (1, {"enum": [1.0]}, True),
        (1.0, {"type": "integer"}, None),  # an integer to JSON Schema; jsonschema decides
        (math.nan, {"minimum": 0}, None),
        ("x", {"format": "email"}, None),  # keywords it does not implement
        ({"a": 1}, {"patternProperties": {"^a$": {}}, "additionalProperties": False}, None),
        (1, {"$ref": "other.json#/x"}, None),  # remote refs
        ([1, True], {"uniqueItems": True}, True),
        ([1, 1.0], {"uniqueItems": True}, False),
        (5, {"oneOf": [{"minimum": 0}, {"maximum": 10}]}, False),  # both match
        (5, {"oneOf": [{"minimum": 0}, {"format": "x"}]}, None),
        ("ab", {"pattern": "b"}, True),  # search, not match
        ({"b": 1}, {"$ref": "#/$defs/o", "$defs": {"o": {"required": ["a"]}}}, False),
    ],
)
def test_keywords(instance: Any, schema: dict[str, Any], expected: bool | None) -> None:
    assert conforms(instance, schema) is expected
    if expected is not None:
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(instance))
        assert (not errors) is expected, json.dumps(schema)
