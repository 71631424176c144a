"""A quick "yes, this conforms" for the JSON Schema keywords the environment schema uses.

Importing jsonschema costs more than validating an environment file, and most files are valid.
`conforms(instance, schema)` answers True only when the instance is valid under JSON Schema
draft 2020-12; False when it is certainly invalid; None when it cannot tell (a keyword it does
not implement, a remote `$ref`). On anything but True the caller asks jsonschema, which gives the
reasons, so this module never decides what a user is told. `tests/test_fastschema.py` checks on
generated documents that it never says True where jsonschema finds an error.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

# Keywords that never make an instance invalid.
ANNOTATIONS = frozenset(
    {
        "$schema",
        "$comment",
        "$defs",
        "definitions",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)

Result = bool | None  # True: valid; False: invalid; None: not decided here


def conforms(instance: Any, schema: Any) -> Result:
    """Whether `instance` is valid under `schema` (a draft 2020-12 document with local refs)."""
    return _check(instance, schema, schema)


def _check(instance: Any, schema: Any, root: Mapping[str, Any]) -> Result:
    if schema is True:
        return True
    if schema is False:
        return False
    if not isinstance(schema, Mapping):
        return None
    result: Result = True
    for key, value in schema.items():
        if key in ANNOTATIONS or (key == "$id" and schema is root):
            continue
        check = _KEYWORDS.get(key)
        if check is None:
            return None
        outcome = check(instance, value, schema, root)
        if outcome is False:
            return False
        if outcome is None:
            result = None
    return result


def _all(results: Any) -> Result:
    """True if every result is True; False if any is False; None otherwise."""
    out: Result = True
    for r in results:
        if r is False:
            return False
        if r is None:
            out = None
    return out


# --------------------------------------------------------------------------- JSON semantics


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _has_type(value: Any, name: str) -> Result:
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if name == "number":
        return _is_number(value)
    if name == "integer":
        if isinstance(value, float) and value.is_integer():
            return None  # 1.0 is an integer to JSON Schema; let jsonschema say so
        return isinstance(value, int) and not isinstance(value, bool)
    return None


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: booleans are not numbers; 1 equals 1.0; containers compare deeply."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


@functools.cache
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


# --------------------------------------------------------------------------- keywords

Check = Callable[[Any, Any, Mapping[str, Any], Mapping[str, Any]], Result]


def _type(instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Result:
    names = value if isinstance(value, list) else [value]
    results = [_has_type(instance, n) for n in names]
    if any(r is True for r in results):
        return True
    return None if any(r is None for r in results) else False


def _enum(instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Result:
    return any(_equal(instance, v) for v in value)


def _const(instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Result:
    return _equal(instance, value)


def _properties(
    instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]
) -> Result:
    if not isinstance(instance, dict):
        return True
    return _all(_check(instance[k], sub, root) for k, sub in value.items() if k in instance)


def _additional(
    instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]
) -> Result:
    if not isinstance(instance, dict):
        return True
    if "patternProperties" in schema:
        return None
    declared = schema.get("properties", {})
    return _all(_check(v, value, root) for k, v in instance.items() if k not in declared)


def _required(
    instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]
) -> Result:
    return not isinstance(instance, dict) or all(k in instance for k in value)


def _items(instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Result:
    if not isinstance(instance, list):
        return True
    if "prefixItems" in schema:
        return None
    return _all(_check(item, value, root) for item in instance)


def _min_items(
    instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]
) -> Result:
    return not isinstance(instance, list) or len(instance) >= value


def _max_items(
    instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]
) -> Result:
    return not isinstance(instance, list) or len(instance) <= value


def _unique(
    instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]
) -> Result:
    if not value or not isinstance(instance, list):
        return True
    return not any(
        _equal(instance[i], instance[j])
        for i in range(len(instance))
        for j in range(i + 1, len(instance))
    )


def _pattern_kw(
    instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]
) -> Result:
    if not isinstance(instance, str):
        return True
    if "\n" in instance:
        return None  # `$` matches before a final newline in Python: config's validator decides
    return _pattern(value).search(instance) is not None


def _min_length(
    instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]
) -> Result:
    return not isinstance(instance, str) or len(instance) >= value


def _max_length(
    instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]
) -> Result:
    return not isinstance(instance, str) or len(instance) <= value


def _bound(compare: Callable[[Any, Any], bool]) -> Check:
    def check(
        instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]
    ) -> Result:
        if not _is_number(instance):
            return True
        if instance != instance:
            return None  # NaN passes every bound in jsonschema's comparisons
        return compare(instance, value)

    return check


def _ref(instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Result:
    if not isinstance(value, str) or not value.startswith("#"):
        return None
    target: Any = root
    for part in value[1:].split("/")[1:] if value != "#" else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(target, Mapping) and part in target:
            target = target[part]
        else:
            return None
    if isinstance(target, Mapping) and "$id" in target and target is not root:
        return None  # a new base URI: refs inside it resolve elsewhere
    return _check(instance, target, root)


def _one_of(
    instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]
) -> Result:
    results = [_check(instance, sub, root) for sub in value]
    if any(r is None for r in results):
        return None
    return results.count(True) == 1


def _any_of(
    instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]
) -> Result:
    results = [_check(instance, sub, root) for sub in value]
    if any(r is True for r in results):
        return True
    return None if any(r is None for r in results) else False


def _all_of(
    instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]
) -> Result:
    return _all(_check(instance, sub, root) for sub in value)


def _not(instance: Any, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Result:
    result = _check(instance, value, root)
    return None if result is None else not result


_KEYWORDS: dict[str, Check] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "properties": _properties,
    "additionalProperties": _additional,
    "required": _required,
    "items": _items,
    "minItems": _min_items,
    "maxItems": _max_items,
    "uniqueItems": _unique,
    "pattern": _pattern_kw,
    "minLength": _min_length,
    "maxLength": _max_length,
    "minimum": _bound(lambda a, b: a >= b),
    "maximum": _bound(lambda a, b: a <= b),
    "exclusiveMinimum": _bound(lambda a, b: a > b),
    "exclusiveMaximum": _bound(lambda a, b: a < b),
    "$ref": _ref,
    "oneOf": _one_of,
    "anyOf": _any_of,
    "allOf": _all_of,
    "not": _not,
}
