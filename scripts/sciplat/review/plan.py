"""Read `terraform show -json` plan output into plain, redacted change records.

The plan JSON holds real values, including sensitive ones (they are only *marked* as sensitive
in `before_sensitive`/`after_sensitive`). Everything this module returns is already redacted:
a sensitive value is replaced by a `Sensitive` marker, a value known only after apply by `UNKNOWN`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sciplat.errors import UsageError

SUPPORTED_MAJOR = 1
MIN_SECRET_IN_TEXT = 8  # shorter sensitive strings are not searched for inside other texts
MIN_SECRET_LINE = 16  # lines of a multi-line secret (a PEM key) searched for on their own
MAX_DEPTH = 200  # nesting of a plan document; Terraform's plans stay far below
MAX_INT_DIGITS = 400  # longer integers in a plan are refused, not converted
USED_VARIABLES = ("environment", "project_id", "region", "registry_mirror")
ACTIONS = ("create", "update", "replace", "delete", "read", "no-op", "forget")


class _Marker:
    """A stand-in for a value the review must not (or cannot) show."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __repr__(self) -> str:
        return self.label


class Sensitive(_Marker):
    """A sensitive value: shown as "(sensitive)", compared through a salted digest."""

    def __init__(self, value: Any) -> None:
        super().__init__("(sensitive)")
        blob = json.dumps(value, sort_keys=True, default=str).encode()
        self._digest = hashlib.sha256(_SALT + blob).digest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sensitive) and other._digest == self._digest

    def __hash__(self) -> int:
        return hash(self._digest)


_SALT = os.urandom(16)
SENSITIVE = Sensitive(None)  # the generic marker, for "is this sensitive?" checks
UNKNOWN = _Marker("(known after apply)")
ABSENT = _Marker("(absent)")


class PlanError(UsageError):
    """The plan file cannot be read as a Terraform plan. Exit 2."""


@dataclass(frozen=True)
class AttributeChange:
    """One changed attribute (a leaf, or a subtree that appears or disappears whole)."""

    path: str
    before: Any
    after: Any
    forces_replace: bool = False


@dataclass
class ResourceChange:
    """One entry of `resource_changes` (or `resource_drift`)."""

    address: str
    module: str
    mode: str
    type: str
    name: str
    action: str
    actions: list[str]
    action_reason: str | None
    replace_paths: list[str]
    attributes: list[AttributeChange]
    previous_address: str | None = None
    importing: bool = False
    # Redacted before/after objects, for the cost and image estimates.
    before: Any = None
    after: Any = None


@dataclass(frozen=True)
class OutputChange:
    name: str
    action: str
    sensitive: bool
    before: Any
    after: Any


@dataclass
class Plan:
    """A parsed plan: what Terraform will do, and what changed outside Terraform."""

    source: str
    format_version: str
    terraform_version: str | None
    timestamp: str | None
    applyable: bool | None
    errored: bool
    changes: list[ResourceChange]
    drift: list[ResourceChange]
    outputs: list[OutputChange]
    variables: dict[str, Any] = field(default_factory=dict)
    # Non-sensitive root outputs, every action included: name -> (before, after).
    output_values: dict[str, tuple[Any, Any]] = field(default_factory=dict)


_REPLACE_REASONS = {
    "replace_by_triggers": "replace_triggered_by",
    "replace_because_tainted": "a tainted object",
    "replace_by_request": "the -replace option",
    "replace_because_cannot_update": "the provider",
}


_DELETE_REASONS = {
    "delete_because_no_resource_config": "no longer in the configuration",
    "delete_because_no_module": "its module was removed",
    "delete_because_wrong_repetition": "count or for_each was added or removed",
    "delete_because_count_index": "count shrank",
    "delete_because_each_key": "its for_each key is gone",
    "delete_because_no_move_target": "the target of its moved block does not exist",
}


def delete_cause(change: ResourceChange) -> str | None:
    """Why Terraform destroys a resource, in words, when the plan says."""
    return _DELETE_REASONS.get(change.action_reason or "")


def replace_cause(change: ResourceChange) -> str:
    """What forces a replacement: the attribute paths, else Terraform's reason."""
    if change.replace_paths:
        return ", ".join(change.replace_paths)
    return _REPLACE_REASONS.get(change.action_reason or "", "the provider")


def normalize_actions(actions: list[str]) -> str:
    """Map Terraform's action list to one word: create, update, replace, delete, read, ..."""
    if len(actions) == 2 and set(actions) == {"create", "delete"}:
        return "replace"
    if len(actions) == 1 and actions[0] in ACTIONS:
        return actions[0]
    raise ValueError(f"unknown action list {actions!r}")


def format_path(path: list[Any]) -> str:
    """["node_config", 0, "machine_type"] -> "node_config[0].machine_type"."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += ("." if out else "") + str(step)
    return out or "(whole resource)"


def _marked(marks: Any, key: Any) -> Any:
    """The marks for a child: True when the parent is marked, else the child's own marks."""
    if marks is True:
        return True
    if isinstance(marks, dict):
        return marks.get(key, False)
    if isinstance(marks, list) and isinstance(key, int) and key < len(marks):
        return marks[key]
    return False


def secret_forms(secret: str) -> set[str]:
    """The ways a sensitive string shows up when copied into another value: as is, JSON-escaped
    (once or twice), base64 (standard and URL-safe, with or without padding), URL-encoded,
    HTML-escaped, and each long line of a multi-line secret (a PEM key re-indented elsewhere)."""
    forms = {secret}
    escaped = json.dumps(secret)[1:-1]
    forms |= {escaped, json.dumps(escaped)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    raw = secret.encode("utf-8")
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded.decode("ascii")
        forms |= {text, text.rstrip("=")}
    forms |= {urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}
    forms.add(html.escape(secret))
    if "\n" in secret:
        forms |= {
            line.strip()
            for line in secret.splitlines()
            if len(line.strip()) >= MIN_SECRET_LINE and not line.strip().startswith("-----")
        }
    return {f for f in forms if len(f) >= MIN_SECRET_IN_TEXT}


def _mask(value: str, secrets: frozenset[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):  # longest first: no partial leftovers
        if len(secret) >= MIN_SECRET_IN_TEXT and secret in value:
            value = value.replace(secret, "(sensitive)")
    return value


def redact(
    value: Any, sensitive: Any, unknown: Any = False, secrets: frozenset[str] = frozenset()
) -> Any:
    """Return `value` with sensitive leaves replaced by SENSITIVE and unknown ones by UNKNOWN."""
    if sensitive is True:
        return Sensitive(value)
    if unknown is True:
        return UNKNOWN
    if isinstance(value, dict):
        keys = list(value)
        if isinstance(unknown, dict):
            keys += [k for k in unknown if k not in value and unknown[k] is True]
        return {
            k: redact(value.get(k), _marked(sensitive, k), _marked(unknown, k), secrets)
            for k in keys
        }
    if isinstance(value, list):
        return [
            redact(v, _marked(sensitive, i), _marked(unknown, i), secrets)
            for i, v in enumerate(value)
        ]
    if secrets and isinstance(value, str):
        if value in secrets:
            return Sensitive(value)
        value = _mask(value, secrets)  # a copy inside a longer text (a rendered config file)
    return value


def _sensitive_strings(value: Any, marks: Any) -> Iterator[str]:
    """Every string value under a sensitive mark (to catch copies Terraform did not mark)."""
    if marks is True:
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, str) and len(item) >= 4:
                yield item
            elif isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return
    if isinstance(value, dict) and isinstance(marks, dict):
        for k, v in value.items():
            if k in marks:
                yield from _sensitive_strings(v, marks[k])
    elif isinstance(value, list) and isinstance(marks, list):
        for v, m in zip(value, marks, strict=False):
            yield from _sensitive_strings(v, m)


def _diff(before: Any, after: Any, path: list[Any], out: list[tuple[list[Any], Any, Any]]) -> None:
    if before is after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in dict.fromkeys([*before, *after]):
            _diff(before.get(key, ABSENT), after.get(key, ABSENT), [*path, key], out)
        return
    if isinstance(before, list) and isinstance(after, list):
        for i in range(max(len(before), len(after))):
            b = before[i] if i < len(before) else ABSENT
            a = after[i] if i < len(after) else ABSENT
            _diff(b, a, [*path, i], out)
        return
    if before == after and type(before) is type(after):
        return
    out.append((path, before, after))


def attribute_changes(
    before: Any, after: Any, replace_paths: list[list[Any]]
) -> list[AttributeChange]:
    """The changed leaves between two redacted objects, marking those that force replacement."""
    raw: list[tuple[list[Any], Any, Any]] = []
    _diff(before if before is not None else {}, after if after is not None else {}, [], raw)
    changes = []
    for path, b, a in raw:
        forces = any(path[: len(rp)] == rp or rp[: len(path)] == path for rp in replace_paths)
        changes.append(AttributeChange(format_path(path), b, a, forces))
    return changes


def _module_of(entry: dict[str, Any]) -> str:
    return str(entry.get("module_address") or "(root)")


def _change_record(entry: dict[str, Any], where: str) -> ResourceChange:
    try:
        change = entry["change"]
        actions = list(change["actions"])
        address = str(entry["address"])
    except (KeyError, TypeError) as exc:
        raise PlanError(
            f"{where}: a resource change without {exc} (not a Terraform plan?)"
        ) from None
    try:
        action = normalize_actions(actions)
    except (TypeError, ValueError) as exc:
        raise PlanError(f"{where}: {address}: {exc}") from None
    b_sens = change.get("before_sensitive", False)
    a_sens = change.get("after_sensitive", False)
    a_unk = change.get("after_unknown", False)
    raw_before, raw_after = change.get("before"), change.get("after")
    found = set(_sensitive_strings(raw_before, b_sens)) | set(_sensitive_strings(raw_after, a_sens))
    secrets = frozenset(found).union(*(secret_forms(s) for s in found))
    before = redact(raw_before, b_sens, False, secrets) if raw_before is not None else None
    after = (
        redact(raw_after if raw_after is not None else {}, a_sens, a_unk, secrets)
        if (raw_after is not None or a_unk not in (False, None, {}))
        else None
    )
    rpaths = [list(p) for p in change.get("replace_paths") or [] if isinstance(p, list)]
    attrs: list[AttributeChange] = []
    if action in ("update", "replace"):
        attrs = attribute_changes(before, after, rpaths)
    return ResourceChange(
        address=address,
        module=_module_of(entry),
        mode=str(entry.get("mode", "managed")),
        type=str(entry.get("type", "")),
        name=str(entry.get("name", "")),
        action=action,
        actions=actions,
        action_reason=entry.get("action_reason"),
        replace_paths=[format_path(p) for p in rpaths],
        attributes=attrs,
        previous_address=entry.get("previous_address"),
        importing=bool(change.get("importing")),
        before=before,
        after=after,
    )


def _output_record(name: str, change: dict[str, Any], where: str) -> OutputChange:
    try:
        action = normalize_actions(list(change.get("actions") or ["no-op"]))
    except (TypeError, ValueError) as exc:
        raise PlanError(f"{where}: output_changes.{name}.actions: {exc}") from None
    sens = bool(change.get("before_sensitive") or change.get("after_sensitive"))
    before = Sensitive(change.get("before")) if sens else change.get("before")
    unknown = change.get("after_unknown")
    if unknown is True:
        after: Any = UNKNOWN
    elif sens:
        after = Sensitive(change.get("after"))
    elif isinstance(unknown, dict | list) and unknown:
        # Partly known: an object whose members are known only after apply are left out of
        # `after` by Terraform; put them back as unknown.
        raw = change.get("after")
        after = redact(
            raw if raw is not None else ({} if isinstance(unknown, dict) else []), False, unknown
        )
    else:
        after = change.get("after")
    if action == "create":
        before = ABSENT
    elif action == "delete":
        after = ABSENT
    return OutputChange(name, action, sens, before, after)


def parse_plan(document: Any, source: str = "plan.json") -> Plan:
    """Turn a decoded plan document into a `Plan`, or raise PlanError saying what is wrong."""
    if not isinstance(document, dict):
        raise PlanError(
            f"{source}: not a Terraform plan: the JSON is a {type(document).__name__}, "
            "expected the object printed by `terraform show -json PLANFILE`."
        )
    version = document.get("format_version")
    if not isinstance(version, str):
        raise PlanError(
            f"{source}: not a Terraform plan: no format_version; "
            "produce it with `terraform show -json PLANFILE`."
        )
    major = version.split(".", 1)[0]
    if major != str(SUPPORTED_MAJOR):
        raise PlanError(
            f"{source}: unsupported plan format_version {version}; "
            f"sciplat review reads format {SUPPORTED_MAJOR}.x (Terraform 1.x, OpenTofu 1.x)."
        )
    if "resource_changes" not in document and "planned_values" not in document:
        if "values" in document:
            raise PlanError(
                f"{source}: this is Terraform state, not a plan; "
                "run `terraform show -json PLANFILE` on a saved plan."
            )
        raise PlanError(
            f"{source}: not a Terraform plan: no resource_changes or planned_values; "
            "produce it with `terraform show -json PLANFILE`."
        )
    entries = document.get("resource_changes") or []
    drift_entries = document.get("resource_drift") or []
    if not isinstance(entries, list) or not isinstance(drift_entries, list):
        raise PlanError(f"{source}: resource_changes and resource_drift must be lists.")
    changes = [_change_record(e, f"{source}: resource_changes[{i}]") for i, e in enumerate(entries)]
    drift = [
        _change_record(e, f"{source}: resource_drift[{i}]") for i, e in enumerate(drift_entries)
    ]
    outputs_raw = document.get("output_changes") or {}
    variables_raw = document.get("variables") or {}
    for key, value in (("output_changes", outputs_raw), ("variables", variables_raw)):
        if not isinstance(value, dict):
            raise PlanError(f"{source}: {key} must be an object.")
    outputs = [
        _output_record(name, ch, source)
        for name, ch in sorted(outputs_raw.items())
        if isinstance(ch, dict) and ch.get("actions") not in (None, ["no-op"])
    ]
    output_values = {
        name: (
            ch.get("before"),
            UNKNOWN if ch.get("after_unknown") is True else ch.get("after"),
        )
        for name, ch in outputs_raw.items()
        if isinstance(ch, dict) and not (ch.get("before_sensitive") or ch.get("after_sensitive"))
    }
    variables = {  # only the ones the review uses: the plan holds sensitive ones in clear
        k: v.get("value")
        for k, v in variables_raw.items()
        if isinstance(v, dict) and k in USED_VARIABLES
    }
    return Plan(
        source=source,
        format_version=version,
        terraform_version=document.get("terraform_version"),
        timestamp=document.get("timestamp"),
        applyable=document.get("applyable"),
        errored=bool(document.get("errored")),
        changes=changes,
        drift=drift,
        outputs=outputs,
        variables=variables,
        output_values=output_values,
    )


def load_plan(path: Path) -> Plan:
    """Read and parse a plan JSON file ("-": standard input); every failure is a PlanError
    (exit 2) naming the file."""
    try:
        if str(path) == "-":
            path = Path("<stdin>")
            text = sys.stdin.read()
        else:
            text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError(
            f"{path}: no such file; run `sciplat plan ENV` (or `terraform show -json PLAN`) first."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"{path}: cannot read the plan: {exc}") from None
    if not text.strip():
        raise PlanError(
            f"{path}: the file is empty; expected the output of `terraform show -json PLANFILE`."
        )
    document = loads_bounded(text, str(path))
    return parse_plan(document, str(path))


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text.lstrip('-'))} digits")
    return int(text)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _too_deep(document: Any, limit: int) -> bool:
    stack = [(document, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def loads_bounded(text: str, source: str) -> Any:
    """json.loads for untrusted plans: NaN/Infinity, integers longer than MAX_INT_DIGITS and
    nesting deeper than MAX_DEPTH are a PlanError (exit 2), never a traceback."""
    hint = "expected the output of `terraform show -json PLANFILE`."
    try:
        document = json.loads(text, parse_int=_bounded_int, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise PlanError(
            f"{source}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); {hint}"
        ) from None
    except RecursionError:
        raise PlanError(f"{source}: nested more than {MAX_DEPTH} levels deep; {hint}") from None
    except ValueError as exc:
        raise PlanError(f"{source}: not a plan Terraform writes ({exc}); {hint}") from None
    if _too_deep(document, MAX_DEPTH):
        raise PlanError(f"{source}: nested more than {MAX_DEPTH} levels deep; {hint}")
    return document
