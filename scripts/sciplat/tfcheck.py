"""Check the Terraform for real without a cloud: providers offline, `validate` and `terraform test`.

Three commands:

- `sciplat providers`: make the providers the code requires available. When the Terraform
  registry answers, nothing is needed (`terraform init` installs them). Otherwise it builds a
  schema-only stand-in per provider: the provider's published schema is reconstructed from its
  prebuilt CDK Terrain bindings (a Python package), served by one small Go program
  (tools/providers/standin, built with the Go toolchain from the Go module proxy), and a
  Terraform CLI config with `dev_overrides` points Terraform at them.
- `sciplat tf-validate`: `terraform validate -json` for the root and every module; each error
  is reported with its file, line and Terraform's own message.
- `sciplat tf-test`: `terraform test` for the root and every module, then the root's
  environment suite once per shipped environment with that environment's rendered tfvars.

What the stand-ins check and what they do not is written down in docs/verification.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from sciplat import console as consoles
from sciplat.errors import SciplatError, UsageError

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_DIR = REPO_ROOT / "tools" / "providers"
MANIFEST = TOOLS_DIR / "providers.json"
REGISTRY_HOST = "registry.terraform.io"
# Bump when the extractor's output or the layout changes, so cached stand-ins are rebuilt.
EXTRACTOR_VERSION = "4"
ENV_SUITE_DIR = "tests/environments"

console = consoles.out
err = consoles.err


# --------------------------------------------------------------------------- schema extraction
#
# The prebuilt bindings are generated from `terraform providers schema -json` of the provider at
# one version. Their compiled JavaScript keeps what the schema said about every attribute:
# - each generated class carries, per attribute, a comment
#   `// <name> - computed: <bool>, optional: <bool>, required: <bool>`, followed by a getter
#   that reads the attribute by its Terraform name (`this.getStringAttribute('name')`) or holds
#   a nested-object class (`new XList(this, "name", <wraps set>)`);
# - each `synthesizeHclAttributes()` and `<struct>ToHclTerraform()` lists the configurable
#   attributes with `isBlock`, the collection kind (simple/list/set/map/struct) and the element
#   storage class.
# From these the extractor rebuilds the schema in Terraform's JSON shape.

_SEGMENT = re.compile(r"^(class|function) (\w+)", re.M)
_HCL_ATTR = re.compile(
    r"^\s+(\w+): \{\n\s+value: .*\n\s+isBlock: (true|false),\n\s+type: \"(\w+)\",\n"
    r"\s+storageClassType: \"(\w+)\",\n\s+\}",
    re.M,
)
_ATTR_COMMENT = re.compile(
    r"^\s+// (\w+) - computed: (true|false), optional: (true|false), required: (true|false)$",
    re.M,
)
_GETTER_SIMPLE = re.compile(
    r"get \w+\(\) \{\n\s+return (cdkt[fn]\.Fn\.tolist\()?this\.get(\w+)Attribute\('(\w+)'\)"
)
_FIELD_COMPLEX = re.compile(r"_\w+ = new (?:[\w$]+\.)?(\w+)\(this, \"(\w+)\"(?:, (true|false))?\);")
_TF_TYPE = re.compile(r"static tfResourceType = \"(\w+)\";")
_BASE = re.compile(
    r"^class (\w+) extends cdkt[fn]\.(TerraformResource|TerraformDataSource|TerraformProvider)",
    re.M,
)
_PROVIDER_VERSION = re.compile(r"provider version (\d+\.\d+\.\d+)")
# Declarations (.d.ts) keep each attribute's description. Generated resources list the values
# the provider accepts as `Possible values: ["A", "B"]`: the provider's own enum validation.
_INTERFACE = re.compile(r"^export interface (\w+)", re.M)
_DOC_PROPERTY = re.compile(r"/\*\*((?:(?!\*/).)*?)\*/\s*readonly \w+(\??): ([^;]+);", re.S)
_DOC_ANCHOR = re.compile(r"#(\w+) \w+#\w+\}")
_POSSIBLE_VALUES = re.compile(r"Possible values: \[([^\]]*)\]")

_GETTER_TYPES: dict[str, Any] = {
    "String": "string",
    "Number": "number",
    "Boolean": "bool",
    "List": ["list", "string"],
    "NumberList": ["list", "number"],
    "BooleanList": ["list", "bool"],
    "StringMap": ["map", "string"],
    "NumberMap": ["map", "number"],
    "BooleanMap": ["map", "bool"],
    "AnyMap": ["map", "dynamic"],
}
_LIBRARY_CLASSES: dict[str, Any] = {
    "StringMap": ["map", "string"],
    "NumberMap": ["map", "number"],
    "BooleanMap": ["map", "bool"],
    "AnyMap": ["map", "dynamic"],
    "StringMapList": ["list", ["map", "string"]],
    "NumberMapList": ["list", ["map", "number"]],
    "BooleanMapList": ["list", ["map", "bool"]],
    "AnyMapList": ["list", ["map", "dynamic"]],
}
_STORAGE_TYPES = {
    "string": "string",
    "number": "number",
    "boolean": "bool",
    "stringList": "string",
    "numberList": "number",
    "booleanList": "bool",
    "stringMap": "string",
    "numberMap": "number",
    "booleanMap": "bool",
    "anyMap": "dynamic",
}


@dataclass
class _Entry:
    """One attribute of a generated class: the schema flags and how its getter reads it."""

    computed: bool
    optional: bool
    required: bool
    simple: Any = None  # the type, for attributes read with get<Kind>Attribute
    holder: tuple[str, bool] | None = None  # (class, wraps a set) for nested objects


def _class_entries(text: str) -> dict[str, _Entry]:
    marks = list(_ATTR_COMMENT.finditer(text))
    out: dict[str, _Entry] = {}
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        chunk = text[mark.end() : end]
        entry = _Entry(mark.group(2) == "true", mark.group(3) == "true", mark.group(4) == "true")
        if getter := _GETTER_SIMPLE.search(chunk):
            kind = _GETTER_TYPES.get(getter.group(2), "dynamic")
            if getter.group(1) and isinstance(kind, list):
                kind = ["set", kind[1]]
            entry.simple = kind
        elif holder := _FIELD_COMPLEX.search(chunk):
            entry.holder = (holder.group(1), holder.group(3) == "true")
        out[mark.group(1)] = entry
    return out


def _hcl_attrs(text: str) -> dict[str, tuple[bool, str, str]]:
    return {
        m.group(1): (m.group(2) == "true", m.group(3), m.group(4)) for m in _HCL_ATTR.finditer(text)
    }


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


@dataclass
class BindingModule:
    """The top-level classes and functions of one resource's compiled bindings."""

    segments: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (kind, text)
    # struct or config interface -> attribute -> the values the provider accepts
    allowed: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # struct or config interface -> attribute -> (optional, a list of objects)
    declared: dict[str, dict[str, tuple[bool, bool]]] = field(default_factory=dict)

    def add_declarations(self, text: str) -> None:
        marks = list(_INTERFACE.finditer(text))
        for i, mark in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            for prop in _DOC_PROPERTY.finditer(text, mark.end(), end):
                doc = prop.group(1)
                anchor = _DOC_ANCHOR.search(doc)
                if not anchor:
                    continue
                is_list = "[]" in prop.group(3)
                declared = self.declared.setdefault(mark.group(1), {})
                declared[anchor.group(1)] = (prop.group(2) == "?", is_list)
                values = _POSSIBLE_VALUES.search(" ".join(doc.replace("*", " ").split()))
                if not values:
                    continue
                try:
                    parsed = json.loads(f"[{values.group(1)}]")
                except json.JSONDecodeError:
                    continue
                if parsed and all(isinstance(v, str) for v in parsed):
                    self.allowed.setdefault(mark.group(1), {})[anchor.group(1)] = parsed

    def add(self, text: str) -> None:
        marks = list(_SEGMENT.finditer(text))
        for i, mark in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            self.segments[mark.group(2)] = (mark.group(1), text[mark.start() : end])

    def text(self, name: str) -> str | None:
        seg = self.segments.get(name)
        return seg[1] if seg else None


class _Builder:
    def __init__(self, module: BindingModule, nested_attributes: bool) -> None:
        self.mod = module
        self.nested_attributes = nested_attributes
        self._entries: dict[str, dict[str, _Entry]] = {}

    def entries(self, cls: str | None) -> dict[str, _Entry]:
        if cls is None:
            return {}
        if cls not in self._entries:
            text = self.mod.text(cls)
            self._entries[cls] = _class_entries(text) if text else {}
        return self._entries[cls]

    def struct_attrs(self, struct: str) -> dict[str, tuple[bool, str, str]]:
        text = self.mod.text(_lower_first(struct) + "ToHclTerraform")
        return _hcl_attrs(text) if text else {}

    def held_type(self, cls: str, wraps_set: bool, stack: tuple[str, ...]) -> Any:
        if cls in _LIBRARY_CLASSES:
            return _LIBRARY_CLASSES[cls]
        for suffix, kind in (("List", "set" if wraps_set else "list"), ("Map", "map")):
            if cls.endswith(suffix) and not cls.endswith("OutputReference"):
                return [kind, self.object_type(cls[: -len(suffix)] + "OutputReference", stack)]
        return self.object_type(cls, stack)

    def object_type(self, cls: str, stack: tuple[str, ...]) -> Any:
        if cls in stack:  # the bindings reuse a class name for a recursive type
            return ["object", {}]
        attrs = {
            name: self.entry_type(entry, (*stack, cls))
            for name, entry in sorted(self.entries(cls).items())
        }
        return ["object", attrs]

    def entry_type(self, entry: _Entry, stack: tuple[str, ...]) -> Any:
        if entry.simple is not None:
            return entry.simple
        if entry.holder is not None:
            return self.held_type(entry.holder[0], entry.holder[1], stack)
        return "dynamic"

    @staticmethod
    def flags(entry: _Entry | None) -> dict[str, bool]:
        if entry is None:  # provider-level nested structs carry no flags: all optional
            return {"optional": True}
        out = {
            key: True
            for key, value in (
                ("required", entry.required),
                ("optional", entry.optional),
                ("computed", entry.computed),
            )
            if value
        }
        return out or {"optional": True}

    def block(
        self,
        hcl: dict[str, tuple[bool, str, str]],
        cls: str | None,
        stack: tuple[str, ...] = (),
        struct: str | None = None,
    ) -> dict[str, Any]:
        entries = self.entries(cls)
        allowed = self.mod.allowed.get(struct or "", {})
        declared = self.mod.declared.get(struct or "", {})
        attributes: dict[str, Any] = {}
        block_types: dict[str, Any] = {}
        for name, (is_block, kind, storage) in sorted(hcl.items()):
            entry = entries.get(name)
            flags = self.flags(entry)
            if entry is None and name in declared and not declared[name][0]:
                flags = {"required": True}  # provider-level structs: only declarations tell
            if not is_block:
                base = _STORAGE_TYPES.get(storage, "dynamic")
                attributes[name] = {"type": base if kind == "simple" else [kind, base], **flags}
                if kind == "simple" and base == "string" and name in allowed:
                    attributes[name]["allowed_values"] = allowed[name]
                continue
            elem = storage
            if kind in ("list", "set") and storage.endswith("List"):
                elem = storage[: -len("List")]
            elif kind == "map" and storage.endswith("Map"):
                elem = storage[: -len("Map")]
            sub_cls = elem + "OutputReference"
            if elem in stack:
                sub: dict[str, Any] = {}
            else:
                sub = self.block(
                    self.struct_attrs(elem),
                    sub_cls if sub_cls in self.mod.segments else None,
                    (*stack, elem),
                    elem,
                )
            mode = "single" if kind == "struct" else kind
            if self.nested_attributes:
                nested = {"attributes": sub.get("attributes", {}), "nesting_mode": mode}
                attributes[name] = {"nested_type": nested, **flags}
                continue
            block_type: dict[str, Any] = {"nesting_mode": mode, "block": sub}
            if mode in ("list", "set"):
                if flags.get("required"):
                    block_type["min_items"] = 1
                if entry and entry.holder and entry.holder[0].endswith("OutputReference"):
                    block_type["max_items"] = 1
                elif (entry is None or entry.holder is None) and not declared.get(name, (1, 1))[1]:
                    block_type["max_items"] = 1  # a single struct, not a list, is declared
            block_types[name] = block_type
        for name, entry in sorted(entries.items()):
            if name not in hcl:  # read-only: computed by the provider
                attributes[name] = {"type": self.entry_type(entry, stack), **self.flags(entry)}
        out: dict[str, Any] = {}
        if attributes:
            out["attributes"] = attributes
        if block_types:
            out["block_types"] = block_types
        return out

    def top(self) -> tuple[str, str, dict[str, Any]] | None:
        for kind, text in self.mod.segments.values():
            if kind != "class" or not (base := _BASE.match(text)):
                continue
            tf_type = _TF_TYPE.search(text)
            if not tf_type:
                continue
            synth = text[text.find("synthesizeHclAttributes()") :]
            block = self.block(_hcl_attrs(synth), base.group(1), struct=base.group(1) + "Config")
            role = {
                "TerraformResource": "resource",
                "TerraformDataSource": "data",
                "TerraformProvider": "provider",
            }[base.group(2)]
            if role == "provider":  # the bindings' own meta-argument, not the provider's
                block.get("attributes", {}).pop("alias", None)
            return role, tf_type.group(1), block
        return None


def schema_from_bindings(files: dict[str, str], *, nested_attributes: bool) -> dict[str, Any]:
    """Rebuild a provider schema from its bindings' files (path inside the package -> text).

    `nested_attributes` says the provider describes nested objects as attributes (protocol 6
    providers written with the plugin framework, such as helm 3) rather than as blocks.
    """
    modules: dict[str, BindingModule] = {}
    version = None
    for path, text in files.items():
        parts = path.split("/")
        if path == "package/README.md" and (m := _PROVIDER_VERSION.search(text)):
            version = m.group(1)
        if len(parts) >= 4 and parts[:2] == ["package", "lib"]:
            if parts[-1].endswith(".d.ts"):
                modules.setdefault(parts[2], BindingModule()).add_declarations(text)
            elif parts[-1].endswith(".js"):
                modules.setdefault(parts[2], BindingModule()).add(text)
    schema: dict[str, Any] = {
        "provider_version": version,
        "provider": {"version": 0, "block": {}},
        "resource_schemas": {},
        "data_source_schemas": {},
    }
    for name in sorted(modules):
        found = _Builder(modules[name], nested_attributes).top()
        if found is None:
            continue
        role, tf_type, block = found
        entry = {"version": 0, "block": block}
        if role == "provider":
            schema["provider"] = entry
        elif role == "resource":
            schema["resource_schemas"][tf_type] = entry
        else:
            schema["data_source_schemas"][tf_type] = entry
    return schema


def read_wheel_bindings(wheel: Path) -> dict[str, str]:
    """The README, JavaScript files and (where they list accepted values) declarations of the
    bindings archive inside a provider wheel."""
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if n.endswith(".jsii.tgz")]
        if not names:
            raise SciplatError(f"{wheel.name}: no bindings archive (*.jsii.tgz) in the wheel")
        data = zf.read(names[0])
    files: dict[str, str] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive:
            if not member.isfile():
                continue
            name = member.name
            in_lib = name.startswith("package/lib/")
            if name == "package/README.md" or (in_lib and name.endswith((".js", ".d.ts"))):
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                text = handle.read().decode("utf-8")
                keep = "Possible values: [" in text or name.startswith("package/lib/provider/")
                if name.endswith(".d.ts") and not keep:
                    continue
                files[name] = text
    return files


# --------------------------------------------------------------------------- versions


_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?$")


def _parse_version(text: str) -> tuple[tuple[int, int, int], int]:
    m = _VERSION.match(text.strip())
    if not m:
        raise UsageError(f"not a version: {text!r}")
    parts = [int(g) if g else 0 for g in m.groups()[:3]]
    given = sum(1 for g in m.groups()[:3] if g)
    return (parts[0], parts[1], parts[2]), given


def version_allowed(version: str, constraint: str) -> bool:
    """Whether `version` meets a Terraform version constraint such as ">= 7.0, < 8.0"."""
    have, _ = _parse_version(version)
    for part in constraint.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^(~>|>=|<=|!=|=|>|<)?\s*(.+)$", part)
        if not m:
            raise UsageError(f"not a version constraint: {constraint!r}")
        op, want_text = m.group(1) or "=", m.group(2)
        want, given = _parse_version(want_text)
        if op == "~>":
            upper = list(want)
            bump = max(given - 2, 0)
            upper[bump] += 1
            for i in range(bump + 1, 3):
                upper[i] = 0
            ok = want <= have < tuple(upper)
        else:
            ok = {
                "=": have == want,
                "!=": have != want,
                ">": have > want,
                ">=": have >= want,
                "<": have < want,
                "<=": have <= want,
            }[op]
        if not ok:
            return False
    return True


# --------------------------------------------------------------------------- configuration scan


@dataclass(frozen=True)
class Requirement:
    """One `required_providers` entry: where it is and what it asks for."""

    file: str
    line: int
    local_name: str
    source: str  # "hashicorp/google"
    constraint: str


_REQUIRED_BLOCK = re.compile(r"required_providers\s*\{")
_PROVIDER_ENTRY = re.compile(r"(\w[\w-]*)\s*=\s*\{([^{}]*)\}", re.S)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _matching_brace(text: str, start: int) -> int:
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return len(text)


def scan_requirements(directory: Path) -> list[Requirement]:
    """The `required_providers` entries of the .tf files directly in `directory`."""
    found: list[Requirement] = []
    for tf in sorted(directory.glob("*.tf")):
        text = tf.read_text(encoding="utf-8")
        for block in _REQUIRED_BLOCK.finditer(text):
            open_at = block.end() - 1
            body = text[open_at + 1 : _matching_brace(text, open_at)]
            for entry in _PROVIDER_ENTRY.finditer(body):
                attrs = dict(re.findall(r"(\w+)\s*=\s*\"([^\"]*)\"", entry.group(2)))
                source = attrs.get("source", f"hashicorp/{entry.group(1)}")
                if source.count("/") == 2:  # registry.terraform.io/hashicorp/google
                    source = source.split("/", 1)[1]
                line = text.count("\n", 0, open_at + 1 + entry.start()) + 1
                found.append(
                    Requirement(
                        _display(tf), line, entry.group(1), source, attrs.get("version", "")
                    )
                )
    return found


def terraform_dirs(root: Path = REPO_ROOT) -> list[Path]:
    """The root module and every module under modules/."""
    dirs = [root / "terraform"] if (root / "terraform").is_dir() else []
    dirs += sorted(p for p in (root / "modules").glob("*") if p.is_dir() and any(p.glob("*.tf")))
    return dirs


# --------------------------------------------------------------------------- the stand-ins


@dataclass(frozen=True)
class ProviderSpec:
    source: str  # "hashicorp/google"
    version: str  # the provider version the schema describes
    package: str  # the Python package holding the bindings
    package_version: str
    nested_attributes: bool

    @property
    def name(self) -> str:
        return self.source.split("/")[-1]


def load_manifest(path: Path = MANIFEST) -> dict[str, ProviderSpec]:
    shown = _display(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SciplatError(f"{shown}: cannot read the provider manifest: {exc}") from exc
    providers = data.get("providers") if isinstance(data, dict) else None
    if not isinstance(providers, dict):
        raise UsageError(f"{shown}: providers: required (an object of provider source to spec)")
    specs = {}
    for source, spec in providers.items():
        for key in ("version", "package", "package_version"):
            if not isinstance(spec, dict) or not isinstance(spec.get(key), str) or not spec[key]:
                where = f"{shown}: providers.{source}.{key}"
                raise UsageError(f"{where}: required (a non-empty string)")
        specs[source] = ProviderSpec(
            source,
            spec["version"],
            spec["package"],
            spec["package_version"],
            bool(spec.get("nested_attributes", False)),
        )
    return specs


def cache_root() -> Path:
    """Where built stand-ins live: outside the repository, keyed by provider and version."""
    if explicit := os.environ.get("SCIPLAT_PROVIDER_CACHE"):
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sciplat" / "providers"


def cli_config_path() -> Path:
    return cache_root() / "terraform.rc"


def registry_reachable(timeout: float = 3.0) -> bool:
    """Whether the Terraform registry answers (then `terraform init` installs providers)."""
    mode = os.environ.get("SCIPLAT_PROVIDERS", "auto")
    if mode == "standin":
        return False
    if mode == "registry":
        return True
    import httpx

    try:
        resp = httpx.get(f"https://{REGISTRY_HOST}/.well-known/terraform.json", timeout=timeout)
    except httpx.HTTPError:
        return False
    return resp.status_code == 200


def _source_hash() -> str:
    digest = hashlib.sha256()
    sources = [p for p in sorted(TOOLS_DIR.glob("standin/*.go")) if not p.name.endswith("_test.go")]
    files = [TOOLS_DIR / "go.mod", TOOLS_DIR / "go.sum", *sources]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _say(message: str, quiet: bool) -> None:
    if not quiet:
        err.print(message)


def build_standin_binary(quiet: bool = False) -> Path:
    """Build tools/providers/standin once per source version; return the binary."""
    target = cache_root() / "standin" / _source_hash() / "terraform-provider-standin"
    if target.is_file():
        return target
    go = shutil.which("go")
    if go is None:
        raise SciplatError(
            "Go is needed to build the schema-only providers and `go` is not on PATH; install "
            "Go (for example `apt-get install golang-go`); a newer toolchain is fetched through "
            "the Go module proxy when go.mod asks for one.",
            exit_code=2,
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    _say(f"building the schema-only provider ({_display(TOOLS_DIR / 'standin')}) with {go}", quiet)
    started = time.monotonic()
    env = dict(os.environ)
    env.setdefault("GOTOOLCHAIN", "auto")
    env.setdefault("GOFLAGS", "-mod=mod")
    tmp = target.with_suffix(".tmp")
    proc = subprocess.run(
        [go, "build", "-trimpath", "-o", str(tmp), "./standin"],
        cwd=TOOLS_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise SciplatError(f"go build of the schema-only provider failed:\n{proc.stderr.strip()}")
    tmp.replace(target)
    for stale in target.parent.parent.iterdir():  # builds of older sources
        if stale != target.parent and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    _say(f"  built in {time.monotonic() - started:.1f}s", quiet)
    return target


def _download_wheel(spec: ProviderSpec, dest: Path, quiet: bool) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    pin = f"{spec.package}=={spec.package_version}"
    _say(f"  downloading {pin} (the provider's prebuilt bindings)", quiet)
    argv = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    argv += ["--only-binary=:all:", "--dest", str(dest), pin]
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SciplatError(f"pip download {pin} failed:\n{(proc.stderr or proc.stdout).strip()}")
    stem = spec.package.replace("-", "_")
    wheels = sorted(dest.glob(f"{stem}-{spec.package_version}-*.whl"))
    if not wheels:
        raise SciplatError(f"pip download {pin} produced no wheel in {dest}")
    return wheels[0]


def build_provider(spec: ProviderSpec, binary: Path, quiet: bool = False) -> Path:
    """Make <cache>/<name>/<version>/ with the stand-in and the provider's schema; return it."""
    out = cache_root() / spec.name / spec.version
    stamp_text = json.dumps(
        {
            "package": f"{spec.package}=={spec.package_version}",
            "extractor": EXTRACTOR_VERSION,
            "standin": binary.parent.name,
        },
        sort_keys=True,
    )
    stamp = out / ".stamp"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == stamp_text:
        return out
    started = time.monotonic()
    _say(f"{spec.source} {spec.version}: building the schema-only stand-in", quiet)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wheel-", dir=out) as tmp:
        wheel = _download_wheel(spec, Path(tmp), quiet)
        _say("  reconstructing the schema from the bindings", quiet)
        schema = schema_from_bindings(
            read_wheel_bindings(wheel), nested_attributes=spec.nested_attributes
        )
    if schema["provider_version"] != spec.version:
        raise SciplatError(
            f"{spec.package}=={spec.package_version} describes {spec.source} "
            f"{schema['provider_version']}, not {spec.version}; fix {_display(MANIFEST)}"
        )
    schema["address"] = f"{REGISTRY_HOST}/{spec.source}"
    stamp.unlink(missing_ok=True)
    staged = out / "schema.json.tmp"
    staged.write_text(json.dumps(schema, sort_keys=True), encoding="utf-8")
    staged.replace(out / "schema.json")
    exe = out / f"terraform-provider-{spec.name}"
    staged_exe = out / f"{exe.name}.tmp"
    staged_exe.unlink(missing_ok=True)
    try:  # one binary serves every provider: link it where the filesystem allows
        os.link(binary, staged_exe)
    except OSError:
        shutil.copy2(binary, staged_exe)
    staged_exe.replace(exe)
    stamp.write_text(stamp_text, encoding="utf-8")
    _say(
        f"  {len(schema['resource_schemas'])} resources, "
        f"{len(schema['data_source_schemas'])} data sources "
        f"({time.monotonic() - started:.1f}s)",
        quiet,
    )
    return out


def render_cli_config(overrides: dict[str, Path]) -> str:
    lines = [
        "# Written by `sciplat providers`: schema-only stand-ins for providers the Terraform",
        "# registry cannot serve here. Terraform checks configurations against their schemas.",
        "provider_installation {",
        "  dev_overrides {",
    ]
    lines += [f'    "{source}" = "{path}"' for source, path in sorted(overrides.items())]
    lines += ["  }", "  direct {}", "}", ""]
    return "\n".join(lines)


@dataclass
class ProvidersResult:
    mode: str  # "registry" | "standin"
    providers: list[dict[str, Any]] = field(default_factory=list)
    cli_config: Path | None = None
    seconds: float = 0.0


def required_sources(dirs: list[Path]) -> dict[str, list[Requirement]]:
    by_source: dict[str, list[Requirement]] = {}
    for directory in dirs:
        for req in scan_requirements(directory):
            by_source.setdefault(req.source, []).append(req)
    return by_source


def ensure_providers(
    dirs: list[Path] | None = None, *, quiet: bool = False, check_registry: bool = True
) -> ProvidersResult:
    """Make every provider the code requires usable offline, or say the registry will do."""
    started = time.monotonic()
    if check_registry and registry_reachable():
        return ProvidersResult("registry", seconds=time.monotonic() - started)
    dirs = terraform_dirs() if dirs is None else dirs
    manifest = load_manifest()
    needed = required_sources(dirs)
    problems = []
    for source, reqs in sorted(needed.items()):
        spec = manifest.get(source)
        if spec is None:
            first = reqs[0]
            problems.append(
                f"{first.file}:{first.line}: {first.local_name}: no schema package is known for "
                f"{source}; add it to {_display(MANIFEST)}"
            )
            continue
        for req in reqs:
            if req.constraint and not version_allowed(spec.version, req.constraint):
                problems.append(
                    f"{req.file}:{req.line}: {req.local_name}: version constraint "
                    f'"{req.constraint}" excludes {spec.version}, the version whose schema '
                    f"the stand-in serves ({_display(MANIFEST)})"
                )
    if problems:
        raise UsageError("\n".join(problems))
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    overrides: dict[str, Path] = {}
    result = ProvidersResult("standin")
    with _cache_lock(root):  # one builder at a time; the others wait and then reuse
        binary = build_standin_binary(quiet)
        for source in sorted(needed):
            spec = manifest[source]
            path = build_provider(spec, binary, quiet)
            overrides[source] = path
            result.providers.append({"source": source, "version": spec.version, "path": str(path)})
        config = cli_config_path()
        text = render_cli_config(overrides)
        if not config.is_file() or config.read_text(encoding="utf-8") != text:
            staged = config.with_suffix(".tmp")
            staged.write_text(text, encoding="utf-8")
            staged.replace(config)
    result.cli_config = config
    result.seconds = time.monotonic() - started
    return result


@contextlib.contextmanager
def _cache_lock(root: Path) -> Iterator[None]:
    import fcntl

    with (root / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _dir_size(path: Path) -> int:
    """Bytes on disk under `path`, counting hard-linked files once."""
    seen: dict[tuple[int, int], int] = {}
    for p in path.rglob("*"):
        if p.is_file():
            st = p.stat()
            seen[(st.st_dev, st.st_ino)] = st.st_size
    return sum(seen.values())


# --------------------------------------------------------------------------- running terraform


def _terraform(workdir: Path, env: dict[str, str]) -> Any:
    from sciplat.terraform import Terraform

    return Terraform(workdir, env=env)


def _data_dir(directory: Path, test_directory: str | None = None) -> Path:
    """Per-directory TF_DATA_DIR under build/, so checks leave nothing in the module folders."""
    try:
        slug = str(directory.resolve().relative_to(REPO_ROOT)).replace("/", "-")
    except ValueError:
        slug = "ext-" + hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:12]
    if test_directory:
        slug += "--" + test_directory.replace("/", "-")
    return REPO_ROOT / "build" / "tfcheck" / slug


def _tf_env(
    directory: Path, providers: ProvidersResult, test_directory: str | None = None
) -> dict[str, str]:
    env = {"TF_DATA_DIR": str(_data_dir(directory, test_directory)), "TF_IN_AUTOMATION": "1"}
    if providers.mode == "standin" and providers.cli_config is not None:
        env["TF_CLI_CONFIG_FILE"] = str(providers.cli_config)
    return env


def _prepare_dir(
    directory: Path, providers: ProvidersResult, test_directory: str | None = None
) -> Any:
    """init (registry) or get (stand-ins: providers need no install; modules, also those the
    test files call, do)."""
    tf = _terraform(directory, _tf_env(directory, providers, test_directory))
    if providers.mode == "registry":
        args = ["init", "-backend=false", "-input=false", "-no-color"]
    else:
        args = ["get", "-no-color"]
    if test_directory:
        args.append(f"-test-directory={test_directory}")
    proc = tf.run(args, stream=False, check=False)
    if proc.returncode != 0:
        raise SciplatError(
            f"{_display(directory)}: terraform {' '.join(args)} failed:\n"
            f"{(proc.stderr or proc.stdout).strip()}"
        )
    return tf


@dataclass(frozen=True)
class Diagnostic:
    directory: str
    severity: str
    summary: str
    detail: str
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.file else self.directory
        detail = " ".join(self.detail.split())
        return f"{where}: {self.severity}: {self.summary}" + (f": {detail}" if detail else "")


_OVERRIDE_WARNING = "Provider development overrides are in effect"


def validate_dir(directory: Path, providers: ProvidersResult) -> list[Diagnostic]:
    tf = _prepare_dir(directory, providers)
    proc = tf.run(["validate", "-json", "-no-color"], stream=False, check=False)
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise SciplatError(
            f"{_display(directory)}: terraform validate printed no JSON "
            f"(exit {proc.returncode}):\n{(proc.stderr or proc.stdout).strip()}"
        ) from exc
    out = []
    for diag in data.get("diagnostics", []):
        if diag.get("summary") == _OVERRIDE_WARNING:
            continue
        rng = diag.get("range") or {}
        file = rng.get("filename", "")
        if file:
            file = _display(directory / file)
        start = rng.get("start") or {}
        out.append(
            Diagnostic(
                _display(directory),
                diag.get("severity", "error"),
                diag.get("summary", ""),
                diag.get("detail", ""),
                file,
                int(start.get("line", 0)),
                int(start.get("column", 0)),
            )
        )
    if proc.returncode != 0 and not any(d.severity == "error" for d in out):
        out.append(
            Diagnostic(
                _display(directory), "error", "terraform validate failed", proc.stderr, "", 0, 0
            )
        )
    return out


_TEST_TOTALS = re.compile(r"(\d+) passed, (\d+) failed(?:, (\d+) skipped)?")


@dataclass
class SuiteResult:
    label: str
    directory: str
    passed: int
    failed: int
    skipped: int
    seconds: float
    ok: bool
    output: str


def count_suite(paths: list[Path]) -> tuple[int, int]:
    """(run blocks, assert blocks) in the given .tftest.hcl files."""
    runs = asserts = 0
    for path in paths:
        text = re.sub(r"(?m)^\s*(#|//).*$", "", path.read_text(encoding="utf-8"))
        runs += len(re.findall(r"(?m)^\s*run\s+\"", text))
        asserts += len(re.findall(r"(?m)^\s*assert\s*\{", text))
    return runs, asserts


def run_suite(
    directory: Path,
    providers: ProvidersResult,
    *,
    label: str,
    extra: list[str] | None = None,
    prepared: Any = None,
) -> SuiteResult:
    tf = prepared or _prepare_dir(directory, providers)
    started = time.monotonic()
    proc = tf.run(["test", "-no-color", *(extra or [])], stream=False, check=False)
    output = (proc.stdout or "") + (proc.stderr or "")
    totals = _TEST_TOTALS.findall(output)
    passed, failed, skipped = (int(x or 0) for x in totals[-1]) if totals else (0, 0, 0)
    return SuiteResult(
        label,
        _display(directory),
        passed,
        failed,
        skipped,
        time.monotonic() - started,
        proc.returncode == 0 and failed == 0,
        output,
    )


def environment_tfvars(name: str) -> Path:
    """Render one environment's tfvars into build/tfcheck/env/ (not the operator's build/ENV)."""
    from sciplat.render import prepare

    _, _, tfvars, _ = prepare(name)
    out = REPO_ROOT / "build" / "tfcheck" / "env" / f"{name}.tfvars.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(tfvars, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out


# --------------------------------------------------------------------------- commands


def _resolve_dirs(paths: list[str] | None) -> list[Path]:
    if not paths:
        dirs = terraform_dirs()
        if not dirs:
            raise UsageError("no Terraform found: expected terraform/ and modules/*/")
        return dirs
    out = []
    for text in paths:
        path = Path(text)
        if not path.is_dir() or not any(path.glob("*.tf")):
            raise UsageError(f"{text}: not a directory with .tf files")
        out.append(path)
    return out


def providers_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    standin: bool = typer.Option(
        False, "--standin", help="Build the stand-ins even if the Terraform registry answers."
    ),
) -> None:
    """Make the providers the Terraform code requires usable, offline if need be.

    When the Terraform registry answers, nothing is built: `terraform init` installs the real
    providers. Otherwise each provider's published schema is rebuilt from its prebuilt bindings
    package and served by a schema-only stand-in (tools/providers/standin), cached outside the
    repository by provider and version, with a Terraform CLI config using dev_overrides.
    SCIPLAT_PROVIDERS=standin|registry forces either way.

    Example: sciplat providers --json
    """
    result = ensure_providers(quiet=as_json, check_registry=not standin)
    if as_json:
        payload = {
            "mode": result.mode,
            "cli_config": str(result.cli_config) if result.cli_config else None,
            "cache": str(cache_root()),
            "providers": result.providers,
            "seconds": round(result.seconds, 2),
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    if result.mode == "registry":
        console.print(
            f"{REGISTRY_HOST} answers: `terraform init` installs the real providers; "
            "no stand-ins needed."
        )
        return
    table = Table(title="schema-only provider stand-ins")
    table.add_column("provider")
    table.add_column("version")
    table.add_column("path")
    for item in result.providers:
        table.add_row(item["source"], item["version"], item["path"])
    console.print(table)
    size = _dir_size(cache_root()) / 2**20
    console.print(f"CLI config: {result.cli_config}  (cache {size:.0f} MiB, {result.seconds:.1f}s)")


def tf_validate(
    paths: list[str] = typer.Argument(
        None, metavar="[DIR]...", help="Terraform directories; the root and every module if none."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the diagnostics as JSON."),
) -> None:
    """Run `terraform validate` for the root and every module against the provider schemas.

    Prints each diagnostic as FILE:LINE:COLUMN: severity: summary: detail and exits 1 when any
    directory has an error.

    Example: sciplat tf-validate modules/gke
    """
    dirs = _resolve_dirs(paths)
    providers = ensure_providers(quiet=True)
    rows = []
    diagnostics: list[Diagnostic] = []
    for directory in dirs:
        diags = validate_dir(directory, providers)
        diagnostics += diags
        errors = sum(1 for d in diags if d.severity == "error")
        rows.append((_display(directory), errors, len(diags) - errors))
    errors_total = sum(r[1] for r in rows)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "valid": errors_total == 0,
                    "providers": providers.mode,
                    "directories": [
                        {"directory": d, "errors": e, "warnings": w} for d, e, w in rows
                    ],
                    "diagnostics": [d.__dict__ for d in diagnostics],
                },
                indent=2,
            )
        )
    else:
        table = Table(title=f"terraform validate ({providers.mode} providers)")
        table.add_column("directory")
        table.add_column("errors", justify="right")
        table.add_column("warnings", justify="right")
        for d, e, w in rows:
            table.add_row(d, str(e), str(w))
        console.print(table)
        for diag in diagnostics:
            if diag.severity != "error":
                err.print(str(diag), markup=False)
    if errors_total:
        raise SciplatError(
            "\n".join(str(d) for d in diagnostics if d.severity == "error"), exit_code=1
        )


def tf_test(
    paths: list[str] = typer.Argument(
        None, metavar="[DIR]...", help="Terraform directories; the root and every module if none."
    ),
    envs: list[str] = typer.Option(
        None, "--env", help="Environments for the root's environment suite; all when omitted."
    ),
    no_envs: bool = typer.Option(False, "--no-envs", help="Skip the per-environment runs."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show terraform test output."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Suites run at once; 0 = one per CPU."),
) -> None:
    """Run `terraform test` for the root and every module, then once per environment.

    Each directory's tests/*.tftest.hcl run with mock providers (schemas from the real
    providers, or the stand-ins offline). The root's tests/environments suite then runs with each
    shipped environment's rendered tfvars. Exits 1 when any run fails.

    Example: sciplat tf-test modules/gke --no-envs
    """
    from sciplat.config import environment_names

    dirs = _resolve_dirs(paths)
    providers = ensure_providers(quiet=True)
    # (label, directory, extra args, prepared runner): modules are installed first, one
    # directory at a time; the suites then run side by side.
    jobs_list: list[tuple[str, Path, list[str], Any]] = []
    for directory in dirs:
        files = sorted((directory / "tests").glob("*.tftest.hcl"))
        env_files = [] if no_envs else sorted((directory / ENV_SUITE_DIR).glob("*.tftest.hcl"))
        if files:
            tf = _prepare_dir(directory, providers)
            jobs_list.append((_display(directory), directory, [], tf))
        if env_files:
            tf = _prepare_dir(directory, providers, ENV_SUITE_DIR)
            for name in envs or environment_names():
                tfvars = environment_tfvars(name)
                extra = [f"-test-directory={ENV_SUITE_DIR}", f"-var-file={tfvars}"]
                jobs_list.append((f"{_display(directory)} [{name}]", directory, extra, tf))
    if not jobs_list:
        raise UsageError("no tests/*.tftest.hcl found in the given directories")

    def one(job: tuple[str, Path, list[str], Any]) -> SuiteResult:
        label, directory, extra, tf = job
        result = run_suite(directory, providers, label=label, extra=extra, prepared=tf)
        if not as_json:
            state = "ok" if result.ok else "FAILED"
            err.print(
                f"{label}: {result.passed} passed, {result.failed} failed "
                f"({result.seconds:.1f}s) {state}",
                markup=False,
            )
        return result

    from concurrent.futures import ThreadPoolExecutor

    workers = max(1, jobs or os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, jobs_list))
    if not results:
        raise UsageError("no tests/*.tftest.hcl found in the given directories")
    failed = [r for r in results if not r.ok]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "passed": not failed,
                    "providers": providers.mode,
                    "suites": [
                        {k: v for k, v in r.__dict__.items() if k != "output"} for r in results
                    ],
                },
                indent=2,
            )
        )
    else:
        table = Table(title=f"terraform test ({providers.mode} providers)")
        for col in ("suite", "passed", "failed", "seconds"):
            table.add_column(col, justify="left" if col == "suite" else "right")
        for r in results:
            table.add_row(escape(r.label), str(r.passed), str(r.failed), f"{r.seconds:.1f}")
        console.print(table)
        for r in results:
            if verbose or not r.ok:
                err.print(f"--- {r.label}\n{r.output.strip()}", markup=False)
    total_pass = sum(r.passed for r in results)
    total_fail = sum(r.failed for r in results)
    if not as_json:
        runs = asserts = 0
        for _label, directory, extra, _tf in jobs_list:
            folder = directory / (ENV_SUITE_DIR if extra else "tests")
            r, a = count_suite(sorted(folder.glob("*.tftest.hcl")))
            runs, asserts = runs + r, asserts + a
        console.print(f"{len(jobs_list)} suites, {runs} runs, {asserts} asserts")
        console.print(f"tf-test: {total_pass} passed, {total_fail} failed")
    if failed:
        raise SciplatError(
            "terraform test failed in: " + ", ".join(r.label for r in failed), exit_code=1
        )


def register(app: typer.Typer) -> None:
    app.command("providers")(providers_cmd)
    app.command("tf-validate")(tf_validate)
    app.command("tf-test")(tf_test)
