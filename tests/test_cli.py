"""The command line as a whole: every command teaches with --help, errors never show a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sciplat import __version__
from sciplat.cli import app


def command_names() -> list[str]:
    return sorted(cmd.name or cmd.callback.__name__ for cmd in app.registered_commands)


def test_every_capability_is_registered() -> None:
    assert {
        "validate",
        "render",
        "capacity",
        "images",
        "review",
        "plan",
        "apply",
        "destroy",
        "providers",
        "tf-validate",
        "tf-test",
        "tf-docs",
    } <= set(command_names())


@pytest.mark.parametrize("name", command_names())
def test_help_has_an_example(name: str, run_cli) -> None:
    result = run_cli(name, "--help")
    assert result.code == 0
    assert "Example" in result.out, f"sciplat {name} --help shows no example"


def test_version(run_cli) -> None:
    result = run_cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"sciplat {__version__}"


def test_unknown_option_is_a_usage_error(run_cli) -> None:
    result = run_cli("validate", "--no-such-flag")
    assert result.code == 2
    assert "No such option" in result.err
    assert "Traceback" not in result.err


def test_unknown_command_is_a_usage_error(run_cli) -> None:
    result = run_cli("no-such-command")
    assert result.code == 2
    assert "Traceback" not in result.err


def test_console_script_exit_code_and_stderr() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sciplat.cli", "validate", "no-such-environment"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "no such environment file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_unexpected_os_error_is_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli
) -> None:
    import sciplat.commands

    def boom(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(tmp_path / "x"))

    monkeypatch.setattr(sciplat.commands, "environment_names", boom)
    result = run_cli("validate")
    assert result.code == 1
    assert result.err.strip() == f"sciplat: {tmp_path / 'x'}: Permission denied"
