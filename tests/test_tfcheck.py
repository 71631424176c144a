"""Unit tests of sciplat.tfcheck: version constraints, the configuration scan, the provider
manifest, the build from a source archive, the CLI config and the commands' argument errors."""

from __future__ import annotations

import hashlib
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


def test_repository_pins_match_the_versions_built_from_source() -> None:
    """Every required_providers constraint in the code admits the version built from source, and
    the root pins exactly that version (so the registry installs the same one)."""
    manifest = tfcheck.load_manifest()
    needed = tfcheck.required_sources(tfcheck.terraform_dirs())
    assert {"hashicorp/google", "hashicorp/helm", "hashicorp/kubernetes"} <= set(needed)
    for source, reqs in needed.items():
        assert source in manifest, source
        for req in reqs:
            assert tfcheck.version_allowed(manifest[source].version, req.constraint), req
            if req.file.startswith("terraform/"):
                assert req.constraint == manifest[source].version, req


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "providers: required"),
        ('{"providers": 5}', "providers: required"),
        ('{"providers": {"hashicorp/google": "7.45.0"}}', "providers.hashicorp/google.version"),
        (
            '{"providers": {"hashicorp/helm": {"version": "3.1.2", "archive": "h.tar.gz"}}}',
            "providers.hashicorp/helm.sha256: required",
        ),
        (
            '{"providers": {"hashicorp/helm": {"version": "3.1.2", "archive": "h.tar.gz", '
            '"sha256": "abc"}}}',
            "providers.hashicorp/helm.sha256: not a sha256",
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


def test_constraint_excluding_the_built_version_is_reported_with_file_and_line(
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
    assert "main.tf:4: acme: no source archive is known for vancluever/acme" in message
    assert not (tmp_path / "cache").exists(), "nothing is built when the inputs are wrong"


def test_cli_config_offers_the_mirror_for_exactly_the_built_providers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCIPLAT_PROVIDER_CACHE", str(tmp_path))
    text = tfcheck.render_cli_config(["hashicorp/helm", "hashicorp/google"])
    listed = '["registry.terraform.io/hashicorp/google", "registry.terraform.io/hashicorp/helm"]'
    lines = [line.strip() for line in text.splitlines()]
    mirror = lines.index("filesystem_mirror {")
    assert lines[mirror + 1] == f'path    = "{tmp_path / "mirror"}"'
    assert lines[mirror + 2] == f"include = {listed}"
    direct = lines.index("direct {")
    assert lines[direct + 1] == f"exclude = {listed}", "anything else still comes from the registry"
    assert "dev_overrides" not in text


def test_registry_probe_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCIPLAT_PROVIDERS", "local")
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
    assert tfcheck.cli_config_path() == tmp_path / "elsewhere" / "mirror.tfrc"


def test_count_suite_ignores_comments(tmp_path: Path) -> None:
    suite = tmp_path / "a.tftest.hcl"
    suite.write_text(
        '# run "commented" {\nrun "one" {\n  assert {\n    condition = true\n  }\n'
        '  assert {\n    condition = true\n  }\n}\nrun "two" {\n  expect_failures = []\n}\n',
        encoding="utf-8",
    )
    assert tfcheck.count_suite([suite]) == (2, 2)


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


# --------------------------------------------------------------------------- building from source


def _source_archive(tmp_path: Path, name: str = "acme", version: str = "1.2.3") -> Path:
    """A provider source archive laid out as released: one Go module at the top."""
    import io
    import tarfile

    top = f"terraform-provider-{name}-{version}"
    files = {
        f"{top}/go.mod": f"module example.com/terraform-provider-{name}\n\ngo 1.22\n",
        f"{top}/main.go": (
            'package main\n\nimport "fmt"\n\nvar Version = "dev"\n\n'
            'func main() { fmt.Println("provider", Version) }\n'
        ),
    }
    archive = tmp_path / "sources" / f"{top}.tar.gz"
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        for member, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive


def _spec(source_archive: Path, **changes: str) -> tfcheck.ProviderSpec:
    fields = {
        "source": "acme/acme",
        "version": "1.2.3",
        "archive": source_archive.name,
        "sha256": hashlib.sha256(source_archive.read_bytes()).hexdigest(),
        "ldflags": "-X main.Version=1.2.3",
    }
    fields.update(changes)
    return tfcheck.ProviderSpec(**fields)


@pytest.fixture
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCIPLAT_PROVIDER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SCIPLAT_PROVIDER_SOURCES", str(tmp_path / "sources"))
    return tmp_path / "cache"


@pytest.mark.integration
def test_a_provider_is_built_from_its_archive_into_the_mirror_layout_once(
    tmp_path: Path, isolated_cache: Path
) -> None:
    import subprocess

    spec = _spec(_source_archive(tmp_path))
    path = tfcheck.build_provider(spec, quiet=True)
    assert path == tfcheck.mirror_path(spec)
    assert path.relative_to(isolated_cache / "mirror").parts[:4] == (
        "registry.terraform.io",
        "acme",
        "acme",
        "1.2.3",
    )
    assert path.name == "terraform-provider-acme_v1.2.3"
    # the release's ldflags are linked in
    assert subprocess.run([path], capture_output=True, text=True).stdout == "provider 1.2.3\n"
    first = path.stat().st_mtime_ns
    assert tfcheck.build_provider(spec, quiet=True) == path
    assert path.stat().st_mtime_ns == first, "a warm cache is reused, not rebuilt"


def test_an_archive_with_another_checksum_is_refused(tmp_path: Path, isolated_cache: Path) -> None:
    spec = _spec(_source_archive(tmp_path), sha256="0" * 64)
    with pytest.raises(tfcheck.SciplatError, match="is not the 0000"):
        tfcheck.build_provider(spec, quiet=True)
    assert not tfcheck.mirror_path(spec).exists(), "nothing is offered that was not verified"


def test_a_missing_archive_names_the_directory_and_the_variable(
    tmp_path: Path, isolated_cache: Path
) -> None:
    spec = _spec(_source_archive(tmp_path), archive="absent.tar.gz")
    with pytest.raises(tfcheck.SciplatError) as info:
        tfcheck.build_provider(spec, quiet=True)
    assert "absent.tar.gz" in str(info.value) and "SCIPLAT_PROVIDER_SOURCES" in str(info.value)
    assert info.value.exit_code == 2
