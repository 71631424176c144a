"""The tfvars contract: docs/tfvars.md, terraform/variables.tf and `sciplat render` agree.

Types are parsed from both sides (the HCL block of the doc, and the `type` of each variable that
python-hcl2 reads from variables.tf) into one small type model, then compared recursively. A
rendered tfvars object must carry exactly the declared variables, recursively, with JSON values of
the declared types. The real terraform binary then checks the same rendered values against the
root's type constraints and validation blocks.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DOC = REPO_ROOT / "docs" / "tfvars.md"
VARIABLES = REPO_ROOT / "terraform" / "variables.tf"
ENV_NAMES = sorted(p.stem for p in (REPO_ROOT / "env").glob("*.yaml"))


# --- a small model of Terraform type constraints ---------------------------------------------


@dataclass(frozen=True)
class TfType:
    kind: str  # string | number | bool | list | set | map | object
    elem: TfType | None = None
    attrs: dict[str, TfType] = field(default_factory=dict)
    optional: frozenset[str] = frozenset()

    def __str__(self) -> str:
        if self.kind in ("list", "set", "map"):
            return f"{self.kind}({self.elem})"
        if self.kind == "object":
            inner = ", ".join(
                f"{k}={'optional(' + str(v) + ')' if k in self.optional else v}"
                for k, v in self.attrs.items()
            )
            return f"object({{{inner}}})"
        return self.kind

    def same_shape(self, other: TfType) -> bool:
        """Equal types, ignoring which object attributes are optional."""
        if self.kind != other.kind:
            return False
        if self.elem is not None or other.elem is not None:
            if self.elem is None or other.elem is None:
                return False
            return self.elem.same_shape(other.elem)
        if self.kind == "object":
            return self.attrs.keys() == other.attrs.keys() and all(
                self.attrs[k].same_shape(other.attrs[k]) for k in self.attrs
            )
        return True


_TOKEN = re.compile(r"\s*(?:(#[^\n]*)|([A-Za-z_][A-Za-z0-9_-]*)|(.))", re.S)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = [
            m.group(2) or m.group(3)
            for m in _TOKEN.finditer(text)
            if (m.group(2) or m.group(3) or "").strip() and not m.group(1)
        ]
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise ValueError(f"expected {expected!r}, got {token!r} at token {self.pos}")
        self.pos += 1
        return token

    def type(self) -> tuple[TfType, bool]:
        """Parse one type; return it and whether it was wrapped in optional()."""
        name = self.take()
        if name in ("string", "number", "bool"):
            return TfType(name), False
        if name == "any":
            raise ValueError("type `any` is not allowed in the contract")
        self.take("(")
        if name == "optional":
            inner, _ = self.type()
            if self.peek() == ",":  # optional(type, default): skip the default expression
                self.take(",")
                depth = 0
                while not (depth == 0 and self.peek() == ")"):
                    token = self.take()
                    depth += token in "([{"
                    depth -= token in ")]}"
            self.take(")")
            return inner, True
        if name in ("list", "set", "map"):
            elem, _ = self.type()
            self.take(")")
            return TfType(name, elem=elem), False
        if name == "object":
            self.take("{")
            attrs: dict[str, TfType] = {}
            optional: set[str] = set()
            while self.peek() != "}":
                key = self.take()
                self.take("=")
                attr, is_optional = self.type()
                attrs[key] = attr
                if is_optional:
                    optional.add(key)
                if self.peek() == ",":
                    self.take(",")
            self.take("}")
            self.take(")")
            return TfType("object", attrs=attrs, optional=frozenset(optional)), False
        raise ValueError(f"unknown type constructor {name!r}")


def parse_type(text: str) -> TfType:
    parser = _Parser(text)
    result, is_optional = parser.type()
    if is_optional or parser.peek() is not None:
        raise ValueError(f"not a single type expression: {text!r}")
    return result


def declared_variables(path: Path = VARIABLES) -> dict[str, TfType]:
    """Variable name -> type, from variables.tf via python-hcl2."""
    with path.open(encoding="utf-8") as handle:
        parsed = hcl2.load(handle)
    result: dict[str, TfType] = {}
    for block in parsed.get("variable", []):
        for raw_name, body in block.items():
            name = raw_name.strip('"')
            type_text = body["type"]
            if type_text.startswith("${") and type_text.endswith("}"):
                type_text = type_text[2:-1]
            result[name] = parse_type(type_text)
    return result


def doc_contract(path: Path = DOC) -> tuple[dict[str, TfType], set[str]]:
    """Variable name -> type from docs/tfvars.md, and the attributes the doc says may be null."""
    text = path.read_text(encoding="utf-8")
    rows = re.findall(r"^\|\s*`([a-z_]+)`\s*\|\s*([^|]+?)\s*\|", text, re.M)
    block = re.search(r"```hcl\n(.*?)```", text, re.S)
    assert rows and block, f"{path}: no variable table or hcl block"
    shapes_text = block.group(1)
    nullable = {
        m.group(1)
        for m in re.finditer(r"^\s*([a-z_]+)\s*=.*#.*\bnull\b", shapes_text, re.M)
        if "null when" in m.group(0) or "or null" in m.group(0)
    }
    shapes: dict[str, TfType] = {}
    parser = _Parser(shapes_text)
    while parser.peek() is not None:
        name = parser.take()
        parser.take("=")
        shapes[name], _ = parser.type()
    result: dict[str, TfType] = {}
    for name, type_text in rows:
        result[name] = shapes[name] if name in shapes else parse_type(type_text)
    return result, nullable


# --- values against types ----------------------------------------------------------------------


def type_errors(value: Any, tf_type: TfType, where: str, nullable: bool = False) -> list[str]:
    """Why `value` (decoded JSON) is not a value of `tf_type`; empty when it is."""
    if value is None:
        return [] if nullable else [f"{where}: null where {tf_type} is required"]
    if tf_type.kind == "string":
        return [] if isinstance(value, str) else [f"{where}: {value!r} is not a string"]
    if tf_type.kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{where}: {value!r} is not a number"]
    if tf_type.kind == "bool":
        return [] if isinstance(value, bool) else [f"{where}: {value!r} is not a bool"]
    if tf_type.kind in ("list", "set"):
        if not isinstance(value, list):
            return [f"{where}: {type(value).__name__} is not a list"]
        assert tf_type.elem is not None
        elem = tf_type.elem
        return [e for i, v in enumerate(value) for e in type_errors(v, elem, f"{where}[{i}]")]
    if tf_type.kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__} is not a map"]
        assert tf_type.elem is not None
        return [e for k, v in value.items() for e in type_errors(v, tf_type.elem, f"{where}.{k}")]
    if not isinstance(value, dict):
        return [f"{where}: {type(value).__name__} is not an object"]
    errors = [f"{where}.{k}: not declared" for k in sorted(value.keys() - tf_type.attrs.keys())]
    for key, attr in tf_type.attrs.items():
        optional = key in tf_type.optional
        if key not in value:
            if not optional:
                errors.append(f"{where}.{key}: missing")
            continue
        errors += type_errors(value[key], attr, f"{where}.{key}", nullable=optional)
    return errors


def tfvars_errors(tfvars: dict[str, Any], declared: dict[str, TfType]) -> list[str]:
    errors = [f"{k}: not a variable of the root module" for k in sorted(tfvars.keys() - declared)]
    errors += [f"{k}: variable has no value" for k in sorted(declared.keys() - tfvars.keys())]
    for name in sorted(tfvars.keys() & declared.keys()):
        errors += type_errors(tfvars[name], declared[name], name)
    return errors


def sample_value(tf_type: TfType, nullable: set[str], with_nulls: bool) -> Any:
    """A value of the doc's type: every attribute present, nullable ones null when asked."""
    if tf_type.kind == "string":
        return "x"
    if tf_type.kind == "number":
        return 1
    if tf_type.kind == "bool":
        return True
    if tf_type.kind in ("list", "set"):
        assert tf_type.elem is not None
        return [sample_value(tf_type.elem, nullable, with_nulls)]
    if tf_type.kind == "map":
        assert tf_type.elem is not None
        return {"k": sample_value(tf_type.elem, nullable, with_nulls)}
    return {
        k: None if (with_nulls and k in nullable) else sample_value(v, nullable, with_nulls)
        for k, v in tf_type.attrs.items()
    }


def _optional_attrs(tf_type: TfType) -> set[str]:
    found = set(tf_type.optional)
    for child in [tf_type.elem, *tf_type.attrs.values()]:
        if child is not None:
            found |= _optional_attrs(child)
    return found


# --- rendered tfvars for the shipped environments ----------------------------------------------


def rendered_tfvars(env_name: str) -> tuple[dict[str, Any], str]:
    """The tfvars of one environment as `sciplat render` makes them, and how they were made.

    `sciplat.render.prepare` validates, sizes with the capacity plan and resolves the images; an
    import error fails the test instead of falling back to made-up figures.
    """
    from sciplat.render import prepare

    _env, _sizing, tfvars, _warnings = prepare(env_name)
    return tfvars, "sciplat.render.prepare"


# --- tests -------------------------------------------------------------------------------------


def test_type_parser_reads_nested_optional_objects() -> None:
    parsed = parse_type("list(object({a = string, b = optional(number), c = map(list(bool))}))")
    assert parsed.kind == "list"
    assert parsed.elem is not None
    assert parsed.elem.attrs["c"] == TfType("map", elem=TfType("list", elem=TfType("bool")))
    assert parsed.elem.optional == frozenset({"b"})
    with pytest.raises(ValueError, match="any"):
        parse_type("map(any)")


def test_type_errors_catch_extra_missing_and_mistyped_values() -> None:
    t = parse_type("object({a = string, b = optional(string), c = list(number)})")
    assert type_errors({"a": "x", "c": [1, 2.5]}, t, "v") == []
    assert type_errors({"a": "x", "b": None, "c": []}, t, "v") == []
    assert type_errors({"a": "x", "c": [], "d": 1}, t, "v") == ["v.d: not declared"]
    assert type_errors({"c": []}, t, "v") == ["v.a: missing"]
    assert type_errors({"a": None, "c": [True]}, t, "v") == [
        "v.a: null where string is required",
        "v.c[0]: True is not a number",
    ]


def test_root_variables_are_exactly_the_documented_ones() -> None:
    declared = declared_variables()
    documented, _ = doc_contract()
    assert list(declared) == list(documented), "variables.tf and docs/tfvars.md list differ"
    for name, doc_type in documented.items():
        assert declared[name].same_shape(doc_type), (
            f"{name}: variables.tf has {declared[name]}, docs/tfvars.md has {doc_type}"
        )


def test_optional_only_where_the_doc_allows_null() -> None:
    declared = declared_variables()
    _, nullable = doc_contract()
    assert nullable, "the doc names nullable attributes (digest, credentials_secret, username)"
    optional = set().union(*(_optional_attrs(t) for t in declared.values()))
    assert optional == nullable


@pytest.mark.parametrize("with_nulls", [False, True], ids=["all-set", "nulls"])
def test_a_tfvars_object_of_the_documented_shape_fits_the_root(with_nulls: bool) -> None:
    documented, nullable = doc_contract()
    tfvars = {k: sample_value(t, nullable, with_nulls) for k, t in documented.items()}
    assert tfvars_errors(tfvars, declared_variables()) == []

    broken = copy.deepcopy(tfvars)
    broken["hub"]["auth"]["client_secret"] = "x"  # a secret value has no place in tfvars
    del broken["zones"]
    assert tfvars_errors(broken, declared_variables()) == [
        "zones: variable has no value",
        "hub.auth.client_secret: not declared",
    ]


@pytest.mark.parametrize("env_name", ENV_NAMES)
def test_rendered_tfvars_match_the_root_variables(env_name: str) -> None:
    tfvars, how = rendered_tfvars(env_name)
    errors = tfvars_errors(json.loads(json.dumps(tfvars)), declared_variables())
    assert errors == [], f"{env_name} ({how}):\n" + "\n".join(errors)

    built = REPO_ROOT / "build" / env_name / "terraform.tfvars.json"
    if built.exists():
        on_disk = json.loads(built.read_text(encoding="utf-8"))
        assert tfvars_errors(on_disk, declared_variables()) == [], built


EXPECTED = sorted((REPO_ROOT / "tests" / "expected").glob("*.tfvars.json"))


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.name)
def test_committed_expected_tfvars_match_the_root_variables(path: Path) -> None:
    tfvars = json.loads(path.read_text(encoding="utf-8"))
    assert tfvars_errors(tfvars, declared_variables()) == [], path


# --- the real terraform over the root's variables ----------------------------------------------


def _terraform_argv(args: list[str]) -> list[str]:
    from sciplat.terraform import find_engine

    return find_engine().argv(args)


def _variables_only_root(tmp_path: Path) -> Path:
    """A root with the real variables.tf and an output echoing them: no providers, no backend."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "variables.tf").write_text(VARIABLES.read_text(encoding="utf-8"), encoding="utf-8")
    outputs = "\n".join(
        f'output "{name}" {{\n  value = var.{name}\n}}' for name in declared_variables()
    )
    (root / "outputs.tf").write_text(outputs + "\n", encoding="utf-8")
    return root


def _plan(root: Path, tfvars: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    (root / "test.tfvars.json").write_text(json.dumps(tfvars), encoding="utf-8")
    env = {"TF_CLI_CONFIG_FILE": "/dev/null", "TF_IN_AUTOMATION": "1", "PATH": _path()}
    subprocess.run(
        _terraform_argv([f"-chdir={root}", "init", "-input=false", "-no-color"]),
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return subprocess.run(
        _terraform_argv(
            [
                f"-chdir={root}",
                "plan",
                "-input=false",
                "-no-color",
                "-var-file=test.tfvars.json",
            ]
        ),
        capture_output=True,
        text=True,
        env=env,
    )


def _path() -> str:
    return os.environ.get("PATH", "")


@pytest.mark.integration
@pytest.mark.parametrize("env_name", ENV_NAMES)
def test_terraform_accepts_each_rendered_environment(tmp_path: Path, env_name: str) -> None:
    tfvars, how = rendered_tfvars(env_name)
    result = _plan(_variables_only_root(tmp_path), json.loads(json.dumps(tfvars)))
    assert result.returncode == 0, f"{env_name} ({how}):\n{result.stderr}"


@pytest.mark.integration
@pytest.mark.parametrize(
    ("path", "bad", "message"),
    [
        (("cluster", "release_channel"), "FAST", "release_channel must be one of"),
        (("core_pool", "min_nodes"), 0, "core_pool needs min_nodes >= 1"),
        (("network", "master_cidr"), "172.16.0.0/24", "must be a /28"),
        (("hub", "auth", "client_secret_secret"), "s3cr3t value!", "Secret Manager secret id"),
        (("filestore", "admin_cidrs"), ["0.0.0.0/0"], "not 0.0.0.0/0"),
        (
            ("filestore", "home"),
            {"name": "h", "share_name": "home", "tier": "BASIC_SSD", "capacity_gib": 2048},
            "2560 for BASIC_SSD",
        ),
    ],
)
def test_terraform_rejects_bad_values_with_the_variable_named(
    tmp_path: Path, path: tuple[str, ...], bad: Any, message: str
) -> None:
    tfvars, _ = rendered_tfvars("stable")
    tfvars = json.loads(json.dumps(tfvars))
    target = tfvars
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = bad
    result = _plan(_variables_only_root(tmp_path), tfvars)
    assert result.returncode != 0
    assert message in " ".join(result.stderr.split())
    assert f"var.{path[0]}" in result.stderr
