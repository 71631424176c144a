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
import re
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
        return json.load(handle)


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


def parse_yaml(text: str, filename: str) -> _Document:
    """Parse one YAML document, keeping key lines and rejecting duplicate keys."""
    problems: list[Problem] = []
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml when built with it
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

        def build(n: yaml.Node, path: Path_) -> Any:
            if isinstance(n, yaml.MappingNode):
                loader.flatten_mapping(n)
                out: dict[str, Any] = {}
                for key_node, value_node in n.value:
                    key = loader.construct_object(key_node, deep=True)
                    line = key_node.start_mark.line + 1
                    if not isinstance(key, str):
                        problems.append(
                            Problem(filename, line, _dotted(path), f"key {key!r} is not a string")
                        )
                        key = str(key)
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
                    out[key] = build(value_node, child)
                return out
            if isinstance(n, yaml.SequenceNode):
                items = []
                for index, item in enumerate(n.value):
                    child = (*path, index)
                    lines[child] = item.start_mark.line + 1
                    items.append(build(item, child))
                return items
            return loader.construct_object(n, deep=True)

        data = build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        reason = exc.problem or exc.context or "invalid YAML"
        raise ConfigError([Problem(filename, line, "", f"YAML syntax error: {reason}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(filename, 1, "", f"YAML error: {exc}")]) from None
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

    validator = jsonschema.Draft202012Validator(
        load_schema(), format_checker=jsonschema.FormatChecker()
    )
    problems = []
    for error in validator.iter_errors(doc.data):
        problems.extend(_explain(error, doc, filename))
    return problems


def _explain(error: jsonschema.ValidationError, doc: _Document, filename: str) -> list[Problem]:
    path: Path_ = tuple(error.absolute_path)
    where = _dotted(path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        out = []
        for key in error.instance:
            if key not in allowed:
                child = (*path, key)
                hint = _close_match(key, allowed)
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
                f"{error.instance!r} is not valid here: {error.schema.get('description', '')}",
            )
        ]
    message = error.message
    if error.validator == "type":
        message = f"expected {_type_words(error.validator_value)}, got {_describe(error.instance)}"
    elif error.validator == "pattern":
        message = f"{error.instance!r} does not match the required form ({error.validator_value})"
    elif error.validator == "enum":
        choices = ", ".join(repr(c) for c in error.validator_value)
        message = f"{error.instance!r} is not one of {choices}"
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
        return f"a string ({value!r})"
    if isinstance(value, int | float):
        return f"a number ({value})"
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

    rules = (
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
        except (KeyError, TypeError, AttributeError, ValueError, IndexError):
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


def _rule_cluster(data: dict[str, Any], add: Any) -> None:
    cluster = data["cluster"]
    window = cluster["maintenance_window"]
    if window["end_time"] <= window["start_time"]:
        add(("cluster", "maintenance_window", "end_time"), "must be after start_time")
    for i, excl in enumerate(cluster["maintenance_exclusions"]):
        if excl["end_time"] <= excl["start_time"]:
            add(("cluster", "maintenance_exclusions", i, "end_time"), "must be after start_time")
    for i, net in enumerate(cluster["authorized_networks"]):
        _check_cidr(net["cidr_block"], ("cluster", "authorized_networks", i, "cidr_block"), add)


def _rule_pools(data: dict[str, Any], add: Any) -> None:
    core = data["node_pools"]["core"]
    if core["min_nodes"] > core["max_nodes"]:
        add(("node_pools", "core", "min_nodes"), "must not exceed max_nodes")
    seen: set[str] = set()
    for i, pool in enumerate(data["node_pools"]["user"]):
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
    defaults = 0
    names: set[str] = set()
    for i, size in enumerate(res["sizes"]):
        base = ("resources", "sizes", i)
        if size["name"] in names:
            add((*base, "name"), f"size name {size['name']!r} is used twice")
        names.add(size["name"])
        defaults += bool(size["default"])
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
    if defaults > 1:
        add(("resources", "sizes"), "at most one size may be the default")


def _rule_hub(data: dict[str, Any], add: Any) -> None:
    auth = data["hub"]["auth"]
    if auth["type"] == "github" and not auth["github_organizations"]:
        add(("hub", "auth", "github_organizations"), "GitHub login needs at least one organization")
    if auth["type"] == "cilogon" and not auth["cilogon_idps"]:
        add(("hub", "auth", "cilogon_idps"), "CILogon login needs at least one identity provider")
    if auth["client_secret_secret"] is None:
        add(("hub", "auth", "client_secret_secret"), "name the Secret Manager secret")


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
SYSTEM_DIRS = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin", "/sys")
SYSTEM_DIRS += ("/usr", "/var", "/tmp")


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
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(filename, 1, "", f"cannot read the file: {exc}")]) from None
    doc = parse_yaml(text, filename)
    if not isinstance(doc.data, dict):
        raise ConfigError(
            [Problem(filename, 1, "", f"expected a mapping at the top, got {_describe(doc.data)}")]
        )
    problems = _schema_problems(doc, filename)
    data = fill_defaults(doc.data)
    problems += _cross_field(data, doc, filename, path.stem)
    if problems:
        raise ConfigError(list(dict.fromkeys(problems)))
    return Environment(name=data["name"], path=path, data=data, lines=doc.lines)


def display_path(path: Path) -> str:
    """A path as people should see it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
