"""Load and validate environment files.

An environment file (`env/<name>.yaml`) is checked against the JSON Schema in
`env/schema/environment.schema.json` (the one definition of its shape) and then against the
cross-field rules below, which a schema cannot express. Every problem is reported, each as
`FILE:LINE: field.path: message`, with the line of the offending key taken from the YAML parse.
"""

from __future__ import annotations

import copy
import functools
import ipaddress
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sciplat.errors import ConfigError, Problem

if TYPE_CHECKING:
    import jsonschema

Path_ = tuple[str | int, ...]

REPO_ROOT = Path(__file__).resolve().parents[2]


def env_dir() -> Path:
    """The directory holding the environment files (`env/` at the repository root)."""
    return REPO_ROOT / "env"


def schema_path() -> Path:
    return env_dir() / "schema" / "environment.schema.json"


@functools.cache
def load_schema() -> dict[str, Any]:
    with schema_path().open(encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


@dataclass
class Environment:
    """A validated environment: its name, file, data with defaults filled, and key lines."""

    name: str
    path: Path
    data: dict[str, Any]
    lines: dict[Path_, int] = field(default_factory=dict, repr=False)

    def line_of(self, path: Path_) -> int:
        return _line_for(self.lines, path)


# --------------------------------------------------------------------------- YAML with lines


class _Document:
    """Parsed YAML: plain data plus the line of every key and list item."""

    def __init__(self, data: Any, lines: dict[Path_, int]) -> None:
        self.data = data
        self.lines = lines


def _line_for(lines: dict[Path_, int], path: Path_) -> int:
    """Line of `path`, or of its nearest ancestor that exists in the file."""
    probe = tuple(path)
    while probe:
        if probe in lines:
            return lines[probe]
        probe = probe[:-1]
    return lines.get((), 1)


# Limits for an environment file: real ones are a few hundred lines, a dozen levels deep, with a
# handful of anchors. Anything far beyond is a mistake or an attack (billion laughs), refused.
MAX_FILE_BYTES = 1 << 20
MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_NODES = 50_000  # values after aliases are expanded
MAX_INT_DIGITS = 30
SNIPPET = 80  # characters of a file's content an error may quote


def snippet(value: Any, limit: int = SNIPPET) -> str:
    """A value as an error may show it: its repr, first line only, at most `limit` characters.
    A file that fails to parse is never echoed beyond this."""
    text = repr(value)
    first = text.split("\\n", 1)[0]
    if len(first) < len(text):
        first += "…"
    return first if len(first) <= limit else first[: limit - 1] + "…"


class _Refused(Exception):
    def __init__(self, line: int, message: str, field: str = "") -> None:
        self.line = line
        self.message = message
        self.field = field


def _loader(text: str) -> Any:
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml when built with it


def _check_events(text: str) -> None:
    """Walk the parse events (no recursion, no values built): refuse absurd nesting and alias
    counts before anything is composed."""
    loader = _loader(text)
    depth = aliases = 0
    try:
        while True:
            event = loader.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                return
            line = event.start_mark.line + 1 if event.start_mark else 1
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _Refused(line, f"nested more than {MAX_DEPTH} levels deep")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise _Refused(line, f"more than {MAX_ALIASES} aliases (*name)")
    finally:
        loader.dispose()


def _reader_problem(text: str, filename: str, exc: yaml.reader.ReaderError) -> Problem:
    """A character YAML does not accept (NUL, a control character): its line and code point."""
    position = getattr(exc, "position", 0) or 0
    line = text.count("\n", 0, position) + 1
    char = getattr(exc, "character", "")
    code = f"U+{ord(char):04X}" if isinstance(char, str) and len(char) == 1 else str(char)
    return Problem(filename, line, "", f"character {code} is not allowed in YAML")


def parse_yaml(text: str, filename: str) -> _Document:
    """Parse one YAML document, keeping key lines and rejecting duplicate keys.

    Hostile input is refused with one problem, never a traceback: more than MAX_DEPTH levels,
    MAX_ALIASES aliases or MAX_NODES values once aliases are expanded, an alias inside itself,
    integers of more than MAX_INT_DIGITS digits, NaN or infinite numbers, impossible dates,
    control characters."""
    problems: list[Problem] = []
    if len(text) > MAX_FILE_BYTES:
        raise ConfigError([Problem(filename, 1, "", f"larger than {MAX_FILE_BYTES >> 20} MiB")])
    try:
        _check_events(text)
    except _Refused as exc:
        raise ConfigError([Problem(filename, exc.line, "", exc.message)]) from None
    except yaml.reader.ReaderError as exc:
        raise ConfigError([_reader_problem(text, filename, exc)]) from None
    except yaml.YAMLError:
        pass  # reported with its line by the full parse below
    try:
        loader = _loader(text)
    except yaml.reader.ReaderError as exc:
        raise ConfigError([_reader_problem(text, filename, exc)]) from None
    built = 0
    try:
        try:
            node = loader.get_single_node()
        except yaml.composer.ComposerError as exc:
            if "expected a single document" in str(exc):
                mark = exc.problem_mark
                line = mark.line + 1 if mark else 1
                raise ConfigError(
                    [Problem(filename, line, "", "expected one YAML document, found several")]
                ) from None
            raise
        if node is None:
            raise ConfigError([Problem(filename, 1, "", "file is empty; expected a mapping")])
        lines: dict[Path_, int] = {(): node.start_mark.line + 1}

        def scalar(n: yaml.Node, path: Path_) -> Any:
            line = n.start_mark.line + 1
            if n.tag == "tag:yaml.org,2002:int" and len(str(n.value)) > MAX_INT_DIGITS:
                raise _Refused(
                    line, f"{_dotted(path)}: integer longer than {MAX_INT_DIGITS} digits"
                )
            try:
                value = loader.construct_object(n, deep=True)
            except (ValueError, OverflowError) as exc:  # 2026-02-30 unquoted, and the like
                raise _Refused(
                    line, f"{snippet(n.value)} is not valid: {exc}", _dotted(path)
                ) from None
            if isinstance(value, float) and not math.isfinite(value):
                raise _Refused(line, f"{snippet(n.value)} is not a finite number", _dotted(path))
            return value

        def build(n: yaml.Node, path: Path_, active: tuple[int, ...]) -> Any:
            nonlocal built
            built += 1
            line = n.start_mark.line + 1
            if built > MAX_NODES:
                raise _Refused(line, f"more than {MAX_NODES:,} values once aliases are expanded")
            if id(n) in active:
                raise _Refused(line, "an alias refers to a node that contains it", _dotted(path))
            if len(active) > MAX_DEPTH:
                raise _Refused(line, f"nested more than {MAX_DEPTH} levels deep (through aliases)")
            inner = (*active, id(n))
            if isinstance(n, yaml.MappingNode):
                loader.flatten_mapping(n)
                out: dict[str, Any] = {}
                for key_node, value_node in n.value:
                    key = scalar(key_node, path) if isinstance(key_node, yaml.ScalarNode) else None
                    line = key_node.start_mark.line + 1
                    if not isinstance(key, str):
                        problems.append(
                            Problem(
                                filename, line, _dotted(path), f"key {snippet(key)} is not a string"
                            )
                        )
                        key = str(key)[:SNIPPET]
                    child = (*path, key)
                    if key in out:
                        first = lines.get(child, line)
                        problems.append(
                            Problem(
                                filename,
                                line,
                                _dotted(child),
                                f"duplicate key (first defined on line {first})",
                            )
                        )
                        continue
                    lines[child] = line
                    out[key] = build(value_node, child, inner)
                return out
            if isinstance(n, yaml.SequenceNode):
                items = []
                for index, item in enumerate(n.value):
                    child = (*path, index)
                    lines[child] = item.start_mark.line + 1
                    items.append(build(item, child, inner))
                return items
            return scalar(n, path)

        data = build(node, (), ())
    except _Refused as exc:
        raise ConfigError([Problem(filename, exc.line, exc.field, exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        reason = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(
            [Problem(filename, line, "", f"YAML syntax error: {reason[:200]}")]
        ) from None
    except yaml.reader.ReaderError as exc:
        raise ConfigError([_reader_problem(text, filename, exc)]) from None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0][:200] if str(exc) else "invalid YAML"
        raise ConfigError([Problem(filename, 1, "", f"YAML error: {first}")]) from None
    except RecursionError:
        raise ConfigError(
            [Problem(filename, 1, "", f"nested more than {MAX_DEPTH} levels deep")]
        ) from None
    finally:
        loader.dispose()
    if problems:
        raise ConfigError(problems)
    return _Document(data, lines)


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


# --------------------------------------------------------------------------- schema


def _schema_problems(doc: _Document, filename: str) -> list[Problem]:
    from sciplat.fastschema import conforms

    if conforms(doc.data, load_schema()) is True:
        return []  # certainly valid: no need to load jsonschema (start-up time)
    import jsonschema

    validator = _strict_validator()(load_schema(), format_checker=jsonschema.FormatChecker())
    problems = []
    for error in validator.iter_errors(doc.data):
        problems.extend(_explain(error, doc, filename))
    return problems


@functools.cache
def _strict_validator() -> Any:
    """Draft 2020-12, stricter where the plain reading lets bad values through to Terraform:

    - an integer is an int: 500.0 is refused where a count or a size is meant;
    - a pattern's `$` means the end of the text: "name\\n" does not match `^[a-z]+$` (Python's
      `re.search` lets `$` match before a final newline)."""
    import jsonschema
    from jsonschema import validators

    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine(
        "integer", lambda _checker, v: isinstance(v, int) and not isinstance(v, bool)
    )

    def pattern(validator: Any, value: str, instance: Any, schema: Any) -> Any:
        if isinstance(instance, str) and not _anchored(value).search(instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {value!r}")

    return validators.extend(base, {"pattern": pattern}, type_checker=checker)


@functools.cache
def _anchored(pattern: str) -> re.Pattern[str]:
    """`pattern` with every unescaped `$` as `\\Z` (the end of the text, not of a line)."""
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


def _explain(error: jsonschema.ValidationError, doc: _Document, filename: str) -> list[Problem]:
    path: Path_ = tuple(error.absolute_path)
    where = _dotted(path)
    # The subschema that failed (the environment schema has no boolean subschemas) and the
    # value of the keyword that failed.
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    value: Any = error.validator_value
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(schema.get("properties", {}))
        out = []
        for key in error.instance:
            if key not in allowed:
                child = (*path, key)
                hint = _close_match(key, allowed) if len(key) <= SNIPPET else ""
                out.append(
                    Problem(
                        filename,
                        _line_for(doc.lines, child),
                        _dotted(child),
                        f"unknown key{hint}; allowed: {', '.join(sorted(allowed))}",
                    )
                )
        return out
    if error.validator == "required":
        match = re.match(r"'([^']+)' is a required property", error.message)
        missing = match.group(1) if match else "?"
        return [
            Problem(
                filename,
                _line_for(doc.lines, path),
                _dotted((*path, missing)),
                "required key is missing",
            )
        ]
    if error.validator == "oneOf":
        # The autoscaling choice: say what is accepted rather than jsonschema's dump.
        return [
            Problem(
                filename,
                _line_for(doc.lines, path),
                where,
                f"{snippet(error.instance)} is not valid here: {schema.get('description', '')}",
            )
        ]
    message = error.message.replace(repr(error.instance), snippet(error.instance))
    if error.validator == "type":
        message = f"expected {_type_words(value)}, got {_describe(error.instance)}"
    elif error.validator == "pattern":
        message = f"{snippet(error.instance)} does not match the required form ({value})"
    elif error.validator == "enum":
        choices = ", ".join(repr(c) for c in value)
        message = f"{snippet(error.instance)} is not one of {choices}"
    return [Problem(filename, _line_for(doc.lines, path), where, message)]


def _close_match(key: str, allowed: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _type_words(value: Any) -> str:
    names = value if isinstance(value, list) else [value]
    words = {"object": "a mapping", "array": "a list", "null": "null", "integer": "an integer"}
    return " or ".join(words.get(name, f"a {name}") for name in names)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"a string ({snippet(value)})"
    if isinstance(value, int | float):
        return f"a number ({snippet(value)})"
    return type(value).__name__ + (" (quote it in YAML)" if hasattr(value, "isoformat") else "")


# --------------------------------------------------------------------------- defaults


def fill_defaults(data: Any) -> Any:
    """Return a copy of `data` with every schema default filled in, recursively."""
    root = load_schema()
    return _fill(copy.deepcopy(data), root, root)


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        ref = schema["$ref"]
        target = root
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        merged = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **merged}
    return schema


def _fill(data: Any, schema: dict[str, Any], root: dict[str, Any]) -> Any:
    schema = _resolve(schema, root)
    if isinstance(data, dict):
        props = schema.get("properties")
        if props is None and "oneOf" in schema:
            for option in schema["oneOf"]:
                option = _resolve(option, root)
                if option.get("type") == "object":
                    props = option.get("properties")
        for key, sub in (props or {}).items():
            sub_r = _resolve(sub, root)
            if key not in data and "default" in sub_r:
                data[key] = copy.deepcopy(sub_r["default"])
            if key in data:
                data[key] = _fill(data[key], sub_r, root)
    elif isinstance(data, list) and "items" in schema:
        data = [_fill(item, schema["items"], root) for item in data]
    return data


# --------------------------------------------------------------------------- cross-field rules


def _cross_field(data: dict[str, Any], doc: _Document, filename: str, stem: str) -> list[Problem]:
    """Rules a schema cannot express. Each rule runs on its own, so one malformed section
    (already reported by the schema check) does not hide the problems of the others."""
    problems: list[Problem] = []

    def add(path: Path_, message: str) -> None:
        problems.append(Problem(filename, _line_for(doc.lines, path), _dotted(path), message))

    rules: tuple[Callable[[], None], ...] = (
        lambda: _rule_name(data, stem, add),
        lambda: _rule_zones(data, add),
        lambda: _bucket_problems(data["state"]["bucket"], add),
        lambda: _rule_cluster(data, add),
        lambda: _rule_pools(data, add),
        lambda: _rule_users(data, add),
        lambda: _rule_resources(data, add),
        lambda: _machine_problems(data, add),
        lambda: _network_problems(data, add),
        lambda: _rule_hub(data, add),
        lambda: _rule_identity(data, add),
        lambda: _rule_mirror(data, add),
        lambda: _rule_volumes(data, add),
        lambda: _rule_notebooks(data, add),
        lambda: _rule_extra_pools(data, add),
        lambda: _rule_dask(data, add),
        lambda: _rule_budget(data, add),
    )
    for rule in rules:
        try:
            rule()
        except MALFORMED:
            continue  # input malformed in a way the schema check already reported
    return problems


def _rule_name(data: dict[str, Any], stem: str, add: Any) -> None:
    if data["name"] != stem:
        add(("name",), f"must equal the file name {stem!r} (one environment per file)")


def _rule_zones(data: dict[str, Any], add: Any) -> None:
    gcp = data["gcp"]
    for i, zone in enumerate(gcp["zones"]):
        if not zone.startswith(gcp["region"] + "-"):
            add(("gcp", "zones", i), f"zone {zone!r} is not in region {gcp['region']!r}")


MALFORMED = (KeyError, TypeError, AttributeError, ValueError, IndexError)


def _each(items: Any, check: Any) -> None:
    """check(i, item) for every item of a list; a malformed item (already reported by the schema)
    skips only its own checks, never those of the items after it."""
    for i, item in enumerate(items if isinstance(items, list) else []):
        try:
            check(i, item)
        except MALFORMED:
            continue


def _timestamp(value: Any, path: Path_, add: Any) -> Any:
    """An RFC 3339 timestamp as an aware datetime; a problem (and None) for an impossible one."""
    import datetime as dt

    if not isinstance(value, str):
        return None  # the schema reports the type
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        add(path, f"{snippet(value)} is not a real date and time ({exc})")
        return None
    return parsed if parsed.tzinfo is not None else None


def _after(window: dict[str, Any], base: Path_, add: Any) -> None:
    start = _timestamp(window["start_time"], (*base, "start_time"), add)
    end = _timestamp(window["end_time"], (*base, "end_time"), add)
    if start is not None and end is not None and end <= start:
        add((*base, "end_time"), "must be after start_time")


MIN_AUTHORIZED_PREFIX = 8  # a control-plane allow-list entry wider than a /8 is "everyone"


def _rule_cluster(data: dict[str, Any], add: Any) -> None:
    cluster = data["cluster"]
    _after(cluster["maintenance_window"], ("cluster", "maintenance_window"), add)
    _each(
        cluster["maintenance_exclusions"],
        lambda i, excl: _after(excl, ("cluster", "maintenance_exclusions", i), add),
    )

    def network(i: int, net: dict[str, Any]) -> None:
        path = ("cluster", "authorized_networks", i, "cidr_block")
        parsed = _check_cidr(net["cidr_block"], path, add)
        if parsed is not None and parsed.prefixlen < MIN_AUTHORIZED_PREFIX:
            add(
                path,
                f"{parsed} opens the control plane to {parsed.num_addresses:,} addresses; "
                f"authorized networks must be /{MIN_AUTHORIZED_PREFIX} or narrower",
            )

    _each(cluster["authorized_networks"], network)


def _rule_pools(data: dict[str, Any], add: Any) -> None:
    core = data["node_pools"]["core"]
    if core["min_nodes"] > core["max_nodes"]:
        add(("node_pools", "core", "min_nodes"), "must not exceed max_nodes")
    seen: set[str] = set()

    def user_pool(i: int, pool: dict[str, Any]) -> None:
        base = ("node_pools", "user", i)
        if pool["name"] in seen or pool["name"] == "core":
            add((*base, "name"), f"pool name {pool['name']!r} is used twice")
        seen.add(pool["name"])
        scaling = pool["autoscaling"]
        if isinstance(scaling, dict) and scaling["min_nodes"] > scaling["max_nodes"]:
            add((*base, "autoscaling", "min_nodes"), "must not exceed max_nodes")
        if pool["local_ssd_count"] == 0 and pool["disk_size_gib"] < 100:
            add(
                (*base, "disk_size_gib"),
                "without local SSD the boot disk holds the image cache; use at least 100 GiB",
            )

    _each(data["node_pools"]["user"], user_pool)


def _rule_users(data: dict[str, Any], add: Any) -> None:
    users = data["users"]
    if users["peak_concurrent"] > users["total"]:
        add(("users", "peak_concurrent"), "must not exceed users.total")


def _rule_resources(data: dict[str, Any], add: Any) -> None:
    res = data["resources"]
    if res["cpu_guarantee_cores"] > res["cpu_limit_cores"]:
        add(("resources", "cpu_guarantee_cores"), "must not exceed cpu_limit_cores")
    if res["memory_guarantee_gib"] > res["memory_limit_gib"]:
        add(("resources", "memory_guarantee_gib"), "must not exceed memory_limit_gib")
    defaults = []
    names: set[str] = set()

    def one_size(i: int, size: dict[str, Any]) -> None:
        base = ("resources", "sizes", i)
        if size["name"] in names:
            add((*base, "name"), f"size name {size['name']!r} is used twice")
        names.add(size["name"])
        defaults.append(bool(size["default"]))
        for kind, unit in (("cpu", "cores"), ("memory", "gib")):
            guarantee, limit = size[f"{kind}_guarantee_{unit}"], size[f"{kind}_limit_{unit}"]
            if guarantee > limit:
                add((*base, f"{kind}_guarantee_{unit}"), f"must not exceed {kind}_limit_{unit}")
            if limit > res[f"{kind}_limit_{unit}"]:
                add(
                    (*base, f"{kind}_limit_{unit}"),
                    f"{limit} exceeds the per-user rule resources.{kind}_limit_{unit} "
                    f"({res[f'{kind}_limit_{unit}']})",
                )

    _each(res["sizes"], one_size)
    if sum(defaults) > 1:
        add(("resources", "sizes"), "at most one size may be the default")


def _rule_hub(data: dict[str, Any], add: Any) -> None:
    auth = data["hub"]["auth"]
    if auth["type"] == "github" and not auth["github_organizations"]:
        add(("hub", "auth", "github_organizations"), "GitHub login needs at least one organization")
    if auth["type"] == "cilogon" and not auth["cilogon_idps"]:
        add(("hub", "auth", "cilogon_idps"), "CILogon login needs at least one identity provider")
    if auth["type"] == "jwt":
        if auth.get("jwt") is None:
            add(("hub", "auth", "jwt"), "JWT login needs jwks_url, issuer and audience")
        return
    if auth.get("client_id") is None:
        add(("hub", "auth", "client_id"), f"{auth['type']} login needs the OAuth client id")
    if auth.get("client_secret_secret") is None:
        add(("hub", "auth", "client_secret_secret"), "name the Secret Manager secret")
    if len(data["hub"]["namespace"]) > 10:
        add(
            ("hub", "namespace"),
            "at most 10 characters: each user's namespace is <namespace>-u-<user> (63 at most)",
        )
    _rule_admins(auth, add)


# A GitHub login: letters, digits and single hyphens, not at either end, at most 39 characters.
_GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _rule_admins(auth: dict[str, Any], add: Any) -> None:
    """Admins are named the way the login names people, or they never match anyone."""
    for i, name in enumerate(auth["admin_users"]):
        path = ("hub", "auth", "admin_users", i)
        if auth["type"] == "github" and not _GITHUB_LOGIN.match(name):
            add(path, f"{name!r} cannot match a GitHub login (the username of github logins)")
        elif auth["type"] == "cilogon" and not _EMAIL.match(name):
            add(
                path,
                f"{name!r} cannot match a CILogon username: they are email addresses "
                "(the email claim), e.g. 'admin@example.org'",
            )


def _rule_identity(data: dict[str, Any], add: Any) -> None:
    ident = data["hub"]["identity"]
    floor, shared = ident["reserved_ids_below"], ident["shared_gid"]
    names: dict[str, int] = {}
    gids: dict[int, int] = {}
    for i, group in enumerate(ident["cilogon"]["groups"]):
        base = ("hub", "identity", "cilogon", "groups", i)
        name, gid = group["name"], group["gid"]
        if name in names:
            add((*base, "name"), f"group {name!r} is listed twice (first as groups[{names[name]}])")
        else:
            names[name] = i
        if gid in gids:
            add((*base, "gid"), f"GID {gid} is used twice (first by groups[{gids[gid]}])")
        else:
            gids[gid] = i
        if gid < floor:
            add((*base, "gid"), f"GID {gid} is reserved (below reserved_ids_below, {floor})")
        elif gid == shared:
            add((*base, "gid"), f"GID {gid} is the shared area's group (shared_gid)")


def _rule_mirror(data: dict[str, Any], add: Any) -> None:
    names: set[str] = set()
    for i, upstream in enumerate(data["registry_mirror"]["upstreams"]):
        if upstream["name"] in names:
            add(("registry_mirror", "upstreams", i, "name"), "repository id is used twice")
        names.add(upstream["name"])
        if (upstream["username"] is None) != (upstream["credentials_secret"] is None):
            add(
                ("registry_mirror", "upstreams", i),
                "username and credentials_secret go together: set both or neither",
            )


# Where the hub mounts homes and the shared volume in every lab (modules/hub/values), and system
# directories of the image: an extra volume may sit at none of them, above or below.
LAB_RESERVED_MOUNTS = {"/home": "the home directories", "/shared": "the shared volume"}
SYSTEM_DIRS: tuple[str, ...] = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run")
SYSTEM_DIRS += ("/sbin", "/sys", "/usr", "/var", "/tmp")


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _rule_volumes(data: dict[str, Any], add: Any) -> None:
    names: dict[str, int] = {}
    paths: dict[str, int] = {}
    for i, vol in enumerate(data["hub"]["volumes"]):
        base = ("hub", "volumes", i)
        if vol["name"] in names:
            add((*base, "name"), f"volume name {vol['name']!r} is used twice")
        names.setdefault(vol["name"], i)
        if (vol.get("nfs") is None) == (vol.get("claim") is None):
            add(base, "set exactly one of nfs (server and path) or claim")
        mount = vol["mount_path"].rstrip("/") or "/"
        if ".." in mount.split("/"):
            add((*base, "mount_path"), f"{vol['mount_path']!r} may not contain '..'")
            continue
        for other, j in paths.items():
            if _under(mount, other) or _under(other, mount):
                add(
                    (*base, "mount_path"),
                    f"{mount} overlaps hub.volumes[{j}].mount_path ({other}); "
                    "no two volumes at or inside one path",
                )
        paths.setdefault(mount, i)
        for reserved, what in LAB_RESERVED_MOUNTS.items():
            if _under(mount, reserved) or _under(reserved, mount):
                add((*base, "mount_path"), f"{mount} would cover or sit inside {what} ({reserved})")
                break
        for system in SYSTEM_DIRS:
            if _under(mount, system):
                add((*base, "mount_path"), f"{mount} is inside the system directory {system}")


def _rule_notebooks(data: dict[str, Any], add: Any) -> None:
    notebooks = data["hub"]["notebooks"]
    if notebooks["enabled"] and not notebooks.get("repository"):
        add(("hub", "notebooks", "repository"), "name the git repository of the notebooks")


def _rule_extra_pools(data: dict[str, Any], add: Any) -> None:
    from sciplat.capacity import machines

    taken = {"core", *(pool["name"] for pool in data["node_pools"]["user"])}
    if data["dask"]["enabled"]:
        taken.add("dask")
    seen: set[str] = set()
    for i, pool in enumerate(data["node_pools"]["extra"]):
        base = ("node_pools", "extra", i)
        if pool["name"] in taken or pool["name"] in seen:
            add((*base, "name"), f"pool name {pool['name']!r} is used twice")
        seen.add(pool["name"])
        if pool["min_nodes"] > pool["max_nodes"]:
            add((*base, "min_nodes"), "must not exceed max_nodes")
        if pool["max_nodes"] < 1:
            add((*base, "max_nodes"), "a pool needs max_nodes >= 1")
        if machines.lookup(pool["machine_type"]) is None:
            add((*base, "machine_type"), _unknown_machine(pool["machine_type"]))
        keys = [label.split("=", 1)[0] for label in pool["labels"]]
        for j, key in enumerate(keys):
            if key == "sciplat.io/pool" or key.startswith("hub.jupyter.org/"):
                add((*base, "labels", j), f"label {key!r} is set by the platform")
            elif key in keys[:j]:
                add((*base, "labels", j), f"label {key!r} is set twice")


def _rule_dask(data: dict[str, Any], add: Any) -> None:
    from sciplat.capacity import allocatable, machines

    dask = data["dask"]
    if not dask["enabled"]:
        return
    limits = dask["per_user"]
    for kind, unit in (("cores", "cores"), ("memory_gib", "GiB")):
        smallest = dask["scheduler"][kind] + dask["worker"][kind]
        limit = limits[f"max_{kind}"]
        if limit < smallest:
            add(
                ("dask", "per_user", f"max_{kind}"),
                f"{limit:g} {unit} cannot hold a scheduler and one worker ({smallest:g} {unit})",
            )
    machine = machines.lookup(dask["pool"]["machine_type"])
    if machine is None:
        add(("dask", "pool", "machine_type"), _unknown_machine(dask["pool"]["machine_type"]))
        return
    alloc = allocatable(machine, boot_disk_gib=dask["pool"]["disk_size_gib"])
    for role in ("worker", "scheduler"):
        if dask[role]["cores"] > alloc.cpu_cores or dask[role]["memory_gib"] > alloc.memory_gib:
            add(
                ("dask", role),
                f"a {role} ({dask[role]['cores']:g} cores, {dask[role]['memory_gib']:g} GiB) "
                f"does not fit a {machine.name} ({alloc.cpu_cores:.2f} cores, "
                f"{alloc.memory_gib:.2f} GiB allocatable)",
            )


def _rule_budget(data: dict[str, Any], add: Any) -> None:
    budget = data["budget"]
    if not budget["enabled"]:
        return
    if not budget.get("billing_account"):
        add(("budget", "billing_account"), "a budget needs the billing account that pays")
    if not budget["notify_emails"]:
        add(("budget", "notify_emails"), "name at least one address to alert")
    thresholds = budget["thresholds_percent"]
    if thresholds != sorted(set(thresholds)):
        add(("budget", "thresholds_percent"), "list each threshold once, in increasing order")


def _bucket_problems(bucket: str, add: Any) -> None:
    path = ("state", "bucket")
    if bucket.startswith("goog") or "google" in bucket or "g00gle" in bucket:
        add(path, "bucket names may not start with 'goog' or contain 'google'")
    if re.fullmatch(r"[0-9.]+", bucket) and bucket.count(".") == 3:
        add(path, "bucket names may not look like an IP address")
    if ".." in bucket or ".-" in bucket or "-." in bucket:
        add(path, "bucket names may not contain '..', '.-' or '-.'")


def _check_cidr(value: str, path: Path_, add: Any) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        add(path, f"{value!r} is not a valid network: {exc}")
        return None


def _network_problems(data: dict[str, Any], add: Any) -> None:
    nets: dict[str, ipaddress.IPv4Network] = {}
    for key in ("subnet_cidr", "pods_cidr", "services_cidr", "master_cidr"):
        net = _check_cidr(data["network"][key], ("network", key), add)
        if net is not None:
            nets[key] = net
            if not net.is_private:
                add(("network", key), f"{net} is not a private range (RFC 1918)")
    if "master_cidr" in nets and nets["master_cidr"].prefixlen != 28:
        add(("network", "master_cidr"), "the control plane range must be a /28")
    keys = list(nets)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if nets[a].overlaps(nets[b]):
                add(("network", b), f"{nets[b]} overlaps network.{a} ({nets[a]})")
    for i, cidr in enumerate(data["storage"]["admin_cidrs"]):
        _check_cidr(cidr, ("storage", "admin_cidrs", i), add)


def _machine_problems(data: dict[str, Any], add: Any) -> None:
    """Every machine type is known, and one user at the limit fits on a user node."""
    from sciplat.capacity import allocatable, machines

    res = data["resources"]
    core = data["node_pools"]["core"]
    if machines.lookup(core["machine_type"]) is None:
        add(("node_pools", "core", "machine_type"), _unknown_machine(core["machine_type"]))
    for i, pool in enumerate(data["node_pools"]["user"]):
        path = ("node_pools", "user", i, "machine_type")
        machine = machines.lookup(pool["machine_type"])
        if machine is None:
            add(path, _unknown_machine(pool["machine_type"]))
            continue
        alloc = allocatable(machine)
        if res["cpu_limit_cores"] > alloc.cpu_cores:
            add(
                path,
                f"one user at the CPU limit ({res['cpu_limit_cores']} cores) does not fit: "
                f"{machine.name} has {alloc.cpu_cores:.2f} allocatable cores",
            )
        if res["memory_limit_gib"] > alloc.memory_gib:
            add(
                path,
                f"one user at the memory limit ({res['memory_limit_gib']} GiB) does not fit: "
                f"{machine.name} has {alloc.memory_gib:.2f} GiB allocatable",
            )


def _unknown_machine(name: str) -> str:
    from sciplat.capacity import machines

    return f"unknown machine type {name!r}{_close_match(name, set(machines.names()))}"


# --------------------------------------------------------------------------- entry points


def resolve_path(name_or_path: str | Path) -> Path:
    """An environment name (`stable`) or a path to a YAML file."""
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")) or "/" in text or Path(text).is_file():
        return Path(text)
    return env_dir() / f"{text}.yaml"


def environment_names() -> list[str]:
    return sorted(p.stem for p in env_dir().glob("*.yaml"))


def load_environment(name_or_path: str | Path) -> Environment:
    """Read, validate and fill defaults; raise ConfigError listing every problem."""
    path = resolve_path(name_or_path)
    filename = display_path(path)
    if not path.is_file():
        known = ", ".join(environment_names()) or "none"
        raise ConfigError(
            [Problem(filename, 1, "", f"no such environment file (known environments: {known})")]
        )
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError([Problem(filename, 1, "", f"larger than {MAX_FILE_BYTES >> 20} MiB")])
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [
                Problem(
                    filename,
                    1,
                    "",
                    f"cannot read the file: not UTF-8 (byte {exc.start}: {exc.reason})",
                )
            ]
        ) from None
    except OSError as exc:
        raise ConfigError(
            [Problem(filename, 1, "", f"cannot read the file: {exc.strerror or exc}")]
        ) from None
    doc = parse_yaml(text, filename)
    if not isinstance(doc.data, dict):
        raise ConfigError(
            [
                Problem(
                    filename,
                    1,
                    "",
                    # the type only: a file that is not an environment (a key) is never quoted
                    f"expected a mapping at the top, got {_describe(doc.data).split(' (')[0]}",
                )
            ]
        )
    problems = _schema_problems(doc, filename)
    data = fill_defaults(doc.data)
    problems += _cross_field(data, doc, filename, path.stem)
    if problems:
        raise ConfigError(list(dict.fromkeys(problems)))
    return Environment(name=data["name"], path=path, data=data, lines=doc.lines)


def _state_location(env: Environment) -> str:
    state = env.data["state"]
    return f"gs://{state['bucket']}/{str(state['prefix']).strip('/')}"


def shared_resources(
    targets: list[Environment], others: list[Environment] | None = None
) -> list[Problem]:
    """Environments (of different names) that would share a Terraform state location, or a
    cluster name in one project: one problem per target involved, naming the other file.

    `others` are further environments to compare with (every file in env/); problems are
    reported only on `targets`."""
    everyone = {id(e): e for e in [*targets, *(others or [])]}.values()
    problems = []
    for env in targets:
        for other in everyone:
            if other is env or other.name == env.name:
                continue
            other_file = display_path(other.path)
            if _state_location(env) == _state_location(other):
                problems.append(
                    Problem(
                        display_path(env.path),
                        env.line_of(("state", "prefix")),
                        "state.prefix",
                        f"{_state_location(env)} is also the state of {other.name} "
                        f"({other_file}): two environments would overwrite one state",
                    )
                )
            same_project = env.data["gcp"]["project"] == other.data["gcp"]["project"]
            if same_project and env.data["cluster"]["name"] == other.data["cluster"]["name"]:
                problems.append(
                    Problem(
                        display_path(env.path),
                        env.line_of(("cluster", "name")),
                        "cluster.name",
                        f"{env.data['cluster']['name']!r} is also the cluster of {other.name} "
                        f"({other_file}) in project {env.data['gcp']['project']}",
                    )
                )
    return list(dict.fromkeys(problems))


def environments_beside(env: Environment) -> list[Environment]:
    """Every valid environment in env/ other than `env` (invalid files are skipped here: the
    validation of each reports them)."""
    found = []
    for name in environment_names():
        path = env_dir() / f"{name}.yaml"
        if path.resolve() == env.path.resolve():
            continue
        try:
            found.append(load_environment(path))
        except ConfigError:
            continue
    return found


def display_path(path: Path) -> str:
    """A path as people should see it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
